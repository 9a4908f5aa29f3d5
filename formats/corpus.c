/*
 * corpus.c - read corpus files and stdin into one buffer.
 */
#include "corpus.h"
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Appends the whole stream to c->data. Returns 0 or -1 (errno set). */
static int slurp(struct corpus *c, FILE *f, size_t *cap)
{
	for (;;) {
		if (*cap - c->len < 65536) {
			size_t ncap = *cap ? *cap * 2 : 1 << 20;
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

int corpus_load(struct corpus *c, char *const *paths, int npaths)
{
	size_t cap = 0, namelen = 1;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < npaths; i++)
		namelen += strlen(paths[i]) + 1;
	c->name = calloc(namelen, 1);
	if (!c->name)
		return error("out of memory");
	for (int i = 0; i < npaths; i++) {
		const char *p = paths[i];
		int is_stdin = !strcmp(p, "-");
		struct stat st;
		FILE *f = is_stdin ? stdin : fopen(p, "rb");
		if (!f)
			goto fail_errno;
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!is_stdin)
				fclose(f);
			corpus_free(c);
			return error("%s: is a directory, not a corpus file", p);
		}
		int rc = slurp(c, f, &cap);
		if (!is_stdin)
			fclose(f);
		if (rc)
			goto fail_errno;
		if (i)
			strcat(c->name, " ");
		strcat(c->name, p);
		continue;
fail_errno:
		rc = errno;
		corpus_free(c);
		return error("%s: %s", is_stdin ? "stdin" : p, strerror(rc));
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
	free(c->data);
	free(c->name);
	memset(c, 0, sizeof(*c));
}
