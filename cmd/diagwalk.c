/*
 * diagwalk.c - one run's diagnostics joined with /train and k_exact (see
 * diagwalk.h). One recread per layer (E of that layer) and one diagread
 * per layer advance block by block together; /train streams beside them,
 * its rows handed to the batch callback as the records pass them.
 */
#include "diagwalk.h"
#include "../formats/msg.h"
#include "../libcore/analysis.h"
#include "../libcore/diag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* /train read forward once: the row of a record's batch, and every row
 * in the window handed on as it is passed. */
struct train_cursor {
	struct trainread tr;
	int64_t got, i;     /* rows in the block, the current one */
	int done;
	const struct read_opts *o;
	const struct diag_walk_cb *cb;
	struct verdict_acc *v;
};

static int cursor_load(struct train_cursor *c)
{
	if (c->i < c->got || c->done)
		return 0;
	c->got = trainread_next(&c->tr);
	c->i = 0;
	if (c->got < 0)
		return -1;
	c->done = c->got == 0;
	return 0;
}

/* Hands on the current row and moves past it. */
static int cursor_pass(struct train_cursor *c)
{
	const struct trainread *tr = &c->tr;
	int64_t i = c->i++;
	if (!in_window(c->o, tr->batch[i]))
		return 0;
	struct diag_batch b = { tr->batch[i], tr->nonfinite[i] ? NAN : tr->grad_norm[i],
				tr->nonfinite[i] ? NAN : tr->clip_share[i], tr->nonfinite[i] };
	if (c->v && verdict_add_batch(c->v, b.batch, b.grad_norm, b.clip_share, b.nonfinite) < 0)
		return error("out of memory");
	return c->cb->batch ? c->cb->batch(c->cb->ctx, &b) : 0;
}

/* Moves to the row of batch (passing every row before it); fills grad_norm
 * and clip_share from it, NaN when there is none or it was not finite. */
static int cursor_seek(struct train_cursor *c, int64_t batch, double *grad_norm,
		       double *clip_share)
{
	*grad_norm = *clip_share = NAN;
	for (;;) {
		if (cursor_load(c) < 0)
			return -1;
		if (c->done)
			return 0;
		int64_t b = c->tr.batch[c->i];
		if (b > batch)
			return 0;
		if (b == batch) {
			if (!c->tr.nonfinite[c->i]) {
				*grad_norm = c->tr.grad_norm[c->i];
				*clip_share = c->tr.clip_share[c->i];
			}
			return 0;
		}
		if (cursor_pass(c) < 0)
			return -1;
	}
}

static int cursor_drain(struct train_cursor *c)
{
	for (;;) {
		if (cursor_load(c) < 0)
			return -1;
		if (c->done)
			return 0;
		if (cursor_pass(c) < 0)
			return -1;
	}
}

/* The layers read: all, or the one --layer names. */
static void layer_range(const struct recread *rr, const struct read_opts *o, int all_layers,
			int *first, int *last)
{
	if (all_layers && !o->src.layer_given) {
		*first = 0;
		*last = rr->layers - 1;
	} else {
		*first = *last = (int)o->src.layer;
	}
}

static int is_relu(const struct recread *rr)
{
	return !strcmp(rr->cell, "rnn") && !strcmp(rr->activation, "relu");
}

int diag_walk_check(const struct run *run, const struct read_opts *o, int all_layers,
		    struct diag_names *names)
{
	struct recread rr;
	/* a mix: the component's diagnostics */
	struct rec_source src = { .layer = o->src.layer, .layer_given = o->src.layer_given,
				  .component = o->src.component, .mix_ok = o->src.mix_ok };
	if (recread_open_source(&rr, run, RC_TRUNC, &src) < 0)
		return -1;
	int first, last, rc = 0;
	layer_range(&rr, o, all_layers, &first, &last);
	if (diagread_check_clip(run) < 0)
		rc = -1;
	for (int l = first; l <= last && rc == 0; l++) {
		struct diagread d;
		if (diagread_open_comp(&d, run, l, rr.H, rr.G, is_relu(&rr), 1, rr.comp,
				       rr.components) < 0) {
			rc = -1;
			break;
		}
		if (names && l == first) {
			names->A = d.A;
			names->G = d.G;
			memcpy(names->act, d.act_names, sizeof(names->act));
		}
		diagread_close(&d);
	}
	recread_close(&rr);
	return rc;
}

