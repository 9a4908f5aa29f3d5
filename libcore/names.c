/*
 * names.c - enum <-> name tables (see names.h).
 */
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *names_get(const struct names *t, int v)
{
	return v >= 0 && v < t->count ? t->name[v] : "?";
}

int names_find(const struct names *t, const char *s)
{
	for (int v = 0; v < t->count; v++)
		if (!strcmp(s, t->name[v]))
			return v;
	return -1;
}

const char *names_list(const struct names *t, char *buf, size_t len)
{
	size_t used = 0;
	if (!len)
		return buf;
	buf[0] = '\0';
	for (int v = 0; v < t->count && used < len; v++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 v == 0 ? "" : v == t->count - 1 ? " or " : ", ", t->name[v]);
	return buf;
}

int names_in_list(const char *list, const char *want, int *count)
{
	int found = -1, i = 0;
	size_t len = strlen(want);
	for (const char *p = list; *p; i++) {
		size_t w = strcspn(p, ",");
		if (w == len && !strncmp(p, want, len) && found < 0)
			found = i;
		p += w + (p[w] == ',');
	}
	*count = i;
	char *end;
	long v = strtol(want, &end, 10);
	if (found < 0 && *want && !*end && v >= 0 && v < i)
		found = (int)v;
	return found;
}
