/*
 * valid.c - held-out loss and the lr schedule (see valid.h).
 */
#include "valid.h"
#include "mix.h"

#include <string.h>

int valid_init(struct valid_eval *v, const struct model *m, const int32_t *ids, size_t len,
	       int64_t steps_max, int chunk)
{
	memset(v, 0, sizeof(*v));
	v->ids = ids;
	v->steps = len - 1;
	if (steps_max > 0 && (size_t)steps_max < v->steps)
		v->steps = (size_t)steps_max;
	v->chunk = (size_t)chunk < v->steps ? chunk : (int)v->steps;
	return rnn_stream_init(&v->s, m, v->chunk);
}

void valid_free(struct valid_eval *v)
{
	if (v->s.h)
		rnn_stream_free(&v->s);
	memset(v, 0, sizeof(*v));
}

double valid_loss(struct valid_eval *v, const struct model *m)
{
	size_t LH = (size_t)m->L * (size_t)m->H;
	double sum = 0;
	if (m->mix) { /* the average of its components' logits (mix.h) */
		double sums[MIX_MAX + 1];
		if (mix_eval_sums(m->mix, v->ids, v->steps, v->chunk, sums) < 0)
			return -1;
		return sums[0] / (double)v->steps;
	}
	/* from a zero state every time: the loss is a function of m alone */
	memset(v->s.h, 0, LH * sizeof(float));
	memset(v->s.c, 0, LH * sizeof(float));
	for (size_t t = 0; t < v->steps; t += (size_t)v->chunk) {
		int count = v->steps - t < (size_t)v->chunk ? (int)(v->steps - t) : v->chunk;
		if (rnn_stream_run(&v->s, v->ids + t, v->ids + t + 1, count, m) < 0)
			return -1;
		for (int i = 0; i < count; i++)
			sum += v->s.last->losses[i];
	}
	return sum / (double)v->steps;
}

int64_t epoch_batches(size_t stretch, int n)
{
	return (int64_t)((stretch - 1) / (size_t)n);
}

int lr_decays_at(int64_t batch, int64_t epoch, int64_t after)
{
	return epoch > 0 && batch > 0 && batch % epoch == 0 && batch >= after;
}
