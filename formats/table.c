/*
 * table.c - TSV, CSV and JSON-lines writers (see table.h).
 */
#include "table.h"
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

int table_format_parse(const char *s, enum table_format *f)
{
	if (!strcmp(s, "tsv"))
		*f = TABLE_TSV;
	else if (!strcmp(s, "csv"))
		*f = TABLE_CSV;
	else if (!strcmp(s, "json"))
		*f = TABLE_JSON;
	else
		return -1;
	return 0;
}

static void csv_field(FILE *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void table_begin(struct table *t, FILE *out, enum table_format fmt,
		 const char *const *names, int ncols)
{
	t->out = out;
	t->fmt = fmt;
	t->names = names;
	t->ncols = ncols;
	t->col = 0;
	t->header_due = fmt != TABLE_JSON;
}

static void print_header(struct table *t)
{
	FILE *out = t->out;
	t->header_due = 0;
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			fputc(t->fmt == TABLE_CSV ? ',' : '\t', out);
		if (t->fmt == TABLE_CSV)
			csv_field(out, t->names[i]);
		else
			fputs(t->names[i], out);
	}
	fputc('\n', out);
}

void table_finish(struct table *t)
{
	if (t->header_due)
		print_header(t);
}

/* Separator, or the key of a JSON object, before a cell. */
static void cell_start(struct table *t)
{
	if (t->header_due)
		print_header(t);
	if (t->fmt == TABLE_JSON) {
		fputs(t->col ? "," : "{", t->out);
		json_string(t->out, t->names[t->col]);
		fputc(':', t->out);
	} else if (t->col) {
		fputc(t->fmt == TABLE_CSV ? ',' : '\t', t->out);
	}
	t->col++;
}

void table_int(struct table *t, int64_t v)
{
	cell_start(t);
	fprintf(t->out, "%lld", (long long)v);
}

void table_num(struct table *t, double v)
{
	cell_start(t);
	if (t->fmt == TABLE_JSON && !isfinite(v))
		fputs("null", t->out);
	else if (isnan(v))
		fputs("nan", t->out);
	else
		fprintf(t->out, "%.9g", v);
}

void table_str(struct table *t, const char *s)
{
	cell_start(t);
	if (t->fmt == TABLE_JSON)
		json_string(t->out, s);
	else if (t->fmt == TABLE_CSV)
		csv_field(t->out, s);
	else
		fputs(s, t->out);
}

void table_end_row(struct table *t)
{
	fputs(t->fmt == TABLE_JSON ? "}\n" : "\n", t->out);
	t->col = 0;
}

const char *escape_byte(char buf[5], uint8_t b)
{
	switch (b) {
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	case '\\': return "\\\\";
	}
	if (b < 0x20 || b > 0x7e)
		snprintf(buf, 5, "\\x%02x", b);
	else {
		buf[0] = (char)b;
		buf[1] = '\0';
	}
	return buf;
}

const char *escape_text(char *buf, size_t cap, const char *s, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 5 < cap; i++) {
		uint8_t b = (uint8_t)s[i];
		char one[5];
		/* bytes >= 0x80 stay: a token's text is UTF-8 */
		const char *e = b >= 0x80 ? (one[0] = (char)b, one[1] = '\0', one) : escape_byte(one, b);
		size_t el = strlen(e);
		memcpy(buf + k, e, el);
		k += el;
	}
	buf[k] = '\0';
	return buf;
}
