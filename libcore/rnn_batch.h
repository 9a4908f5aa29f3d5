/*
 * rnn_batch.h - the minibatch (B > 1) parts of rnn.c, split into a fixed
 * number of parts that a pool's threads share (record --threads T).
 *
 * Every product and cell step of a minibatch's batch is cut into
 * c->parts pieces, each computing its own block of the outputs: the
 * recurrences by hidden units (part k owns units [u0, u1) of every gate,
 * for all B sequences; one pool_run per time step), the per-batch products
 * by rows or columns of their result. The cut depends on the model's size
 * alone, never on the thread count: OpenBLAS's bits depend on the shape
 * of a product, so this is what keeps every T's numbers the same. With
 * parts = 1 (B = 1) each is the one product of before, bit for bit.
 */
#ifndef RNNBOW_RNN_BATCH_H
#define RNNBOW_RNN_BATCH_H

#include "rnn.h"

#include <cblas.h>

/* Parts of a cache of B sequences of H units: RNN_PARTS for a minibatch
 * with H >= 16, else 1. */
#define RNN_PARTS 2
int rnn_batch_parts(int B, int H);

/* [*lo, *hi) of part k of `parts` over [0, total), cut at multiples of 16
 * where the total allows (whole vectors for the element-wise loops). */
void rnn_part_range(int total, int parts, int k, int *lo, int *hi);

/* C (M, N) = alpha op(A) op(B) + beta C, row-major, as c->parts products
 * of a block of rows (by_rows) or of columns of C each, on c's pool. */
void rnn_sgemm_parts(const struct rnn_cache *c, int by_rows, enum CBLAS_TRANSPOSE ta,
		     enum CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
		     int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* out (cols) += column sums of a (rows, cols), by blocks of columns (a
 * column's sum runs over the rows in order whatever the cut). */
void rnn_colsums_parts(const struct rnn_cache *c, float *out, const float *a, int rows,
		       int cols);

/* The recurrence of layer l forward (gates holding W_ih u + b_ih on entry)
 * and BPTT's sequential part through it (dh holding what arrives from
 * above), for B > 1. */
void rnn_layer_forward_batch(struct rnn_cache *c, int l, const struct model *m);
void rnn_layer_bptt_batch(struct rnn_cache *c, int l, const struct model *m);

#endif
