/*
 * corpus.h - the training text: files concatenated in order, or stdin for
 * "-". Batches walk it again and again, so it is all in memory, and it can
 * be large (hundreds of MB): one regular file is mapped, not copied;
 * several files are copied into one buffer (their sizes are known first);
 * a stream (stdin, a FIFO, a character device such as /dev/zero) is read
 * up to a limit, beyond which it is refused, so it cannot fill the memory.
 * A mapped corpus must not be truncated while it is read (SIGBUS).
 */
#ifndef RNNBOW_CORPUS_H
#define RNNBOW_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/* --max-corpus default: 4 GiB. */
#define CORPUS_MAX_DEFAULT ((size_t)4 << 30)

struct corpus {
	uint8_t *data;  /* (len) read-only when mapped */
	size_t len;
	size_t mapped;  /* data is an mmap of this many bytes (0: malloc'd) */
	char *name;     /* the paths as given, joined by spaces; "-" for stdin */
};

/* Reads (or maps) and concatenates paths[0..npaths), refusing a corpus of
 * more than max bytes before reading past it. Returns 0, or -1 after
 * printing "rnnbow CMD: PATH: why" (missing, unreadable, a directory,
 * "corpus larger than --max-corpus 4G"). An empty result is not an error
 * here: the caller knows its minimum length. */
int corpus_load(struct corpus *c, char *const *paths, int npaths, size_t max);

/* Parses a size: digits with an optional K, M, G or T (powers of 1024),
 * 1 byte at least. Returns 0, or -1 when s is not one. */
int corpus_parse_size(const char *s, size_t *bytes);

/* Copies a built-in text into c under the given name. Returns 0 or -1. */
int corpus_from_memory(struct corpus *c, const uint8_t *data, size_t len, const char *name);

void corpus_free(struct corpus *c);

#endif
