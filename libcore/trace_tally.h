/*
 * trace_tally.h - gradient-tracing paths counted per component and per lag
 * (docs/ANALYSIS.md "Gradient tracing"), for `trace --summary` over all
 * records or record by record, and for `plot trace --shares`: a tally per
 * record, added into a run's total. The caller says which components a
 * path went through (trace_path_components, or a mix's own list); memory
 * is a few counters per component and per step.
 */
#ifndef RNNBOW_TRACE_TALLY_H
#define RNNBOW_TRACE_TALLY_H

#include <stdint.h>

struct trace_tally {
	int nc, n;          /* components, steps (lags 0..n-1) */
	int64_t records;    /* records counted */
	int64_t paths;      /* every path */
	int64_t *count;     /* (nc) paths through each component */
	int64_t *lag;       /* (n) paths of each lag */
	double *lagsum;     /* (nc + 1) sum of lags through each component; [nc]: of all */
};

/* A zero tally of nc components and n steps. 0, or -1 when out of memory
 * (t freed). */
int trace_tally_init(struct trace_tally *t, int nc, int n);
void trace_tally_free(struct trace_tally *t);
/* Back to zero. */
void trace_tally_clear(struct trace_tally *t);

/* One path, through the components whose flag (nc of them) is set, of
 * lag `lag` (0..n-1). */
void trace_tally_count(struct trace_tally *t, const uint8_t *flags, int lag);

/* Adds the counts of a into t (both of the same nc and n). */
void trace_tally_add(struct trace_tally *t, const struct trace_tally *a);

/* Paths through component c (-1: all), their share of all paths and
 * their mean lag (NaN when none). */
int64_t trace_tally_paths(const struct trace_tally *t, int c);
double trace_tally_share(const struct trace_tally *t, int c);
double trace_tally_lag_mean(const struct trace_tally *t, int c);

#endif
