/*
 * mixtrace.h - gradient tracing (trace.h) on a mix of components (mix.h).
 *
 * Each component's vertices form a graph of their own, built from the
 * mix's forward and backward: g_u = dL/du of the mix's loss, its logits'
 * dL/dy^k = (p - onehot(y)) / K. The components share two kinds of
 * vertices only: the one-hot input x_t (read by every component's layer
 * 0) and the averaged logits y_t (fed by every component's). The averaged
 * logit has one consumer, L_t, so it is folded into the edge y^k_t -> L_t
 * of each component's graph (w = (p - onehot(y)) / K, the chain through
 * the average); a walk never chooses there. The input is where the
 * components compete: the path from x_t goes first to the layer-0
 * pre-activation, over every component's, with the largest |w g|
 * (trace_first_input; ties: the lower component), then inside that
 * component to the root. A path from a component's parameter never leaves
 * the component.
 */
#ifndef RNNBOW_MIXTRACE_H
#define RNNBOW_MIXTRACE_H

#include "mix.h"
#include "trace.h"

struct mix_trace {
	const struct mix *mx;
	int n;
	struct trace_graph g[MIX_MAX]; /* component k's graph */
	float *probs;   /* (n, V) */
	int32_t *pred;  /* (n) */
	float *losses;  /* (n) */
	double loss;
};

/* 0, or -1 when out of memory (t freed). */
int mix_trace_init(struct mix_trace *t, const struct mix *mx, int n);
void mix_trace_free(struct mix_trace *t);

/* The mix's forward and backward of the batch x, y (n ids) from the
 * states h0, c0 ((K, L, H)), with the components' current parameters. */
void mix_trace_run(struct mix_trace *t, const int32_t *x, const int32_t *y, const float *h0,
		   const float *c0);

/* The path from step t's input: its component in *comp, the hops (ids of
 * that component's graph) as trace_walk's. Returns the hop count. */
int mix_trace_input(struct mix_trace *t, int step, int *comp, size_t *ids, double *terms);

#endif
