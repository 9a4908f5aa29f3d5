/*
 * itemize.c - the fast itemized-gradient kernel (see itemize.h).
 */
#include "itemize.h"

#include "cell.h"
#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define lag_block itemize_lag_block

/* The workspace; with deltas 0, only what E needs (itemize_errors). S
 * sequences of a minibatch multiply the rows of the delta buffers. */
static int ws_init(struct itemize_ws *w, int n, int S, const struct model *m, int deltas)
{
	const size_t N = (size_t)n, h = (size_t)m->H, G = (size_t)m->G, gh = G * h;
	const size_t rows = N * (size_t)S; /* of the per-lag buffers */
	int bad = 0;
	memset(w, 0, sizeof(*w));
	w->n = n;
	w->S = S;
	w->H = m->H;
	w->G = m->G;
	w->L = m->L;
	w->ly = calloc((size_t)m->L, sizeof(*w->ly));
	if (!w->ly)
		return -1;
	for (int l = 0; l < m->L && deltas; l++) {
		struct itemize_layer *il = &w->ly[l];
		il->delta = malloc(lag_block(n, n) * S * gh * sizeof(float));
		il->in = malloc(rows * h * sizeof(float));
		bad |= !il->delta || !il->in;
		if (m->cell == CELL_LSTM)
			bad |= !(il->dc = malloc(rows * h * sizeof(float)));
		if (m->cell == CELL_GRU) {
			il->dih = malloc(rows * gh * sizeof(float));
			il->direct = malloc(rows * h * sizeof(float));
			bad |= !il->dih || !il->direct;
		}
	}
	w->hl1 = malloc(N * sizeof(float));
	w->hp = malloc(N * h * sizeof(double));
	w->K = malloc(N * N * sizeof(double));
	w->A = malloc(N * gh * sizeof(double));
	w->M = malloc(N * gh * sizeof(double));
	w->D = malloc(N * gh * sizeof(double));
	w->sq = malloc(G * N * sizeof(double));
	w->absblk = malloc(N * gh * sizeof(float));
	w->ones = malloc(h * sizeof(float));
	w->l1 = malloc(N * G * sizeof(float));
	if (S > 1) { /* one G_{t,j} and the E sums (itemize_batch.c) */
		w->Gt = malloc((ITEMIZE_PARTS + 1) * gh * h * sizeof(float));
		w->R = calloc(gh * h, sizeof(double));
		bad |= !w->Gt || !w->R;
	}
	if (bad || !w->hl1 || !w->hp || !w->K || !w->A || !w->M || !w->D || !w->sq ||
	    !w->absblk || !w->ones || !w->l1) {
		itemize_ws_free(w);
		return -1;
	}
	for (size_t i = 0; i < h; i++)
		w->ones[i] = 1.0f;
	return 0;
}

int itemize_ws_init(struct itemize_ws *w, int n, const struct model *m)
{
	return ws_init(w, n, 1, m, 1);
}

int itemize_ws_init_batch(struct itemize_ws *w, int n, int S, const struct model *m)
{
	return ws_init(w, n, S > 1 ? S : 1, m, 1);
}

int itemize_errors_ws_init(struct itemize_ws *w, int n, const struct model *m)
{
	return ws_init(w, n, 1, m, 0);
}

void itemize_ws_free(struct itemize_ws *w)
{
	for (int l = 0; w->ly && l < w->L; l++) {
		free(w->ly[l].delta);
		free(w->ly[l].in);
		free(w->ly[l].dc);
		free(w->ly[l].dih);
		free(w->ly[l].direct);
	}
	free(w->ly);
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
	free(w->Gt);
	free(w->R);
	memset(w, 0, sizeof(*w));
}

/* All deltas of every layer, lag by lag, top layer first within a lag.
 * Row r of lag d is loss t = r + d at step j = r (with S sequences: row
 * j*S + s, sequence s, the cache's own row layout). Before a layer runs lag
 * d, its `in` holds the carry from lag d-1 (row r + S there), plus what the
 * layer above sent down at lag d; the top layer starts from dL_t/dh_t. */
