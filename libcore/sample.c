/*
 * sample.c - generating text one forward step at a time (see sample.h).
 * Each step is rnn_forward (or rnn_forward_dense for the empty first
 * input) over n = 1 from the state the previous step left, so sampling
 * shares every cell and the layer stack with training.
 */
#include "sample.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Floats of the carried state: (L, H), or (K, L, H) for a mix. */
static size_t state_len(const struct model *m)
{
	return (size_t)m->L * m->H * (m->mix ? (size_t)m->mix->K : 1);
}

int sampler_init(struct sampler *s, const struct model *m)
{
	size_t LH = state_len(m);
	memset(s, 0, sizeof(*s));
	s->mix = m->mix;
	if (m->mix ? mix_run_init(&s->mr, m->mix, 1, 1) < 0 : rnn_cache_init(&s->c, 1, m) < 0)
		return -1;
	s->h = calloc(LH, sizeof(float));
	s->cs = calloc(LH, sizeof(float)); /* rnn_forward reads c0 for LSTM only */
	s->none = calloc((size_t)m->In, sizeof(float));
	s->w = calloc((size_t)m->V, sizeof(double));
	if (!s->h || !s->cs || !s->none || !s->w) {
		sampler_free(s);
		return -1;
	}
	return 0;
}

void sampler_free(struct sampler *s)
{
	if (s->mr.probs && s->mix)
		mix_run_free(&s->mr, s->mix);
	rnn_cache_free(&s->c);
	free(s->h);
	free(s->cs);
	free(s->none);
	free(s->w);
	memset(s, 0, sizeof(*s));
}

/* One step from the carried state: token x, or the empty input when x < 0.
 * Leaves p in s->c.probs and the new state in s->h, s->cs. */
/* A mix's step: each component's logits from its own state (the empty
 * input: dense zeros), their average's softmax in s->mr.probs, pred. */
static void mix_step(struct sampler *s, const struct mix *mx, int32_t x)
{
	const int32_t y = 0;
	const size_t LH = (size_t)mx->L * mx->H;
	for (int k = 0; k < mx->K; k++) {
		if (x < 0)
			rnn_forward_logits_dense(&s->mr.c[k], s->none, s->h + k * LH, s->cs + k * LH,
						 &mx->comp[k]);
		else
			rnn_forward_logits(&s->mr.c[k], &x, s->h + k * LH, s->cs + k * LH,
					   &mx->comp[k]);
	}
	mix_softmax(&s->mr, mx, MIX_ALL, &y);
	mix_carry(&s->mr, mx, s->h, s->cs);
}

static void step(struct sampler *s, const struct model *m, int32_t x)
{
	const int32_t y = 0; /* a target the loss needs; unused */
	const size_t H = (size_t)m->H;
	if (m->mix) {
		mix_step(s, m->mix, x);
		return;
	}
	if (x < 0)
		rnn_forward_dense(&s->c, s->none, &y, s->h, s->cs, m);
	else
		rnn_forward(&s->c, &x, &y, s->h, s->cs, m);
	for (int l = 0; l < m->L; l++) {
		memcpy(s->h + l * H, s->c.ly[l].hs + H, H * sizeof(float));
		if (m->cell == CELL_LSTM)
			memcpy(s->cs + l * H, s->c.ly[l].cs + H, H * sizeof(float));
	}
}

/* Draws an id from p (V) at the temperature: softmax(o / T) is p^(1/T)
 * renormalised, so the logits are not needed. */
static int32_t draw(struct sampler *s, const float *p, int V, double T, struct rng *r)
{
	double *w = s->w, sum = 0;
	for (int v = 0; v < V; v++) {
		w[v] = T == 1.0 ? (double)p[v] : pow((double)p[v], 1.0 / T);
		sum += w[v];
	}
	double u = rng_uniform(r) * sum, acc = 0;
	int32_t last = 0;
	for (int v = 0; v < V; v++) {
		if (w[v] <= 0)
			continue;
		last = v;
		acc += w[v];
		if (u < acc)
			return v;
	}
	return last; /* u rounded up to the sum: the last id that can be drawn */
}

void sample_generate(struct sampler *s, const struct model *m, const int32_t *prime,
		     int nprime, double temperature, struct rng *r, int32_t *out, int len)
{
	size_t LH = state_len(m);
	memset(s->h, 0, LH * sizeof(float));
	memset(s->cs, 0, LH * sizeof(float));
	if (nprime == 0)
		step(s, m, -1);
	for (int i = 0; i < nprime; i++)
		step(s, m, prime[i]);
	const float *p = m->mix ? s->mr.probs : s->c.probs;
	const int32_t *pred = m->mix ? s->mr.pred : s->c.pred;
	for (int i = 0; i < len; i++) {
		out[i] = temperature > 0 ? draw(s, p, m->V, temperature, r) : pred[0];
		if (i + 1 < len)
			step(s, m, out[i]);
	}
}

uint64_t sample_seed(uint64_t seed, int64_t batch)
{
	/* splitmix64's finaliser over both: neighbouring batches get
	 * unrelated streams (rng_seed runs splitmix64 again on this) */
	uint64_t z = seed ^ ((uint64_t)batch * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
