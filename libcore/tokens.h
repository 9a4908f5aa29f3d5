/*
 * tokens.h - what a token id stands for (record --tokens, --token-ids):
 * the vocabulary as text, one string per id, and the tokenizers that turn
 * a text into ids and ids back into text (docs/FORMAT.md, "Tokens").
 *
 *   bytes  the sorted distinct bytes (SPEC 1; libcore/vocab.h encodes them)
 *   utf8   the sorted distinct code points of a valid UTF-8 text
 *   words  runs of non-whitespace (ASCII space, \t \n \v \f \r separate):
 *          id 0 is "<unk>", then the V - 1 most frequent words, ties by
 *          first occurrence; a word outside them (and "<unk>" itself) is 0
 *   ids    given ids; the text of each is a vocabulary file's line, or
 *          the id in decimal
 *
 * Text rebuilt from ids joins words and ids with one space, code points
 * and bytes with nothing: whitespace between words is not kept.
 *
 * Workload: built once per run from a corpus of up to a few hundred MB
 * (one pass to count, one to encode), looked up once per token.
 */
#ifndef RNNBOW_TOKENS_H
#define RNNBOW_TOKENS_H

#include <stddef.h>
#include <stdint.h>

enum token_kind { TOKENS_BYTES, TOKENS_UTF8, TOKENS_WORDS, TOKENS_IDS };

#define TOKENS_UNK "<unk>"
/* the largest vocabulary of any kind (an id is an int32; W_ih has V rows) */
#define TOKENS_MAX_V (1 << 24)

struct token_vocab {
	enum token_kind kind;
	int V;
	char **text;      /* (V) each id's text, NUL-terminated (a byte may be NUL) */
	uint32_t *len;    /* (V) its length in bytes */
	int32_t *slot;    /* (nslot) text -> id, open addressing; -1: empty */
	size_t nslot;
};

const char *tokens_kind_name(enum token_kind k);
/* Returns 0, or -1 when s names no kind. */
int tokens_kind_parse(const char *s, enum token_kind *k);

/* Sets tv to V texts (copied). Returns 0, or -1 out of memory (tv empty). */
int tokens_set(struct token_vocab *tv, enum token_kind kind, int V, char *const *text,
	       const uint32_t *len);
/* The byte vocabulary's texts: one byte each. Returns 0 or -1 (memory). */
int tokens_from_bytes(struct token_vocab *tv, const uint8_t *bytes, int V);
void tokens_free(struct token_vocab *tv);

/* The id whose text is s[0..len), or -1. */
int32_t tokens_lookup(const struct token_vocab *tv, const char *s, size_t len);

/* The separator of rebuilt text: " " for words and ids, "" otherwise. */
const char *tokens_sep(const struct token_vocab *tv);

/* The code points (utf8) or words (words) of data[0..len). utf8: returns
 * -1 and the offset of the first byte that is not valid UTF-8 in *bad. */
int64_t tokens_count(enum token_kind kind, const uint8_t *data, size_t len, size_t *bad);

/* Builds the vocabulary of data: kind utf8 (the text must be valid:
 * tokens_count first) or words with at most max_v ids (2 or more).
 * Returns 0, or -1 out of memory. */
int tokens_build(struct token_vocab *tv, enum token_kind kind, const uint8_t *data, size_t len,
		 int max_v);

/* Writes the ids of data's tokens (tokens_count of them) into ids. A code
 * point the vocabulary lacks is -1 (the caller refuses it); a word it
 * lacks is 0, "<unk>". Returns the number written. */
size_t tokens_encode(const struct token_vocab *tv, int32_t *ids, const uint8_t *data, size_t len);

/* The text of ids[0..n) joined by tokens_sep into out (NULL: only count).
 * An id outside the vocabulary is "?". Returns the bytes (no NUL). */
size_t tokens_join(const struct token_vocab *tv, char *out, const int32_t *ids, size_t n);

#endif