static void itemize_deltas(struct itemize_ws *w, const struct rnn_cache *c,
			   const struct model *m)
{
	const int n = w->n, S = w->S, H = w->H, GH = w->G * w->H, top = w->L - 1;
	const size_t N = (size_t)n * S;

	for (int l = 0; l < w->L; l++) {
		if (l == top)
			memcpy(w->ly[l].in, c->ly[l].dh, N * H * sizeof(float));
		else
			memset(w->ly[l].in, 0, N * H * sizeof(float));
		if (w->ly[l].dc) /* no loss reaches c_t through step t+1 at lag 0 */
			memset(w->ly[l].dc, 0, N * H * sizeof(float));
	}
	for (int d = 0; d < n; d++) {
		const int rows = (n - d) * S;
		for (int l = top; l >= 0; l--) {
			struct itemize_layer *il = &w->ly[l];
			const struct layer_params *lp = &m->layer[l];
			float *blk = il->delta + lag_block(n, d) * S * GH;
			struct cell_back b = {
				.rows = rows, .dh = il->in,
				.dc = il->dc ? il->dc + (size_t)d * S * H : NULL,
				.dpre = blk, .dpre_ih = il->dih, .direct = il->direct,
			};
			cell_backward_rows(m, &c->ly[l], 0, &b);
			if (l > 0) /* down to layer l-1, same steps: in += dpre_ih W_ih */
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, GH,
					    1.0f, il->dih ? il->dih : blk, GH, lp->W_ih, H, 1.0f,
					    w->ly[l - 1].in, H);
			if (rows == S)
				continue;
			/* carry to lag d+1, step j-1: rows S.. of the block times W_hh */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows - S, H, GH,
				    1.0f, blk + (size_t)S * GH, GH, lp->W_hh, H, 0.0f, il->in, H);
			if (il->direct)
				for (size_t i = 0; i < (size_t)(rows - S) * H; i++)
					il->in[i] += il->direct[i + (size_t)S * H];
		}
	}
}

/* unit_flow of lag d, uf (H): the column sums of the lag block's |delta|
 * (rows, GH), the G gate entries of a unit added. Row by row in float, so
 * the loop over units vectorises; a lag has at most n rows to add. */
HOT_LOOPS static void unit_flow_lag(float *restrict uf, const float *restrict absblk, int rows,
				    int H, int G)
{
	memset(uf, 0, (size_t)H * sizeof(float));
	for (size_t r = 0; r < (size_t)rows * G; r++) {
		const float *a = absblk + r * H;
		for (int u = 0; u < H; u++)
			uf[u] += a[u];
	}
}

/* g[t,j] = |delta_{t,j}|_1 |h_{j-1}|_1 / (G H^2) and g_q over gate q's
 * block / H^2: the L1 norms of every gate block of a whole lag block are
 * one sgemv of its absolute values with a vector of ones. uf (n, H), when
 * not NULL, gets each lag's unit_flow from the same absolute values. */
HOT_LOOPS static void itemize_g(float *g, float *gq, float *uf, struct itemize_ws *w,
				const float *delta)
{
	const int n = w->n, H = w->H, G = w->G, GH = G * H;
	const size_t nn = (size_t)n * n;
	const float scale_q = 1.0f / ((float)H * (float)H), scale = scale_q / (float)G;
	memset(g, 0, nn * sizeof(float));
	if (gq)
		memset(gq, 0, (size_t)G * nn * sizeof(float));
	for (int d = 0; d < n; d++) {
		const float *blk = delta + lag_block(n, d) * GH;
		int rows = n - d;
		for (size_t i = 0; i < (size_t)rows * GH; i++)
			w->absblk[i] = fabsf(blk[i]);
		cblas_sgemv(CblasRowMajor, CblasNoTrans, rows * G, H, 1.0f, w->absblk, H,
			    w->ones, 1, 0.0f, w->l1, 1);
		if (uf)
			unit_flow_lag(uf + (size_t)d * H, w->absblk, rows, H, G);
		for (int j = 0; j < rows; j++) {
			size_t at = (size_t)(j + d) * n + j;
			float s = 0.0f;
			for (int q = 0; q < G; q++) {
				float v = w->l1[j * G + q] * w->hl1[j];
				s += v;
				if (gq)
					gq[q * nn + at] = v * scale_q;
			}
			g[at] = s * scale;
		}
	}
}

