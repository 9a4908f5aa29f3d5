/*
 * itemize.c - the fast itemized-gradient kernel (see itemize.h).
 */
#include "itemize.h"

#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row offset of lag block d: blocks 0..d-1 hold n, n-1, ..., n-d+1 rows. */
static size_t lag_block(int n, int d)
{
	return (size_t)d * n - (size_t)d * (d - 1) / 2;
}

int itemize_ws_init(struct itemize_ws *w, int n, int H)
{
	size_t N = (size_t)n, h = (size_t)H;
	memset(w, 0, sizeof(*w));
	w->n = n;
	w->H = H;
	w->delta = malloc(lag_block(n, n) * h * sizeof(float));
	w->hl1 = malloc(N * sizeof(float));
	w->hp = malloc(N * h * sizeof(double));
	w->K = malloc(N * N * sizeof(double));
	w->A = malloc(N * h * sizeof(double));
	w->M = malloc(N * h * sizeof(double));
	w->D = malloc(N * h * sizeof(double));
	w->sq = malloc(N * sizeof(double));
	w->absblk = malloc(N * h * sizeof(float));
	w->ones = malloc(h * sizeof(float));
	w->l1 = malloc(N * sizeof(float));
	if (!w->delta || !w->hl1 || !w->hp || !w->K || !w->A || !w->M || !w->D ||
	    !w->sq || !w->absblk || !w->ones || !w->l1) {
		itemize_ws_free(w);
		return -1;
	}
	for (int i = 0; i < H; i++)
		w->ones[i] = 1.0f;
	return 0;
}

void itemize_ws_free(struct itemize_ws *w)
{
	free(w->delta);
	free(w->hl1);
	free(w->hp);
	free(w->K);
	free(w->A);
	free(w->M);
	free(w->D);
	free(w->sq);
	free(w->absblk);
	free(w->ones);
	free(w->l1);
	memset(w, 0, sizeof(*w));
}

/* All deltas, lag by lag: delta_{t,t} = act'(z_t) * dh_out_t, then
 * delta_{t,j-1} = act'(z_{j-1}) * (W_hh^T delta_{t,j}) for every t at once. */
HOT_LOOPS static void itemize_deltas(struct itemize_ws *w, const struct rnn_cache *c,
			   const struct model *m)
{
	const int n = w->n, H = w->H;
	float *b0 = w->delta;
	for (size_t i = 0; i < (size_t)n * H; i++)
		b0[i] = c->dact[i] * c->dh_out[i];
	for (int d = 0; d + 1 < n; d++) {
		int rows = n - d - 1; /* t = d+1..n-1 */
		const float *src = w->delta + (lag_block(n, d) + 1) * H;
		float *dst = w->delta + lag_block(n, d + 1) * H;
		/* row-vector times W_hh = (W_hh^T delta)^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, H,
			    1.0f, src, H, m->W_hh, H, 0.0f, dst, H);
		/* row r is t = d+1+r, j-1 = r */
		for (size_t i = 0; i < (size_t)rows * H; i++)
			dst[i] *= c->dact[i];
	}
}

/* g[t,j] = |delta_{t,j}|_1 |h_{j-1}|_1 / H^2: the L1 norms of a whole lag
 * block are one sgemv of its absolute values with a vector of ones. */
HOT_LOOPS static void itemize_g(float *g, struct itemize_ws *w)
{
	const int n = w->n, H = w->H;
	const float scale = 1.0f / ((float)H * (float)H);
	memset(g, 0, (size_t)n * n * sizeof(float));
	for (int d = 0; d < n; d++) {
		const float *blk = w->delta + lag_block(n, d) * H;
		int rows = n - d;
		for (size_t i = 0; i < (size_t)rows * H; i++)
			w->absblk[i] = fabsf(blk[i]);
		cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, H, 1.0f, w->absblk, H, w->ones, 1,
			    0.0f, w->l1, 1);
		for (int j = 0; j < rows; j++)
			g[(size_t)(j + d) * n + j] = w->l1[j] * w->hl1[j] * scale;
	}
}

/* E[k] from the Gram form, adding one lag block per k, highest lag first.
 * At step k, A = A_k has non-zero rows [0, r) only (r = n-k-1), so the dot
 * needs M = K A on those rows only: M[0:r) = K[0:r, 0:r) A[0:r). When r grows
 * by one, the new row of M is first brought up to date from the old A. */
HOT_LOOPS static void itemize_E(float *E, struct itemize_ws *w)
{
	const int n = w->n, H = w->H;
	double total = 0.0, *sq = w->sq; /* sq[k] = |R_k|_F^2 */

	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, H, 1.0, w->hp, H,
		    0.0, w->K, n);
	for (int i = 0; i < n; i++) /* mirror the upper triangle */
		for (int j = 0; j < i; j++)
			w->K[(size_t)i * n + j] = w->K[(size_t)j * n + i];
	memset(w->A, 0, (size_t)n * H * sizeof(double));
	memset(w->M, 0, (size_t)n * H * sizeof(double));

	sq[n - 1] = 0.0; /* R_{n-1} keeps nothing out */
	for (int k = n - 2; k >= -1; k--) {
		int d = k + 1, r = n - d; /* lag block d: j = 0..r-1 */
		const float *blk = w->delta + lag_block(n, d) * H;
		size_t len = (size_t)r * H;
		double *Mnew = w->M + (size_t)(r - 1) * H;
		/* new row r-1 of M from A_{k+1} (rows [0, r-1)) */
		if (r > 1)
			cblas_dgemv(CblasRowMajor, CblasTrans, r - 1, H, 1.0, w->A, H,
				    w->K + (size_t)(r - 1) * n, 1, 0.0, Mnew, 1);
		for (size_t i = 0; i < len; i++) {
			w->D[i] = blk[i];
			w->A[i] += blk[i];
		}
		/* M[0:r) += K[0:r, 0:r) D[0:r) */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, H, r, 1.0, w->K, n,
			    w->D, H, 1.0, w->M, H);
		double f = cblas_ddot((blasint)len, w->A, 1, w->M, 1);
		if (k >= 0)
			sq[k] = f;
		else
			total = f;
	}
	for (int k = 0; k < n; k++)
		E[k] = total > 0.0 ? (float)sqrt(fmax(sq[k], 0.0) / total) :
		       isnan(total) ? NAN : 0.0f; /* a NaN gradient gives no E */
}

void itemize(float *g, float *E, struct itemize_ws *w, const struct rnn_cache *c,
	     const struct model *m)
{
	const int n = w->n, H = w->H;
	for (int j = 0; j < n; j++) {
		const float *h = c->hs + (size_t)j * H; /* h_{j-1} */
		w->hl1[j] = cblas_sasum(H, h, 1);
		for (int i = 0; i < H; i++)
			w->hp[(size_t)j * H + i] = h[i];
	}
	itemize_deltas(w, c, m);
	itemize_g(g, w);
	itemize_E(E, w);
}
