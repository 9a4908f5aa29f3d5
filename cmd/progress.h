/*
 * progress.h - progress of a long command on stderr: a live bar redrawn a
 * few times a second when stderr is a terminal, a plain line every few
 * seconds otherwise (batch logs), nothing when quiet.
 */
#ifndef RNNBOW_PROGRESS_H
#define RNNBOW_PROGRESS_H

#include <stdint.h>

struct progress {
	int mode;         /* 0 quiet, 1 log lines, 2 terminal bar */
	int64_t total;    /* batches planned */
	int64_t first;    /* batches done before this process (a resumed run) */
	int chars_per_batch;
	double start, last;
};

void progress_start(struct progress *p, int quiet, int64_t total, int64_t first,
		    int chars_per_batch);
/* done = batches finished; loss = the latest batch's mean loss. Cheap to
 * call every batch: it reads the clock and returns unless it is time. */
void progress_update(struct progress *p, int64_t done, double loss);
/* Clears the bar; returns the seconds since progress_start. */
double progress_end(struct progress *p);

#endif
