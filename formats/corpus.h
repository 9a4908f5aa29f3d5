/*
 * corpus.h - the training text: files concatenated in order, or stdin for
 * "-", read whole into memory (corpora are megabytes, and batches walk
 * them again and again).
 */
#ifndef RNNBOW_CORPUS_H
#define RNNBOW_CORPUS_H

#include <stddef.h>
#include <stdint.h>

struct corpus {
	uint8_t *data;
	size_t len;
	char *name; /* the paths as given, joined by spaces; "-" for stdin */
};

/* Reads and concatenates paths[0..npaths). Returns 0, or -1 after printing
 * "rnnbow CMD: PATH: why" (missing, unreadable, a directory). An empty
 * result is not an error here: the caller knows its minimum length. */
int corpus_load(struct corpus *c, char *const *paths, int npaths);

/* Copies a built-in text into c under the given name. Returns 0 or -1. */
int corpus_from_memory(struct corpus *c, const uint8_t *data, size_t len, const char *name);

void corpus_free(struct corpus *c);

#endif
