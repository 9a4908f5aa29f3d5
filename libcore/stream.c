/*
 * stream.c - rnn_forward over a long text in chunks (see stream.h).
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

int rnn_stream_init(struct rnn_stream *s, const struct model *m, int cap)
{
	size_t LH = (size_t)m->L * (size_t)m->H;
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->h = calloc(LH, sizeof(float));
	s->c = calloc(LH, sizeof(float));
	s->y = calloc((size_t)cap, sizeof(int32_t));
	if (!s->h || !s->c || !s->y || rnn_cache_init(&s->full, cap, m) < 0) {
		rnn_stream_free(s);
		return -1;
	}
	return 0;
}

void rnn_stream_free(struct rnn_stream *s)
{
	if (s->full.ly)
		rnn_cache_free(&s->full);
	if (s->part.ly)
		rnn_cache_free(&s->part);
	free(s->h);
	free(s->c);
	free(s->y);
	memset(s, 0, sizeof(*s));
}

/* The cache for a chunk of count steps: the full one, or one of exactly
 * count steps (rnn_forward runs as many steps as its cache holds). */
static struct rnn_cache *cache_for(struct rnn_stream *s, int count, const struct model *m)
{
	if (count == s->cap)
		return &s->full;
	if (s->part.ly && s->part.n == count)
		return &s->part;
	if (s->part.ly)
		rnn_cache_free(&s->part);
	return rnn_cache_init(&s->part, count, m) < 0 ? NULL : &s->part;
}

int rnn_stream_run(struct rnn_stream *s, const int32_t *x, const int32_t *y, int count,
		   const struct model *m)
{
	const size_t H = (size_t)m->H;
	struct rnn_cache *c = cache_for(s, count, m);
	if (!c)
		return -1;
	if (!y) {
		memcpy(s->y, x, (size_t)count * sizeof(int32_t));
		y = s->y;
	}
	rnn_forward(c, x, y, s->h, s->c, m);
	/* the last step's states start the next chunk */
	for (int l = 0; l < m->L; l++) {
		memcpy(s->h + l * H, c->ly[l].hs + (size_t)count * H, H * sizeof(float));
		if (m->cell == CELL_LSTM)
			memcpy(s->c + l * H, c->ly[l].cs + (size_t)count * H, H * sizeof(float));
	}
	s->last = c;
	return 0;
}

const float *rnn_stream_hidden(const struct rnn_stream *s, int l, const struct model *m)
{
	return s->last->ly[l].hs + m->H; /* row 0 is the carried state */
}

const float *rnn_stream_cell(const struct rnn_stream *s, int l, const struct model *m)
{
	return m->cell == CELL_LSTM ? s->last->ly[l].cs + m->H : NULL;
}
