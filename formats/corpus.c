/*
 * corpus.c - the corpus in memory (see corpus.h). The workload: one file
 * of up to a few GB, scanned three times at start (vocabulary, token ids,
 * SHA-256) and never again; or a stream whose length nobody knows.
 */
#include "corpus.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* "4G", "1M", "512K" or "1000" for a limit in messages. */
static const char *size_text(char buf[32], size_t bytes)
{
	static const char units[] = "TGMK";
	for (int i = 0; i < 4; i++) {
		size_t unit = (size_t)1 << (10 * (4 - i));
		if (bytes % unit == 0) {
			snprintf(buf, 32, "%zu%c", bytes / unit, units[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%zu", bytes);
	return buf;
}

static int too_large(const char *path, size_t max)
{
	char buf[32];
	return error("%s: corpus larger than --max-corpus %s", path, size_text(buf, max));
}

int corpus_parse_size(const char *s, size_t *bytes)
{
	char *end;
	int shift = 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (errno || *end || v == 0 || v > (~(unsigned long long)0 >> 20) >> shift)
		return -1;
	*bytes = (size_t)(v << shift);
	return 0;
}

/* Appends the stream f to c->data, growing it (to at most max + 1 bytes:
 * one more than allowed tells that the stream is too long). Returns 0, 1
 * when the stream goes past max, -1 on a read error (errno set). */
static int read_stream(struct corpus *c, FILE *f, size_t *cap, size_t max)
{
	for (;;) {
		if (c->len == *cap) {
			if (*cap > max)
				return 1;
			size_t ncap = *cap < ((size_t)1 << 20) ? (size_t)1 << 20 : *cap * 2;
			if (ncap > max + 1 || ncap < *cap)
				ncap = max + 1;
			uint8_t *p = realloc(c->data, ncap);
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			c->data = p;
			*cap = ncap;
		}
		size_t got = fread(c->data + c->len, 1, *cap - c->len, f);
		c->len += got;
		if (got == 0)
			return ferror(f) ? -1 : 0;
	}
}

/* Makes room for `more` bytes and one beyond (fread then sees the end
 * without growing the buffer). Returns 0 or -1 (errno set). */
static int reserve(struct corpus *c, size_t *cap, size_t more)
{
	if (*cap - c->len > more)
		return 0;
	uint8_t *p = realloc(c->data, c->len + more + 1);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	c->data = p;
	*cap = c->len + more + 1;
	return 0;
}

/* Maps the one regular file fd (size bytes) read-only. Returns 0, or -1
 * when it cannot be mapped (the caller then reads it). */
static int map_file(struct corpus *c, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	c->data = p;
	c->len = c->mapped = size;
	return 0;
}

/* Adds one path (or stdin for "-") to the corpus. Returns 0, or -1 after
 * a message. */
static int load_one(struct corpus *c, const char *p, int only, size_t *cap, size_t max)
{
	int is_stdin = !strcmp(p, "-"), rc = 0;
	struct stat st;
	FILE *f = is_stdin ? stdin : fopen(p, "rb");
	const char *name = is_stdin ? "stdin" : p;
	if (!f)
		return error("%s: %s", name, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		rc = error("%s: %s", name, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = error("%s: is a directory, not a corpus file", p);
		goto out;
	}
	/* a regular file tells its size: refuse it before reading a byte. (A
	 * size of 0 can hide content, as in /proc: read it as a stream.) */
	off_t pos = S_ISREG(st.st_mode) ? lseek(fileno(f), 0, SEEK_CUR) : -1;
	if (pos >= 0 && st.st_size > pos) {
		size_t size = (size_t)(st.st_size - pos); /* stdin may be read in part */
		if ((uint64_t)size > max || c->len > max - size) {
			rc = too_large(name, max);
			goto out;
		}
		if (only && pos == 0 && map_file(c, fileno(f), size) == 0)
			goto out;
		if (reserve(c, cap, size) < 0) {
			rc = error("%s: %s", name, strerror(errno));
			goto out;
		}
	}
	switch (read_stream(c, f, cap, max)) {
	case 1:
		rc = too_large(name, max);
		break;
	case -1:
		rc = error("%s: %s", name, strerror(errno));
		break;
	}
out:
	if (!is_stdin)
		fclose(f);
	return rc;
}

int corpus_load(struct corpus *c, char *const *paths, int npaths, size_t max)
{
	size_t cap = 0, namelen = 1;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < npaths; i++)
		namelen += strlen(paths[i]) + 1;
	c->name = calloc(namelen, 1);
	if (!c->name)
		return error("out of memory");
	for (int i = 0; i < npaths; i++) {
		if (load_one(c, paths[i], npaths == 1, &cap, max) < 0) {
			corpus_free(c);
			return -1;
		}
		if (i)
			strcat(c->name, " ");
		strcat(c->name, paths[i]);
	}
	return 0;
}

int corpus_from_memory(struct corpus *c, const uint8_t *data, size_t len, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->data = malloc(len ? len : 1);
	c->name = strdup(name);
	if (!c->data || !c->name) {
		corpus_free(c);
		return error("out of memory");
	}
	memcpy(c->data, data, len);
	c->len = len;
	return 0;
}

void corpus_free(struct corpus *c)
{
	if (c->mapped)
		munmap(c->data, c->mapped);
	else
		free(c->data);
	free(c->name);
	memset(c, 0, sizeof(*c));
}
