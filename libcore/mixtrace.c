/*
 * mixtrace.c - gradient tracing on a mix of components (see mixtrace.h).
 */
#include "mixtrace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mix_trace_init(struct mix_trace *t, const struct mix *mx, int n)
{
	memset(t, 0, sizeof(*t));
	t->mx = mx;
	t->n = n;
	t->probs = malloc((size_t)n * mx->V * sizeof(float));
	t->pred = malloc((size_t)n * sizeof(int32_t));
	t->losses = malloc((size_t)n * sizeof(float));
	int bad = !t->probs || !t->pred || !t->losses;
	for (int k = 0; k < mx->K && !bad; k++)
		bad = trace_graph_init(&t->g[k], &mx->comp[k], n) < 0;
	if (bad) {
		mix_trace_free(t);
		return -1;
	}
	return 0;
}

void mix_trace_free(struct mix_trace *t)
{
	for (int k = 0; t->mx && k < t->mx->K; k++)
		if (t->g[k].m)
			trace_graph_free(&t->g[k]);
	free(t->probs);
	free(t->pred);
	free(t->losses);
	memset(t, 0, sizeof(*t));
}

void mix_trace_run(struct mix_trace *t, const int32_t *x, const int32_t *y, const float *h0,
		   const float *c0)
{
	const struct mix *mx = t->mx;
	const int n = t->n, V = mx->V, K = mx->K;
	const size_t N = (size_t)n * V, s = (size_t)mx->L * mx->H;
	memset(t->probs, 0, N * sizeof(float));
	/* the sums and the scaling as mix_softmax's, so the numbers are training's */
	for (int k = 0; k < K; k++) {
		struct trace_graph *g = &t->g[k];
		rnn_forward_logits(&g->c, x, h0 + k * s, c0 ? c0 + k * s : NULL, &mx->comp[k]);
		for (size_t i = 0; i < N; i++)
			t->probs[i] += g->c.probs[i];
	}
	const float inv = 1.0f / (float)K;
	for (size_t i = 0; i < N; i++)
		t->probs[i] *= inv;
	t->loss = rnn_softmax_rows(t->probs, t->pred, t->losses, n, V, y);
	for (int k = 0; k < K; k++) {
		struct trace_graph *g = &t->g[k];
		for (int r = 0; r < n; r++)
			for (int v = 0; v < V; v++) {
				size_t i = (size_t)r * V + v;
				g->c.dlogits[i] = (t->probs[i] - (v == y[r] ? 1.0f : 0.0f)) * inv;
			}
		memset(g->grads, 0, mx->comp[k].nparams * sizeof(float));
		rnn_backward_logits(g->grads, &g->c, x, &mx->comp[k]);
		trace_graph_adjoints(g, x, t->loss);
	}
}

int mix_trace_input(struct mix_trace *t, int step, int *comp, size_t *ids, double *terms)
{
	size_t best = 0;
	double bm = -2.0, bt = 0.0;
	*comp = 0;
	for (int k = 0; k < t->mx->K; k++) {
		double tm;
		size_t u = trace_first_input(&t->g[k], step, &tm);
		double a = isnan(tm) ? -1.0 : fabs(tm);
		if (a > bm) { /* ties: the lower component */
			bm = a;
			best = u;
			bt = tm;
			*comp = k;
		}
	}
	return trace_walk(&t->g[*comp], best, bt, ids, terms);
}