/* a . b in double with eight independent partial sums, written so that
 * GCC turns the inner loop into vector operations (it keeps a plain
 * double reduction in order, one add at a time) */
static inline double dot8(const double *restrict a, const double *restrict b, size_t n)
{
	double acc[8] = { 0 }, s = 0.0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			acc[l] += a[i + l] * b[i + l];
	for (; i < n; i++)
		s += a[i] * b[i];
	return s + (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
}

/* sum(A .* M) over rows [0, r) and gate q's columns, for every gate (a
 * ddot per row and gate was ~1300 library calls per LSTM record). */
HOT_LOOPS static void gate_dots(double *f, const double *A, const double *M, int r, int H, int G)
{
	if (G == 1) { /* one block: rows [0, r) are contiguous */
		f[0] = dot8(A, M, (size_t)r * H);
		return;
	}
	for (int q = 0; q < G; q++)
		f[q] = 0.0;
	for (int j = 0; j < r; j++)
		for (int q = 0; q < G; q++) {
			size_t at = ((size_t)j * G + q) * H;
			f[q] += dot8(A + at, M + at, (size_t)H);
		}
}

static float rel_error(double sq, double total)
{
	return total > 0.0 ? (float)sqrt(fmax(sq, 0.0) / total) :
	       isnan(total) ? NAN : 0.0f; /* a NaN gradient gives no E */
}

void itemize_errors_from_parts(float *E, float *Eq, const double *part, const double *total,
			       int G, int n)
{
	double all = 0.0;
	for (int q = 0; q < G; q++)
		all += total[q];
	for (int k = 0; k < n; k++) {
		double s = 0.0;
		for (int q = 0; q < G; q++) {
			s += part[q * n + k];
			if (Eq)
				Eq[q * n + k] = rel_error(part[q * n + k], total[q]);
		}
		E[k] = rel_error(s, all);
	}
}

/* E[k] from the Gram form, adding one lag block per k, highest lag first.
 * At step k, A = A_k has non-zero rows [0, r) only (r = n-k-1), so the dot
 * needs M = K A on those rows only: M[0:r) = K[0:r, 0:r) A[0:r). When r grows
 * by one, the new row of M is first brought up to date from the old A. */
HOT_LOOPS static void itemize_E(float *E, float *Eq, struct itemize_ws *w, const float *delta)
{
	const int n = w->n, H = w->H, G = w->G, GH = G * H;
	double total[4] = { 0 }, f[4], *sq = w->sq; /* sq[q n + k] = |R_k^q|_F^2 */

	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, H, 1.0, w->hp, H,
		    0.0, w->K, n);
	for (int i = 0; i < n; i++) /* mirror the upper triangle */
		for (int j = 0; j < i; j++)
			w->K[(size_t)i * n + j] = w->K[(size_t)j * n + i];
	memset(w->A, 0, (size_t)n * GH * sizeof(double));
	memset(w->M, 0, (size_t)n * GH * sizeof(double));

	for (int q = 0; q < G; q++)
		sq[q * n + n - 1] = 0.0; /* R_{n-1} keeps nothing out */
	for (int k = n - 2; k >= -1; k--) {
		int d = k + 1, r = n - d; /* lag block d: j = 0..r-1 */
		const float *blk = delta + lag_block(n, d) * GH;
		size_t len = (size_t)r * GH;
		double *Mnew = w->M + (size_t)(r - 1) * GH;
		/* new row r-1 of M from A_{k+1} (rows [0, r-1)) */
		if (r > 1)
			cblas_dgemv(CblasRowMajor, CblasTrans, r - 1, GH, 1.0, w->A, GH,
				    w->K + (size_t)(r - 1) * n, 1, 0.0, Mnew, 1);
		for (size_t i = 0; i < len; i++) {
			w->D[i] = blk[i];
			w->A[i] += blk[i];
		}
		/* M[0:r) += K[0:r, 0:r) D[0:r) */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, GH, r, 1.0, w->K, n,
			    w->D, GH, 1.0, w->M, GH);
		gate_dots(k >= 0 ? f : total, w->A, w->M, r, H, G);
		for (int q = 0; k >= 0 && q < G; q++)
			sq[q * n + k] = f[q];
	}
	itemize_errors_from_parts(E, Eq, sq, total, G, n);
}

