/*
 * webview.h - the pieces of `rnnbow view`'s page: one HTML file that holds
 * its data, its script and its style (no request leaves the file). The
 * data are written as they stream by, so memory stays flat: records go
 * into base64 text of fixed-size binary rows, a few numbers per record
 * (the overview's bins, a decay curve) into JSON. No file access here
 * but the FILE the caller opened.
 *
 * Numbers that span decades (g, losses) are stored as 16-bit codes of
 * their base-2 logarithm (webview_logq): 0 is 0, 65535 is not finite,
 * and codes 1..65534 cover 2^-150..2^128 (all of float32's positive
 * values) in steps of 278/65533 of an octave, so a value read back is
 * within 0.147% of the float written.
 */
#ifndef RNNBOW_WEBVIEW_H
#define RNNBOW_WEBVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOGQ_LO (-150.0)
#define LOGQ_SPAN 278.0
#define LOGQ_STEPS 65533.0
#define LOGQ_NONFINITE 65535

/* The 16-bit code of v (see above). */
uint16_t webview_logq(double v);

/* A base64 stream inside an element of the page. */
struct b64 {
	FILE *out;
	unsigned char carry[3];
	int ncarry;
	size_t col;
};

/* Opens <script type="application/octet-stream" id="ID"> and the stream. */
void b64_begin(struct b64 *b, FILE *out, const char *id);
void b64_put(struct b64 *b, const void *data, size_t len);
void b64_u16(struct b64 *b, uint16_t v);   /* little-endian */
void b64_f64(struct b64 *b, double v);     /* little-endian IEEE */
/* Flushes the last bytes (with '=' padding) and closes the element. */
void b64_end(struct b64 *b);

/* s as a JSON string that is safe inside a <script> element ('<' is
 * written \u003c, so no "</script>" can end it early). */
void webview_json_str(FILE *out, const char *s);

/* "[a,b,...]" of v (n), %.9g, null where v is not finite. */
void webview_json_nums(FILE *out, const double *v, int64_t n);

/* s with &, <, >, " escaped, for HTML text. */
void webview_html_text(FILE *out, const char *s);

#endif
