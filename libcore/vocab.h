/*
 * vocab.h - the byte vocabulary of a corpus: the sorted distinct bytes,
 * token id = index into that list (SPEC 1).
 */
#ifndef RNNBOW_VOCAB_H
#define RNNBOW_VOCAB_H

#include <stddef.h>
#include <stdint.h>

struct vocab {
	int size;              /* V, 1..256 */
	uint8_t bytes[256];    /* byte value of each token id */
	int16_t id_of[256];    /* token id of each byte, -1 if absent */
};

/* Builds the vocabulary of data[0..len). */
void vocab_build(struct vocab *v, const uint8_t *data, size_t len);

/* Writes the token id of each byte of data into ids. */
void vocab_encode(const struct vocab *v, int32_t *ids, const uint8_t *data, size_t len);

#endif
