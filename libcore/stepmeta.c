/*
 * stepmeta.c - per-step tracks from the records that cover each step (see
 * stepmeta.h).
 */
#include "stepmeta.h"
#include "analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int step_meta_init(struct step_meta *s, int64_t N, int n, int64_t target, double eps)
{
	memset(s, 0, sizeof(*s));
	s->N = N;
	s->n = n;
	s->target = target;
	s->eps = eps;
	s->bar = calloc((size_t)N, sizeof(float));
	s->max_grad = calloc((size_t)N, sizeof(float));
	s->k_exact = calloc((size_t)N, sizeof(int32_t));
	s->batch = malloc((size_t)N * sizeof(int64_t));
	if (!s->bar || !s->max_grad || !s->k_exact || !s->batch) {
		step_meta_free(s);
		return -1;
	}
	for (int64_t i = 0; i < N; i++)
		s->batch[i] = -1;
	return 0;
}

void step_meta_free(struct step_meta *s)
{
	free(s->bar);
	free(s->max_grad);
	free(s->k_exact);
	free(s->batch);
	memset(s, 0, sizeof(*s));
}

static int64_t distance(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

/* 1 when a record of training batch `batch` should replace the one step
 * holds now. */
static int nearer(const struct step_meta *s, int64_t step, int64_t batch)
{
	int64_t cur = s->batch[step];
	if (cur < 0)
		return 1;
	int64_t d = distance(batch, s->target), dc = distance(cur, s->target);
	return d < dc || (d == dc && batch < cur);
}

void step_meta_add(struct step_meta *s, int64_t batch, int64_t position, const float *g,
		   const float *E)
{
	const int n = s->n;
	if (position < 0 || position >= s->N)
		return;
	int kx = k_exact(E, n, s->eps), step;
	double mx = max_gradient(g, n, &step);
	if (kx < 0 || !isfinite(mx))
		return;
	for (int j = 0; j < n && position + j < s->N; j++) {
		int64_t at = position + j;
		if (!nearer(s, at, batch))
			continue;
		double bar = 0.0; /* column j of g, the losses t >= j */
		for (int t = j; t < n; t++)
			bar += g[(size_t)t * n + j];
		s->bar[at] = (float)bar;
		s->max_grad[at] = (float)mx;
		s->k_exact[at] = kx;
		s->batch[at] = batch;
	}
}
