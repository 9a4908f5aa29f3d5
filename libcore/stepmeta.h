/*
 * stepmeta.h - rnnbow's own quantities laid along a text, one value per
 * step, from the recorded batches that cover the step: what `rnnbow export
 * lstmvis` writes beside the hidden states as LSTMVis meta tracks.
 *
 * Step s of the text is corpus offset s; a record at corpus offset p (its
 * /record/position) covers steps p .. p+n-1 (a batch never wraps inside).
 * Several records can cover a step (the corpus is walked again and again):
 * the one whose training batch is nearest the target batch (the one whose
 * parameters made the states) wins, the earlier of two as near. A step no
 * record covers keeps 0 in every track and -1 as its batch: LSTMVis sends
 * tracks to the browser as JSON, which has no NaN. A record whose g or E
 * is not finite (a batch that overflowed) covers nothing.
 *
 * Workload: one call per record while a run streams by; O(n^2) per record
 * plus O(n) per step it wins. Memory: 20 bytes per step of the text. No I/O.
 */
#ifndef RNNBOW_STEPMETA_H
#define RNNBOW_STEPMETA_H

#include <stdint.h>

struct step_meta {
	int64_t N;       /* steps of the text */
	int n;           /* steps per batch */
	int64_t target;  /* training batch nearness is measured from */
	double eps;      /* k_exact's tolerance */
	float *bar;      /* (N) bar[j] = sum_{t>=j} g[t,j] of the covering record (SPEC 1) */
	float *max_grad; /* (N) that record's max_j bar[j] */
	int32_t *k_exact; /* (N) that record's k_exact at eps */
	int64_t *batch;  /* (N) that record's training batch; -1: none */
};

/* Returns 0, or -1 when out of memory (s is then freed). */
int step_meta_init(struct step_meta *s, int64_t N, int n, int64_t target, double eps);
void step_meta_free(struct step_meta *s);

/* Offers one record: its training batch, corpus offset (negative: none,
 * a library run's) and g (n, n), E (n) of the layer the tracks describe. */
void step_meta_add(struct step_meta *s, int64_t batch, int64_t position, const float *g,
		   const float *E);

#endif
