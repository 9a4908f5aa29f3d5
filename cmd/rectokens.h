/*
 * rectokens.h - record --tokens utf8|words and --token-ids: the corpus as
 * other tokens than bytes (libcore/tokens.h, docs/FORMAT.md "Tokens").
 * --tokens bytes (the default) takes none of this: its runs are the ones
 * rnnbow always wrote, byte for byte.
 */
#ifndef RNNBOW_RECTOKENS_H
#define RNNBOW_RECTOKENS_H

#include "../formats/corpus.h"
#include "../libcore/tokens.h"

struct rectokens {
	const char *kind_name;      /* --tokens */
	const char *token_ids;      /* --token-ids FILE.h5:/PATH */
	const char *token_vocab;    /* --token-vocab FILE */
	int64_t vocab_size;         /* --vocab-size (words) */
	int vocab_size_seen;
	enum token_kind kind;
	struct token_vocab tv;      /* other kinds: the vocabulary */
	size_t count;               /* the corpus' tokens */
};

/* Refuses (usage error, exit 2) what does not go together: an unknown
 * kind, --vocab-size other than words or below 2, --token-vocab without
 * --token-ids, --token-ids with corpus files, another --tokens or --valid
 * FILE. */
void rectokens_check(struct rectokens *rt, const char *usage, int npaths, int valid_file);

/* Tokenizes the corpus c (loaded; empty with --token-ids) into *ids (to
 * free) and rt->tv, and puts the run's identity into sha (tokenio.h's
 * tokens_identity). Checks the corpus has the tokens --seq-len and
 * --batch-size need. Returns 0, or -1 after one message. */
int rectokens_prepare(struct rectokens *rt, struct corpus *c, int32_t **ids, char sha[65],
		      int64_t seq_len, int64_t batch_size);

void rectokens_free(struct rectokens *rt);

#endif
