/*
 * envelope.c - binning of max gradients for the overviews (envelope.h).
 */
#include "envelope.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int envelope_init(struct envelope *e, int64_t records, int64_t bins)
{
	memset(e, 0, sizeof(*e));
	e->binned = records > bins;
	e->per = e->binned ? (records + bins - 1) / bins : 1;
	size_t cap = (size_t)(e->binned ? (records + e->per - 1) / e->per : records) + 1;
	e->x = calloc(cap, sizeof(double));
	e->y = calloc(cap, sizeof(double));
	e->lo = calloc(cap, sizeof(double));
	e->hi = calloc(cap, sizeof(double));
	e->step = calloc(cap, sizeof(int));
	e->top = calloc(cap, sizeof(int64_t));
	e->vals = malloc((size_t)e->per * sizeof(double));
	return e->x && e->y && e->lo && e->hi && e->step && e->top && e->vals ? 0 : -1;
}

void envelope_finish(struct envelope *e)
{
	const int64_t k = e->k;
	if (k == 0)
		return;
	qsort(e->vals, (size_t)k, sizeof(double), cmp_double);
	e->x[e->nb] = e->xsum / (double)k;
	e->lo[e->nb] = e->vals[0];
	e->hi[e->nb] = e->vals[k - 1];
	e->y[e->nb] = k % 2 ? e->vals[k / 2] : 0.5 * (e->vals[k / 2 - 1] + e->vals[k / 2]);
	e->step[e->nb] = e->top_step;
	e->top[e->nb++] = e->top_batch;
	e->k = 0;
	e->xsum = 0;
}

void envelope_add(struct envelope *e, int64_t batch, double value, int step)
{
	if (!e->binned) {
		e->x[e->nb] = (double)batch;
		e->y[e->nb] = e->lo[e->nb] = e->hi[e->nb] = value;
		e->step[e->nb] = step;
		e->top[e->nb++] = batch;
		return;
	}
	if (e->k == 0 || value > e->top_value) {
		e->top_value = value;
		e->top_batch = batch;
		e->top_step = step;
	}
	e->vals[e->k++] = value;
	e->xsum += (double)batch;
	if (e->k == e->per)
		envelope_finish(e);
}

void envelope_free(struct envelope *e)
{
	free(e->x);
	free(e->y);
	free(e->lo);
	free(e->hi);
	free(e->step);
	free(e->top);
	free(e->vals);
	memset(e, 0, sizeof(*e));
}

int envelope_wants_log(const double *y, int64_t n, double top)
{
	double *pos = malloc((size_t)n * sizeof(double) + 1);
	int64_t m = 0;
	if (!pos)
		return 0;
	for (int64_t i = 0; i < n; i++)
		if (y[i] > 0)
			pos[m++] = y[i];
	int log = 0;
	if (m > 0) {
		qsort(pos, (size_t)m, sizeof(double), cmp_double);
		log = top / pos[m / 10] > 1e3;
	}
	free(pos);
	return log;
}
