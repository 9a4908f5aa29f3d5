/*
 * reccols.h - the /record datasets of a run, as one list built from the
 * model and the writer's flags: name, element type, row shape, and where
 * a record's row comes from. The writer creates, reopens and appends by
 * walking it, so the three can never disagree. Order and names:
 * docs/FORMAT.md (layer 0 first under SPEC 2's names, then what gated
 * cells add, then each further layer with the suffix _l<l>, then hidden
 * states, then params/NAME).
 */
#ifndef RNNBOW_RECCOLS_H
#define RNNBOW_RECCOLS_H

#include "../libcore/train.h"

#include <hdf5.h>

enum rec_src {
	SRC_BATCH, SRC_POSITION, SRC_INPUT, SRC_TARGET, SRC_PREDICTED, SRC_LOSS,
	SRC_G, SRC_E, SRC_GQ, SRC_EQ, SRC_H0, SRC_C0, SRC_HIDDEN, SRC_CELL, SRC_PARAM,
};

struct reccol {
	char name[40];      /* under /record, or under /record/params */
	int in_params;
	hid_t ftype, mtype; /* file and memory element types */
	size_t elem;        /* bytes per element */
	int tail_rank;      /* row shape */
	hsize_t tail[3];
	enum rec_src src;
	size_t offset;      /* elements into the record's array for src */
};

/* Fills cols (cap entries) and returns how many, or -1 when cap is too
 * small. with_params/with_hidden: the optional datasets. */
int reccols_build(struct reccol *cols, int cap, const struct model *m, int n,
		  int with_params, int with_hidden);

/* How many entries reccols_build can need at most. */
int reccols_max(const struct model *m);

/* Bytes of one row. */
size_t reccol_row_bytes(const struct reccol *c);

/* The row of record r that column c holds. */
const void *reccol_row(const struct reccol *c, const struct record *r);

#endif
