/*
 * plot_trace.c - the data of `rnnbow plot trace`: one recorded batch
 * rebuilt (formats/batchread.c), every entry of weight_hh of --layer L
 * (of --gate's block only, if given) traced (libcore/trace.c), and its
 * paths counted per edge between (step, vertex kind) cells of the grid
 * that plots/trace.c draws. The hop into the root L is left out: every
 * path takes it.
 */
#include "plot.h"
#include "../formats/batchread.h"
#include "../plots/views.h"
#include "../formats/msg.h"
#include "../libcore/mixtrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grid rows: per layer the G gates, c (LSTM), h; then logit and loss. */
struct grid {
	int per, rows;
	char (*names)[24];
	const char **ptrs;
};

static int grid_row(const struct trace_graph *g, const struct grid *gr, size_t id, int *step)
{
	struct trace_vertex v;
	trace_vertex_of(g, id, &v);
	*step = v.step;
	switch (v.node) {
	case TN_Z: return v.layer * gr->per + v.gate;
	case TN_C: return v.layer * gr->per + g->m->G;
	case TN_H: return v.layer * gr->per + gr->per - 1;
	case TN_LOGIT: return gr->rows - 2;
	case TN_LOSS: return gr->rows - 1;
	default: return -1;
	}
}

static int grid_init(struct grid *gr, const struct trace_graph *g)
{
	const struct model *m = g->m;
	char buf[8];
	gr->per = m->G + (m->cell == CELL_LSTM) + 1;
	gr->rows = m->L * gr->per + 2;
	gr->names = calloc((size_t)gr->rows, sizeof(*gr->names));
	gr->ptrs = calloc((size_t)gr->rows, sizeof(*gr->ptrs));
	if (!gr->names || !gr->ptrs)
		return -1;
	for (int r = 0; r < gr->rows; r++) {
		struct trace_vertex v = { 0, r / gr->per, 0, r % gr->per, TN_Z };
		if (r >= m->L * gr->per)
			v.node = r == gr->rows - 2 ? TN_LOGIT : TN_LOSS;
		else if (v.gate == gr->per - 1)
			v.node = TN_H;
		else if (v.gate == m->G)
			v.node = TN_C;
		const char *name = trace_node_name(g, &v, buf);
		if (m->L > 1 && v.node <= TN_H)
			snprintf(gr->names[r], sizeof(gr->names[r]), "l%d %s", v.layer, name);
		else
			snprintf(gr->names[r], sizeof(gr->names[r]), "%s", name);
		gr->ptrs[r] = gr->names[r];
	}
	return 0;
}

/* Which gate's block of rows --gate names (-1: all rows; -2: none such,
 * message printed). */
static int gate_of(const struct model *m, const char *gate, const char *path)
{
	if (!gate)
		return -1;
	const char *names = cell_gate_names(m->cell);
	for (int q = 0; q < m->G && m->G > 1; q++)
		if (strlen(gate) == 1 && names[2 * q] == gate[0])
			return q;
	if (m->G == 1)
		error("%s: no gate '%s' (cell %s has no gates)", path, gate, cell_name(m->cell));
	else
		error("%s: no gate '%s' (cell %s has %s)", path, gate, cell_name(m->cell), names);
	return -2;
}

/* Counts every path into edges[from][dt][to row] (an edge stays in its
 * step or goes to the next: dt 0 or 1) and the starts into starts[cell],
 * cell = row x n + step; then lists the nonzero ones for the view. */
