/*
 * cell.c - element-wise forward and backward steps of the vanilla, LSTM
 * and GRU cells (see cell.h). Loops run over hidden units with no calls,
 * so GCC vectorises them.
 */
#include "cell.h"
#include "fastmath.h"

HOT_LOOPS static void rnn_forward_step(int H, enum act_kind act, float *h, float *gate,
				       const float *rec)
{
	switch (act) {
	case ACT_RELU:
		for (int i = 0; i < H; i++) {
			float z = gate[i] + rec[i];
			gate[i] = z > 0.0f ? 1.0f : 0.0f;
			h[i] = z > 0.0f ? z : 0.0f;
		}
		break;
	case ACT_SIGMOID:
		for (int i = 0; i < H; i++) {
			h[i] = fast_sigmoidf(gate[i] + rec[i]);
			gate[i] = h[i] * (1.0f - h[i]);
		}
		break;
	default:
		for (int i = 0; i < H; i++) {
			h[i] = fast_tanhf(gate[i] + rec[i]);
			gate[i] = 1.0f - h[i] * h[i];
		}
	}
}

/* In the three steps the loop runs over H units, and rec holds the G
 * blocks of H entries each (a unit range of a wider layer: cell_forward_units).
 * The gate blocks are passed apart, restrict-qualified: as offsets into one
 * row (gate[H + i]) GCC cannot prove them independent of the stores and
 * does not vectorise the loop at all. */
HOT_LOOPS static void lstm_forward_step(int H, float *restrict h, float *restrict c,
					float *restrict tc, float *restrict gi, float *restrict gf,
					float *restrict gg, float *restrict go,
					const float *restrict rec, const float *restrict cprev)
{
	const float *ri = rec, *rf = rec + H, *rg = rec + 2 * H, *ro = rec + 3 * H;
	for (int i = 0; i < H; i++) {
		float ig = fast_sigmoidf(gi[i] + ri[i]);
		float fg = fast_sigmoidf(gf[i] + rf[i]);
		float cg = fast_tanhf(gg[i] + rg[i]);
		float og = fast_sigmoidf(go[i] + ro[i]);
		c[i] = fg * cprev[i] + ig * cg;
		tc[i] = fast_tanhf(c[i]);
		h[i] = og * tc[i];
		gi[i] = ig;
		gf[i] = fg;
		gg[i] = cg;
		go[i] = og;
	}
}

HOT_LOOPS static void gru_forward_step(int H, float *restrict h, float *restrict hn,
				       float *restrict gr, float *restrict gz, float *restrict gn,
				       const float *restrict rec, const float *restrict hprev)
{
	const float *rr = rec, *rz = rec + H, *rn = rec + 2 * H;
	for (int i = 0; i < H; i++) {
		float r = fast_sigmoidf(gr[i] + rr[i]);
		float z = fast_sigmoidf(gz[i] + rz[i]);
		float n = fast_tanhf(gn[i] + r * rn[i]);
		h[i] = (1.0f - z) * n + z * hprev[i];
		hn[i] = rn[i];
		gr[i] = r;
		gz[i] = z;
		gn[i] = n;
	}
}

void cell_forward_step(const struct model *m, struct layer_cache *lc, int t, float *gate,
		       const float *rec)
{
	cell_forward_units(m, lc, t, gate, rec, 0, m->H);
}

void cell_forward_units(const struct model *m, struct layer_cache *lc, int t, float *gate,
			const float *rec, int u0, int w)
{
	const size_t H = (size_t)m->H;
	const size_t B = (size_t)lc->B; /* row t's own state is row t + B */
	float *h = lc->hs + (t + B) * H + u0;
	gate += u0;
	switch (m->cell) {
	case CELL_LSTM:
		lstm_forward_step(w, h, lc->cs + (t + B) * H + u0, lc->aux + (size_t)t * H + u0, gate,
				  gate + H, gate + 2 * H, gate + 3 * H, rec,
				  lc->cs + (size_t)t * H + u0);
		break;
	case CELL_GRU:
		gru_forward_step(w, h, lc->aux + (size_t)t * H + u0, gate, gate + H, gate + 2 * H, rec,
				 lc->hs + (size_t)t * H + u0);
		break;
	default:
		rnn_forward_step(w, m->act, h, gate, rec);
	}
}

/* The backward of units [u0, u0 + w) of `rows` rows of H units (GH gate
 * entries) each; all units when w == H. */
HOT_LOOPS static void rnn_backward_rows(int H, int rows, const float *gates, const struct cell_back *b,
					int u0, int w)
{
	if (w == H) {
		for (size_t i = 0; i < (size_t)rows * H; i++)
			b->dpre[i] = gates[i] * b->dh[i];
		return;
	}
	for (size_t r = 0; r < (size_t)rows; r++) {
		size_t o = r * H + u0;
		for (int i = 0; i < w; i++)
			b->dpre[o + i] = gates[o + i] * b->dh[o + i];
	}
}

