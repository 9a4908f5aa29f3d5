/*
 * trace.h - gradient tracing (DuSell; SPEC 1 "Gradient tracing") on the
 * unit-level graph of one batch, from its forward and backward pass
 * (rnn.c's, run once per batch; no second BPTT).
 *
 * Vertices, per step t and layer l: the pre-activation of each gate
 * (z_<gate>, G x H units; the vanilla cell's single z), the LSTM's cell
 * state c (H), the hidden state h (H); per step the output logits (V) and
 * the loss L_t (1); and the root L = sum_t L_t. g_u = dL/du for every
 * vertex, w(u,v) = du/dv the local derivative of an edge v -> u (u a
 * consumer of v). The edges per cell are listed in docs/ANALYSIS.md
 * ("Gradient tracing"). From a parameter entry the walk first goes to the
 * use of the entry at the step where |dL/dz * input| is largest, then at
 * each vertex to the consumer u with the largest |w(u,v) g_u|, until L;
 * ties go to the lower (step, layer, node, unit).
 *
 * Vertex ids are laid out so that id order is that tuple order: per step
 * S = L K H + V + 1 ids (K = G gate blocks, c for LSTM, h), layer by layer,
 * then the logits and the loss; the root is n S. Each vertex's choice is
 * kept once made, so tracing every entry of a matrix costs one forward
 * and backward, n uses per entry for the first hop, and the fan-out
 * (GH + GH or V) once per vertex reached.
 */
#ifndef RNNBOW_TRACE_H
#define RNNBOW_TRACE_H

#include "rnn.h"

#include <stddef.h>
#include <stdint.h>

enum trace_node { TN_Z, TN_C, TN_H, TN_LOGIT, TN_LOSS, TN_ROOT };

/* A vertex spelled out. layer = L for logits and loss, -1 for the root;
 * step and unit -1 for the root; gate: the gate of a z, else -1. */
struct trace_vertex {
	int step, layer, unit, gate;
	enum trace_node node;
};

struct trace_graph {
	const struct model *m;
	int n, K;
	size_t S, nv;        /* ids per step, vertices (n S + 1) */
	const int32_t *x;    /* (n) the batch's inputs, as given to run */
	struct rnn_cache c;
	float *grads;        /* (nparams) rnn_backward's, unused here */
	float *gc;           /* (L, n, H) LSTM: dL/dc_t in total */
	int64_t *next;       /* (nv) chosen consumer, -1 not yet */
	float *nterm;        /* (nv) its term w g */
	size_t *eu;          /* (fan-out) scratch: consumers */
	double *ew;          /*            and their w */
	double loss;         /* L of the batch */
};

/* Allocates a graph for batches of n steps of model m. 0, or -1 when out
 * of memory (g is then freed). */
int trace_graph_init(struct trace_graph *g, const struct model *m, int n);
void trace_graph_free(struct trace_graph *g);

/* Forward and backward of one batch (x, y: n token ids; h0, c0: (L, H)
 * carried states, c0 LSTM only) with m's current parameters; forgets the
 * choices of the previous batch. */
void trace_graph_run(struct trace_graph *g, const int32_t *x, const int32_t *y,
		     const float *h0, const float *c0);

/* The second half of trace_graph_run, for a graph whose cache the caller
 * ran forward and backward itself (a mix's component, mix.h: its dlogits
 * dL/dy^k = (p - onehot(y)) / K): keeps x and the batch's loss, derives
 * the LSTM's dL/dc_t and forgets the previous choices. */
void trace_graph_adjoints(struct trace_graph *g, const int32_t *x, double loss);

void trace_vertex_of(const struct trace_graph *g, size_t id, struct trace_vertex *v);
/* "z", "z_i", "c", "h", "logit", "loss", "L". */
const char *trace_node_name(const struct trace_graph *g, const struct trace_vertex *v,
			    char buf[8]);
/* g_u = dL/du. */
double trace_grad(const struct trace_graph *g, size_t id);

/* The consumers of vertex v (into g->eu, with w into g->ew, in id
 * order); returns how many (0 for the root). */
int trace_consumers(struct trace_graph *g, size_t v);

/* The walk's step from v (not the root): the chosen consumer, its term
 * w(u,v) g_u in *term. */
size_t trace_next(struct trace_graph *g, size_t v, double *term);

/* The first hop from entry (row, col) of parameter table entry p (col 0
 * for a bias): the vertex where it is used at the chosen step, and
 * term = dL/dz * input there (one step's share of dL/dtheta). */
size_t trace_first(const struct trace_graph *g, int p, size_t row, size_t col, double *term);
/* The use at step t alone (its vertex, and its term in *term). */
size_t trace_first_at(const struct trace_graph *g, int p, size_t row, size_t col, int t,
		      double *term);

/* The first hop from step t's one-hot input x_t (the input vertex): the
 * layer-0 pre-activation z_t[r] with the largest |W_ih[r, x_t] dL/dz_t[r]|
 * (ties: the lower r), that term in *term. */
size_t trace_first_input(const struct trace_graph *g, int t, double *term);

/* The path from vertex `first` (its hop-0 term given) to the root, as
 * trace_path fills it. Returns the hop count. */
int trace_walk(struct trace_graph *g, size_t first, double term, size_t *ids, double *terms);

/* Hops a path can have at most. */
int trace_max_hops(const struct trace_graph *g);

/* The whole path of an entry: ids[k], terms[k] of hop k = 0.. (hop 0 is
 * trace_first's, the last reaches the root). Returns the hop count. */
int trace_path(struct trace_graph *g, int p, size_t row, size_t col, size_t *ids,
	       double *terms);

/* ---- what the summary counts ---- */

/* Components: per layer l the layer itself, then its cell's paths and
 * gates; then the output layer. */
int trace_components(const struct model *m);
/* Name of component c ("layer", "cell_path", "gate_f", "output", ...) and
 * its layer (L for the output layer). */
const char *trace_component_name(const struct model *m, int c, int *layer);

/* Marks in flags (trace_components entries, zeroed first) the components
 * the path ids[0..hops) goes through: the vertices hops 1.. reach (not the
 * first, where the parameter enters) and the edges between them. Returns
 * its lag: the step of the loss it ends at minus the step of its first
 * vertex. */
int trace_path_components(const struct trace_graph *g, const size_t *ids, int hops,
			  uint8_t *flags);

#endif
