/*
 * batchread.h - one recorded batch rebuilt for offline analysis (gradient
 * tracing): the model with the parameters saved in the record
 * (/record/params, written by `record --save-params`), the carried states
 * h0 (and c0) of every layer, and the batch's inputs and targets. Rows are
 * read one at a time; memory is one model and one batch.
 */
#ifndef RNNBOW_BATCHREAD_H
#define RNNBOW_BATCHREAD_H

#include "runread.h"
#include "../libcore/mix.h"

struct batchread {
	const struct run *run;
	struct model m;       /* the record's parameters after batchread_load;
				 a mix: the block of its components' (mx) */
	struct mix *mx;       /* a mix of components (docs/FORMAT.md), or NULL */
	int n;
	int64_t rows;         /* committed records */
	int64_t *batch;       /* (rows) /record/batch */
	int32_t *x, *y;       /* (n) inputs, targets */
	float *h0, *c0;       /* (L, H) carried states; c0 LSTM only (else zeros);
				 a mix: (K, L, H), component k's at k L H */
	float *buf;           /* the largest parameter, PyTorch's layout */
};

/* Opens the records of run for rebuilding. A run without saved parameters,
 * or with dense inputs (not stored), is refused in one line. Returns 0, or
 * -1 after a message "rnnbow CMD: PATH: why". */
int batchread_open(struct batchread *b, const struct run *run);

/* The row of the record of training batch `batch`, or -1. */
int64_t batchread_row(const struct batchread *b, int64_t batch);

/* Loads record row `row` into m, x, y, h0, c0. Returns 0 or -1 (message). */
int batchread_load(struct batchread *b, int64_t row);

void batchread_close(struct batchread *b);

#endif
