/*
 * valid.h - the held-out loss of record --valid / --valid-share, and
 * char-rnn's learning-rate schedule (--lr-decay). No I/O.
 *
 * The held-out loss of a model is the mean of L_t = -log p(x_{t+1} | x_0..t)
 * over the first `steps` steps of the held-out text (all of it when it is
 * shorter), run from a zero state in chunks of `chunk` steps with every
 * layer's state carried from one chunk to the next (stream.h): the same
 * numbers as one forward pass over the whole text, memory flat.
 */
#ifndef RNNBOW_VALID_H
#define RNNBOW_VALID_H

#include "stream.h"

struct valid_eval {
	struct rnn_stream s;
	const int32_t *ids; /* (len) the held-out token ids, not owned */
	size_t steps;       /* steps evaluated: min(len - 1, the limit asked) */
	int chunk;
};

/* Sets v up for ids (len >= 2) and model m; steps_max 0: no limit.
 * Returns 0, or -1 when out of memory. */
int valid_init(struct valid_eval *v, const struct model *m, const int32_t *ids, size_t len,
	       int64_t steps_max, int chunk);
void valid_free(struct valid_eval *v);

/* The mean loss (nats per step) of m over the held-out text, summed in
 * double; -1 when out of memory. */
double valid_loss(struct valid_eval *v, const struct model *m);

/* Batches in one epoch: one pass over each sequence's stretch of the
 * training text (stretch ids) at n steps per batch, i.e. the batches
 * between two wraps of train.c's reader: (stretch - 1) / n. */
int64_t epoch_batches(size_t stretch, int n);

/* char-rnn's schedule: the learning rate batch `batch` starts with is
 * multiplied by decay when batch starts an epoch (a positive multiple of
 * epoch) at or after batch `after`. Returns 1 when it does. */
int lr_decays_at(int64_t batch, int64_t epoch, int64_t after);

#endif
