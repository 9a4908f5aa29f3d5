/*
 * envelope.h - max gradients per record reduced to what a figure can show:
 * one bar per record while they fit, else bins of `per` consecutive records
 * each drawn as min, median and max. `plot overview` and `view` share it, so
 * the two bin a run the same way. No file access: the caller streams values
 * in record order. Memory: the bins and one bin's values.
 */
#ifndef RNNBOW_ENVELOPE_H
#define RNNBOW_ENVELOPE_H

#include <stdint.h>

struct envelope {
	int64_t per;        /* records per bin; 1 when not binned */
	int binned;
	int64_t nb;         /* bars or bins done */
	double *x;          /* (nb) batch, or a bin's mean batch */
	double *y;          /* (nb) max gradient, or a bin's median */
	double *lo, *hi;    /* (nb) a bin's min and max (bars: y) */
	int *step;          /* (nb) the bar's max step (bins: the top record's) */
	int64_t *top;       /* (nb) the batch of the bar, or of a bin's largest value */
	/* the open bin */
	int64_t k, top_batch;
	int top_step;
	double *vals, xsum, top_value;
};

/* Room for `records` values in at most `bins` bars (binned when records
 * outnumber bins: ceil(records / bins) per bin). 0, or -1 out of memory
 * (e is then good for envelope_free). */
int envelope_init(struct envelope *e, int64_t records, int64_t bins);

/* One record's max gradient (finite: a record that is not finite is left
 * out by the caller) and the step where it is. */
void envelope_add(struct envelope *e, int64_t batch, double value, int step);

/* Closes the last, partly filled bin. */
void envelope_finish(struct envelope *e);

void envelope_free(struct envelope *e);

/* Whether a log axis suits bars y (n) whose top is `top`: when the top
 * stands more than 3 decades over the 10th percentile of the positive
 * bars (one tiny first batch does not turn a run's figure to log, a
 * gradient that falls away for good does). */
int envelope_wants_log(const double *y, int64_t n, double top);

#endif
