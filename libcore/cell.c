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

HOT_LOOPS static void lstm_forward_step(int H, float *h, float *c, float *tc, float *gate,
					const float *rec, const float *cprev)
{
	for (int i = 0; i < H; i++) {
		float ig = fast_sigmoidf(gate[i] + rec[i]);
		float fg = fast_sigmoidf(gate[H + i] + rec[H + i]);
		float gg = fast_tanhf(gate[2 * H + i] + rec[2 * H + i]);
		float og = fast_sigmoidf(gate[3 * H + i] + rec[3 * H + i]);
		c[i] = fg * cprev[i] + ig * gg;
		tc[i] = fast_tanhf(c[i]);
		h[i] = og * tc[i];
		gate[i] = ig;
		gate[H + i] = fg;
		gate[2 * H + i] = gg;
		gate[3 * H + i] = og;
	}
}

HOT_LOOPS static void gru_forward_step(int H, float *h, float *hn, float *gate, const float *rec,
				       const float *hprev)
{
	for (int i = 0; i < H; i++) {
		float rg = fast_sigmoidf(gate[i] + rec[i]);
		float zg = fast_sigmoidf(gate[H + i] + rec[H + i]);
		float ng = fast_tanhf(gate[2 * H + i] + rg * rec[2 * H + i]);
		h[i] = (1.0f - zg) * ng + zg * hprev[i];
		hn[i] = rec[2 * H + i];
		gate[i] = rg;
		gate[H + i] = zg;
		gate[2 * H + i] = ng;
	}
}

void cell_forward_step(const struct model *m, struct layer_cache *lc, int t, float *gate,
		       const float *rec)
{
	const int H = m->H;
	float *h = lc->hs + (size_t)(t + 1) * H;
	switch (m->cell) {
	case CELL_LSTM:
		lstm_forward_step(H, h, lc->cs + (size_t)(t + 1) * H, lc->aux + (size_t)t * H, gate,
				  rec, lc->cs + (size_t)t * H);
		break;
	case CELL_GRU:
		gru_forward_step(H, h, lc->aux + (size_t)t * H, gate, rec, lc->hs + (size_t)t * H);
		break;
	default:
		rnn_forward_step(H, m->act, h, gate, rec);
	}
}

HOT_LOOPS static void rnn_backward_rows(int H, int rows, const float *gates, const struct cell_back *b)
{
	for (size_t i = 0; i < (size_t)rows * H; i++)
		b->dpre[i] = gates[i] * b->dh[i];
}

HOT_LOOPS static void lstm_backward_rows(int H, int rows, const float *gates, const float *tcs,
					 const float *cprev, const struct cell_back *b)
{
	const size_t GH = 4 * (size_t)H;
	for (int r = 0; r < rows; r++) {
		const float *gt = gates + r * GH, *tc = tcs + (size_t)r * H;
		const float *cp = cprev + (size_t)r * H, *dh = b->dh + (size_t)r * H;
		float *dc = b->dc + (size_t)r * H, *dp = b->dpre + r * GH;
		for (int i = 0; i < H; i++) {
			float ig = gt[i], fg = gt[H + i], gg = gt[2 * H + i], og = gt[3 * H + i];
			float dct = dc[i] + dh[i] * og * (1.0f - tc[i] * tc[i]);
			dp[i] = dct * gg * ig * (1.0f - ig);
			dp[H + i] = dct * cp[i] * fg * (1.0f - fg);
			dp[2 * H + i] = dct * ig * (1.0f - gg * gg);
			dp[3 * H + i] = dh[i] * tc[i] * og * (1.0f - og);
			dc[i] = dct * fg;
		}
	}
}

HOT_LOOPS static void gru_backward_rows(int H, int rows, const float *gates, const float *hns,
					const float *hprev, const struct cell_back *b)
{
	const size_t GH = 3 * (size_t)H;
	for (int r = 0; r < rows; r++) {
		const float *gt = gates + r * GH, *hn = hns + (size_t)r * H;
		const float *hp = hprev + (size_t)r * H, *dh = b->dh + (size_t)r * H;
		float *dp = b->dpre + r * GH, *di = b->dpre_ih + r * GH;
		float *direct = b->direct + (size_t)r * H;
		for (int i = 0; i < H; i++) {
			float rg = gt[i], zg = gt[H + i], ng = gt[2 * H + i];
			float dn = dh[i] * (1.0f - zg) * (1.0f - ng * ng);
			float dz = dh[i] * (hp[i] - ng) * zg * (1.0f - zg);
			float dr = dn * hn[i] * rg * (1.0f - rg);
			di[i] = dp[i] = dr;
			di[H + i] = dp[H + i] = dz;
			di[2 * H + i] = dn;
			dp[2 * H + i] = dn * rg;
			direct[i] = dh[i] * zg;
		}
	}
}

void cell_backward_rows(const struct model *m, const struct layer_cache *lc, int step0,
			const struct cell_back *b)
{
	const size_t H = (size_t)m->H, GH = (size_t)m->G * H, s = (size_t)step0;
	const float *gates = lc->gates + s * GH;
	switch (m->cell) {
	case CELL_LSTM: /* cs row j holds c_{j-1} */
		lstm_backward_rows(m->H, b->rows, gates, lc->aux + s * H, lc->cs + s * H, b);
		break;
	case CELL_GRU: /* hs row j holds h_{j-1} */
		gru_backward_rows(m->H, b->rows, gates, lc->aux + s * H, lc->hs + s * H, b);
		break;
	default:
		rnn_backward_rows(m->H, b->rows, gates, b);
	}
}
