/*
 * ablatetok.c - the token ids rnnbow ablate scores in a run of other
 * tokens than bytes (see ablatetok.h).
 */
#include "ablatetok.h"
#include "commands.h"
#include "../formats/corpus.h"
#include "../formats/msg.h"
#include "../formats/sha256.h"
#include "../formats/tokenio.h"

#include <stdlib.h>
#include <string.h>

/* The ids of a loaded text, with the run's vocabulary. */
static int tokenize(int32_t **ids, size_t *len, const struct corpus *c,
		    const struct token_vocab *tv, const char *what)
{
	size_t bad = 0;
	int64_t count = tokens_count(tv->kind, c->data, c->len, &bad);
	if (count < 0)
		return error("%s: byte %zu (0x%02x) is not valid UTF-8", what, bad, c->data[bad]);
	if (!(*ids = malloc(((size_t)count ? (size_t)count : 1) * sizeof(int32_t))))
		return error("out of memory for %s's %lld tokens", what, (long long)count);
	*len = tokens_encode(tv, *ids, c->data, c->len);
	for (size_t i = 0; i < *len; i++)
		if ((*ids)[i] < 0)
			return error("%s: its code point %zu (from 0) is not one of the run's %d",
				     what, i, tv->V);
	return 0;
}

/* The corpus of a --valid-share run, as ids, if it is the one recorded:
 * its identity (tokens_identity of its content) is the run's. */
static int corpus_ids(int32_t **ids, size_t *len, const struct run_summary *s,
		      const struct token_vocab *tv, const char *file)
{
	struct corpus c = { 0 };
	struct token_vocab own = { 0 };
	char content[65] = "", sha[65] = "";
	char *paths[1] = { (char *)s->corpus_name };
	int rc = -1;
	if (tv->kind == TOKENS_IDS) {
		/* the ids' vocabulary is the run's; a file's is only checked */
		rc = token_ids_load(s->corpus_name, NULL, ids, len, &own, content);
		tokens_free(&own);
	} else {
		rc = !strcmp(s->corpus_name, DEFAULT_CORPUS_NAME) ?
		     corpus_from_memory(&c, rnnbow_default_corpus, rnnbow_default_corpus_len,
					DEFAULT_CORPUS_NAME) :
		     strchr(s->corpus_name, ' ') || !strcmp(s->corpus_name, "-") ? -1 :
		     corpus_load(&c, paths, 1, CORPUS_MAX_DEFAULT);
		if (rc == 0) {
			sha256_hex(content, c.data, c.len);
			rc = tokenize(ids, len, &c, tv, s->corpus_name);
			corpus_free(&c);
		}
	}
	if (rc == 0 && tokens_identity(sha, tv, content) < 0)
		rc = -1;
	if (rc == 0 && !strcmp(sha, s->corpus_sha256) && (int64_t)*len >= s->valid_bytes)
		return 0;
	return error("%s: cannot read its corpus %s as it was (its held-out text is the "
		     "corpus' last %lld tokens): give --text FILE", file, s->corpus_name,
		     (long long)s->valid_bytes);
}

int ablate_token_ids(int32_t **ids, size_t *len, const char *text, const struct run_summary *s,
		     const struct token_vocab *tv, const char *file)
{
	struct corpus c = { 0 };
	char *paths[1];
	*ids = NULL;
	*len = 0;
	if (text && tv->kind == TOKENS_IDS)
		return error("%s: a run of token ids: --text is text, it has no ids to score (ablate "
			     "scores its held-out ids)", file);
	if (!text && s->valid_every <= 0)
		return error("%s: the run has no held-out text (record --valid, --valid-share): give "
			     "--text FILE", file);
	if (text || strncmp(s->valid_source, "last ", 5)) { /* --text, --valid FILE */
		paths[0] = (char *)(text ? text : s->valid_source);
		if (corpus_load(&c, paths, 1, CORPUS_MAX_DEFAULT) < 0)
			return -1;
		int rc = tokenize(ids, len, &c, tv, paths[0]);
		corpus_free(&c);
		if (rc == 0 && !text && (int64_t)*len != s->valid_bytes)
			rc = error("%s: its held-out text %s has %zu tokens now, %lld when recorded: "
				   "give --text FILE", file, s->valid_source, *len,
				   (long long)s->valid_bytes);
		return rc;
	}
	if (corpus_ids(ids, len, s, tv, file) < 0)
		return -1;
	/* --valid-share: the last valid_bytes tokens (recvalid.c) */
	size_t tail = (size_t)s->valid_bytes;
	memmove(*ids, *ids + (*len - tail), tail * sizeof(int32_t));
	*len = tail;
	return 0;
}
