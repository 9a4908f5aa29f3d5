/*
 * analysis.c - per-record summaries, k estimates and the decay histogram
 * (see analysis.h and docs/ANALYSIS.md).
 */
#include "analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Histogram bins of a positive float straight from its bits: the exponent
 * and the top 8 mantissa bits, so 256 bins per octave between 2^-64 and
 * 2^16. Bin 0 holds exact zeros, bin 1 what is below 2^-64, the last bin
 * what is above 2^16. Each bin also keeps the least and greatest value it
 * saw: a rank inside a bin is placed evenly between those, which is exact
 * for a bin holding one value (as lag 0 does: every ratio is 1). */
#define EXP_MIN (127 - 64)
#define EXP_MAX (127 + 15)
#define SUB_BITS 8
#define DECAY_BINS (((EXP_MAX - EXP_MIN + 1) << SUB_BITS) + 3)

static int bin_of(float r)
{
	uint32_t bits;
	if (r == 0.0f)
		return 0;
	memcpy(&bits, &r, sizeof(bits));
	int e = (int)(bits >> 23);
	if (e < EXP_MIN)
		return 1;
	if (e > EXP_MAX)
		return DECAY_BINS - 1;
	return 2 + (((e - EXP_MIN) << SUB_BITS) | (int)((bits >> (23 - SUB_BITS)) & 0xff));
}

double max_gradient(const float *g, int n, int *step)
{
	double best = -1.0;
	*step = 0;
	for (int j = 0; j < n; j++) {
		double bar = 0.0;
		for (int t = j; t < n; t++)
			bar += g[(size_t)t * n + j];
		if (isnan(bar))
			return NAN;
		if (bar > best) {
			best = bar;
			*step = j;
		}
	}
	return best;
}

int k_exact(const float *E, int n, double eps)
{
	for (int k = 0; k < n; k++)
		if (isnan(E[k]))
			return -1;
	for (int k = 0; k < n; k++)
		if (E[k] <= eps)
			return k;
	return n - 1;
}

int k_from_g(const float *g, int n, double eps, double loss_share, int *counts)
{
	memset(counts, 0, (size_t)n * sizeof(int));
	for (int t = 0; t < n; t++) {
		const float *row = g + (size_t)t * n;
		double total = 0.0;
		for (int j = 0; j <= t; j++)
			total += row[j];
		if (isnan(total))
			return -1;
		/* tail(k) = sum over lags d > k = steps j < t - k; grow k until
		 * the tail is small enough */
		double tail = total - row[t];
		int k = 0;
		while (k < t && tail > eps * total) {
			k++;
			tail -= row[t - k];
		}
		counts[k]++;
	}
	int need = (int)ceil(loss_share * n - 1e-9), have = 0;
	if (need < 1)
		need = 1;
	for (int k = 0; k < n; k++) {
		have += counts[k];
		if (have >= need)
			return k;
	}
	return n - 1;
}

void summarize_record(struct record_summary *s, const float *g, const float *E,
		      const float *loss, const int32_t *target, const int32_t *predicted,
		      int n, double eps, double loss_share, int *counts)
{
	double lsum = 0.0;
	int right = 0;
	s->max_grad = max_gradient(g, n, &s->max_step);
	for (int j = 0; j < n; j++) {
		lsum += loss[j];
		right += predicted[j] == target[j];
	}
	s->loss = lsum / n;
	s->accuracy = (double)right / n;
	s->k_exact = k_exact(E, n, eps);
	s->k_bound = k_from_g(g, n, eps, loss_share, counts);
}

int k_quantile(const int64_t *hist, int n, double share, int64_t *reached)
{
	int64_t total = 0, have = 0;
	for (int k = 0; k < n; k++)
		total += hist[k];
	*reached = 0;
	if (!total)
		return -1;
	int64_t need = (int64_t)ceil(share * (double)total - 1e-9);
	if (need < 1)
		need = 1;
	for (int k = 0; k < n; k++) {
		have += hist[k];
		if (have >= need) {
			*reached = have;
			return k;
		}
	}
	*reached = total;
	return n - 1;
}

int decay_init(struct decay *d, int n)
{
	d->n = n;
	d->hist = calloc((size_t)n * DECAY_BINS, sizeof(uint32_t));
	d->lo = malloc((size_t)n * DECAY_BINS * sizeof(float));
	d->hi = malloc((size_t)n * DECAY_BINS * sizeof(float));
	d->count = calloc((size_t)n, sizeof(int64_t));
	d->sum = calloc((size_t)n, sizeof(double));
	if (!d->hist || !d->lo || !d->hi || !d->count || !d->sum) {
		decay_free(d);
		return -1;
	}
	return 0;
}

void decay_free(struct decay *d)
{
	free(d->hist);
	free(d->lo);
	free(d->hi);
	free(d->count);
	free(d->sum);
	d->lo = d->hi = NULL;
	d->hist = NULL;
	d->count = NULL;
	d->sum = NULL;
}

void decay_add(struct decay *d, const float *g)
{
	const int n = d->n;
	for (int t = 0; t < n; t++) {
		const float *row = g + (size_t)t * n;
		float own = row[t];
		if (!(own > 0.0f)) /* also skips NaN */
			continue;
		for (int lag = 0; lag <= t; lag++) {
			float r = row[t - lag] / own;
			if (isnan(r))
				continue;
			size_t b = (size_t)lag * DECAY_BINS + (size_t)bin_of(r);
			if (d->hist[b]++ == 0) {
				d->lo[b] = d->hi[b] = r;
			} else {
				d->lo[b] = r < d->lo[b] ? r : d->lo[b];
				d->hi[b] = r > d->hi[b] ? r : d->hi[b];
			}
			d->count[lag]++;
			d->sum[lag] += r;
		}
	}
}

/* The value of rank i (0-based) among a lag's values, from its histogram:
 * spread evenly between the least and greatest value of the bin holding it. */
static double value_at_rank(const struct decay *d, int lag, int64_t i)
{
	const size_t base = (size_t)lag * DECAY_BINS;
	int64_t before = 0;
	for (size_t b = base; b < base + DECAY_BINS; b++) {
		uint32_t c = d->hist[b];
		if (i < before + c) {
			if (c == 1)
				return d->lo[b];
			return d->lo[b] + ((double)d->hi[b] - d->lo[b]) * (double)(i - before) / (c - 1);
		}
		before += c;
	}
	return NAN;
}

double decay_quantile(const struct decay *d, int lag, double q)
{
	int64_t N = d->count[lag];
	if (N == 0)
		return NAN;
	double pos = q * (double)(N - 1);
	int64_t lo = (int64_t)floor(pos);
	double frac = pos - (double)lo, a = value_at_rank(d, lag, lo);
	if (frac == 0.0 || lo + 1 >= N)
		return a;
	return a + frac * (value_at_rank(d, lag, lo + 1) - a);
}

void decay_fit(struct decay_fit *f, const double *median, int n, double floor)
{
	int last = -1;
	while (last + 1 < n && median[last + 1] > floor) /* NaN stops it too */
		last++;
	f->fit_from = 0;
	f->fit_to = last;
	f->factor = f->half_life = NAN;
	if (last < 1)
		return;
	double sx = 0, sy = 0, sxx = 0, sxy = 0, m = last + 1;
	for (int d = 0; d <= last; d++) {
		double y = log(median[d]);
		sx += d;
		sy += y;
		sxx += (double)d * d;
		sxy += d * y;
	}
	double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
	f->factor = exp(slope);
	f->half_life = slope < 0 ? log(2.0) / -slope : INFINITY;
}
