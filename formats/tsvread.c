/*
 * tsvread.c - reading back a TSV table (see tsvread.h).
 */
#include "tsvread.h"

#include <string.h>

/* The next line of the text, cut at its newline (and a CR before it, as a
 * table saved on another system has); NULL at the end. Counts lines. */
static char *next_line(struct tsvread *t)
{
	while (t->next && *t->next) {
		char *line = t->next, *nl = strchr(line, '\n');
		t->next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		t->lineno++;
		if (len) /* blank lines are skipped, but counted */
			return line;
	}
	return NULL;
}

/* Splits line at each tab into t->cells: an empty cell is a cell. */
static void split(struct tsvread *t, char *line)
{
	t->nc = 0;
	memset(t->cells, 0, sizeof(t->cells));
	for (char *c = line; c; t->nc++) {
		char *tab = strchr(c, '\t');
		if (tab)
			*tab = '\0';
		if (t->nc < TSV_MAX_CELLS)
			t->cells[t->nc] = c;
		c = tab ? tab + 1 : NULL;
	}
}

int tsvread_header(struct tsvread *t, char *text, const char *const *wanted, int *cols,
		   int count)
{
	memset(t, 0, sizeof(*t));
	t->next = text;
	for (int k = 0; k < count; k++)
		cols[k] = -1;
	char *line = next_line(t);
	if (!line)
		return -1;
	split(t, line);
	t->ncol = t->nc;
	for (int i = 0; i < t->nc && i < TSV_MAX_CELLS; i++)
		for (int k = 0; k < count; k++)
			if (!strcmp(t->cells[i], wanted[k]))
				cols[k] = i;
	return 0;
}

int tsvread_row(struct tsvread *t)
{
	char *line = next_line(t);
	if (!line)
		return 0;
	split(t, line);
	return 1;
}
