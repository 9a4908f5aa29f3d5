/*
 * tsvread.h - reading back a TSV table of ours (table.h writes them): a
 * header line of column names, then one row per line, cells split at tabs.
 * The text is held in memory whole (a table piped in is small: rnnbow
 * horizon's is one line per lag and run) and parsed in place. Blank lines
 * are skipped (but counted in lineno), a CR before a newline is dropped,
 * and an empty cell is a cell, so a row's columns never shift.
 */
#ifndef RNNBOW_TSVREAD_H
#define RNNBOW_TSVREAD_H

#define TSV_MAX_CELLS 64 /* cells kept of a row; more are counted in nc only */

struct tsvread {
	char *next;                       /* the text after the last line read */
	int ncol;                         /* names in the header line */
	int lineno;                       /* line of the row last read, from 1 */
	int nc;                           /* cells in that row, all counted */
	char *cells[TSV_MAX_CELLS];       /* the first TSV_MAX_CELLS of them, in the text */
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
