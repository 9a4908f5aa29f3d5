/*
 * names.h - enum <-> name tables: each enum of names (cells, activations,
 * optimizers) has one array of names indexed by its values, and its
 * name, parse and choices ("rnn, lstm or gru") all come from it; adding a
 * kind is one entry.
 */
#ifndef RNNBOW_NAMES_H
#define RNNBOW_NAMES_H

#include <stddef.h>

struct names {
	const char *const *name; /* name[v] for v = 0 .. count - 1 */
	int count;
};
/* A struct names over a static array of names. */
#define NAMES(tab) { (tab), (int)(sizeof(tab) / sizeof((tab)[0])) }

/* The name of v; "?" for a value the enum does not have (a damaged
 * checkpoint's integer). */
const char *names_get(const struct names *t, int v);
/* The value named s; -1 when there is none. */
int names_find(const struct names *t, const char *s);
/* "a, b or c" into buf, for messages; returns buf. */
const char *names_list(const struct names *t, char *buf, size_t len);

/* The index of `want` in a comma-separated list ("rnn,lstm,gru": a mix's
 * components), by name or, failing that, as a 0-based index; -1 when it
 * is neither. *count gets the list's length. */
int names_in_list(const char *list, const char *want, int *count);

#endif
