/*
 * plot_diag.c - plot diagnose: one layer's diagnostics over training (the
 * rows of `rnnbow diagnose --layer L`) and the clip share of every
 * training batch, binned to the figure's width (means; a value that is
 * not finite is left out of its bin), for plots/diagview.h.
 */
#include "diagwalk.h"
#include "plot.h"
#include "../formats/msg.h"
#include "../formats/schema.h"
#include "../plots/diagview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Means of k series over bins of `per` rows. */
#define BIN_SERIES (2 + 3 * DIAGVIEW_MAX + 2 + 1)
struct bins {
	int k;
	int64_t per, rows, nb, cap;
	double sum[BIN_SERIES];
	int64_t count[BIN_SERIES];
	double *out[BIN_SERIES]; /* (cap) */
};

static int bins_init(struct bins *b, int k, int64_t rows, int64_t most)
{
	memset(b, 0, sizeof(*b));
	b->k = k;
	b->per = rows > most ? (rows + most - 1) / most : 1;
	b->cap = rows / b->per + 2;
	for (int s = 0; s < k; s++)
		if (!(b->out[s] = calloc((size_t)b->cap, sizeof(double))))
			return -1;
	return 0;
}

static void bins_free(struct bins *b)
{
	for (int s = 0; s < b->k; s++)
		free(b->out[s]);
}

static void bins_close(struct bins *b)
{
	if (!b->rows || b->nb >= b->cap)
		return;
	for (int s = 0; s < b->k; s++) {
		b->out[s][b->nb] = b->count[s] ? b->sum[s] / (double)b->count[s] : NAN;
		b->sum[s] = 0;
		b->count[s] = 0;
	}
	b->nb++;
	b->rows = 0;
}

static void bins_add(struct bins *b, const double *v)
{
	for (int s = 0; s < b->k; s++)
		if (isfinite(v[s])) {
			b->sum[s] += v[s];
			b->count[s]++;
		}
	if (++b->rows == b->per)
		bins_close(b);
}

/* The record series: x, A saturations, dead share, (rho, sigma) per
 * block, lambda, k. */
struct collect {
	struct bins r, t;
	int A, nblocks, relu;
	char names[DIAGVIEW_MAX][16];
};

static int on_row(void *ctx, const struct diag_row *r)
{
	struct collect *c = ctx;
	double v[BIN_SERIES];
	int k = 0;
	v[k++] = (double)r->batch;
	for (int a = 0; a < c->A; a++)
		v[k++] = r->act_sat[a];
	v[k++] = r->dead / r->H;
	for (int q = 0; q < c->nblocks; q++) {
		v[k++] = c->nblocks > 1 ? r->gate_rho[q] : r->rho;
		v[k++] = c->nblocks > 1 ? r->gate_sigma[q] : r->sigma_max;
	}
	v[k++] = r->lambda;
	v[k++] = r->k_exact < 0 ? NAN : r->k_exact;
	bins_add(&c->r, v);
	return 0;
}

static int on_batch(void *ctx, const struct diag_batch *b)
{
	struct collect *c = ctx;
	double v[2] = { (double)b->batch, b->clip_share };
	bins_add(&c->t, v);
	return 0;
}

int plot_diagnose(struct figure *f, const struct run *run, const struct plot_opts *o)
{
	struct diag_names dn;
	struct collect c;
	int rc = -1;
	if (diag_walk_check(run, &o->r, 0, &dn) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.A = dn.A;
	c.nblocks = dn.G;
	for (int a = 0; a < dn.A; a++)
		memcpy(c.names[a], dn.act[a], sizeof(c.names[a]));
	c.relu = dn.G == 1 && !strcmp(dn.act[0], "relu");
	int64_t most = plot_max_bins(o);
	int k = 1 + c.A + 1 + 2 * c.nblocks + 2;
	if (bins_init(&c.r, k, run_rows(run, SCHEMA_RECORD), most) < 0 ||
	    bins_init(&c.t, 2, run_rows(run, SCHEMA_TRAIN), most) < 0) {
		error("out of memory");
		goto out;
	}
	struct diag_walk_cb cb = { on_row, on_batch, &c };
	if (diag_walk(run, &o->r, 0, &cb, NULL) < 0)
		goto out;
	bins_close(&c.r);
	bins_close(&c.t);
	if (c.r.nb == 0) {
		error("%s: no records to plot%s", run->path,
		      o->r.from > 0 || o->r.to < INT64_MAX ? " in --from/--to" : "");
		goto out;
	}
	struct diag_series s = { .nr = c.r.nb, .x = c.r.out[0], .nacts = c.A, .relu = c.relu,
				 .nblocks = c.nblocks, .eps = o->r.eps, .nb = c.t.nb,
				 .bx = c.t.out[0], .clip = c.t.out[1],
				 .binned = c.r.per > 1, .binned_b = c.t.per > 1 };
	int j = 1;
	for (int a = 0; a < c.A; a++) {
		s.act_names[a] = c.names[a];
		s.sat[a] = c.r.out[j++];
	}
	s.dead_share = c.r.out[j++];
	for (int q = 0; q < c.nblocks; q++) {
		s.block_names[q] = c.nblocks > 1 ? c.names[q] : "";
		s.rho[q] = c.r.out[j++];
		s.sigma[q] = c.r.out[j++];
	}
	s.lambda = c.r.out[j++];
	s.k = c.r.out[j++];
	view_diagnose(f, &s);
	rc = 0;
out:
	bins_free(&c.r);
	bins_free(&c.t);
	return rc;
}