/* g and g_q (and unit_flow) of layer l from its deltas and h_{j-1} (rows
 * 0..n-1 of its cache's hs, (n, H)): |h|_1 of each step times the deltas'
 * L1 norms. */
static void layer_g(const struct itemized *out, struct itemize_ws *w, int l, const float *delta,
		    const float *h)
{
	const size_t nn = (size_t)w->n * w->n;
	for (int j = 0; j < w->n; j++)
		w->hl1[j] = cblas_sasum(w->H, h + (size_t)j * w->H, 1);
	itemize_g(out->g + l * nn, out->gq ? out->gq + l * w->G * nn : NULL,
		  out->uf ? out->uf + (size_t)l * w->n * w->H : NULL, w, delta);
}

/* E and E_q of layer l from its deltas and h_{j-1}, the latter in double
 * for the Gram matrix. */
static void layer_E(const struct itemized *out, struct itemize_ws *w, int l, const float *delta,
		    const float *h)
{
	const size_t n = (size_t)w->n;
	for (size_t i = 0; i < n * w->H; i++)
		w->hp[i] = h[i];
	itemize_E(out->E + l * n, out->Eq ? out->Eq + l * w->G * n : NULL, w, delta);
}

void itemize(const struct itemized *out, struct itemize_ws *w, const struct rnn_cache *c,
	     const struct model *m)
{
	itemize_deltas(w, c, m);
	if (w->S > 1) { /* a minibatch's G are no longer rank one */
		for (int l = 0; l < w->L; l++)
			itemize_batch_layer(out, w, l, w->ly[l].delta, c->ly[l].hs);
		return;
	}
	for (int l = 0; l < w->L; l++) {
		layer_g(out, w, l, w->ly[l].delta, c->ly[l].hs);
		layer_E(out, w, l, w->ly[l].delta, c->ly[l].hs);
	}
}

size_t itemize_defer_bytes(int n, const struct model *m)
{
	return (size_t)m->L * (lag_block(n, n) * (size_t)m->G + (size_t)n) * (size_t)m->H *
	       sizeof(float);
}

int itemize_defer_init(struct itemize_defer *d, int n, const struct model *m)
{
	memset(d, 0, sizeof(*d));
	d->L = m->L;
	d->layer_delta = lag_block(n, n) * (size_t)m->G * m->H;
	d->layer_hs = (size_t)n * m->H;
	d->delta = malloc((size_t)m->L * d->layer_delta * sizeof(float));
	d->hs = malloc((size_t)m->L * d->layer_hs * sizeof(float));
	if (!d->delta || !d->hs) {
		itemize_defer_free(d);
		return -1;
	}
	return 0;
}

void itemize_defer_free(struct itemize_defer *d)
{
	free(d->delta);
	free(d->hs);
	memset(d, 0, sizeof(*d));
}

void itemize_split(const struct itemized *out, struct itemize_ws *w, const struct rnn_cache *c,
		   const struct model *m, struct itemize_defer *d)
{
	itemize_deltas(w, c, m);
	for (int l = 0; l < w->L; l++) {
		layer_g(out, w, l, w->ly[l].delta, c->ly[l].hs);
		memcpy(d->delta + l * d->layer_delta, w->ly[l].delta, d->layer_delta * sizeof(float));
		memcpy(d->hs + l * d->layer_hs, c->ly[l].hs, d->layer_hs * sizeof(float));
	}
}

void itemize_errors(const struct itemized *out, struct itemize_ws *w,
		    const struct itemize_defer *d)
{
	for (int l = 0; l < w->L; l++)
		layer_E(out, w, l, d->delta + l * d->layer_delta, d->hs + l * d->layer_hs);
}
