/*
 * rnn_batch.c - a minibatch's recurrences and products cut into parts
 * (see rnn_batch.h).
 */
#include "rnn_batch.h"
#include "cell.h"
#include "pool.h"

#include <string.h>

int rnn_batch_parts(int B, int H)
{
	return B > 1 && H >= 16 ? RNN_PARTS : 1;
}

void rnn_part_range(int total, int parts, int k, int *lo, int *hi)
{
	int q = total >= 16 * parts ? 16 : 1; /* the grain of a cut */
	int units = (total + q - 1) / q;
	*lo = k * units / parts * q;
	*hi = (k + 1 == parts) ? total : (k + 1) * units / parts * q;
	if (*lo > total)
		*lo = total;
	if (*hi > total)
		*hi = total;
}

struct gemm_job {
	int by_rows, parts;
	enum CBLAS_TRANSPOSE ta, tb;
	int M, N, K, lda, ldb, ldc;
	float alpha, beta;
	const float *A, *B;
	float *C;
};

static void gemm_part(void *ctx, int k)
{
	const struct gemm_job *j = ctx;
	int lo, hi;
	const float *A = j->A, *B = j->B;
	float *C = j->C;
	int M = j->M, N = j->N;
	if (j->by_rows) {
		rnn_part_range(j->M, j->parts, k, &lo, &hi);
		A += j->ta == CblasNoTrans ? (size_t)lo * j->lda : (size_t)lo;
		C += (size_t)lo * j->ldc;
		M = hi - lo;
	} else {
		rnn_part_range(j->N, j->parts, k, &lo, &hi);
		B += j->tb == CblasNoTrans ? (size_t)lo : (size_t)lo * j->ldb;
		C += lo;
		N = hi - lo;
	}
	if (M > 0 && N > 0)
		cblas_sgemm(CblasRowMajor, j->ta, j->tb, M, N, j->K, j->alpha, A, j->lda, B, j->ldb,
			    j->beta, C, j->ldc);
}

void rnn_sgemm_parts(const struct rnn_cache *c, int by_rows, enum CBLAS_TRANSPOSE ta,
		     enum CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
		     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	struct gemm_job j = {
		.by_rows = by_rows, .parts = c->parts, .ta = ta, .tb = tb, .M = M, .N = N, .K = K,
		.lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta, .A = A, .B = B,
		.C = C,
	};
	pool_run(c->pool, c->parts, gemm_part, &j);
}

struct colsum_job {
	int parts, rows, cols;
	float *out;
	const float *a;
};

static void colsum_part(void *ctx, int k)
{
	const struct colsum_job *j = ctx;
	int lo, hi;
	rnn_part_range(j->cols, j->parts, k, &lo, &hi);
	for (int r = 0; r < j->rows; r++) {
		const float *row = j->a + (size_t)r * j->cols;
		for (int i = lo; i < hi; i++)
			j->out[i] += row[i];
	}
}

void rnn_colsums_parts(const struct rnn_cache *c, float *out, const float *a, int rows,
		       int cols)
{
	struct colsum_job j = { .parts = c->parts, .rows = rows, .cols = cols, .out = out, .a = a };
	pool_run(c->pool, c->parts, colsum_part, &j);
}

/* One layer's recurrence at step t, shared by the parts. */
struct step_job {
	struct rnn_cache *c;
	const struct model *m;
	int l, t;
};

/* Part k's rows of W_hh and b_hh in part order (rnn_batch.h: the G gate
 * blocks of its units, one after the other), so that its recurrence is
 * one product. */
static void permute_part(void *ctx, int k)
{
	const struct step_job *j = ctx;
	const int H = j->m->H, G = j->m->G;
	const struct layer_params *lp = &j->m->layer[j->l];
	int u0, u1;
	rnn_part_range(H, j->c->parts, k, &u0, &u1);
	const int w = u1 - u0;
	for (int q = 0; q < G; q++) {
		size_t at = (size_t)G * u0 + (size_t)q * w, from = (size_t)q * H + u0;
		memcpy(j->c->whh_p + at * H, lp->W_hh + from * H, (size_t)w * H * sizeof(float));
		memcpy(j->c->bhh_p + at, lp->b_hh + from, (size_t)w * sizeof(float));
	}
}

