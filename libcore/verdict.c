/*
 * verdict.c - the checks of diagnose --overall (see verdict.h). Per record
 * the layers are reduced to the worst one (most saturated, most dead
 * units, smallest lambda), then each check takes the median over records,
 * so that a few odd records do not decide; exploding and clipping read
 * the training batches.
 */
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const check_names[CHECKS] = { "saturation", "dead_units", "exploding", "vanishing",
					  "clipping" };

int check_find(const char *name)
{
	for (int i = 0; i < CHECKS; i++)
		if (!strcmp(name, check_names[i]))
			return i;
	return -1;
}

/* Chosen from the known-answer runs of examples/pitfalls (docs/ANALYSIS.md
 * gives the numbers): each pitfall is well beyond, the healthy runs well
 * inside. */
void verdict_thresholds_default(struct verdict_thresholds *th)
{
	th->t[CHECK_SATURATION] = 0.5;  /* median share of saturated entries */
	th->t[CHECK_DEAD_UNITS] = 0.5;  /* median share of dead relu units */
	th->t[CHECK_EXPLODING] = 1000;  /* max grad_norm / median grad_norm */
	th->t[CHECK_VANISHING] = 1;     /* median lambda, flagged below */
	th->t[CHECK_CLIPPING] = 0.01;   /* mean clip_share */
}

/* A growing array of doubles. */
struct vec {
	double *v;
	int64_t n, cap;
};

