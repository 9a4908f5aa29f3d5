/*
 * recread.h - streaming the records of a run in blocks of rows, so that
 * memory stays flat whatever the number of records. Only the columns asked
 * for are read; every dataset's shape is checked against /model first, so
 * a damaged or foreign file is refused with a message, never misread.
 */
#ifndef RNNBOW_RECREAD_H
#define RNNBOW_RECREAD_H

#include "runread.h"

enum recread_columns {
	RC_BATCH = 1 << 0,     /* always read */
	RC_POSITION = 1 << 1,
	RC_TARGET = 1 << 2,
	RC_PREDICTED = 1 << 3,
	RC_LOSS = 1 << 4,
	RC_ITEMIZED = 1 << 5,
	RC_TRUNC = 1 << 6,
};

struct recread {
	const struct run *run;
	int n, H, V;
	uint8_t vocab[256];
	int64_t rows;        /* committed records */
	int64_t next;        /* first row of the next block */
	int64_t first;       /* first row of the current block */
	size_t cap;          /* rows per block */
	unsigned cols;
	hid_t dset[7];
	/* the current block, row-major */
	int64_t *batch;      /* (cap) */
	int64_t *position;   /* (cap) */
	int32_t *target;     /* (cap, n) */
	int32_t *predicted;  /* (cap, n) */
	float *loss;         /* (cap, n) */
	float *itemized;     /* (cap, n, n) */
	float *trunc;        /* (cap, n) */
};

/* Opens the columns asked for. Returns 0, or -1 after one message
 * "rnnbow CMD: PATH: why". */
int recread_open(struct recread *rr, const struct run *run, unsigned cols);

/* Reads the next block into the arrays; returns its row count, 0 at the
 * end, -1 on a read error (message printed). */
int64_t recread_next(struct recread *rr);

/* Reads the one record whose training batch is `batch` into row 0 of the
 * block. Returns 0, 1 when no such record exists, -1 on error. */
int recread_find(struct recread *rr, int64_t batch);

void recread_close(struct recread *rr);

/* /train in blocks: batch, loss, grad_norm. */
struct trainread {
	const struct run *run;
	int64_t rows, next;
	size_t cap;
	hid_t dset[3];
	int64_t *batch;
	float *loss, *grad_norm;
};

int trainread_open(struct trainread *tr, const struct run *run);
int64_t trainread_next(struct trainread *tr);
void trainread_close(struct trainread *tr);

#endif
