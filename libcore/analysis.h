/*
 * analysis.h - the quantities summarize and horizon print, from the arrays
 * of one record (docs/ANALYSIS.md has the definitions; no I/O here).
 *
 * Workload: called once per record while a file streams by (100,000s of
 * records), so everything is O(n^2) per record at most, and the decay
 * accumulator keeps a histogram instead of the values, so memory stays
 * flat however many records pass.
 */
#ifndef RNNBOW_ANALYSIS_H
#define RNNBOW_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

struct record_summary {
	double max_grad;  /* max_j bar[j], bar[j] = sum_{t>=j} g[t,j] */
	int max_step;     /* smallest j reaching it */
	double loss;      /* mean L_t */
	double accuracy;  /* share of steps with predicted == target */
	int k_exact;      /* smallest k with E[k] <= eps */
	int k_bound;      /* the estimate from g (see k_from_g) */
};

/* max_j bar[j] with bar[j] = sum_{t>=j} g[t,j] for g (n, n); *step gets
 * the smallest j reaching it. NaN when g holds a NaN. */
double max_gradient(const float *g, int n, int *step);

/* Smallest k with E[k] <= eps; n - 1 if none is (E[n-1] is 0 in a run);
 * -1 when E holds a NaN (a batch whose gradient was not finite). */
int k_exact(const float *E, int n, double eps);

/* The estimate of k from g alone: per loss t the smallest k_t with
 * sum_{d>k_t} g[t,t-d] <= eps * sum_d g[t,t-d] (0 when that sum is 0),
 * then the smallest k that at least ceil(loss_share * n) of the k_t reach.
 * counts is scratch space of n ints. -1 when g holds a NaN. */
int k_from_g(const float *g, int n, double eps, double loss_share, int *counts);

/* All of record_summary for one record: g (n, n), E (n), loss, target and
 * predicted (n). counts: scratch of n ints. */
void summarize_record(struct record_summary *s, const float *g, const float *E,
		      const float *loss, const int32_t *target, const int32_t *predicted,
		      int n, double eps, double loss_share, int *counts);

/* Smallest k such that at least ceil(share * total) of the values counted
 * in hist[0..n) are <= k; -1 when total is 0. */
int k_quantile(const int64_t *hist, int n, double share, int64_t *reached);

/* The decay curve: for each lag d, the ratios r = g[t,t-d] / g[t,t] over
 * the records added (t >= d, g[t,t] > 0), each computed in double as numpy
 * does. Count and mean are exact; quantiles come from a histogram with 512
 * bins per octave over every octave a ratio of two floats can reach
 * (2^-277 .. 2^277), allocated when first reached, each bin keeping its
 * least and greatest value: any quantile is within 2^-9 (0.2%) of the
 * exact one, and exact where it falls on a bin's least or greatest value
 * (the least and greatest ratio, a bin of one value). Exact zeros, +inf and
 * negative values (a damaged file only: g is a norm) have bins of their
 * own. Memory, whatever the number of records: 4.5 KB per lag, plus per
 * octave a lag reaches up to 3 KB while it uses at most 128 of its bins,
 * 12 KB beyond (at most 554 octaves: 6.7 MB per lag; a run typically
 * fills a few dozen octaves). */
struct decay_lag; /* opaque: analysis.c */
struct decay {
	int n;
	struct decay_lag *lag; /* (n) */
	int64_t *count;        /* (n) ratios added per lag, zeros included */
	double *sum;           /* (n) */
};

int decay_init(struct decay *d, int n); /* 0, or -1 out of memory */
void decay_free(struct decay *d);
/* Adds the ratios of one record g (n, n). 0, or -1 out of memory (an
 * octave could not be allocated or grown): the record is then partly
 * added and d is good only for decay_free. */
int decay_add(struct decay *d, const float *g);
/* numpy's default percentile (linear between order statistics) of lag's
 * values, q in [0, 1]; NaN when the lag has no values. */
double decay_quantile(const struct decay *d, int lag, double q);

/* Least squares of ln(median) on lag over lags 0..fit_to, where fit_to is
 * the last lag before the median first falls to floor or below (or has no
 * values). factor = exp(slope), half_life = ln 2 / -slope (inf if the slope
 * is not negative); both NaN with fewer than 2 lags. */
struct decay_fit {
	double factor, half_life;
	int fit_from, fit_to;
};
void decay_fit(struct decay_fit *f, const double *median, int n, double floor);

#endif
