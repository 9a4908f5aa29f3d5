/*
 * sha256.h - SHA-256 (FIPS 180-4) of a byte buffer, for the corpus_sha256
 * attribute that ties a run to its exact corpus.
 */
#ifndef RNNBOW_SHA256_H
#define RNNBOW_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 64 lowercase hex digits and a NUL into hex. */
void sha256_hex(char hex[65], const uint8_t *data, size_t len);

#endif
