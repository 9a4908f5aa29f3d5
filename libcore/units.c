/*
 * units.c - per-unit reach and share of gradient beyond k (see units.h).
 */
#include "units.h"

#include <math.h>
#include <stdlib.h>

int unit_reach(const float *flow, int n, int H, int u, double eps)
{
	for (int d = 0; d < n; d++)
		if (isnan(flow[(size_t)d * H + u]))
			return -1;
	double f0 = flow[u];
	if (!(f0 > 0))
		return 0;
	for (int d = 1; d < n; d++)
		if (flow[(size_t)d * H + u] < eps * f0)
			return d;
	return n;
}

double unit_share_beyond(const float *flow, int n, int H, int u, int k)
{
	double total = 0.0, beyond = 0.0;
	if (k < 0)
		return NAN;
	for (int d = 0; d < n; d++) {
		double v = flow[(size_t)d * H + u];
		total += v;
		if (d > k)
			beyond += v;
	}
	if (isnan(total))
		return NAN;
	return total > 0 ? beyond / total : 0.0;
}

void unit_stats(struct unit_stat *st, const float *flow, int n, int H, int layer, int k,
		double eps)
{
	for (int u = 0; u < H; u++) {
		struct unit_stat *s = &st[u];
		s->layer = layer;
		s->unit = u;
		s->reach = unit_reach(flow, n, H, u, eps);
		s->share_beyond_k = s->reach < 0 ? NAN : unit_share_beyond(flow, n, H, u, k);
		s->flow = 0.0;
		for (int d = 0; d < n; d++)
			s->flow += flow[(size_t)d * H + u];
	}
}

/* NaN-aware descending order of two doubles: NaN last. */
static int desc(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a > b ? -1 : a < b;
}

static int cmp_unit(const void *pa, const void *pb)
{
	const struct unit_stat *a = pa, *b = pb;
	int c = desc(a->reach < 0 ? NAN : a->reach, b->reach < 0 ? NAN : b->reach);
	if (!c)
		c = desc(a->share_beyond_k, b->share_beyond_k);
	if (!c)
		c = (a->layer > b->layer) - (a->layer < b->layer);
	if (!c)
		c = (a->unit > b->unit) - (a->unit < b->unit);
	return c;
}

void unit_rank(struct unit_stat *st, size_t count)
{
	qsort(st, count, sizeof(*st), cmp_unit);
}
