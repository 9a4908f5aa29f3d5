/*
 * webview.c - encodings of `rnnbow view`'s page (webview.h).
 */
#include "webview.h"

#include <math.h>
#include <string.h>

uint16_t webview_logq(double v)
{
	if (!isfinite(v))
		return LOGQ_NONFINITE;
	if (!(v > 0))
		return 0; /* g is a norm: 0, never negative in a run */
	double c = 1 + round((log2(v) - LOGQ_LO) * (LOGQ_STEPS / LOGQ_SPAN));
	return (uint16_t)(c < 1 ? 1 : c > LOGQ_STEPS + 1 ? LOGQ_STEPS + 1 : c);
}

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_begin(struct b64 *b, FILE *out, const char *id)
{
	memset(b, 0, sizeof(*b));
	b->out = out;
	fprintf(out, "<script type=\"application/octet-stream\" id=\"%s\">\n", id);
}

/* Four characters of three bytes (n of them real), a newline now and then
 * (atob skips white space) so that the page stays readable by editors. */
static void quad(struct b64 *b, const unsigned char *p, int n)
{
	unsigned v = (unsigned)p[0] << 16 | (n > 1 ? (unsigned)p[1] << 8 : 0) | (n > 2 ? p[2] : 0);
	char q[4] = { alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
		      n > 1 ? alphabet[v >> 6 & 63] : '=', n > 2 ? alphabet[v & 63] : '=' };
	fwrite(q, 1, 4, b->out);
	if ((b->col += 4) >= 4096) {
		fputc('\n', b->out);
		b->col = 0;
	}
}

void b64_put(struct b64 *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0 && b->ncarry > 0 && b->ncarry < 3) {
		b->carry[b->ncarry++] = *p++;
		len--;
		if (b->ncarry == 3) {
			quad(b, b->carry, 3);
			b->ncarry = 0;
			break;
		}
	}
	for (; len >= 3; p += 3, len -= 3)
		quad(b, p, 3);
	while (len-- > 0)
		b->carry[b->ncarry++] = *p++;
}

void b64_u16(struct b64 *b, uint16_t v)
{
	unsigned char le[2] = { (unsigned char)(v & 255), (unsigned char)(v >> 8) };
	b64_put(b, le, 2);
}

void b64_f64(struct b64 *b, double v)
{
	uint64_t u;
	unsigned char le[8];
	memcpy(&u, &v, 8);
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(u >> 8 * i);
	b64_put(b, le, 8);
}

void b64_end(struct b64 *b)
{
	if (b->ncarry)
		quad(b, b->carry, b->ncarry);
	b->ncarry = 0;
	fprintf(b->out, "\n</script>\n");
}

void webview_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == '<')
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void webview_json_nums(FILE *out, const double *v, int64_t n)
{
	fputc('[', out);
	for (int64_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		if (isfinite(v[i]))
			fprintf(out, "%.9g", v[i]);
		else
			fputs("null", out);
	}
	fputc(']', out);
}

void webview_html_text(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
}
