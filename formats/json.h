/*
 * json.h - the few JSON pieces rnnbow prints: a string with escapes.
 */
#ifndef RNNBOW_JSON_H
#define RNNBOW_JSON_H

#include <stdio.h>

/* Prints s as a JSON string literal ("..." with \", \\, \n, \uXXXX). */
void json_string(FILE *out, const char *s);

#endif
