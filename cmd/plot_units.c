/*
 * plot_units.c - plot units and plot hidden: one record's units, read
 * with formats/unitread.h (the record of --batch B, or with --top 1 the
 * one of the largest max_grad), ranked with libcore/units.h, drawn by
 * plots/units.c.
 */
#include "plot.h"
#include "../formats/msg.h"
#include "../formats/unitread.h"
#include "../libcore/analysis.h"
#include "../libcore/units.h"
#include "../plots/views.h"

#include <stdlib.h>
#include <string.h>

/* The row of the record to show: --batch B, or --top 1 (read through rr). */
static int64_t pick_row(struct unitread *u, const struct run *run, const struct plot_opts *o)
{
	int64_t batch = o->batch;
	if (o->top) {
		/* ranked by layer 0's whole matrix (of a mix: --component's) */
		struct recread rr;
		const struct rec_source src = { .component = o->r.src.component, .mix_ok = 1 };
		if (recread_open_source(&rr, run, RC_ITEMIZED, &src) < 0)
			return -1;
		int rc = plot_pick_record(&rr, o);
		batch = rr.batch[0];
		recread_close(&rr);
		if (rc != 0)
			return -1;
	}
	int64_t row = unitread_find(u, batch);
	if (row < 0)
		error("%s: batch %lld was not recorded (see rnnbow summarize %s)", run->path,
		      (long long)batch, run->path);
	return row;
}

static int draw_units(struct figure *f, struct unitread *u, int64_t row, int layer,
		      const struct plot_opts *o)
{
	const size_t n = (size_t)u->n, H = (size_t)u->H;
	float *flow = malloc(n * H * sizeof(float)), *E = malloc(n * sizeof(float));
	struct unit_stat *st = malloc(H * sizeof(*st));
	int *unit = malloc(H * sizeof(int)), *reach = malloc(H * sizeof(int)), rc = -1;
	if (!flow || !E || !st || !unit || !reach) {
		error("out of memory");
		goto out;
	}
	if (unitread_flow(u, row, layer, flow, E) < 0)
		goto out;
	int k = k_exact(E, (int)n, o->r.eps);
	unit_stats(st, flow, (int)n, (int)H, layer, k, o->r.eps);
	unit_rank(st, H);
	for (size_t i = 0; i < H; i++) {
		unit[i] = st[i].unit;
		reach[i] = st[i].reach;
	}
	struct units_view v = { .n = (int)n, .H = (int)H, .layer = layer, .batch = u->batch[row],
				.flow = flow, .unit = unit, .reach = reach, .k = k,
				.eps = o->r.eps };
	view_units(f, &v);
	rc = 0;
out:
	free(flow);
	free(E);
	free(st);
	free(unit);
	free(reach);
	return rc;
}

static int draw_hidden(struct figure *f, struct unitread *u, int64_t row, int layer)
{
	const size_t n = (size_t)u->n, H = (size_t)u->H;
	float *h = malloc(n * H * sizeof(float));
	int32_t *x = malloc(n * sizeof(int32_t));
	uint8_t *text = malloc(n);
	const char **tok = u->rr.tokens.kind == TOKENS_BYTES ? NULL : calloc(n, sizeof(char *));
	size_t len;
	int rc = -1;
	if (!h || !x || !text || (u->rr.tokens.kind != TOKENS_BYTES && !tok)) {
		error("out of memory");
		goto out;
	}
	if (unitread_hidden(u, row, layer, h, x) < 0)
		goto out;
	for (size_t t = 0; t < n; t++) {
		text[t] = recread_byte(&u->rr, x[t]);
		if (tok)
			tok[t] = recread_text(&u->rr, x[t], &len);
	}
	char what[64];
	snprintf(what, sizeof(what), "%s%s%s", u->rr.cell, strcmp(u->rr.cell, "rnn") ? "" : " ",
		 strcmp(u->rr.cell, "rnn") ? "" : u->rr.activation);
	struct hidden_view v = { .n = (int)n, .H = (int)H, .layer = layer, .batch = u->batch[row],
				 .h = h, .text = text, .what = what, .tokens = tok };
	view_hidden(f, &v);
	rc = 0;
out:
	free(h);
	free(x);
	free(text);
	free(tok);
	return rc;
}

int plot_units(struct figure *f, const struct run *run, const struct plot_opts *o)
{
	struct unitread u;
	const int hidden = o->kind == K_HIDDEN;
	if (unitread_open_comp(&u, run, hidden ? UR_HIDDEN : UR_FLOW, o->r.src.component) < 0)
		return -1;
	int rc = -1, layer = (int)o->r.src.layer;
	if (layer >= u.layers) {
		if (u.layers == 1)
			error("%s: no layer %d (the run has one layer, 0)", run->path, layer);
		else
			error("%s: no layer %d (the run has layers 0 to %d)", run->path, layer,
			      u.layers - 1);
		goto out;
	}
	int64_t row = pick_row(&u, run, o);
	if (row < 0)
		goto out;
	rc = hidden ? draw_hidden(f, &u, row, layer) : draw_units(f, &u, row, layer, o);
out:
	unitread_close(&u);
	return rc;
}
