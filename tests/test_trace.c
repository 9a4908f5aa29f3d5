/*
 * test_trace.c - libcore/trace's graph against the chain rule and the
 * gradient, for every cell (tanh, relu and sigmoid vanilla, LSTM, GRU) at
 * one and two layers, on random models and batches:
 *   - every vertex's consumers: sum_u w(u,v) g_u = g_v (rnn_backward's),
 *     so no edge is missing, none is extra, and every w is right up to a
 *     combination that cancels (test_trace.py checks each w on its own);
 *   - the first hop's terms summed over the steps = dL/dtheta of every
 *     entry of every parameter (rnn_backward's gradient);
 *   - every path ends at the root within trace_max_hops, each hop moving
 *     forward in (step, layer, node, unit) order;
 *   - one deliberately broken oracle (a consumer left out) is caught.
 */
#include "../libcore/rng.h"
#include "../libcore/trace.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct setup {
	struct model m;
	int n;
	int32_t *x, *y;
	float *h0, *c0;
};

static void setup_make(struct setup *s, enum cell_kind cell, enum act_kind act, int L, int H,
		       int V, int n, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	model_init(&s->m, cell, act, L, H, V);
	model_init_params(&s->m, 0.6f, 1.0f, &r);
	for (size_t i = 0; i < s->m.nparams; i++) /* biases too, so no unit sits at 0 */
		s->m.params[i] += 0.1f * (float)rng_normal(&r);
	s->n = n;
	s->x = malloc((size_t)n * sizeof(int32_t));
	s->y = malloc((size_t)n * sizeof(int32_t));
	s->h0 = malloc((size_t)L * H * sizeof(float));
	s->c0 = malloc((size_t)L * H * sizeof(float));
	for (int t = 0; t < n; t++) {
		s->x[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
		s->y[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
	}
	for (int i = 0; i < L * H; i++) {
		s->h0[i] = (float)(0.5 * rng_normal(&r));
		s->c0[i] = (float)(0.5 * rng_normal(&r));
	}
}

static void setup_free(struct setup *s)
{
	model_free(&s->m);
	free(s->x);
	free(s->y);
	free(s->h0);
	free(s->c0);
}

/* Largest |sum_u w g_u - g_v| over the vertices, relative to the largest
 * |g|; `drop` leaves out each vertex's last consumer (the broken oracle). */
static double chain_rule_error(struct trace_graph *g, int drop)
{
	double worst = 0, scale = 1e-30;
	for (size_t v = 0; v + 1 < g->nv; v++)
		scale = fmax(scale, fabs(trace_grad(g, v)));
	for (size_t v = 0; v + 1 < g->nv; v++) {
		int k = trace_consumers(g, v) - drop;
		double sum = 0;
		for (int e = 0; e < k; e++)
			sum += g->ew[e] * trace_grad(g, g->eu[e]);
		worst = fmax(worst, fabs(sum - trace_grad(g, v)) / scale);
	}
	return worst;
}

/* Largest |sum_t term_t - dL/dtheta| over every entry of every parameter,
 * relative to the largest |dL/dtheta| of that parameter. */
static double first_hop_error(struct trace_graph *g)
{
	const struct model *m = g->m;
	float *grad = malloc(m->nparams * sizeof(float));
	double worst = 0;
	model_export(m, grad, g->grads); /* PyTorch's layout, as entries are named */
	for (int p = 0; p < m->ntab; p++) {
		const struct param_info *pi = &m->tab[p];
		const float *d = grad + pi->offset;
		double scale = 1e-30;
		for (size_t i = 0; i < pi->size; i++)
			scale = fmax(scale, fabs(d[i]));
		for (size_t r = 0; r < pi->dims[0]; r++)
			for (size_t c = 0; c < pi->dims[1]; c++) {
				/* the sum of every step's term: trace_first keeps only the
				 * largest, so sum by asking with the other steps' uses */
				double sum = 0;
				for (int t = 0; t < g->n; t++) {
					double term;
					trace_first_at(g, p, r, c, t, &term);
					sum += term;
				}
				worst = fmax(worst, fabs(sum - d[r * pi->dims[1] + c]) / scale);
			}
	}
	free(grad);
	return worst;
}

/* Every path of every entry of weight_hh_l0 and of weight_out ends at the
 * root, moving forward, within the bound. */
static int paths_ok(struct trace_graph *g)
{
	const struct model *m = g->m;
	int cap = trace_max_hops(g), ok = 1;
	size_t *ids = malloc((size_t)cap * sizeof(size_t));
	double *terms = malloc((size_t)cap * sizeof(double));
	int ps[2] = { model_param(0, LP_WEIGHT_HH), model_weight_out(m) };
	for (int i = 0; i < 2; i++) {
		const struct param_info *pi = &m->tab[ps[i]];
		for (size_t r = 0; r < pi->dims[0]; r++)
			for (size_t c = 0; c < pi->dims[1]; c++) {
				int hops = trace_path(g, ps[i], r, c, ids, terms);
				ok &= hops <= cap && ids[hops - 1] == g->nv - 1;
				for (int k = 1; k < hops; k++)
					ok &= ids[k] > ids[k - 1];
			}
	}
	free(ids);
	free(terms);
	return ok;
}

static void check_cell(enum cell_kind cell, enum act_kind act, int L)
{
	struct setup s;
	struct trace_graph g;
	char label[48];
	snprintf(label, sizeof(label), "%s%s%s L=%d", cell_name(cell), cell == CELL_RNN ? " " : "",
		 cell == CELL_RNN ? act_name(act) : "", L);
	setup_make(&s, cell, act, L, 7, 11, 9, 1234 + (uint64_t)cell * 10 + (uint64_t)act + L);
	if (!tap_check(trace_graph_init(&g, &s.m, s.n) == 0, "%s: graph allocated", label)) {
		setup_free(&s);
		return;
	}
	trace_graph_run(&g, s.x, s.y, s.h0, s.c0);
	double e = chain_rule_error(&g, 0);
	tap_check(e < 1e-5, "%s: every vertex: sum over its consumers of w g_u = g_v (%.2g)",
		  label, e);
	double broken = chain_rule_error(&g, 1);
	tap_check(broken > 1e-2, "%s: ... and a consumer left out is caught (%.2g)", label, broken);
	e = first_hop_error(&g);
	tap_check(e < 1e-5, "%s: first-hop terms over the steps = dL/dtheta, every entry (%.2g)",
		  label, e);
	tap_check(paths_ok(&g), "%s: every path moves forward and ends at L", label);
	trace_graph_free(&g);
	setup_free(&s);
}

int main(void)
{
	for (int L = 1; L <= 2; L++) {
		check_cell(CELL_RNN, ACT_TANH, L);
		check_cell(CELL_RNN, ACT_RELU, L);
		check_cell(CELL_RNN, ACT_SIGMOID, L);
		check_cell(CELL_LSTM, ACT_TANH, L);
		check_cell(CELL_GRU, ACT_TANH, L);
	}
	return tap_done();
}
