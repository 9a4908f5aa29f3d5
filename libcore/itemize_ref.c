/*
 * itemize_ref.c - the plain reference for itemized BPTT: for each loss L_t
 * alone, backpropagation through every layer in double precision, forming
 * every G_{t,j} = delta_{t,j} h_{j-1}^T as a GH x H matrix, straight from
 * SPEC 1 and the cell equations of cell.h. It shares no code with the fast
 * path (cell derivatives are rederived here from the cached states); tests
 * hold the fast kernel against it.
 */
#include "itemize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scratch vectors of the reference. */
struct ref_ws {
	double *dh, *dpre, *dih, *direct, *down, *next_down;
	double *carry, *dc; /* (L, H) */
};

/* The backward of one cell step j for one loss: from dL/dh_j (dh) and, for
 * LSTM, dL/dc_j through step j+1 (dc, replaced by dL/dc_{j-1}), the
 * derivatives with respect to W_hh h_{j-1} (dpre), W_ih u_j (dih) and, for
 * GRU, the part of dL/dh_{j-1} that skips W_hh (direct). */
static void ref_cell_back(const struct model *m, const struct layer_cache *lc,
			  const struct layer_params *lp, int j, struct ref_ws *s, double *dc)
{
	const int H = m->H, GH = m->G * H;
	const float *gt = lc->gates + (size_t)j * GH;
	const float *hprev = lc->hs + (size_t)j * H, *h = lc->hs + (size_t)(j + 1) * H;

	for (int i = 0; i < H; i++) {
		double dh = s->dh[i];
		switch (m->cell) {
		case CELL_LSTM: {
			double ig = gt[i], fg = gt[H + i], gg = gt[2 * H + i], og = gt[3 * H + i];
			double tc = tanh((double)lc->cs[(size_t)(j + 1) * H + i]);
			double cprev = lc->cs[(size_t)j * H + i];
			double dct = dc[i] + dh * og * (1 - tc * tc);
			s->dpre[i] = dct * gg * ig * (1 - ig);
			s->dpre[H + i] = dct * cprev * fg * (1 - fg);
			s->dpre[2 * H + i] = dct * ig * (1 - gg * gg);
			s->dpre[3 * H + i] = dh * tc * og * (1 - og);
			dc[i] = dct * fg;
			break;
		}
		case CELL_GRU: {
			double rg = gt[i], zg = gt[H + i], ng = gt[2 * H + i];
			double hn = lp->b_hh[2 * H + i]; /* W_hn h_{j-1} + b_hn */
			for (int b = 0; b < H; b++)
				hn += (double)lp->W_hh[(size_t)(2 * H + i) * H + b] * hprev[b];
			double dn = dh * (1 - zg) * (1 - ng * ng);
			s->dpre[i] = dn * hn * rg * (1 - rg);
			s->dpre[H + i] = dh * (hprev[i] - ng) * zg * (1 - zg);
			s->dpre[2 * H + i] = dn * rg;
			s->dih[2 * H + i] = dn;
			s->direct[i] = dh * zg;
			break;
		}
		default: {
			double a = h[i]; /* act'(z) from act(z) */
			double da = m->act == ACT_RELU ? (a > 0) :
				    m->act == ACT_SIGMOID ? a * (1 - a) : 1 - a * a;
			s->dpre[i] = dh * da;
		}
		}
	}
	if (m->cell != CELL_GRU)
		memcpy(s->dih, s->dpre, (size_t)GH * sizeof(double));
	else
		memcpy(s->dih, s->dpre, (size_t)2 * H * sizeof(double));
}

/* E[k] of one block of S (by lag, entries [lo, hi) of each GH x H matrix). */
static void ref_E(double *E, const double *S, int n, size_t HH, size_t lo, size_t hi)
{
	double total = 0.0;
	for (size_t e = lo; e < hi; e++) {
		double v = 0.0;
		for (int d = 0; d < n; d++)
			v += S[(size_t)d * HH + e];
		total += v * v;
	}
	for (int k = 0; k < n; k++) {
		double r = 0.0;
		for (size_t e = lo; e < hi; e++) {
			double v = 0.0;
			for (int d = k + 1; d < n; d++)
				v += S[(size_t)d * HH + e];
			r += v * v;
		}
		E[k] = total > 0.0 ? sqrt(r / total) : 0.0;
	}
}

