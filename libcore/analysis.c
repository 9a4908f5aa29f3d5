/*
 * analysis.c - per-record summaries, k estimates and the decay histogram
 * (see analysis.h and docs/ANALYSIS.md).
 */
#include "analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The decay histogram. A ratio r of two positive finite floats lies in
 * [2^-277, 2^277) (2^-149 / 2^128 .. 2^128 / 2^-149), and as a double it is
 * always normal, so its bin comes straight from its bits: the exponent picks
 * the octave, the top SUB_BITS bits of the mantissa the bin inside it. A bin
 * spans [2^e (1 + m/512), 2^e (1 + (m+1)/512)), less than 2^-9 of its lower
 * edge wide. Each bin keeps the least and greatest value it saw and a rank
 * inside it is placed evenly between those: exact for the bin's first and
 * last rank (so for a bin of one value, as lag 0 is: every ratio is 1), and
 * otherwise within the bin, hence within 2^-9 relative.
 *
 * Memory: a decay spanning 30 decades reaches 100 octaves, most of them
 * (the tails) with a few values. So an octave is allocated when a ratio
 * first reaches it, holds its used bins as a short list in order (3 KB at
 * most), and becomes a plain array of all 512 bins (12 KB) only once it
 * uses more than SPARSE_MAX of them. */
#define SUB_BITS 9
#define DECAY_SUB (1 << SUB_BITS)
#define SPARSE_MAX 128
#define OCT_MIN (-277)
#define DECAY_OCTAVES 554 /* octaves 2^-277 .. 2^276 */

struct decay_bin {
	double lo, hi;  /* least and greatest value, when count > 0 */
	uint32_t count; /* values in the bin */
	uint32_t sub;   /* which of the octave's bins (sparse octaves) */
};

struct decay_octave {
	int64_t total; /* values in the octave */
	int used, cap; /* sparse: bin[0..used) in order of sub, cap allocated;
			* dense: cap == DECAY_SUB and bin[sub] for every sub */
	struct decay_bin bin[];
};

/* One lag's values in rank order: the negatives, the zeros, the octaves
 * upwards, +inf. Zeros and +inf are exact; negatives (g is a norm: only a
 * damaged file has them) are one bin with its least and greatest value. */
struct decay_lag {
	int64_t neg, zero, inf;
	double neg_lo, neg_hi;
	struct decay_octave *oct[DECAY_OCTAVES];
};

/* Octave (0-based from OCT_MIN) and bin of a positive finite double; out of
 * range octaves (not reachable from floats) are clamped, never overrun. */
static int octave_of(double r, int *bin)
{
	uint64_t bits;
	memcpy(&bits, &r, sizeof(bits));
	int e = (int)((bits >> 52) & 0x7ff) - 1023 - OCT_MIN;
	*bin = (int)((bits >> (52 - SUB_BITS)) & (DECAY_SUB - 1));
	if (e < 0) {
		e = 0;
		*bin = 0;
	} else if (e >= DECAY_OCTAVES) {
		e = DECAY_OCTAVES - 1;
		*bin = DECAY_SUB - 1;
	}
	return e;
}

/* Adds r to a bin of c values (c before the add) with least lo, greatest hi. */
static void bin_add(double *lo, double *hi, int64_t c, double r)
{
	if (c == 0) {
		*lo = *hi = r;
	} else {
		*lo = r < *lo ? r : *lo;
		*hi = r > *hi ? r : *hi;
	}
}

/* Rank k (0-based) of the c values of a bin: its least and greatest are
 * exact, ranks between spread evenly. */
static double bin_rank(double lo, double hi, int64_t c, int64_t k)
{
	if (k == 0 || lo == hi)
		return lo;
	if (k == c - 1)
		return hi;
	return lo + (hi - lo) * (double)k / (double)(c - 1);
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
	d->lag = calloc((size_t)n, sizeof(*d->lag));
	d->count = calloc((size_t)n, sizeof(int64_t));
	d->sum = calloc((size_t)n, sizeof(double));
	if (!d->lag || !d->count || !d->sum) {
		decay_free(d);
		return -1;
	}
	return 0;
}

void decay_free(struct decay *d)
{
	for (int lag = 0; d->lag && lag < d->n; lag++)
		for (int o = 0; o < DECAY_OCTAVES; o++)
			free(d->lag[lag].oct[o]);
	free(d->lag);
	free(d->count);
	free(d->sum);
	d->lag = NULL;
	d->count = NULL;
	d->sum = NULL;
}

