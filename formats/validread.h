/*
 * validread.h - /valid of a run (record --valid, --valid-share): the
 * held-out loss by batch, its committed rows read whole (one row per
 * --valid-every batches: small).
 */
#ifndef RNNBOW_VALIDREAD_H
#define RNNBOW_VALIDREAD_H

#include "runread.h"

#include <stdint.h>

struct valid_rows {
	int64_t n;       /* rows; 0 when the run has no /valid */
	int64_t *batch;  /* (n) */
	float *loss;     /* (n) */
};

/* Reads r's /valid into v (freed with valid_rows_free). Returns 0 (n = 0
 * when there is none), or -1 when it cannot be read or memory ran out (no
 * message: the caller names what it wanted). */
int valid_rows_read(struct valid_rows *v, const struct run *r);
void valid_rows_free(struct valid_rows *v);

/* The held-out loss evaluated at training batch `batch`, or NaN when v has
 * no row of that batch (rows are in ascending batch order, as written). */
float valid_rows_at(const struct valid_rows *v, int64_t batch);

#endif
