/*
 * toklabel.h - a token's text as a figure's label of fixed width (plot
 * hidden's text under the image): words and code points of a run of other
 * tokens than bytes (docs/FORMAT.md "Tokens").
 */
#ifndef RNNBOW_TOKLABEL_H
#define RNNBOW_TOKLABEL_H

#include <stddef.h>

/* The label of text s: a one-byte text as fig_glyph shows the byte; else
 * s with control bytes as '?', cut to max code points (1 or more), the
 * last of them an ellipsis when cut. buf holds cap bytes, at least
 * 4 * max + 1. Returns buf or fig_glyph's string; *glyphs its code points. */
const char *tok_label(const char *s, size_t max, char *buf, size_t cap, size_t *glyphs);

#endif