/* Part k of step t forward: rec (B, G w) = b_hh + h_{t-1} (B, H) W_hh^T
 * on its units, then their cells. */
static void forward_part(void *ctx, int k)
{
	const struct step_job *j = ctx;
	struct rnn_cache *c = j->c;
	const int B = c->B, H = j->m->H, G = j->m->G, GH = G * H;
	struct layer_cache *lc = &c->ly[j->l];
	int u0, u1;
	rnn_part_range(H, c->parts, k, &u0, &u1);
	const int gw = G * (u1 - u0);
	const size_t r0 = (size_t)j->t * B;
	float *rec = c->rec + (size_t)B * G * u0;
	const float *W = c->parts > 1 ? c->whh_p + (size_t)G * u0 * H : j->m->layer[j->l].W_hh;
	const float *bias = c->parts > 1 ? c->bhh_p + (size_t)G * u0 : j->m->layer[j->l].b_hh;
	if (gw == 0)
		return;
	for (int b = 0; b < B; b++)
		memcpy(rec + (size_t)b * gw, bias, (size_t)gw * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, gw, H, 1.0f, lc->hs + r0 * H, H,
		    W, H, 1.0f, rec, gw);
	for (int b = 0; b < B; b++)
		cell_forward_units(j->m, lc, (int)r0 + b, lc->gates + (r0 + b) * GH,
				   rec + (size_t)b * gw, u0, u1 - u0);
}

void rnn_layer_forward_batch(struct rnn_cache *c, int l, const struct model *m)
{
	struct step_job j = { .c = c, .m = m, .l = l };
	if (c->parts > 1)
		pool_run(c->pool, c->parts, permute_part, &j);
	for (j.t = 0; j.t < c->n; j.t++)
		pool_run(c->pool, c->parts, forward_part, &j);
}

/* Part k of step t of BPTT, on its units: the carry dL/dh_t through step
 * t+1, (B, w) = dpre_{t+1} (B, GH) W_hh[:, u0:u1] (+ GRU's z dh), then
 * the cells' backward at step t. */
static void bptt_part(void *ctx, int k)
{
	const struct step_job *j = ctx;
	struct rnn_cache *c = j->c;
	const int B = c->B, H = j->m->H, GH = j->m->G * H, t = j->t;
	const struct layer_params *lp = &j->m->layer[j->l];
	struct layer_cache *lc = &c->ly[j->l];
	int u0, u1;
	rnn_part_range(H, c->parts, k, &u0, &u1);
	const int w = u1 - u0;
	const size_t r0 = (size_t)t * B;
	if (w == 0)
		return;
	if (t == c->n - 1) { /* nothing comes back from beyond the batch */
		for (int b = 0; b < B; b++) {
			memset(c->carry + (size_t)b * H + u0, 0, (size_t)w * sizeof(float));
			memset(c->dc + (size_t)b * H + u0, 0, (size_t)w * sizeof(float));
		}
	} else {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, w, GH, 1.0f,
			    lc->dpre + (r0 + B) * GH, GH, lp->W_hh + u0, H, 0.0f, c->carry + u0, H);
		if (j->m->cell == CELL_GRU)
			for (int b = 0; b < B; b++)
				for (int i = u0; i < u1; i++)
					c->carry[(size_t)b * H + i] += c->direct[(size_t)b * H + i];
	}
	const float *dh = lc->dh + r0 * H;
	for (int b = 0; b < B; b++)
		for (int i = u0; i < u1; i++)
			c->dht[(size_t)b * H + i] = dh[(size_t)b * H + i] + c->carry[(size_t)b * H + i];
	struct cell_back back = {
		.rows = B, .dh = c->dht, .dc = c->dc, .dpre = lc->dpre + r0 * GH,
		.dpre_ih = lc->dpre_ih + r0 * GH, .direct = c->direct,
	};
	cell_backward_units(j->m, lc, (int)r0, &back, u0, w);
}

void rnn_layer_bptt_batch(struct rnn_cache *c, int l, const struct model *m)
{
	struct step_job j = { .c = c, .m = m, .l = l };
	for (j.t = c->n - 1; j.t >= 0; j.t--)
		pool_run(c->pool, c->parts, bptt_part, &j);
}
