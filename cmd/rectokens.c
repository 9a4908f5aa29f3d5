/*
 * rectokens.c - the corpus as utf8 code points, words or given ids for
 * record (see rectokens.h).
 */
#include "rectokens.h"
#include "opts.h"
#include "../formats/msg.h"
#include "../formats/sha256.h"
#include "../formats/tokenio.h"
#include "../libcore/train.h"

#include <stdlib.h>
#include <string.h>

void rectokens_check(struct rectokens *rt, const char *usage, int npaths, int valid_file)
{
	if (tokens_kind_parse(rt->kind_name, &rt->kind) < 0 || rt->kind == TOKENS_IDS)
		usage_error(usage, "--tokens: expected bytes, utf8 or words, got '%s' (given ids "
			    "come with --token-ids FILE.h5:/PATH)", rt->kind_name);
	if (rt->vocab_size_seen && rt->kind != TOKENS_WORDS)
		usage_error(usage, "--vocab-size goes with --tokens words");
	if (rt->vocab_size_seen && rt->vocab_size < 2)
		usage_error(usage, "--vocab-size %lld: must be at least 2 (<unk> and a word)",
			    (long long)rt->vocab_size);
	if (rt->token_vocab && !rt->token_ids)
		usage_error(usage, "--token-vocab goes with --token-ids FILE.h5:/PATH");
	if (!rt->token_ids)
		return;
	if (rt->kind != TOKENS_BYTES)
		usage_error(usage, "--token-ids and --tokens %s: the ids are the tokens already",
			    rt->kind_name);
	if (npaths)
		usage_error(usage, "--token-ids is the corpus: give no corpus files with it");
	if (valid_file)
		usage_error(usage, "--valid FILE is text and --token-ids gives ids: hold out the "
			    "ids' tail with --valid-share X");
	rt->kind = TOKENS_IDS;
}

/* utf8 or words: the vocabulary and ids of c's text. */
static int tokenize_text(struct rectokens *rt, const struct corpus *c, int32_t **ids,
			 char content[65])
{
	size_t bad = 0;
	int64_t count = tokens_count(rt->kind, c->data, c->len, &bad);
	if (count < 0)
		return error("%s: byte %zu (0x%02x) is not valid UTF-8 (--tokens utf8 reads "
			     "UTF-8 text)", c->name, bad, c->data[bad]);
	if (tokens_build(&rt->tv, rt->kind, c->data, c->len, (int)rt->vocab_size) < 0 ||
	    !(*ids = malloc(((size_t)count ? (size_t)count : 1) * sizeof(int32_t))))
		return error("out of memory for a corpus of %lld tokens", (long long)count);
	rt->count = tokens_encode(&rt->tv, *ids, c->data, c->len);
	sha256_hex(content, c->data, c->len);
	return 0;
}

int rectokens_prepare(struct rectokens *rt, struct corpus *c, int32_t **ids, char sha[65],
		      int64_t seq_len, int64_t batch_size)
{
	char content[65];
	const char *what = tokens_kind_name(rt->kind);
	*ids = NULL;
	if (rt->kind == TOKENS_IDS) {
		if (token_ids_load(rt->token_ids, rt->token_vocab, ids, &rt->count, &rt->tv,
				   content) < 0)
			return -1;
		free(c->name);
		if (!(c->name = strdup(rt->token_ids)))
			return error("out of memory");
		c->len = rt->count * sizeof(int32_t); /* the bytes content digests */
		what = "ids";
	} else if (tokenize_text(rt, c, ids, content) < 0) {
		return -1;
	}
	const char *unit = rt->kind == TOKENS_WORDS ? "words" : rt->kind == TOKENS_UTF8 ?
			   "code points" : what;
	if (rt->count < (size_t)seq_len + 1)
		return error("%s: corpus has %zu %s; --seq-len %lld needs at least %lld", c->name,
			     rt->count, unit, (long long)seq_len, (long long)seq_len + 1);
	if (!trainer_fits(rt->count, (int)seq_len, (int)batch_size))
		return error("%s: corpus has %zu %s; --batch-size %lld sequences of --seq-len "
			     "%lld need at least %lld", c->name, rt->count, unit,
			     (long long)batch_size, (long long)seq_len,
			     (long long)batch_size * (seq_len + 1));
	return tokens_identity(sha, &rt->tv, content);
}

void rectokens_free(struct rectokens *rt)
{
	tokens_free(&rt->tv);
}
