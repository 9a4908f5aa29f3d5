/*
 * tokens.c - token vocabularies and tokenizers (see tokens.h). Lookups go
 * through one open-addressing table of FNV-1a hashes of the texts; words
 * are counted in a second such table over spans of the corpus itself (no
 * copies), then ranked by a sort.
 */
#include "tokens.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "bytes", "utf8", "words", "ids" };

const char *tokens_kind_name(enum token_kind k)
{
	return kind_names[k];
}

int tokens_kind_parse(const char *s, enum token_kind *k)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, kind_names[i])) {
			*k = (enum token_kind)i;
			return 0;
		}
	return -1;
}

static uint64_t fnv1a(const uint8_t *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

/* A power of two at least twice n: the table stays at most half full. */
static size_t table_size(size_t n)
{
	size_t s = 16;
	while (s < 2 * n)
		s *= 2;
	return s;
}

void tokens_free(struct token_vocab *tv)
{
	if (tv->text)
		for (int i = 0; i < tv->V; i++)
			free(tv->text[i]);
	free(tv->text);
	free(tv->len);
	free(tv->slot);
	memset(tv, 0, sizeof(*tv));
}

int tokens_set(struct token_vocab *tv, enum token_kind kind, int V, char *const *text,
	       const uint32_t *len)
{
	memset(tv, 0, sizeof(*tv));
	tv->kind = kind;
	tv->text = calloc((size_t)V, sizeof(char *));
	tv->len = malloc((size_t)V * sizeof(uint32_t));
	tv->nslot = table_size((size_t)V);
	tv->slot = malloc(tv->nslot * sizeof(int32_t));
	if (!tv->text || !tv->len || !tv->slot)
		goto fail;
	tv->V = V;
	memset(tv->slot, 0xff, tv->nslot * sizeof(int32_t));
	for (int i = 0; i < V; i++) {
		if (!(tv->text[i] = malloc((size_t)len[i] + 1)))
			goto fail;
		memcpy(tv->text[i], text[i], len[i]);
		tv->text[i][len[i]] = '\0';
		tv->len[i] = len[i];
		if (tokens_lookup(tv, text[i], len[i]) >= 0)
			continue; /* a repeated line: the first id keeps the text */
		size_t s = fnv1a((const uint8_t *)text[i], len[i]) & (tv->nslot - 1);
		while (tv->slot[s] >= 0)
			s = (s + 1) & (tv->nslot - 1);
		tv->slot[s] = i;
	}
	return 0;
fail:
	tokens_free(tv);
	return -1;
}

int tokens_from_bytes(struct token_vocab *tv, const uint8_t *bytes, int V)
{
	char *text[256];
	char buf[256];
	uint32_t len[256];
	for (int i = 0; i < V && i < 256; i++) {
		buf[i] = (char)bytes[i];
		text[i] = buf + i;
		len[i] = 1;
	}
	return tokens_set(tv, TOKENS_BYTES, V < 256 ? V : 256, text, len);
}

int32_t tokens_lookup(const struct token_vocab *tv, const char *s, size_t len)
{
	if (!tv->nslot)
		return -1;
	for (size_t i = fnv1a((const uint8_t *)s, len) & (tv->nslot - 1);; i = (i + 1) & (tv->nslot - 1)) {
		int32_t id = tv->slot[i];
		if (id < 0)
			return -1;
		if (tv->len[id] == len && !memcmp(tv->text[id], s, len))
			return id;
	}
}

const char *tokens_sep(const struct token_vocab *tv)
{
	return tv->kind == TOKENS_WORDS || tv->kind == TOKENS_IDS ? " " : "";
}

/* The length of the valid UTF-8 sequence at p (left bytes), 0 if none
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static int utf8_len(const uint8_t *p, size_t left)
{
	uint32_t c = p[0], cp;
	int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		(c & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || (size_t)n > left)
		return 0;
	if (n == 1)
		return 1;
	cp = c & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The next word of data[*at..len): its start and length (0: no more). */
static size_t next_word(const uint8_t *data, size_t len, size_t *at, size_t *start)
{
	size_t i = *at;
	while (i < len && is_space(data[i]))
		i++;
	*start = i;
	while (i < len && !is_space(data[i]))
		i++;
	*at = i;
	return i - *start;
}

int64_t tokens_count(enum token_kind kind, const uint8_t *data, size_t len, size_t *bad)
{
	int64_t count = 0;
	size_t at = 0, start;
	if (kind == TOKENS_WORDS) {
		while (next_word(data, len, &at, &start))
			count++;
		return count;
	}
	for (size_t i = 0; i < len; count++) {
		int n = utf8_len(data + i, len - i);
		if (!n) {
			*bad = i;
			return -1;
		}
		i += (size_t)n;
	}
	return count;
}

/* utf8: the distinct code points in ascending order (the byte vocabulary's
 * rule): UTF-8's byte order is code point order, so texts sort as bytes. */
static int build_utf8(struct token_vocab *tv, const uint8_t *data, size_t len)
{
	uint8_t *seen = calloc(0x110000 / 8, 1);
	char (*buf)[4] = NULL;
	char **text = NULL;
	uint32_t *tlen = NULL;
	int V = 0, rc = -1;
	if (!seen)
		return -1;
	for (size_t i = 0; i < len;) {
		int n = utf8_len(data + i, len - i);
		uint32_t cp = n == 1 ? data[i] : data[i] & (0x7f >> n);
		for (int k = 1; k < n; k++)
			cp = cp << 6 | (data[i + k] & 0x3f);
		V += !(seen[cp >> 3] & (1 << (cp & 7)));
		seen[cp >> 3] |= (uint8_t)(1 << (cp & 7));
		i += (size_t)(n ? n : 1);
	}
	buf = malloc((size_t)V * 4);
	text = malloc((size_t)V * sizeof(char *));
	tlen = malloc((size_t)V * sizeof(uint32_t));
	if (!buf || !text || !tlen)
		goto out;
	int id = 0;
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		if (!(seen[cp >> 3] & (1 << (cp & 7))))
			continue;
		uint8_t *b = (uint8_t *)buf[id];
		if (cp < 0x80) {
			b[0] = (uint8_t)cp;
			tlen[id] = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | cp >> 6);
			b[1] = (uint8_t)(0x80 | (cp & 0x3f));
			tlen[id] = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | cp >> 12);
			b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f));
			tlen[id] = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | cp >> 18);
			b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
			b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			tlen[id] = 4;
		}
		text[id] = buf[id];
		id++;
	}
	rc = tokens_set(tv, TOKENS_UTF8, V, text, tlen);
