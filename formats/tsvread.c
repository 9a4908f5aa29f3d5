/*
 * tsvread.c - reading back a TSV table (see tsvread.h).
 */
#include "tsvread.h"

#include <string.h>

int tsvread_header(struct tsvread *t, char *text, const char *const *wanted, int *cols,
		   int count)
{
	memset(t, 0, sizeof(*t));
	for (int k = 0; k < count; k++)
		cols[k] = -1;
	char *line = strtok_r(text, "\n", &t->save);
	if (!line)
		return -1;
	t->lineno = 1;
	for (char *s2 = NULL, *name = strtok_r(line, "\t", &s2); name;
	     name = strtok_r(NULL, "\t", &s2), t->ncol++)
		for (int k = 0; k < count; k++)
			if (!strcmp(name, wanted[k]))
				cols[k] = t->ncol;
	return 0;
}

int tsvread_row(struct tsvread *t)
{
	char *line = strtok_r(NULL, "\n", &t->save), *s2 = NULL;
	if (!line)
		return 0;
	t->lineno++;
	t->nc = 0;
	memset(t->cells, 0, sizeof(t->cells));
	for (char *c = strtok_r(line, "\t", &s2); c && t->nc < TSV_MAX_CELLS;
	     c = strtok_r(NULL, "\t", &s2))
		t->cells[t->nc++] = c;
	return 1;
}
