/*
 * recvalid.c - the held-out loss of record --valid / --valid-share (see
 * recvalid.h).
 */
#include "recvalid.h"
#include "../formats/checkpoint.h"
#include "../formats/corpus.h"
#include "../formats/msg.h"
#include "../formats/sha256.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokenizes the file with the run's vocabulary tv into rv->own. */
static int tokenize_file(struct recvalid *rv, const char *file, const struct token_vocab *tv,
			 size_t max_bytes)
{
	struct corpus c = { 0 };
	char *paths[1] = { (char *)file };
	size_t bad = 0;
	if (corpus_load(&c, paths, 1, max_bytes) < 0)
		return -1;
	int64_t count = tokens_count(tv->kind, c.data, c.len, &bad);
	int rc = -1;
	if (count < 0) {
		error("--valid %s: byte %zu (0x%02x) is not valid UTF-8", file, bad, c.data[bad]);
		goto out;
	}
	if (!(rv->own = malloc(((size_t)count ? (size_t)count : 1) * sizeof(int32_t)))) {
		error("out of memory for --valid %s", file);
		goto out;
	}
	rv->len = tokens_encode(tv, rv->own, c.data, c.len);
	for (size_t i = 0; i < rv->len; i++)
		if (rv->own[i] < 0) {
			error("--valid %s: its code point %zu (from 0) is not one of the corpus' %d; "
			      "the held-out text must use the corpus' code points only", file, i,
			      tv->V);
			goto out;
		}
	sha256_hex(rv->sha256, c.data, c.len);
	rv->ids = rv->own;
	snprintf(rv->source, sizeof(rv->source), "%s", file);
	rc = 0;
out:
	corpus_free(&c);
	return rc;
}

/* Encodes the file with the corpus' vocabulary into rv->own. */
static int encode_file(struct recvalid *rv, const char *file, const struct vocab *v,
		       size_t max_bytes)
{
	struct corpus c = { 0 };
	char *paths[1] = { (char *)file };
	if (corpus_load(&c, paths, 1, max_bytes) < 0)
		return -1;
	for (size_t i = 0; i < c.len; i++) {
		if (v->id_of[c.data[i]] < 0) {
			error("--valid %s: byte 0x%02x at offset %zu is not in the corpus' vocabulary "
			      "(%d bytes); the held-out text must use the corpus' bytes only", file,
			      c.data[i], i, v->size);
			corpus_free(&c);
			return -1;
		}
	}
	rv->own = malloc((c.len ? c.len : 1) * sizeof(int32_t));
	if (!rv->own) {
		corpus_free(&c);
		return error("out of memory for --valid %s", file);
	}
	vocab_encode(v, rv->own, c.data, c.len);
	sha256_hex(rv->sha256, c.data, c.len);
	rv->ids = rv->own;
	rv->len = c.len;
	snprintf(rv->source, sizeof(rv->source), "%s", file);
	corpus_free(&c);
	return 0;
}

int recvalid_prepare(struct recvalid *rv, int64_t every, const char *file, double share,
		     const uint8_t *corpus, const int32_t *ids, size_t *train_len,
		     const struct vocab *v, const struct token_vocab *tv, size_t max_bytes)
{
	memset(rv, 0, sizeof(*rv));
	if (every <= 0)
		return 0;
	rv->every = every;
	if (file) {
		if ((tv ? tokenize_file(rv, file, tv, max_bytes) : encode_file(rv, file, v, max_bytes)) < 0)
			return -1;
	} else if (!corpus) { /* other tokens: the ids are the text */
		size_t tail = (size_t)(share * (double)*train_len);
		rv->len = tail;
		rv->ids = ids + (*train_len - tail);
		sha256_hex(rv->sha256, (const uint8_t *)rv->ids, tail * sizeof(int32_t));
		snprintf(rv->source, sizeof(rv->source), "last %zu tokens of the corpus", tail);
		*train_len -= tail;
	} else {
		size_t tail = (size_t)(share * (double)*train_len);
		rv->len = tail;
		rv->ids = ids + (*train_len - tail);
		sha256_hex(rv->sha256, corpus + (*train_len - tail), tail);
		snprintf(rv->source, sizeof(rv->source), "last %zu bytes of the corpus", tail);
		*train_len -= tail;
	}
	if (rv->len < 2) {
		error("%s: the held-out text has %zu %s; it needs at least 2 (one step)",
		      file ? file : "--valid-share", rv->len, tv ? "tokens" : "bytes");
		return -1;
	}
	return 0;
}

int recvalid_start(struct recvalid *rv, const struct model *m, int64_t steps, int chunk)
{
	if (!rv->every)
		return 0;
	if (valid_init(&rv->ev, m, rv->ids, rv->len, steps, chunk) < 0)
		return error("out of memory for the held-out loss");
	return 0;
}

void recvalid_free(struct recvalid *rv)
{
	if (rv->every)
		valid_free(&rv->ev);
	free(rv->own);
	memset(rv, 0, sizeof(*rv));
}

int recvalid_take(struct recvalid *rv, const struct model *m, int64_t batch,
		  struct runqueue *q)
{
	if (!rv->every || batch % rv->every)
		return 0;
	double loss = valid_loss(&rv->ev, m);
	if (loss < 0)
		return error("out of memory for the held-out loss");
	return runqueue_push_valid(q, batch, (float)loss);
}

int64_t recvalid_default_steps(int64_t every, int n)
{
	return every > INT64_MAX / n ? 0 : every * n;
}

int recvalid_resume_steps(const char *run, int64_t *steps)
{
	struct run_fingerprint fp;
	int has = checkpoint_peek(run, &fp);
	if (has > 0 && fp.valid_every > 0)
		*steps = fp.valid_steps;
	return has < 0 ? -1 : 0;
}