out:
	free(seen);
	free(buf);
	free(text);
	free(tlen);
	return rc;
}

/* A distinct word of the corpus: where it first occurs, how often. */
struct word {
	size_t first;
	uint32_t len;
	int64_t count;
};

/* More frequent first; ties: the one that occurs first. */
static int by_rank(const void *a, const void *b)
{
	const struct word *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Counts the distinct words of data into *words (*n of them). */
static int count_words(const uint8_t *data, size_t len, struct word **words, size_t *n)
{
	size_t nslot = 1 << 16, at = 0, start, wl;
	struct word *w = malloc(nslot * sizeof(*w));
	if (!w)
		return -1;
	for (size_t i = 0; i < nslot; i++)
		w[i].count = 0;
	*n = 0;
	while ((wl = next_word(data, len, &at, &start))) {
		if (wl == sizeof(TOKENS_UNK) - 1 && !memcmp(data + start, TOKENS_UNK, wl))
			continue; /* the corpus' own <unk> is id 0 */
		size_t s = fnv1a(data + start, wl) & (nslot - 1);
		while (w[s].count && !(w[s].len == wl && !memcmp(data + w[s].first, data + start, wl)))
			s = (s + 1) & (nslot - 1);
		if (!w[s].count) {
			w[s] = (struct word){ .first = start, .len = (uint32_t)wl };
			(*n)++;
		}
		w[s].count++;
		if (2 * *n < nslot)
			continue;
		/* half full: double the table, rehashing every word */
		struct word *big = malloc(2 * nslot * sizeof(*w));
		if (!big) {
			free(w);
			return -1;
		}
		for (size_t i = 0; i < 2 * nslot; i++)
			big[i].count = 0;
		for (size_t i = 0; i < nslot; i++) {
			if (!w[i].count)
				continue;
			size_t t = fnv1a(data + w[i].first, w[i].len) & (2 * nslot - 1);
			while (big[t].count)
				t = (t + 1) & (2 * nslot - 1);
			big[t] = w[i];
		}
		free(w);
		w = big;
		nslot *= 2;
	}
	size_t k = 0; /* pack the used slots to the front */
	for (size_t i = 0; i < nslot; i++)
		if (w[i].count)
			w[k++] = w[i];
	*words = w;
	return 0;
}

static int build_words(struct token_vocab *tv, const uint8_t *data, size_t len, int max_v)
{
	struct word *w;
	size_t n;
	if (count_words(data, len, &w, &n) < 0)
		return -1;
	qsort(w, n, sizeof(*w), by_rank);
	size_t V = n + 1 < (size_t)max_v ? n + 1 : (size_t)max_v;
	char **text = malloc(V * sizeof(char *));
	uint32_t *tlen = malloc(V * sizeof(uint32_t));
	int rc = -1;
	if (text && tlen) {
		text[0] = (char *)TOKENS_UNK;
		tlen[0] = sizeof(TOKENS_UNK) - 1;
		for (size_t i = 1; i < V; i++) {
			text[i] = (char *)data + w[i - 1].first;
			tlen[i] = w[i - 1].len;
		}
		rc = tokens_set(tv, TOKENS_WORDS, (int)V, text, tlen);
	}
	free(text);
	free(tlen);
	free(w);
	return rc;
}

int tokens_build(struct token_vocab *tv, enum token_kind kind, const uint8_t *data, size_t len,
		 int max_v)
{
	return kind == TOKENS_WORDS ? build_words(tv, data, len, max_v) : build_utf8(tv, data, len);
}

size_t tokens_encode(const struct token_vocab *tv, int32_t *ids, const uint8_t *data, size_t len)
{
	size_t k = 0, at = 0, start, wl;
	if (tv->kind == TOKENS_WORDS) {
		while ((wl = next_word(data, len, &at, &start))) {
			int32_t id = tokens_lookup(tv, (const char *)data + start, wl);
			ids[k++] = id < 0 ? 0 : id;
		}
		return k;
	}
	for (size_t i = 0; i < len; k++) {
		int n = utf8_len(data + i, len - i);
		n = n ? n : 1;
		ids[k] = tokens_lookup(tv, (const char *)data + i, (size_t)n);
		i += (size_t)n;
	}
	return k;
}

size_t tokens_join(const struct token_vocab *tv, char *out, const int32_t *ids, size_t n)
{
	const char *sep = tokens_sep(tv);
	size_t k = 0, seplen = strlen(sep);
	for (size_t i = 0; i < n; i++) {
		const char *s = "?";
		size_t l = 1;
		if (ids[i] >= 0 && ids[i] < tv->V) {
			s = tv->text[ids[i]];
			l = tv->len[ids[i]];
		}
		if (i && seplen) {
			if (out)
				memcpy(out + k, sep, seplen);
			k += seplen;
		}
		if (out)
			memcpy(out + k, s, l);
		k += l;
	}
	return k;
}
