/*
 * trace_tally.h - counting gradient-tracing paths per component and per
 * lag (trace.h's paths, docs/ANALYSIS.md "Gradient tracing"), for `trace
 * --summary` over all records or record by record, and for `plot trace
 * --shares`. One tally per record, added into a run's total; memory is a
 * few counters per component and per step.
 */
#ifndef RNNBOW_TRACE_TALLY_H
#define RNNBOW_TRACE_TALLY_H

#include "trace.h"

struct trace_tally {
	int nc, n;          /* components (trace_components), steps */
	int64_t records;    /* records counted */
	int64_t paths;      /* every path */
	int64_t *count;     /* (nc) paths through each component */
	int64_t *lag;       /* (n) paths of each lag */
	double *lagsum;     /* (nc + 1) sum of lags through each component; [nc]: of all */
	uint8_t *flags;     /* (nc) scratch */
	size_t *ids;        /* (max hops) scratch: one path */
	double *terms;
};

/* A zero tally for graphs like g. 0, or -1 when out of memory (t freed). */
int trace_tally_init(struct trace_tally *t, const struct trace_graph *g);
void trace_tally_free(struct trace_tally *t);
/* Back to zero. */
void trace_tally_clear(struct trace_tally *t);

/* Counts, as one more record, the paths of entries rows [r0, r1) x
 * columns [c0, c1) of parameter p in g (already run on the record's
 * batch). */
void trace_tally_record(struct trace_tally *t, struct trace_graph *g, int p, size_t r0,
			size_t r1, size_t c0, size_t c1);

/* Adds the counts of a into t (both of the same model and n). */
void trace_tally_add(struct trace_tally *t, const struct trace_tally *a);

/* Paths through component c (-1: all), their share of all paths and
 * their mean lag (NaN when none). */
int64_t trace_tally_paths(const struct trace_tally *t, int c);
double trace_tally_share(const struct trace_tally *t, int c);
double trace_tally_lag_mean(const struct trace_tally *t, int c);

#endif
