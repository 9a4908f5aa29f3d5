/*
 * recsample.c - the samples of record --sample-every (see recsample.h).
 */
#include "recsample.h"
#include "../formats/msg.h"
#include "../libcore/rng.h"

#include <stdlib.h>
#include <string.h>

int recsample_init(struct recsample *rs, const struct model *m, int64_t every, int64_t len,
		   uint64_t seed, const uint8_t *vocab)
{
	memset(rs, 0, sizeof(*rs));
	if (every <= 0)
		return 0;
	rs->every = every;
	rs->len = len;
	rs->seed = seed;
	rs->vocab = vocab;
	rs->ids = malloc((size_t)len * sizeof(int32_t));
	rs->text = malloc((size_t)len);
	if (!rs->ids || !rs->text || sampler_init(&rs->s, m) < 0) {
		free(rs->ids);
		free(rs->text);
		memset(rs, 0, sizeof(*rs));
		return error("out of memory for samples of %lld bytes", (long long)len);
	}
	return 0;
}

void recsample_free(struct recsample *rs)
{
	if (!rs->every)
		return;
	sampler_free(&rs->s);
	free(rs->ids);
	free(rs->text);
	memset(rs, 0, sizeof(*rs));
}

int recsample_take(struct recsample *rs, const struct model *m, int64_t batch,
		   struct runqueue *q)
{
	struct rng r;
	if (!rs->every || batch % rs->every)
		return 0;
	rng_seed(&r, sample_seed(rs->seed, batch));
	sample_generate(&rs->s, m, NULL, 0, 1.0, &r, rs->ids, (int)rs->len);
	for (int64_t i = 0; i < rs->len; i++)
		rs->text[i] = rs->vocab[rs->ids[i]];
	return runqueue_push_sample(q, batch, rs->text, (size_t)rs->len);
}
