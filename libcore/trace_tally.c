/*
 * trace_tally.c - paths counted per component and per lag (trace_tally.h).
 */
#include "trace_tally.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int trace_tally_init(struct trace_tally *t, int nc, int n)
{
	memset(t, 0, sizeof(*t));
	t->nc = nc;
	t->n = n;
	t->count = calloc((size_t)nc + 1, sizeof(int64_t));
	t->lag = calloc((size_t)n, sizeof(int64_t));
	t->lagsum = calloc((size_t)nc + 1, sizeof(double));
	if (!t->count || !t->lag || !t->lagsum) {
		trace_tally_free(t);
		return -1;
	}
	return 0;
}

void trace_tally_free(struct trace_tally *t)
{
	free(t->count);
	free(t->lag);
	free(t->lagsum);
	memset(t, 0, sizeof(*t));
}

void trace_tally_clear(struct trace_tally *t)
{
	t->records = t->paths = 0;
	memset(t->count, 0, (size_t)t->nc * sizeof(int64_t));
	memset(t->lag, 0, (size_t)t->n * sizeof(int64_t));
	memset(t->lagsum, 0, ((size_t)t->nc + 1) * sizeof(double));
}

void trace_tally_count(struct trace_tally *t, const uint8_t *flags, int lag)
{
	t->paths++;
	t->lag[lag]++;
	t->lagsum[t->nc] += lag;
	for (int k = 0; k < t->nc; k++)
		if (flags[k]) {
			t->count[k]++;
			t->lagsum[k] += lag;
		}
}

void trace_tally_add(struct trace_tally *t, const struct trace_tally *a)
{
	t->records += a->records;
	t->paths += a->paths;
	for (int k = 0; k < t->nc; k++)
		t->count[k] += a->count[k];
	for (int d = 0; d < t->n; d++)
		t->lag[d] += a->lag[d];
	for (int k = 0; k <= t->nc; k++)
		t->lagsum[k] += a->lagsum[k];
}

int64_t trace_tally_paths(const struct trace_tally *t, int c)
{
	return c < 0 ? t->paths : t->count[c];
}

double trace_tally_share(const struct trace_tally *t, int c)
{
	return t->paths ? (double)trace_tally_paths(t, c) / (double)t->paths : NAN;
}

double trace_tally_lag_mean(const struct trace_tally *t, int c)
{
	int64_t k = trace_tally_paths(t, c);
	return k ? t->lagsum[c < 0 ? t->nc : c] / (double)k : NAN;
}