static int draw(struct figure *f, struct trace_graph *g, const struct grid *gr, int p,
		size_t r0, size_t r1, int64_t batch)
{
	const size_t R = (size_t)gr->rows, n = (size_t)g->n, C = R * n, E = C * 2 * R;
	const size_t H = (size_t)g->m->H;
	int64_t *cells = calloc(E, sizeof(int64_t)), *starts = calloc(C, sizeof(int64_t));
	int cap = trace_max_hops(g), rc = -1;
	size_t *ids = malloc((size_t)cap * sizeof(size_t));
	double *terms = malloc((size_t)cap * sizeof(double));
	int *ev = malloc((4 * E + 2 * C) * sizeof(int));
	int64_t *ec = malloc((E + C) * sizeof(int64_t)), paths = 0;
	if (!cells || !starts || !ids || !terms || !ev || !ec) {
		error("out of memory");
		goto out;
	}
	for (size_t r = r0; r < r1; r++)
		for (size_t c = 0; c < H; c++) {
			int hops = trace_path(g, p, r, c, ids, terms), t, row = grid_row(g, gr, ids[0], &t);
			int ft = t, fr = row;
			starts[(size_t)fr * n + ft]++;
			paths++;
			for (int k = 1; k < hops; k++) {
				if ((row = grid_row(g, gr, ids[k], &t)) < 0)
					break;
				cells[((size_t)fr * n + ft) * 2 * R + (size_t)(t - ft) * R + row]++;
				ft = t;
				fr = row;
			}
		}
	int ne = 0, ns = 0;
	int *t0 = ev, *q0 = ev + E, *t1 = ev + 2 * E, *q1 = ev + 3 * E;
	int *st = ev + 4 * E, *sq = ev + 4 * E + C;
	int64_t *sc = ec + E;
	for (size_t a = 0; a < C; a++) {
		if (starts[a]) {
			st[ns] = (int)(a % n);
			sq[ns] = (int)(a / n);
			sc[ns++] = starts[a];
		}
		for (size_t b = 0; b < 2 * R; b++)
			if (cells[a * 2 * R + b]) {
				t0[ne] = (int)(a % n);
				q0[ne] = (int)(a / n);
				t1[ne] = (int)(a % n + b / R);
				q1[ne] = (int)(b % R);
				ec[ne++] = cells[a * 2 * R + b];
			}
	}
	struct trace_view v = { .n = g->n, .rows = gr->rows, .row_names = gr->ptrs, .nedges = ne,
				.t0 = t0, .r0 = q0, .t1 = t1, .r1 = q1, .count = ec, .nstarts = ns,
				.st = st, .sr = sq, .scount = sc, .paths = paths, .batch = batch,
				.param = g->m->tab[p].name };
	view_trace(f, &v);
	rc = 0;
out:
	free(cells);
	free(starts);
	free(ids);
	free(terms);
	free(ev);
	free(ec);
	return rc;
}

int plot_trace(struct figure *f, struct run *run, const struct plot_opts *o)
{
	struct batchread b;
	struct trace_graph g;
	struct mix_trace mt = { 0 };
	struct grid gr = { 0 };
	int rc = -1, k = 0;
	if (batchread_open(&b, run) < 0)
		return -1;
	/* a mix: the paths of --component's weight_hh (default the first's),
	 * under the mix's loss (libcore/mixtrace.h) */
	if (b.mx && (k = o->r.src.component ? mix_find(b.mx, o->r.src.component) : 0) < 0) {
		error("%s: no component '%s' (see rnnbow info %s)", run->path, o->r.src.component,
		      run->path);
		batchread_close(&b);
		return -1;
	}
	const struct model *m = b.mx ? &b.mx->comp[k] : &b.m;
	int64_t row = batchread_row(&b, o->batch);
	int layer = (int)o->r.src.layer, q = 0;
	if (row < 0) {
		error("%s: batch %lld was not recorded (see rnnbow summarize %s)", run->path,
		      (long long)o->batch, run->path);
	} else if (layer >= m->L) {
		error("%s: no layer %d (the run has %s %d)", run->path, layer,
		      m->L > 1 ? "layers 0 to" : "one layer,", m->L > 1 ? m->L - 1 : 0);
	} else if ((q = gate_of(m, o->r.src.gate, run->path)) >= -1 && batchread_load(&b, row) == 0) {
		if (b.mx ? mix_trace_init(&mt, b.mx, b.n) < 0 : trace_graph_init(&g, m, b.n) < 0) {
			error("out of memory");
		} else {
			if (b.mx) {
				mix_trace_run(&mt, b.x, b.y, b.h0, b.c0);
				g = mt.g[k];
			} else {
				trace_graph_run(&g, b.x, b.y, b.h0, b.c0);
			}
			size_t H = (size_t)m->H, r0 = q < 0 ? 0 : (size_t)q * H;
			size_t r1 = q < 0 ? (size_t)m->G * H : r0 + H;
			if (grid_init(&gr, &g) < 0)
				error("out of memory");
			else
				rc = draw(f, &g, &gr, model_param(layer, LP_WEIGHT_HH), r0, r1,
					  o->batch);
			if (b.mx)
				mix_trace_free(&mt);
			else
				trace_graph_free(&g);
		}
	}
	free(gr.names);
	free(gr.ptrs);
	batchread_close(&b);
	return rc;
}
