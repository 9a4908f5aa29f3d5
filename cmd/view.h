/*
 * view.h - writing `rnnbow view`'s page, for the command and for report.
 */
#ifndef RNNBOW_VIEW_H
#define RNNBOW_VIEW_H

#include <stdint.h>

struct view_opts {
	int64_t from, to;      /* window of training batches, inclusive */
	int64_t every;         /* every K-th record of the window; 0: from max_records */
	int64_t max_records;   /* per run, when every is 0; 0: no limit */
	int64_t lags;          /* lag layers before "rest" */
	double eps;            /* for k_exact and k_bound */
	const char *component; /* a mix's component shown (name or index; NULL: the first) */
};

/* Defaults: all batches, every record up to 20000 a run, 5 lags, eps 0.1. */
void view_opts_init(struct view_opts *o);

/* Writes the page of files (runs) into output ("-": stdout; a file is
 * written beside as OUTPUT.tmp and renamed when whole). Returns 0, or -1
 * after one message; a failed page leaves nothing behind. */
int view_write(const char *output, char *const *files, int nfiles, const struct view_opts *o);

#endif