void itemize_reference(double *g, double *gq, double *E, double *Eq, double *uf, double *dW,
		       const struct rnn_cache *c, const struct model *m)
{
	const int n = c->n, H = m->H, G = m->G, GH = G * H, L = m->L, V = m->V, top = L - 1;
	const size_t HH = (size_t)GH * H, nn = (size_t)n * n;
	double *S = calloc((size_t)L * n * HH, sizeof(double)); /* (L, n lags, GH, H) */
	struct ref_ws s = {
		calloc(H, sizeof(double)), calloc(GH, sizeof(double)), calloc(GH, sizeof(double)),
		calloc(H, sizeof(double)), calloc(H, sizeof(double)), calloc(H, sizeof(double)),
		calloc((size_t)L * H, sizeof(double)), calloc((size_t)L * H, sizeof(double)),
	};

	memset(g, 0, L * nn * sizeof(double));
	memset(gq, 0, (size_t)L * G * nn * sizeof(double));
	if (uf)
		memset(uf, 0, (size_t)L * n * H * sizeof(double));
	for (int t = 0; t < n; t++) {
		memset(s.carry, 0, (size_t)L * H * sizeof(double));
		memset(s.dc, 0, (size_t)L * H * sizeof(double));
		for (int j = t; j >= 0; j--) {
			memset(s.down, 0, (size_t)H * sizeof(double));
			for (int l = top; l >= 0; l--) {
				const struct layer_cache *lc = &c->ly[l];
				const struct layer_params *lp = &m->layer[l];
				const float *hprev = lc->hs + (size_t)j * H;
				for (int i = 0; i < H; i++) {
					double v = s.carry[l * H + i] + s.down[i];
					if (l == top && j == t) /* W_out^T (p_t - onehot(y_t)) */
						for (int o = 0; o < V; o++)
							v += (double)m->W_out[(size_t)o * H + i] *
							     c->dlogits[(size_t)t * V + o];
					s.dh[i] = v;
				}
				ref_cell_back(m, lc, lp, j, &s, s.dc + (size_t)l * H);
				/* G_{t,j} = dpre h_{j-1}^T, by gate block */
				double *Sd = S + ((size_t)l * n + (t - j)) * HH;
				double sum = 0.0;
				for (int q = 0; q < G; q++) {
					double sq = 0.0;
					for (int a = q * H; a < (q + 1) * H; a++)
						for (int b = 0; b < H; b++) {
							double Gab = s.dpre[a] * hprev[b];
							sq += fabs(Gab);
							Sd[(size_t)a * H + b] += Gab;
						}
					gq[(((size_t)l * G + q) * n + t) * n + j] = sq / ((double)H * H);
					sum += sq;
				}
				g[((size_t)l * n + t) * n + j] = sum / (double)HH;
				/* unit_flow[t-j, u] += sum over gates of |dpre[qH + u]| */
				for (int a = 0; uf && a < GH; a++)
					uf[((size_t)l * n + (t - j)) * H + a % H] += fabs(s.dpre[a]);
				/* to step j-1 of this layer: W_hh^T dpre (+ GRU's z dh) */
				for (int b = 0; b < H; b++) {
					double v = m->cell == CELL_GRU ? s.direct[b] : 0.0;
					for (int a = 0; a < GH; a++)
						v += (double)lp->W_hh[(size_t)a * H + b] * s.dpre[a];
					s.carry[l * H + b] = v;
				}
				/* to layer l-1 at step j: W_ih^T dih */
				for (int b = 0; b < H && l > 0; b++) {
					double v = 0.0;
					for (int a = 0; a < GH; a++)
						v += (double)lp->W_ih[(size_t)a * H + b] * s.dih[a];
					s.next_down[b] = v;
				}
				memcpy(s.down, s.next_down, (size_t)H * sizeof(double));
			}
		}
	}
	for (int l = 0; l < L; l++) {
		const double *Sl = S + (size_t)l * n * HH;
		ref_E(E + (size_t)l * n, Sl, n, HH, 0, HH);
		for (int q = 0; q < G; q++)
			ref_E(Eq + ((size_t)l * G + q) * n, Sl, n, HH, (size_t)q * H * H,
			      (size_t)(q + 1) * H * H);
		for (size_t e = 0; dW && e < HH; e++) {
			double v = 0.0;
			for (int d = 0; d < n; d++)
				v += Sl[(size_t)d * HH + e];
			dW[(size_t)l * HH + e] = v;
		}
	}
	free(S);
	free(s.dh);
	free(s.dpre);
	free(s.dih);
	free(s.direct);
	free(s.down);
	free(s.next_down);
	free(s.carry);
	free(s.dc);
}
