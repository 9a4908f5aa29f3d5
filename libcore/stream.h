/*
 * stream.h - the model's forward pass over a long text (rnn.h's
 * rnn_forward), a chunk of steps at a time with every layer's state
 * carried from one chunk to the next, so that memory stays flat however
 * long the text: what exporting hidden states for LSTMVis needs.
 *
 * Workload: texts of 10^5..10^7 steps, chunks of a few hundred steps; the
 * caller writes each chunk's states away before asking for the next. The
 * states are exactly those of one rnn_forward over the whole text from the
 * same start (the recurrence is the same code; only the input projections
 * of one chunk are one product instead of one over the whole text).
 * No I/O.
 */
#ifndef RNNBOW_STREAM_H
#define RNNBOW_STREAM_H

#include "rnn.h"

struct rnn_stream {
	int cap;             /* steps per chunk at most */
	struct rnn_cache full; /* for chunks of cap steps */
	struct rnn_cache part; /* for one shorter chunk (the text's end), sized on demand */
	struct rnn_cache *last; /* the cache of the last chunk run */
	float *h;            /* (L, H) carried hidden state of every layer */
	float *c;            /* (L, H) carried cell state (LSTM; zeros otherwise) */
	int32_t *y;          /* (cap) targets the forward pass needs (their
				losses are a by-product) */
};

/* Allocates a stream for chunks of at most cap steps, starting from zero
 * state. Returns 0, or -1 when out of memory (s is then freed). */
int rnn_stream_init(struct rnn_stream *s, const struct model *m, int cap);
void rnn_stream_free(struct rnn_stream *s);

/* Runs the next count (1..cap) steps of the text, token ids x, from the
 * carried state, and carries the state on. y may be NULL (the losses are
 * then those of predicting x itself: meaningless, but the states do not
 * depend on targets). Returns 0, or -1 when out of memory (a shorter
 * chunk's cache could not be allocated). */
int rnn_stream_run(struct rnn_stream *s, const int32_t *x, const int32_t *y, int count,
		   const struct model *m);

/* Layer l's h_t (count, H) of the last chunk run, and its c_t (LSTM;
 * NULL for other cells). Valid until the next run. */
const float *rnn_stream_hidden(const struct rnn_stream *s, int l, const struct model *m);
const float *rnn_stream_cell(const struct rnn_stream *s, int l, const struct model *m);

#endif
