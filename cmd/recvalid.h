/*
 * recvalid.h - record --valid FILE / --valid-share X: the held-out text
 * and its loss, queued into the run's /valid (docs/FORMAT.md, "Held-out
 * loss"). What is evaluated: batches 0 (before any update), K, 2K, ...
 * below --batches, each before its own update (as records and samples),
 * over the first --valid-steps steps of the held-out text from a zero
 * state (libcore/valid.h). The loss is a function of the parameters
 * alone, so a resumed run writes the same rows with nothing in its
 * checkpoint.
 *
 * --valid-share X holds out the corpus' last floor(X len) bytes: training
 * reads only the bytes before them. --valid FILE is encoded with the
 * corpus' vocabulary; a byte the corpus lacks has no token id and is
 * refused (one line naming the byte and its offset): skipping it would
 * score a text that is not the file.
 */
#ifndef RNNBOW_RECVALID_H
#define RNNBOW_RECVALID_H

#include "../formats/runqueue.h"
#include "../libcore/valid.h"
#include "../libcore/tokens.h"
#include "../libcore/vocab.h"

struct recvalid {
	int64_t every;         /* 0: no held-out loss */
	const int32_t *ids;    /* (len) held-out token ids */
	size_t len;
	int32_t *own;          /* ids when they are ours (--valid FILE) */
	char sha256[65];       /* of the held-out bytes */
	char source[64];       /* "FILE" or "last N bytes of the corpus" */
	struct valid_eval ev;
};

/* Holds out the text: with share > 0 the tail of ids (*train_len is cut
 * to what is left to train on), with file the file encoded by v; a run
 * of other tokens than bytes gives tv (not NULL) and corpus NULL: a file
 * is tokenized by tv (a word it lacks is <unk>, a code point is refused),
 * the share's digest is that of its ids (int32). Checks
 * that there are at least 2 held-out tokens. Returns 0 (every = 0: does
 * nothing), or -1 after a message. */
int recvalid_prepare(struct recvalid *rv, int64_t every, const char *file, double share,
		     const uint8_t *corpus, const int32_t *ids, size_t *train_len,
		     const struct vocab *v, const struct token_vocab *tv, size_t max_bytes);

/* The default of --valid-steps: the steps one sequence trains on between
 * two evaluations, every * n (0, all of the text, when that overflows), so
 * that the held-out pass costs a fixed share of training whatever
 * --valid-every (docs/FORMAT.md, "Held-out loss", has the measurements). */
int64_t recvalid_default_steps(int64_t every, int n);

/* --resume without --valid-steps: the run's own value, from its checkpoint
 * (a run recorded when the default was 10000 goes on with 10000). Sets
 * *steps when the run has a checkpoint with a held-out loss; returns 0, or
 * -1 after a message (a checkpoint that cannot be read). */
int recvalid_resume_steps(const char *run, int64_t *steps);

/* Allocates the evaluation for m (steps 0: the whole text; chunk: steps
 * per forward pass). Returns 0, or -1 out of memory (said why). */
int recvalid_start(struct recvalid *rv, const struct model *m, int64_t steps, int chunk);
void recvalid_free(struct recvalid *rv);

/* When training batch `batch` is one to evaluate, evaluates m and queues
 * the row. Returns 0, or -1 (said why). */
int recvalid_take(struct recvalid *rv, const struct model *m, int64_t batch,
		  struct runqueue *q);

#endif
