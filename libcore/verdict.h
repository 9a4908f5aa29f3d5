/*
 * verdict.h - the checks of `rnnbow diagnose --overall` (docs/ANALYSIS.md,
 * "diagnose --overall"): saturation, dead_units, exploding, vanishing and
 * clipping, each turned into a verdict ok or flagged by one threshold.
 * Pure computation: the caller feeds the rows it read (one per record and
 * layer, one per training batch) and asks for the verdicts at the end.
 *
 * Workload: every record and every training batch of a run streams by
 * once; the values the medians and spans need are kept, 32 bytes per
 * record and 24 per training batch (a run of 10^6 batches: 24 MB), the
 * rest is running sums.
 */
#ifndef RNNBOW_VERDICT_H
#define RNNBOW_VERDICT_H

#include <stdint.h>

enum check_id { CHECK_SATURATION, CHECK_DEAD_UNITS, CHECK_EXPLODING, CHECK_VANISHING,
		CHECK_CLIPPING, CHECKS };

/* "saturation", "dead_units", ... in enum check_id's order. */
extern const char *const check_names[CHECKS];

/* Index of the check called name, or -1. */
int check_find(const char *name);

/* The thresholds, one per check (the defaults: VERDICT_DEFAULTS). A check
 * is flagged when its value is beyond its threshold: above it, except
 * vanishing (below). */
struct verdict_thresholds {
	double t[CHECKS];
};
void verdict_thresholds_default(struct verdict_thresholds *th);

#define VERDICT_MAX_ACTS 5

/* What one record and layer gives the checks. */
struct verdict_layer_row {
	int64_t batch;
	int layer;
	double saturated;              /* share over every activation */
	int nacts;
	const char *act_names[VERDICT_MAX_ACTS];
	double act_saturated[VERDICT_MAX_ACTS];
	int relu;                      /* dead is defined: a relu cell */
	double dead_share;             /* dead units / H (relu) */
	double lambda;                 /* NaN: not finite */
	int k_exact;                   /* -1: not finite */
};

struct verdict_acc;

/* A new accumulator, or NULL when out of memory. */
struct verdict_acc *verdict_new(const struct verdict_thresholds *th);
void verdict_free(struct verdict_acc *v);

/* Feeds one record and layer. The layers of one record come one after
 * the other (any order), records in any order. Returns 0, -1 out of memory. */
int verdict_add_layer(struct verdict_acc *v, const struct verdict_layer_row *r);

/* Feeds one training batch: its pre-clip gradient norm and clip share,
 * nonfinite when the batch was not finite (no update). has_clip 0: the
 * run does not record clip shares. Returns 0, -1 out of memory. */
int verdict_add_batch(struct verdict_acc *v, int64_t batch, double grad_norm,
		      double clip_share, int nonfinite);

/* One line of the verdict table. */
struct verdict {
	int flagged;
	double value, threshold;
	int64_t first_batch, last_batch; /* -1: no record or batch beyond */
	char evidence[256];
};

/* Computes every check from what was fed. Returns 0, -1 out of memory. */
int verdict_finish(struct verdict_acc *v, struct verdict out[CHECKS]);

#endif