/* Row i of the current block of layer l into r. */
static void fill_row(struct diag_row *r, const struct recread *rr, const struct diagread *d,
		     int64_t i, const struct read_opts *o)
{
	const int A = d->A, B = d->B, G = d->G;
	memset(r, 0, sizeof(*r));
	r->batch = rr->batch[i];
	r->layer = d->layer;
	r->H = d->H;
	r->G = G;
	r->A = A;
	r->act_names = (const char (*)[16])d->act_names;
	struct diag_act acts[DIAGREAD_MAX_ACTS];
	double sat = 0, gamma = 0, gmax = 0;
	for (int a = 0; a < A; a++) {
		size_t k = (size_t)i * A + a;
		r->act_sat[a] = d->sat[k];
		r->act_gamma[a] = d->gamma[k];
		r->act_gamma_max[a] = d->gamma_max[k];
		acts[a] = (struct diag_act){ .name = d->act_names[a], .gamma_max = d->gamma_max[k] };
		/* every activation has n x H entries: the share over all of
		 * them is the mean of the shares */
		sat += d->sat[k] / A;
		gamma += d->gamma[k] / A;
		gmax = a == 0 || d->gamma_max[k] > gmax ? d->gamma_max[k] : gmax;
	}
	r->saturated = sat;
	r->gamma = gamma;
	r->gamma_max = gmax;
	const float *rho = d->rho + (size_t)i * B, *sig = d->sigma_max + (size_t)i * B;
	r->rho = rho[0];
	r->sigma_max = sig[0];
	/* lambda per gate block (libcore/diag.h): the vanilla cell's one
	 * block is W_hh itself, a gated cell's blocks follow the whole matrix */
	double sigma[DIAGREAD_MAX_ACTS], lambda[DIAGREAD_MAX_ACTS];
	const int off = G > 1 ? 1 : 0;
	for (int q = 0; q < G; q++) {
		sigma[q] = sig[off + q];
		r->gate_rho[q] = rho[off + q];
		r->gate_sigma[q] = sig[off + q];
		r->gate_names[q] = d->act_names[q];
	}
	diag_lambda(lambda, sigma, acts, G);
	r->lambda = lambda[0];
	for (int q = 1; q < G; q++)
		r->lambda = isnan(lambda[q]) || lambda[q] > r->lambda ? lambda[q] : r->lambda;
	r->relu = d->has_dead || (G == 1 && !strcmp(d->act_names[0], "relu"));
	r->has_dead = d->has_dead;
	r->dead = NAN;
	if (d->has_dead) {
		int dead = 0;
		for (int u = 0; u < d->H; u++)
			dead += d->dead[(size_t)i * d->H + u] != 0;
		r->dead = dead;
	}
	r->k_exact = k_exact(rr->trunc + (size_t)i * rr->n, rr->n, o->eps);
}

static int feed_verdict(struct verdict_acc *v, const struct diag_row *r)
{
	/* a layer where no unit passes gradient (gamma_max 0: every relu
	 * unit dead) has lambda 0 for that reason alone: dead_units and
	 * saturation tell it, vanishing leaves it out */
	struct verdict_layer_row vr = {
		.batch = r->batch, .layer = r->layer, .saturated = r->saturated, .nacts = r->A,
		.relu = r->has_dead, .dead_share = r->dead / r->H,
		.lambda = r->gamma_max > 0 ? r->lambda : NAN, .k_exact = r->k_exact,
	};
	for (int a = 0; a < r->A && a < VERDICT_MAX_ACTS; a++) {
		vr.act_names[a] = r->act_names[a];
		vr.act_saturated[a] = r->act_sat[a];
	}
	return verdict_add_layer(v, &vr) < 0 ? error("out of memory") : 0;
}

