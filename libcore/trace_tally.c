/*
 * trace_tally.c - paths counted per component and per lag (trace_tally.h).
 * The walk is trace.c's; what a path goes through is
 * trace_path_components'.
 */
#include "trace_tally.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int trace_tally_init(struct trace_tally *t, const struct trace_graph *g)
{
	memset(t, 0, sizeof(*t));
	t->nc = trace_components(g->m);
	t->n = g->n;
	int cap = trace_max_hops(g);
	t->count = calloc((size_t)t->nc, sizeof(int64_t));
	t->lag = calloc((size_t)t->n, sizeof(int64_t));
	t->lagsum = calloc((size_t)t->nc + 1, sizeof(double));
	t->flags = malloc((size_t)t->nc);
	t->ids = malloc((size_t)cap * sizeof(size_t));
	t->terms = malloc((size_t)cap * sizeof(double));
	if (!t->count || !t->lag || !t->lagsum || !t->flags || !t->ids || !t->terms) {
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
	free(t->flags);
	free(t->ids);
	free(t->terms);
	memset(t, 0, sizeof(*t));
}

void trace_tally_clear(struct trace_tally *t)
{
	t->records = t->paths = 0;
	memset(t->count, 0, (size_t)t->nc * sizeof(int64_t));
	memset(t->lag, 0, (size_t)t->n * sizeof(int64_t));
	memset(t->lagsum, 0, ((size_t)t->nc + 1) * sizeof(double));
}

void trace_tally_record(struct trace_tally *t, struct trace_graph *g, int p, size_t r0,
			size_t r1, size_t c0, size_t c1)
{
	const int nc = t->nc;
	t->records++;
	for (size_t r = r0; r < r1; r++)
		for (size_t c = c0; c < c1; c++) {
			int hops = trace_path(g, p, r, c, t->ids, t->terms);
			memset(t->flags, 0, (size_t)nc);
			int d = trace_path_components(g, t->ids, hops, t->flags);
			t->paths++;
			t->lag[d]++;
			t->lagsum[nc] += d;
			for (int k = 0; k < nc; k++)
				if (t->flags[k]) {
					t->count[k]++;
					t->lagsum[k] += d;
				}
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
