/*
 * vocab.c - byte vocabulary: one pass to mark the bytes present, ids in
 * ascending byte order.
 */
#include "vocab.h"

#include <string.h>

void vocab_build(struct vocab *v, const uint8_t *data, size_t len)
{
	unsigned char seen[256] = { 0 };
	for (size_t i = 0; i < len; i++)
		seen[data[i]] = 1;
	v->size = 0;
	for (int b = 0; b < 256; b++) {
		v->id_of[b] = -1;
		if (seen[b]) {
			v->id_of[b] = (int16_t)v->size;
			v->bytes[v->size++] = (uint8_t)b;
		}
	}
}

void vocab_encode(const struct vocab *v, int32_t *ids, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ids[i] = v->id_of[data[i]];
}