static int vec_push(struct vec *a, double x)
{
	if (a->n == a->cap) {
		int64_t cap = a->cap ? a->cap * 2 : 256;
		double *p = realloc(a->v, (size_t)cap * sizeof(double));
		if (!p)
			return -1;
		a->v = p;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* numpy's median of the values (sorted in place); NaN for none. */
static double median(struct vec *a)
{
	if (a->n == 0)
		return NAN;
	qsort(a->v, (size_t)a->n, sizeof(double), cmp_double);
	int64_t h = a->n / 2;
	return a->n % 2 ? a->v[h] : (a->v[h - 1] + a->v[h]) / 2;
}

/* The running mean saturation of one activation of one layer. */
struct act_sum {
	int layer;
	char name[16];
	double sum;
	int64_t count;
};

/* The record being fed: its layers reduced to the worst. */
struct cur {
	int open;
	int64_t batch;
	double sat, dead, lambda;
	int relu, k, finite;
};

/* first and last batch beyond a threshold, and how many */
struct span {
	int64_t first, last, count;
};

static void span_add(struct span *s, int64_t batch)
{
	if (s->count++ == 0)
		s->first = batch;
	s->last = batch;
}

struct verdict_acc {
	struct verdict_thresholds th;
	struct cur cur;
	int64_t records;
	struct vec sat, dead, lambda, k;  /* per record */
	struct vec rec_batch, rec_sat, rec_dead, rec_lambda; /* per record, in order */
	double last_dead;
	int any_relu;
	struct act_sum *acts;
	int nacts, acts_cap;
	/* training batches */
	struct vec tb_batch, tb_norm, tb_clip;
	int64_t batches, nonfinite, clipped_any, clip_rows;
	double clip_sum;
};

struct verdict_acc *verdict_new(const struct verdict_thresholds *th)
{
	struct verdict_acc *v = calloc(1, sizeof(*v));
	if (v)
		v->th = *th;
	return v;
}

static void vec_free(struct vec *a)
{
	free(a->v);
}

void verdict_free(struct verdict_acc *v)
{
	if (!v)
		return;
	struct vec *all[] = { &v->sat, &v->dead, &v->lambda, &v->k, &v->rec_batch, &v->rec_sat,
			      &v->rec_dead, &v->rec_lambda, &v->tb_batch, &v->tb_norm,
			      &v->tb_clip };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		vec_free(all[i]);
	free(v->acts);
	free(v);
}

/* Ends the record being fed: its worst layer joins the per-record values. */
static int close_record(struct verdict_acc *v)
{
	struct cur *c = &v->cur;
	if (!c->open)
		return 0;
	c->open = 0;
	v->records++;
	int rc = vec_push(&v->rec_batch, (double)c->batch) | vec_push(&v->rec_sat, c->sat) |
		 vec_push(&v->rec_dead, c->relu ? c->dead : NAN) |
		 vec_push(&v->rec_lambda, c->finite ? c->lambda : NAN);
	if (!isnan(c->sat))
		rc |= vec_push(&v->sat, c->sat);
	if (c->relu) {
		rc |= vec_push(&v->dead, c->dead);
		v->last_dead = c->dead;
	}
	if (c->finite)
		rc |= vec_push(&v->lambda, c->lambda);
	if (c->k >= 0)
		rc |= vec_push(&v->k, c->k);
	return rc ? -1 : 0;
}

static int act_add(struct verdict_acc *v, int layer, const char *name, double s)
{
	if (isnan(s))
		return 0;
	for (int i = 0; i < v->nacts; i++)
		if (v->acts[i].layer == layer && !strncmp(v->acts[i].name, name, 15)) {
			v->acts[i].sum += s;
			v->acts[i].count++;
			return 0;
		}
	if (v->nacts == v->acts_cap) {
		int cap = v->acts_cap ? v->acts_cap * 2 : 8;
		struct act_sum *p = realloc(v->acts, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		v->acts = p;
		v->acts_cap = cap;
	}
	struct act_sum *a = &v->acts[v->nacts++];
	*a = (struct act_sum){ .layer = layer, .sum = s, .count = 1 };
	snprintf(a->name, sizeof(a->name), "%s", name);
	return 0;
}

int verdict_add_layer(struct verdict_acc *v, const struct verdict_layer_row *r)
{
	struct cur *c = &v->cur;
	if (c->open && c->batch != r->batch && close_record(v) < 0)
		return -1;
	if (!c->open)
		*c = (struct cur){ .open = 1, .batch = r->batch, .sat = NAN, .dead = 0,
				   .lambda = INFINITY, .k = -1 };
	if (!isnan(r->saturated))
		c->sat = isnan(c->sat) ? r->saturated : fmax(c->sat, r->saturated);
	if (r->relu) {
		c->dead = c->relu ? fmax(c->dead, r->dead_share) : r->dead_share;
		c->relu = 1;
		v->any_relu = 1;
	}
	if (isfinite(r->lambda)) {
		c->lambda = fmin(c->lambda, r->lambda);
		c->finite = 1;
	}
	if (r->k_exact >= 0)
		c->k = c->k < 0 ? r->k_exact : (r->k_exact < c->k ? r->k_exact : c->k);
	for (int a = 0; a < r->nacts; a++)
		if (act_add(v, r->layer, r->act_names[a], r->act_saturated[a]) < 0)
			return -1;
	return 0;
}

int verdict_add_batch(struct verdict_acc *v, int64_t batch, double grad_norm,
		      double clip_share, int nonfinite)
{
	v->batches++;
	if (nonfinite) {
		v->nonfinite++;
		grad_norm = INFINITY;
		clip_share = NAN;
	}
	if (!isnan(clip_share)) {
		v->clip_rows++;
		v->clip_sum += clip_share;
		v->clipped_any += clip_share > 0;
	}
	return vec_push(&v->tb_batch, (double)batch) | vec_push(&v->tb_norm, grad_norm) |
			       vec_push(&v->tb_clip, clip_share) ? -1 : 0;
}

/* Median of a copy of a (a's order is kept for the spans). */
static double median_copy(const struct vec *a, int *err)
{
	struct vec c = { 0 };
	for (int64_t i = 0; i < a->n; i++)
		if (!isnan(a->v[i]) && vec_push(&c, a->v[i]) < 0) {
			*err = 1;
			break;
		}
	double m = median(&c);
	vec_free(&c);
	return m;
}

/* The batches of per whose value is beyond t (above, or below when below). */
static struct span beyond(const struct vec *batch, const struct vec *val, double t, int below)
{
	struct span s = { -1, -1, 0 };
	for (int64_t i = 0; i < val->n; i++)
		if (!isnan(val->v[i]) && (below ? val->v[i] < t : val->v[i] > t))
			span_add(&s, (int64_t)batch->v[i]);
	return s;
}

static void put(struct verdict *o, double value, double t, int flagged, struct span s)
{
	o->value = value;
	o->threshold = t;
	o->flagged = flagged;
	o->first_batch = s.first;
	o->last_batch = s.last;
}

static void check_saturation(struct verdict_acc *v, struct verdict *o, int *err)
{
	double t = v->th.t[CHECK_SATURATION], m = median_copy(&v->sat, err);
	struct span s = beyond(&v->rec_batch, &v->rec_sat, t, 0);
	put(o, m, t, m > t, s);
	int worst = -1;
	for (int i = 0; i < v->nacts; i++)
		if (worst < 0 || v->acts[i].sum / v->acts[i].count >
					 v->acts[worst].sum / v->acts[worst].count)
			worst = i;
	int len = snprintf(o->evidence, sizeof(o->evidence),
			   "median over %lld records of the most saturated layer; %lld above %g",
			   (long long)v->sat.n, (long long)s.count, t);
	if (worst >= 0)
		snprintf(o->evidence + len, sizeof(o->evidence) - (size_t)len,
			 "; most saturated: layer %d %s (mean %.3g)", v->acts[worst].layer,
			 v->acts[worst].name, v->acts[worst].sum / v->acts[worst].count);
}

static void check_dead(struct verdict_acc *v, struct verdict *o, int *err)
{
	double t = v->th.t[CHECK_DEAD_UNITS], m = median_copy(&v->dead, err);
	struct span s = beyond(&v->rec_batch, &v->rec_dead, t, 0);
	put(o, m, t, m > t, s);
	if (!v->any_relu)
		snprintf(o->evidence, sizeof(o->evidence), "no relu cell: not applicable");
	else
		snprintf(o->evidence, sizeof(o->evidence),
			 "median over %lld records of the largest dead share of a relu layer; "
			 "%lld above %g; last record %.3g",
			 (long long)v->dead.n, (long long)s.count, t, v->last_dead);
}

static void check_exploding(struct verdict_acc *v, struct verdict *o, int *err)
{
	/* the median of the finite batches: non-finite ones are inf */
	struct vec fin = { 0 };
	for (int64_t i = 0; i < v->tb_norm.n; i++)
		if (isfinite(v->tb_norm.v[i]) && vec_push(&fin, v->tb_norm.v[i]) < 0)
			*err = 1;
	double t = v->th.t[CHECK_EXPLODING], med = median(&fin);
	vec_free(&fin);
	double mx = -INFINITY;
	int64_t at = -1;
	/* the norms become ratios to the median, in place: nothing reads them after */
	for (int64_t i = 0; i < v->tb_norm.n; i++) {
		double r = v->tb_norm.v[i] / med;
		if (isinf(v->tb_norm.v[i]))
			r = INFINITY;
		v->tb_norm.v[i] = r;
		if (r > mx) {
			mx = r;
			at = (int64_t)v->tb_batch.v[i];
		}
	}
	struct span s = beyond(&v->tb_batch, &v->tb_norm, t, 0);
	if (v->tb_norm.n == 0)
		mx = NAN;
	put(o, mx, t, mx > t, s);
	int len = snprintf(o->evidence, sizeof(o->evidence),
			   "max grad_norm / median grad_norm (%.4g) over %lld batches; %lld "
			   "non-finite; %lld above %g",
			   med, (long long)v->batches, (long long)v->nonfinite, (long long)s.count, t);
	if (at >= 0)
		snprintf(o->evidence + len, sizeof(o->evidence) - (size_t)len, "; max at batch %lld",
			 (long long)at);
}

static void check_vanishing(struct verdict_acc *v, struct verdict *o, int *err)
{
	double t = v->th.t[CHECK_VANISHING], m = median_copy(&v->lambda, err);
	struct span s = beyond(&v->rec_batch, &v->rec_lambda, t, 1);
	put(o, m, t, m < t, s);
	snprintf(o->evidence, sizeof(o->evidence),
		 "median over %lld records of the smallest lambda of a layer; %lld below %g; "
		 "median k_exact %.3g",
		 (long long)v->lambda.n, (long long)s.count, t, median_copy(&v->k, err));
}

static void check_clipping(struct verdict_acc *v, struct verdict *o)
{
	double t = v->th.t[CHECK_CLIPPING];
	double m = v->clip_rows ? v->clip_sum / (double)v->clip_rows : NAN;
	struct span s = beyond(&v->tb_batch, &v->tb_clip, t, 0);
	put(o, m, t, m > t, s);
	snprintf(o->evidence, sizeof(o->evidence),
		 "mean share of gradient entries clipping changed over %lld batches; %lld "
		 "clipped at all; %lld above %g",
		 (long long)v->clip_rows, (long long)v->clipped_any, (long long)s.count, t);
}

int verdict_finish(struct verdict_acc *v, struct verdict out[CHECKS])
{
	int err = close_record(v) < 0;
	memset(out, 0, CHECKS * sizeof(*out));
	check_saturation(v, &out[CHECK_SATURATION], &err);
	check_dead(v, &out[CHECK_DEAD_UNITS], &err);
	check_exploding(v, &out[CHECK_EXPLODING], &err);
	check_vanishing(v, &out[CHECK_VANISHING], &err);
	check_clipping(v, &out[CHECK_CLIPPING]);
	return err ? -1 : 0;
}
