/*
 * toklabel.c - tokens' texts as labels of a fixed width (see toklabel.h).
 */
#include "toklabel.h"
#include "figure.h"

#include <string.h>

/* Bytes of the code point starting with lead byte c (1 for a stray byte). */
static size_t cp_len(unsigned char c)
{
	return c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? (c < 0xf0 ? 3 : 1) : c >= 0xc0 ? 2 : 1;
}

const char *tok_label(const char *s, size_t max, char *buf, size_t cap, size_t *glyphs)
{
	size_t len = strlen(s), o = 0, k = 0, at = 0;
	*glyphs = 1;
	if (len == 1)
		return fig_glyph((unsigned char)s[0], buf);
	if (max < 1)
		max = 1;
	while (at < len) {
		size_t l = cp_len((unsigned char)s[at]);
		if (at + l > len)
			l = 1;
		if (k + 1 == max && at + l < len) { /* more to come: an ellipsis */
			if (o + 4 > cap)
				break;
			memcpy(buf + o, "\xe2\x80\xa6", 3);
			o += 3;
			k++;
			break;
		}
		if (k == max || o + l + 1 > cap)
			break;
		if (l == 1 && (unsigned char)s[at] < 0x20)
			buf[o] = '?';
		else
			memcpy(buf + o, s + at, l);
		o += l;
		at += l;
		k++;
	}
	buf[o] = '\0';
	*glyphs = k ? k : 1;
	return buf;
}
