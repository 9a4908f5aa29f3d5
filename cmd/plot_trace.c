/*
 * plot_trace.c - the data of `rnnbow plot trace`: one recorded batch
 * rebuilt (formats/batchread.c), every entry of weight_hh of --layer L
 * (of --gate's block only, if given) traced (libcore/trace.c), and its
 * paths counted per edge between (step, vertex kind) cells of the grid
 * that plots/trace.c draws. The hop into the root L is left out: every
 * path takes it. With --shares, every record in --from/--to traced the
 * same way and counted per component (libcore/trace_tally.c), for
 * plots/trace_shares.c. A mix: --component's weight_hh, under the mix's
 * loss.
 */
#include "plot.h"
#include "../formats/batchread.h"
#include "../plots/views.h"
#include "../formats/msg.h"
#include "../libcore/mixtrace.h"
#include "../libcore/trace_tally.h"

#include <stdint.h>
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

/* Opens b and picks the model traced: --component's of a mix (default
 * the first; *k its index), else the run's one. NULL (said why, b closed)
 * when the component does not exist. */
static const struct model *open_traced(struct batchread *b, struct run *run,
				       const struct plot_opts *o, int *k)
{
	*k = 0;
	if (batchread_open(b, run) < 0)
		return NULL;
	if (b->mx && (*k = o->r.src.component ? mix_find(b->mx, o->r.src.component) : 0) < 0) {
		error("%s: no component '%s' (see rnnbow info %s)", run->path, o->r.src.component,
		      run->path);
		batchread_close(b);
		return NULL;
	}
	return b->mx ? &b->mx->comp[*k] : &b->m;
}

/* -1 (said why) when m has no layer `layer`. */
static int check_layer(const struct model *m, int layer, const char *path)
{
	if (layer < m->L)
		return 0;
	return error("%s: no layer %d (the run has %s %d)", path, layer,
		     m->L > 1 ? "layers 0 to" : "one layer,", m->L > 1 ? m->L - 1 : 0);
}

