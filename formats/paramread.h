/*
 * paramread.h - a run's model as it was at one record: /model's shape and
 * vocabulary, and the parameters `record --save-params` stored with that
 * record (/record/params/NAME, PyTorch's layout), loaded into a libcore
 * model ready for a forward pass.
 *
 * Workload: one record per call; reads one row of each parameter dataset
 * and the /record/batch column to find it.
 */
#ifndef RNNBOW_PARAMREAD_H
#define RNNBOW_PARAMREAD_H

#include "runread.h"
#include "../libcore/mix.h"
#include "../libcore/tokens.h"

struct run_params {
	struct model m;      /* a mix (mx): the block of its components' */
	struct mix *mx;      /* a mix of components, or NULL */
	uint8_t vocab[256];  /* (m.V) byte of each token id ('?': other tokens) */
	struct token_vocab tokens; /* the text of each token id (tokenio.h) */
	int64_t batch;       /* training batch of the record read */
	uint64_t seed;       /* the run's seed (root attribute) */
};

/* Loads the record of training batch `batch`, or the last record when
 * batch < 0. Refuses, with one message "rnnbow CMD: PATH: why": a run
 * without saved parameters (saying to record with --save-params), a batch
 * not recorded (naming the records there are), a run of dense inputs, a
 * damaged file. Returns 0, or -1 (p holds nothing to free). */
int run_params_read(struct run_params *p, const struct run *run, int64_t batch);

/* The same, refusing a mix of components in one line: for a reader that
 * runs one model. */
int run_params_read_one(struct run_params *p, const struct run *run, int64_t batch);
void run_params_free(struct run_params *p);

#endif
