/*
 * itemize_batch.c - g and E of a minibatch's S > 1 sequences (see
 * itemize_ws_init_batch in itemize.h): G_{t,j} = sum_s delta^s_{t,j}
 * (h^s_{j-1})^T is a sum of S rank-one pieces, so |G|_1 is no longer
 * |delta|_1 |h|_1 and each G_{t,j} is formed, one (t, j) at a time.
 * unit_flow adds |delta^s_{t,t-d}[u]| over the S sequences too.
 */
#include "itemize.h"
#include "fastmath.h"
#include "pool.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* |x|_1 in double, eight partial sums in a fixed order. Not cblas_sasum:
 * OpenBLAS 0.3.21's sums the same numbers differently by the address's
 * alignment (measured: 0.396164179 or ...209 for one vector at offsets 16
 * and 0 mod 32), which made a record's g depend on where malloc put G
 * (on the length of the command line: a resumed run differed). */
HOT_LOOPS static double abs_sum(const float *restrict x, size_t n)
{
	double acc[8] = { 0 }, s = 0.0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			acc[l] += fabsf(x[i + l]);
	for (; i < n; i++)
		s += fabsf(x[i]);
	return s + (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
}

/* |G|_1 of each gate block q (rows q H .. q H + H - 1 of the GH x H G). */
static void gate_l1(double *l1, const float *G, int H, int ng)
{
	for (int q = 0; q < ng; q++)
		l1[q] = abs_sum(G + (size_t)q * H * H, (size_t)H * H);
}

/* |R_q|_F^2 of each gate block of the (GH x H) double R. */
static void gate_sq(double *sq, const double *R, int H, int ng)
{
	for (int q = 0; q < ng; q++) {
		const double *r = R + (size_t)q * H * H;
		double s = 0.0;
		for (size_t i = 0; i < (size_t)H * H; i++)
			s += r[i] * r[i];
		sq[q] = s;
	}
}

/* R += W, the float lag sum into the double running sum. */
static void add_into(double *R, const float *W, size_t len)
{
	for (size_t i = 0; i < len; i++)
		R[i] += W[i];
}

/* unit_flow of one lag over the S sequences: the column sums of |delta|
 * of its rows (every step and sequence), a unit's G gate entries added. */
static void unit_flow_rows(float *uf, const float *blk, size_t rows, int H, int G)
{
	memset(uf, 0, (size_t)H * sizeof(float));
	for (size_t r = 0; r < rows * G; r++)
		for (int u = 0; u < H; u++)
			uf[u] += fabsf(blk[r * H + u]);
}

/* One lag d of layer l, shared by the parts: ITEMIZE_PARTS blocks of its
 * steps j, each G_{t,j} = D^T (GH x S) Hp (S x H) into g and g_q, and a
 * last part for the lag's sum of G into R (and E's parts). */
struct lag_job {
	const struct itemized *out;
	struct itemize_ws *w;
	int l, d;
	const float *delta, *hs;
	double *total;
};

static void lag_sum(const struct lag_job *lj)
{
	struct itemize_ws *w = lj->w;
	const int n = w->n, S = w->S, H = w->H, G = w->G, GH = G * H, d = lj->d;
	const size_t GHH = (size_t)GH * H;
	const float *blk = lj->delta + itemize_lag_block(n, d) * S * GH;
	float *Gt = w->Gt + ITEMIZE_PARTS * GHH;
	double sq[4];
	/* the lag's sum of G: (GH x (n-d)S) by ((n-d)S x H) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, (n - d) * S, 1.0f, blk, GH,
		    lj->hs, H, 0.0f, Gt, H);
	add_into(w->R, Gt, GHH);
	gate_sq(d > 0 ? sq : lj->total, w->R, H, G);
	for (int q = 0; d > 0 && q < G; q++)
		w->sq[q * n + d - 1] = sq[q];
	if (lj->out->uf) /* summed over the sequences, as G is */
		unit_flow_rows(lj->out->uf + ((size_t)lj->l * n + d) * H, blk, (size_t)(n - d) * S,
			       H, G);
}

static void lag_part(void *ctx, int k)
{
	const struct lag_job *lj = ctx;
	struct itemize_ws *w = lj->w;
	const int n = w->n, S = w->S, H = w->H, G = w->G, GH = G * H, d = lj->d;
	const size_t nn = (size_t)n * n, l = (size_t)lj->l;
	const double scale_q = 1.0 / ((double)H * H), scale = scale_q / G;
	if (k == ITEMIZE_PARTS) {
		lag_sum(lj);
		return;
	}
	float *g = lj->out->g + l * nn, *gq = lj->out->gq ? lj->out->gq + l * G * nn : NULL;
	const float *blk = lj->delta + itemize_lag_block(n, d) * S * GH;
	float *Gt = w->Gt + (size_t)k * GH * H;
	double l1[4];
	for (int j = k * (n - d) / ITEMIZE_PARTS; j < (k + 1) * (n - d) / ITEMIZE_PARTS; j++) {
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, S, 1.0f,
			    blk + (size_t)j * S * GH, GH, lj->hs + (size_t)j * S * H, H, 0.0f, Gt, H);
		gate_l1(l1, Gt, H, G);
		size_t at = (size_t)(j + d) * n + j;
		double s = 0.0;
		for (int q = 0; q < G; q++) {
			s += l1[q];
			if (gq)
				gq[q * nn + at] = (float)(l1[q] * scale_q);
		}
		g[at] = (float)(s * scale);
	}
}

void itemize_batch_layer(const struct itemized *out, struct itemize_ws *w, int l,
			 const float *delta, const float *hs)
{
	const int n = w->n, G = w->G, GH = G * w->H;
	const size_t nn = (size_t)n * n, GHH = (size_t)GH * w->H;
	float *g = out->g + l * nn, *gq = out->gq ? out->gq + (size_t)l * G * nn : NULL;
	float *E = out->E + (size_t)l * n, *Eq = out->Eq ? out->Eq + (size_t)l * G * n : NULL;
	double total[4] = { 0 }, *part = w->sq; /* part[q n + k] = |R_k^q|^2 */
	struct lag_job lj = { .out = out, .w = w, .l = l, .delta = delta, .hs = hs,
			      .total = total };

	memset(g, 0, nn * sizeof(float));
	if (gq)
		memset(gq, 0, (size_t)G * nn * sizeof(float));
	memset(w->R, 0, GHH * sizeof(double));
	for (int q = 0; q < G; q++)
		part[q * n + n - 1] = 0.0; /* R_{n-1} keeps nothing out */
	/* highest lag first: after lag d, R = sum of the lags >= d = R_{d-1} */
	for (lj.d = n - 1; lj.d >= 0; lj.d--)
		pool_run(w->pool, ITEMIZE_PARTS + 1, lag_part, &lj);
	itemize_errors_from_parts(E, Eq, part, total, G, n);
}
