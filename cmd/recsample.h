/*
 * recsample.h - record --sample-every: text drawn from the model as it
 * trains, queued into the run's /samples (docs/FORMAT.md, "Samples").
 * What is sampled: batches 0 (before any update), K, 2K, ... below
 * --batches, each before its own update, so sample b and record b see the
 * same parameters; no prime, temperature 1, --sample-length bytes, drawn
 * with the seed sample_seed(run seed, b) (libcore/sample.h): a resumed run
 * draws the same samples with nothing in its checkpoint.
 */
#ifndef RNNBOW_RECSAMPLE_H
#define RNNBOW_RECSAMPLE_H

#include "../formats/runqueue.h"
#include "../libcore/sample.h"
#include "../libcore/tokens.h"

struct recsample {
	int64_t every, len;    /* every = 0: no samples */
	uint64_t seed;         /* the run's */
	const uint8_t *vocab;  /* (V) byte of each token id, not owned */
	/* other tokens than bytes: their texts (not owned); a sample is then
	 * --sample-length tokens' text joined (tokens_join), cut at that many
	 * bytes (utf8: at a whole code point) and padded with spaces */
	const struct token_vocab *tv;
	struct sampler s;
	int32_t *ids;          /* (len) */
	uint8_t *text;         /* (len) */
};

/* Returns 0, or -1 out of memory (said why; nothing to free). every = 0
 * sets up nothing. */
int recsample_init(struct recsample *rs, const struct model *m, int64_t every, int64_t len,
		   uint64_t seed, const uint8_t *vocab);
void recsample_free(struct recsample *rs);

/* When training batch `batch` is one to sample, draws its sample from m
 * and queues it. Returns 0, or -1 when the writer failed (it said why). */
int recsample_take(struct recsample *rs, const struct model *m, int64_t batch,
		   struct runqueue *q);

#endif
