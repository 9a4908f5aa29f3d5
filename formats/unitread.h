/*
 * unitread.h - the per-unit arrays of a run's records, one record and
 * layer at a time: unit_flow (with the layer's E, for k_exact), and with
 * --save-hidden the hidden states and the input bytes under them. For
 * `rnnbow units` and `rnnbow plot units|hidden`. A run written before
 * unit_flow (or without --save-hidden) is refused in one line naming the
 * dataset it lacks.
 */
#ifndef RNNBOW_UNITREAD_H
#define RNNBOW_UNITREAD_H

#include "recread.h"

enum unitread_what { UR_FLOW = 1, UR_HIDDEN = 2 };

struct unitread {
	struct recread rr;   /* /model, vocab, rows; batch of every record in batch */
	int n, H, layers;
	int64_t rows;
	int64_t *batch;      /* (rows) /record/batch */
	hid_t *flow, *trunc; /* (layers) unit_flow[_l<l>], truncation_error[_l<l>] */
	hid_t *hidden;       /* (layers) hidden[_l<l>] */
	hid_t input;         /* /record/input, with UR_HIDDEN */
};

/* Whether the run has what `what` asks for (layer 0's unit_flow, hidden
 * states): 1 or 0, silently, for a caller that leaves out what a run lacks
 * (rnnbow report). */
int unitread_present(const struct run *run, unsigned what);
/* The same for a mix's component comp, by its dataset prefix (recread's
 * comp; NULL or "": the run's own datasets). */
int unitread_present_comp(const struct run *run, unsigned what, const char *comp);

/* Opens what `what` asks for, of every layer, checking shapes against
 * /model. Returns 0, or -1 after one message "rnnbow CMD: PATH: why". */
int unitread_open(struct unitread *u, const struct run *run, unsigned what);

/* The same for component `component` of a mix (a name or an index; NULL:
 * the first); on a run that is not a mix, unitread_open. */
int unitread_open_comp(struct unitread *u, const struct run *run, unsigned what,
		       const char *component);

/* The row of the record of training batch `batch`, or -1 when it was not
 * recorded. */
int64_t unitread_find(const struct unitread *u, int64_t batch);

/* Row `row`, layer `layer`: flow (n, H) and E (n). Returns 0 or -1 (message). */
int unitread_flow(struct unitread *u, int64_t row, int layer, float *flow, float *E);

/* Row `row`, layer `layer`: h (n, H) h_t, and input (n) the token ids x_t.
 * Returns 0 or -1 (message). */
int unitread_hidden(struct unitread *u, int64_t row, int layer, float *h, int32_t *input);

void unitread_close(struct unitread *u);

#endif
