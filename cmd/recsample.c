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

/* Other tokens: their text into the fixed row of len bytes (recsample.h). */
static int join_tokens(struct recsample *rs)
{
	size_t n = (size_t)rs->len, all = tokens_join(rs->tv, NULL, rs->ids, n);
	char *buf = malloc(all + 1);
	if (!buf)
		return error("out of memory for a sample");
	tokens_join(rs->tv, buf, rs->ids, n);
	size_t keep = all < n ? all : n;
	/* cut at a character's first byte, not inside a UTF-8 sequence */
	while (keep < all && keep > 0 && ((uint8_t)buf[keep] & 0xc0) == 0x80)
		keep--;
	memcpy(rs->text, buf, keep);
	memset(rs->text + keep, ' ', n - keep);
	free(buf);
	return 0;
}

int recsample_take(struct recsample *rs, const struct model *m, int64_t batch,
		   struct runqueue *q)
{
	struct rng r;
	if (!rs->every || batch % rs->every)
		return 0;
	rng_seed(&r, sample_seed(rs->seed, batch));
	sample_generate(&rs->s, m, NULL, 0, 1.0, &r, rs->ids, (int)rs->len);
	if (rs->tv) {
		if (join_tokens(rs) < 0)
			return -1;
	} else {
		for (int64_t i = 0; i < rs->len; i++)
			rs->text[i] = rs->vocab[rs->ids[i]];
	}
	return runqueue_push_sample(q, batch, rs->text, (size_t)rs->len);
}
