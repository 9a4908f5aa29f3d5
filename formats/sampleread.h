/*
 * sampleread.h - the /samples of a run (record --sample-every): the batch
 * and the text of every committed sample, read whole (a few hundred bytes
 * each, one per thousands of batches).
 */
#ifndef RNNBOW_SAMPLEREAD_H
#define RNNBOW_SAMPLEREAD_H

#include "runread.h"

#include <stdint.h>

struct run_samples {
	int64_t count, length; /* S samples of N bytes */
	int64_t *batch;        /* (S) */
	uint8_t *text;         /* (S, N) */
};

/* Reads /samples into s. Returns 1 when the run has none (s empty), 0
 * when read, -1 after a message (a damaged /samples). */
int run_samples_read(struct run_samples *s, const struct run *run);
void run_samples_free(struct run_samples *s);

#endif
