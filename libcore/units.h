/*
 * units.h - which hidden units carry gradient far back: per-unit summaries
 * of one record's unit_flow (SPEC 1, docs/ANALYSIS.md "units"), for
 * `rnnbow units` and `rnnbow plot units`. No I/O here.
 *
 * Workload: once per record and layer, O(n H) to summarize and
 * O(H log H) to rank; a record of an L-layer run ranks its L H units
 * together.
 */
#ifndef RNNBOW_UNITS_H
#define RNNBOW_UNITS_H

#include <stddef.h>

/* One unit of one record. */
struct unit_stat {
	int layer, unit;
	int reach;             /* -1: the flow holds a NaN */
	double share_beyond_k; /* NaN when reach is -1 or k is -1 */
	double flow;           /* sum over lags */
};

/* The lag where unit u's flow first falls below eps times its lag-0
 * value: the smallest d in 1..n-1 with flow[d,u] < eps flow[0,u]; n when
 * no lag does (the flow reaches past the batch); 0 when flow[0,u] is 0
 * (no gradient reaches the unit); -1 when a value is NaN. flow is (n, H). */
int unit_reach(const float *flow, int n, int H, int u, double eps);

/* The share of unit u's flow at lags beyond k: sum_{d>k} flow[d,u] /
 * sum_d flow[d,u]; 0 when the sum is 0; NaN when k < 0 (a record without
 * k: not finite) or a value is NaN. */
double unit_share_beyond(const float *flow, int n, int H, int u, int k);

/* Fills st[0..H) for layer `layer` of a record: flow (n, H), k the
 * record's k_exact of that layer (-1: none). */
void unit_stats(struct unit_stat *st, const float *flow, int n, int H, int layer, int k,
		double eps);

/* Sorts st by how far back gradient reaches: reach descending, then
 * share_beyond_k descending, then layer, then unit; units with a NaN last. */
void unit_rank(struct unit_stat *st, size_t count);

#endif