int plot_trace(struct figure *f, struct run *run, const struct plot_opts *o)
{
	struct batchread b;
	struct trace_graph g;
	struct mix_trace mt = { 0 };
	struct grid gr = { 0 };
	int rc = -1, k;
	/* a mix: the paths of --component's weight_hh (default the first's),
	 * under the mix's loss (libcore/mixtrace.h) */
	const struct model *m = open_traced(&b, run, o, &k);
	if (!m)
		return -1;
	int64_t row = batchread_row(&b, o->batch);
	int layer = (int)o->r.src.layer, q = 0;
	if (row < 0) {
		error("%s: batch %lld was not recorded (see rnnbow summarize %s)", run->path,
		      (long long)o->batch, run->path);
	} else if (check_layer(m, layer, run->path) < 0) { /* said why */
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

/* The components' names as the key shows them: "l1 gate_f" when there
 * are several layers. Returns an array of nc strings, or NULL. */
static char (*share_names(const struct model *m, int nc))[32]
{
	char (*names)[32] = calloc((size_t)nc, sizeof(*names));
	for (int k = 0; names && k < nc; k++) {
		int layer;
		const char *name = trace_component_name(m, k, &layer);
		if (m->L > 1 && layer < m->L)
			snprintf(names[k], sizeof(names[k]), "l%d %s", layer, name);
		else
			snprintf(names[k], sizeof(names[k]), "%s", name);
	}
	return names;
}

/* The graphs of one record: a single model's, or a mix's (the paths in
 * component k's graph, under the mix's loss). */
struct share_graphs {
	struct trace_graph one;
	struct mix_trace mt;
	const struct mix *mx;
	int k;
};

static struct trace_graph *share_graph(struct share_graphs *s)
{
	return s->mx ? &s->mt.g[s->k] : &s->one;
}

/* Every record in the window traced: share[c * rows + i] of component c
 * in the i-th record (rows [r0, r1) of parameter p of model m, every
 * column). */
static int shares_of(struct batchread *b, const struct plot_opts *o, const struct model *m,
		     int k, int p, size_t r0, size_t r1, struct trace_shares_view *v,
		     int64_t *batch, double *share)
{
	struct share_graphs s = { .mx = b->mx, .k = k };
	struct trace_tally t;
	const int nc = trace_components(m);
	if (b->mx ? mix_trace_init(&s.mt, b->mx, b->n) < 0 : trace_graph_init(&s.one, m, b->n) < 0)
		return error("out of memory");
	int cap = trace_max_hops(share_graph(&s)), rc = 0, tally = 0;
	size_t *ids = malloc((size_t)cap * sizeof(size_t));
	double *terms = malloc((size_t)cap * sizeof(double));
	uint8_t *flags = malloc((size_t)nc);
	if (!ids || !terms || !flags || !(tally = trace_tally_init(&t, nc, b->n) == 0))
		rc = error("out of memory");
	int64_t nrec = 0;
	for (int64_t row = 0; !rc && row < b->rows; row++) {
		if (!in_window(&o->r, b->batch[row]))
			continue;
		if ((rc = batchread_load(b, row)) < 0)
			break;
		if (b->mx)
			mix_trace_run(&s.mt, b->x, b->y, b->h0, b->c0);
		else
			trace_graph_run(&s.one, b->x, b->y, b->h0, b->c0);
		struct trace_graph *g = share_graph(&s);
		trace_tally_clear(&t);
		for (size_t r = r0; r < r1; r++)
			for (size_t c = 0; c < (size_t)m->H; c++) {
				int hops = trace_path(g, p, r, c, ids, terms);
				memset(flags, 0, (size_t)nc);
				trace_tally_count(&t, flags, trace_path_components(g, ids, hops, flags));
			}
		batch[nrec] = b->batch[row];
		for (int c = 0; c < nc; c++)
			share[(size_t)c * (size_t)b->rows + (size_t)nrec] = trace_tally_share(&t, c);
		v->paths = t.paths;
		nrec++;
	}
	v->nrec = nrec;
	if (tally)
		trace_tally_free(&t);
	if (b->mx)
		mix_trace_free(&s.mt);
	else
		trace_graph_free(&s.one);
	free(ids);
	free(terms);
	free(flags);
	return rc;
}

int plot_trace_shares(struct figure *f, struct run *run, const struct plot_opts *o)
{
	struct batchread b;
	int rc = -1, k;
	const struct model *m = open_traced(&b, run, o, &k); /* a mix: as plot trace */
	if (!m)
		return -1;
	const int layer = (int)o->r.src.layer, nc = trace_components(m);
	int q = 0;
	int64_t *batch = malloc(((size_t)b.rows + 1) * sizeof(int64_t));
	double *share = malloc(((size_t)b.rows * nc + 1) * sizeof(double));
	double *packed = malloc(((size_t)b.rows * nc + 1) * sizeof(double));
	char (*names)[32] = share_names(m, nc);
	const char **ptrs = calloc((size_t)nc, sizeof(*ptrs));
	char param[64];
	if (!batch || !share || !packed || !names || !ptrs) {
		error("out of memory");
	} else if (check_layer(m, layer, run->path) < 0) { /* said why */
	} else if ((q = gate_of(m, o->r.src.gate, run->path)) >= -1) {
		size_t H = (size_t)m->H, r0 = q < 0 ? 0 : (size_t)q * H;
		size_t r1 = q < 0 ? (size_t)m->G * H : r0 + H;
		int p = model_param(layer, LP_WEIGHT_HH);
		snprintf(param, sizeof(param), "%s%s%s", b.mx ? b.mx->name[k] : "", b.mx ? "." : "",
			 m->tab[p].name);
		struct trace_shares_view v = { .ncomp = nc, .batch = batch, .share = packed,
					       .param = param };
		if (shares_of(&b, o, m, k, p, r0, r1, &v, batch, share) == 0) {
			if (!v.nrec) {
				error("%s: no records to plot%s", run->path,
				      o->r.from > 0 || o->r.to < INT64_MAX ? " in --from/--to" : "");
			} else {
				/* rows of b.rows to rows of nrec */
				for (int c = 0; c < nc; c++) {
					memcpy(packed + (size_t)c * v.nrec,
					       share + (size_t)c * (size_t)b.rows,
					       (size_t)v.nrec * sizeof(double));
					ptrs[c] = names[c];
				}
				v.names = ptrs;
				view_trace_shares(f, &v);
				rc = 0;
			}
		}
	}
	free(batch);
	free(share);
	free(packed);
	free(names);
	free(ptrs);
	batchread_close(&b);
	return rc;
}
