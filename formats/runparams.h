/*
 * runparams.h - a run's model as it was at one record: the /model
 * attributes and vocabulary, and the parameters that record saved
 * (/record/params/NAME, with `record --save-params`), loaded into a
 * libcore model ready to run forward.
 */
#ifndef RNNBOW_RUNPARAMS_H
#define RNNBOW_RUNPARAMS_H

#include "runread.h"
#include "../libcore/model.h"

struct run_params {
	struct model m;     /* the parameters of record `batch` */
	int n;              /* /model seq_len */
	int64_t batch;      /* the training batch of the record loaded */
	int64_t row;        /* its row in /record */
	uint8_t vocab[256]; /* (m.V) byte of each token id */
};

/* Loads the record of training batch `batch` (-1: the last record) of the
 * open run r into p. Returns 0, or -1 after one message "rnnbow CMD: PATH:
 * why": no records, a batch not recorded (saying which are), no saved
 * parameters ("record with --save-params"), a run of dense inputs (no
 * tokens to run on), a parameter of the wrong shape. */
int run_params_load(struct run_params *p, const struct run *r, int64_t batch);
void run_params_free(struct run_params *p);

#endif