/* One LSTM row: gate values in, dpre out, dc updated in place (dL/dc_j
 * through step j+1 in, dL/dc_{j-1} out). Blocks apart and restrict, as in
 * the forward step, or GCC leaves the loop scalar. */
static inline void lstm_backward_row(int H, const float *restrict ig, const float *restrict fg,
				     const float *restrict gg, const float *restrict og,
				     const float *restrict tc, const float *restrict cp,
				     const float *restrict dh, float *restrict dc,
				     float *restrict di, float *restrict df, float *restrict dg,
				     float *restrict dO)
{
	for (int i = 0; i < H; i++) {
		float dct = dc[i] + dh[i] * og[i] * (1.0f - tc[i] * tc[i]);
		di[i] = dct * gg[i] * ig[i] * (1.0f - ig[i]);
		df[i] = dct * cp[i] * fg[i] * (1.0f - fg[i]);
		dg[i] = dct * ig[i] * (1.0f - gg[i] * gg[i]);
		dO[i] = dh[i] * tc[i] * og[i] * (1.0f - og[i]);
		dc[i] = dct * fg[i];
	}
}

HOT_LOOPS static void lstm_backward_rows(int H, int rows, const float *gates, const float *tcs,
					 const float *cprev, const struct cell_back *b, int u0, int w)
{
	const size_t GH = 4 * (size_t)H;
	for (int r = 0; r < rows; r++) {
		const float *gt = gates + r * GH + u0;
		float *dp = b->dpre + r * GH + u0;
		size_t o = (size_t)r * H + u0;
		lstm_backward_row(w, gt, gt + H, gt + 2 * H, gt + 3 * H, tcs + o, cprev + o,
				  b->dh + o, b->dc + o, dp, dp + H, dp + 2 * H, dp + 3 * H);
	}
}

/* One GRU row: dpre (with the r factor on the n block), dpre_ih and the
 * direct term z dh. */
static inline void gru_backward_row(int H, const float *restrict rg, const float *restrict zg,
				    const float *restrict ng, const float *restrict hn,
				    const float *restrict hp, const float *restrict dh,
				    float *restrict dr, float *restrict dz, float *restrict dn,
				    float *restrict ir, float *restrict iz, float *restrict in,
				    float *restrict direct)
{
	for (int i = 0; i < H; i++) {
		float n_pre = dh[i] * (1.0f - zg[i]) * (1.0f - ng[i] * ng[i]);
		float z_pre = dh[i] * (hp[i] - ng[i]) * zg[i] * (1.0f - zg[i]);
		float r_pre = n_pre * hn[i] * rg[i] * (1.0f - rg[i]);
		ir[i] = dr[i] = r_pre;
		iz[i] = dz[i] = z_pre;
		in[i] = n_pre;
		dn[i] = n_pre * rg[i];
		direct[i] = dh[i] * zg[i];
	}
}

HOT_LOOPS static void gru_backward_rows(int H, int rows, const float *gates, const float *hns,
					const float *hprev, const struct cell_back *b, int u0, int w)
{
	const size_t GH = 3 * (size_t)H;
	for (int r = 0; r < rows; r++) {
		const float *gt = gates + r * GH + u0;
		float *dp = b->dpre + r * GH + u0, *di = b->dpre_ih + r * GH + u0;
		size_t o = (size_t)r * H + u0;
		gru_backward_row(w, gt, gt + H, gt + 2 * H, hns + o, hprev + o, b->dh + o, dp,
				 dp + H, dp + 2 * H, di, di + H, di + 2 * H, b->direct + o);
	}
}

void cell_backward_rows(const struct model *m, const struct layer_cache *lc, int step0,
			const struct cell_back *b)
{
	cell_backward_units(m, lc, step0, b, 0, m->H);
}

void cell_backward_units(const struct model *m, const struct layer_cache *lc, int step0,
			 const struct cell_back *b, int u0, int w)
{
	const size_t H = (size_t)m->H, GH = (size_t)m->G * H, s = (size_t)step0;
	const float *gates = lc->gates + s * GH;
	switch (m->cell) {
	case CELL_LSTM: /* cs row j holds c_{j-1} */
		lstm_backward_rows(m->H, b->rows, gates, lc->aux + s * H, lc->cs + s * H, b, u0, w);
		break;
	case CELL_GRU: /* hs row j holds h_{j-1} */
		gru_backward_rows(m->H, b->rows, gates, lc->aux + s * H, lc->hs + s * H, b, u0, w);
		break;
	default:
		rnn_backward_rows(m->H, b->rows, gates, b, u0, w);
	}
}