struct walk {
	int nl;
	struct recread *rr;  /* (nl) */
	struct diagread *d;  /* (nl) */
};

static void walk_close(struct walk *w)
{
	for (int l = 0; l < w->nl; l++) {
		recread_close(&w->rr[l]);
		diagread_close(&w->d[l]);
	}
	free(w->rr);
	free(w->d);
}

/* Opens a recread (E) and a diagread per layer of [first, last], of o's
 * component of a mix. */
static int walk_open(struct walk *w, const struct run *run, int first, int last,
		     const struct read_opts *o)
{
	w->nl = 0;
	w->rr = calloc((size_t)(last - first + 1), sizeof(*w->rr));
	w->d = calloc((size_t)(last - first + 1), sizeof(*w->d));
	if (!w->rr || !w->d) {
		free(w->rr);
		free(w->d);
		return error("out of memory");
	}
	for (int l = first; l <= last; l++) {
		struct rec_source src = { .layer = l, .layer_given = 1,
					  .component = o->src.component, .mix_ok = o->src.mix_ok };
		struct recread *rr = &w->rr[l - first];
		if (recread_open_source(rr, run, RC_TRUNC, &src) < 0)
			goto fail;
		if (diagread_open_comp(&w->d[l - first], run, l, rr->H, rr->G, is_relu(rr), rr->cap,
				       rr->comp, rr->components) < 0) {
			recread_close(rr);
			goto fail;
		}
		w->nl++;
	}
	return 0;
fail:
	walk_close(w);
	return -1;
}

/* The block of every layer at the same rows; returns the row count. */
static int64_t walk_next(struct walk *w)
{
	int64_t got = 0;
	for (int l = 0; l < w->nl; l++) {
		int64_t g = recread_next(&w->rr[l]);
		if (g < 0 || (l > 0 && g != got))
			return g < 0 ? -1 : error("%s: layers with different record counts",
						  w->rr[l].run->path);
		got = g;
		if (g > 0 && diagread_rows(&w->d[l], w->rr[l].first, g) < 0)
			return -1;
	}
	return got;
}

int diag_walk(const struct run *run, const struct read_opts *o, int all_layers,
	      const struct diag_walk_cb *cb, struct verdict_acc *v)
{
	struct recread probe;
	struct rec_source src = { .layer = o->src.layer, .layer_given = o->src.layer_given,
				  .component = o->src.component, .mix_ok = o->src.mix_ok };
	struct walk w;
	struct train_cursor c = { .o = o, .cb = cb, .v = v };
	int first, last, rc = -1;
	if (diagread_check_clip(run) < 0 || recread_open_source(&probe, run, 0, &src) < 0)
		return -1;
	layer_range(&probe, o, all_layers, &first, &last);
	recread_close(&probe);
	if (walk_open(&w, run, first, last, o) < 0)
		return -1;
	if (trainread_open(&c.tr, run) < 0)
		goto out_walk;
	int64_t got;
	while ((got = walk_next(&w)) > 0)
		for (int64_t i = 0; i < got; i++) {
			int64_t batch = w.rr[0].batch[i];
			if (!in_window(o, batch))
				continue;
			double gn, cs;
			if (cursor_seek(&c, batch, &gn, &cs) < 0)
				goto out;
			for (int l = 0; l < w.nl; l++) {
				struct diag_row r;
				fill_row(&r, &w.rr[l], &w.d[l], i, o);
				r.grad_norm = gn;
				r.clip_share = cs;
				if ((v && feed_verdict(v, &r) < 0) ||
				    (cb->row && cb->row(cb->ctx, &r) < 0))
					goto out;
			}
		}
	if (got == 0 && cursor_drain(&c) == 0)
		rc = 0;
out:
	trainread_close(&c.tr);
out_walk:
	walk_close(&w);
	return rc;
}
