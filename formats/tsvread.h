/*
 * tsvread.h - reading back a TSV table of ours (table.h writes them): a
 * header line of column names, then one row per line, cells split at tabs.
 * The text is held in memory whole (a table piped in is small: rnnbow
 * horizon's is one line per lag and run) and parsed in place, like
 * strtok_r: empty lines and empty cells are skipped, not counted.
 */
#ifndef RNNBOW_TSVREAD_H
#define RNNBOW_TSVREAD_H

#define TSV_MAX_CELLS 64 /* cells kept of a row; more are dropped */

struct tsvread {
	char *save;                       /* strtok_r's place in the text */
	int ncol;                         /* names in the header line */
	int lineno;                       /* line of the row last read; 1: the header */
	int nc;                           /* cells in that row (at most TSV_MAX_CELLS) */
	char *cells[TSV_MAX_CELLS];       /* (nc) that row's cells, in the text */
};

/* Reads the header line of text (NUL-terminated, written into) and, for
 * each of the count names wanted, its column in cols (-1 when absent; the
 * last when a name repeats). Returns 0, or -1 when text has no line at
 * all (no message: the caller knows what it expected). */
int tsvread_header(struct tsvread *t, char *text, const char *const *wanted, int *cols,
		   int count);

/* Reads the next row into t->cells. Returns 1, or 0 at the end. */
int tsvread_row(struct tsvread *t);

#endif