static struct decay_octave *octave_alloc(int cap)
{
	struct decay_octave *oc = calloc(1, sizeof(*oc) + (size_t)cap * sizeof(oc->bin[0]));
	if (oc)
		oc->cap = cap;
	return oc;
}

/* The bin sub of *slot, allocating, growing or densifying the octave as
 * needed (*slot may move); NULL out of memory, *slot then unchanged. */
static struct decay_bin *octave_bin(struct decay_octave **slot, int sub)
{
	struct decay_octave *oc = *slot;
	if (!oc && !(oc = *slot = octave_alloc(4)))
		return NULL;
	if (oc->cap == DECAY_SUB)
		return &oc->bin[sub];
	int lo = 0, hi = oc->used; /* the first entry with sub >= sub */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if ((int)oc->bin[mid].sub < sub)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < oc->used && (int)oc->bin[lo].sub == sub)
		return &oc->bin[lo];
	if (oc->used == oc->cap) {
		struct decay_octave *grown;
		if (oc->cap == SPARSE_MAX) { /* full enough: all 512 bins */
			if (!(grown = octave_alloc(DECAY_SUB)))
				return NULL;
			grown->total = oc->total;
			for (int i = 0; i < oc->used; i++)
				grown->bin[oc->bin[i].sub] = oc->bin[i];
			free(oc);
			*slot = grown;
			return &grown->bin[sub];
		}
		grown = realloc(oc, sizeof(*oc) + 2 * (size_t)oc->cap * sizeof(oc->bin[0]));
		if (!grown)
			return NULL;
		oc = *slot = grown;
		oc->cap *= 2;
	}
	memmove(&oc->bin[lo + 1], &oc->bin[lo], (size_t)(oc->used - lo) * sizeof(oc->bin[0]));
	oc->used++;
	oc->bin[lo] = (struct decay_bin){ .count = 0, .sub = (uint32_t)sub };
	return &oc->bin[lo];
}

/* Adds one ratio (not NaN) to a lag; -1 when its octave cannot grow. */
static int lag_add(struct decay_lag *l, double r)
{
	if (r < 0) {
		bin_add(&l->neg_lo, &l->neg_hi, l->neg++, r);
	} else if (r == 0) {
		l->zero++;
	} else if (isinf(r)) {
		l->inf++;
	} else {
		int sub, o = octave_of(r, &sub);
		struct decay_bin *b = octave_bin(&l->oct[o], sub);
		if (!b)
			return -1;
		bin_add(&b->lo, &b->hi, b->count++, r);
		l->oct[o]->total++;
	}
	return 0;
}

int decay_add(struct decay *d, const float *g)
{
	const int n = d->n;
	for (int t = 0; t < n; t++) {
		const float *row = g + (size_t)t * n;
		double own = row[t];
		if (!(own > 0.0)) /* also skips NaN */
			continue;
		for (int lag = 0; lag <= t; lag++) {
			double r = row[t - lag] / own; /* in double, as numpy: no underflow */
			if (isnan(r))
				continue;
			if (lag_add(&d->lag[lag], r) < 0)
				return -1;
			d->count[lag]++;
			d->sum[lag] += r;
		}
	}
	return 0;
}

/* The value of rank i (0-based, below the lag's count) among a lag's values. */
static double value_at_rank(const struct decay_lag *l, int64_t i)
{
	if (i < l->neg)
		return bin_rank(l->neg_lo, l->neg_hi, l->neg, i);
	i -= l->neg;
	if (i < l->zero)
		return 0.0;
	i -= l->zero;
	for (int o = 0; o < DECAY_OCTAVES; o++) {
		const struct decay_octave *oc = l->oct[o];
		if (!oc)
			continue;
		if (i >= oc->total) {
			i -= oc->total;
			continue;
		}
		int bins = oc->cap == DECAY_SUB ? DECAY_SUB : oc->used;
		for (const struct decay_bin *b = oc->bin; b < oc->bin + bins; b++) {
			if (i < b->count)
				return bin_rank(b->lo, b->hi, b->count, i);
			i -= b->count;
		}
	}
	return INFINITY; /* the +inf values rank last */
}

double decay_quantile(const struct decay *d, int lag, double q)
{
	int64_t N = d->count[lag];
	if (N == 0)
		return NAN;
	double pos = q * (double)(N - 1);
	int64_t lo = (int64_t)floor(pos);
	double frac = pos - (double)lo, a = value_at_rank(&d->lag[lag], lo);
	if (frac == 0.0 || lo + 1 >= N)
		return a;
	double b = value_at_rank(&d->lag[lag], lo + 1);
	return a == b ? a : a + frac * (b - a); /* a == b: inf stays inf */
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
