/*
 * table.h - tabular output for pipelines: TSV with a header line (default),
 * CSV (RFC 4180) or JSON lines (one object per row, keys = column names).
 * Cells are given in column order; the writer adds separators, quoting and
 * keys. Floats print with %.9g (float32 values round-trip exactly); NaN
 * and infinities as nan/inf in TSV and CSV, null in JSON.
 */
#ifndef RNNBOW_TABLE_H
#define RNNBOW_TABLE_H

#include <stdint.h>
#include <stdio.h>

enum table_format { TABLE_TSV, TABLE_CSV, TABLE_JSON };

struct table {
	FILE *out;
	enum table_format fmt;
	const char *const *names;
	int ncols;
	int col; /* next cell's column */
	int header_due; /* the header waits for the first cell or table_finish */
};

/* Returns 0 and sets *f for "tsv", "csv", "json"; -1 otherwise. */
int table_format_parse(const char *s, enum table_format *f);

/* Starts a table. The header line (TSV, CSV) is printed with the first
 * cell, or by table_finish for a table without rows, so a command that
 * fails before its first row prints nothing on stdout. */
void table_begin(struct table *t, FILE *out, enum table_format fmt,
		 const char *const *names, int ncols);
/* Prints the header if no row did. Call it when the table is complete. */
void table_finish(struct table *t);
void table_int(struct table *t, int64_t v);
void table_num(struct table *t, double v);
void table_str(struct table *t, const char *s);
/* Ends the row (all ncols cells must have been given). */
void table_end_row(struct table *t);

/* Escapes one byte so a TSV row stays one line: \n \t \r \\, \xHH outside
 * printable ASCII, the byte itself otherwise. buf holds at least 5 bytes. */
const char *escape_byte(char buf[5], uint8_t b);
/* A token's text s[0..len) escaped as escape_byte does, but bytes from
 * 0x80 on kept (UTF-8), into buf (cut to fit cap). Returns buf. */
const char *escape_text(char *buf, size_t cap, const char *s, size_t len);

#endif
