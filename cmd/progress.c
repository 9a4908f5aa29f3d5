/*
 * progress.c - the progress bar and log lines (see progress.h).
 */
#include "progress.h"
#include "../formats/clock.h"
#include "../formats/msg.h"

#include <stdio.h>
#include <unistd.h>

#define BAR_SECONDS 0.2
#define LOG_SECONDS 5.0

void progress_start(struct progress *p, int quiet, int64_t total, int64_t first,
		    int chars_per_batch)
{
	p->first = first;
	p->mode = quiet ? 0 : isatty(STDERR_FILENO) ? 2 : 1;
	p->total = total;
	p->chars_per_batch = chars_per_batch;
	p->start = p->last = monotonic_seconds();
}

static void eta_text(char *buf, size_t len, double s)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

void progress_update(struct progress *p, int64_t done, double loss)
{
	if (!p->mode)
		return;
	double t = monotonic_seconds();
	if (t - p->last < (p->mode == 2 ? BAR_SECONDS : LOG_SECONDS))
		return;
	p->last = t;
	double el = t - p->start, rate = (double)(done - p->first) / (el > 0 ? el : 1e-9);
	double frac = p->total ? (double)done / (double)p->total : 0;
	char eta[32], lossbuf[32] = "-"; /* "-": no finite batch yet */
	eta_text(eta, sizeof(eta), rate > 0 ? (double)(p->total - done) / rate : 0);
	if (loss >= 0)
		snprintf(lossbuf, sizeof(lossbuf), "%.3f", loss);
	if (p->mode == 2) {
		char bar[31];
		int fill = (int)(frac * 30);
		for (int i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\r[%s] %lld/%lld batches  %.0fk chars/s  loss %s  ETA %s \033[K",
			bar, (long long)done, (long long)p->total,
			rate * p->chars_per_batch / 1000, lossbuf, eta);
	} else {
		fprintf(stderr, "%s: batch %lld/%lld (%.0f%%), %.0fk chars/s, loss %s, eta %s\n",
			msg_prog, (long long)done, (long long)p->total, 100 * frac,
			rate * p->chars_per_batch / 1000, lossbuf, eta);
	}
}

double progress_end(struct progress *p)
{
	if (p->mode == 2)
		fprintf(stderr, "\r\033[K");
	return monotonic_seconds() - p->start;
}
