/*
 * test_stats.c - libcore/analysis.c against plain computations: the decay
 * quantiles against sorted values (numpy's linear rule), also for ratios
 * spanning every float from the least subnormal to 1e3 and exact zeros,
 * k from E and from g on handmade cases, the k quantile over records, and the decay fit on
 * an exact geometric curve. One broken oracle proves the check can fail.
 */
#include "../libcore/analysis.h"
#include "../libcore/rng.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* numpy.percentile(v, 100 q) with the default linear rule; v sorted */
static double percentile(const double *v, int64_t N, double q)
{
	double pos = q * (double)(N - 1);
	int64_t lo = (int64_t)floor(pos);
	if (lo + 1 >= N)
		return v[lo];
	return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

static void test_decay_quantiles(void)
{
	const int n = 6, R = 4000;
	struct rng r;
	struct decay d;
	float *g = calloc((size_t)n * n, sizeof(float));
	double *vals[6];
	int64_t nv[6] = { 0 };
	rng_seed(&r, 11);
	decay_init(&d, n);
	for (int lag = 0; lag < n; lag++)
		vals[lag] = malloc((size_t)R * n * sizeof(double));
	for (int rec = 0; rec < R; rec++) {
		memset(g, 0, (size_t)n * n * sizeof(float));
		for (int t = 0; t < n; t++)
			for (int j = 0; j <= t; j++) /* log-normal, decaying with lag */
				g[t * n + j] = (float)exp(rng_normal(&r) - 0.7 * (t - j));
		if (rec % 50 == 0)
			g[2 * n + 2] = 0.0f; /* an empty diagonal: that loss is skipped */
		if (rec % 70 == 0)
			g[4 * n + 1] = 0.0f; /* exact zeros are values too */
		decay_add(&d, g);
		for (int t = 0; t < n; t++)
			if (g[t * n + t] > 0)
				for (int lag = 0; lag <= t; lag++)
					vals[lag][nv[lag]++] = (double)g[t * n + t - lag] / g[t * n + t];
	}
	double worst = 0;
	int counts_ok = 1, means_ok = 1;
	for (int lag = 0; lag < n; lag++) {
		qsort(vals[lag], (size_t)nv[lag], sizeof(double), cmp_double);
		counts_ok &= d.count[lag] == nv[lag];
		double s = 0;
		for (int64_t i = 0; i < nv[lag]; i++)
			s += vals[lag][i];
		means_ok &= fabs(d.sum[lag] / d.count[lag] - s / nv[lag]) <= 1e-12 * fabs(s / nv[lag]);
		const double qs[5] = { 0.0, 0.1, 0.5, 0.9, 1.0 };
		for (int k = 0; k < 5; k++) {
			double want = percentile(vals[lag], nv[lag], qs[k]);
			double got = decay_quantile(&d, lag, qs[k]);
			double err = want == 0 ? fabs(got) : fabs(got - want) / want;
			worst = fmax(worst, err);
		}
	}
	tap_check(counts_ok && means_ok, "decay: counts and means are exact");
	tap_check(worst < 3e-3, "decay: quantiles within 0.3%% of sorted values (worst %.2g)", worst);
	tap_check(decay_quantile(&d, 0, 0.1) == 1.0 && decay_quantile(&d, 0, 0.9) == 1.0,
		  "decay: lag 0 is exactly 1");
	/* the check can fail: a quantile 1% off is caught */
	double want = percentile(vals[3], nv[3], 0.5);
	tap_check(fabs(want * 1.01 - want) / want >= 3e-3, "a quantile 1%% off would be caught");
	for (int lag = 0; lag < n; lag++)
		free(vals[lag]);
	free(g);
	decay_free(&d);
}

/* A float spread log-uniformly over [2^-149, 1e3]: every decade a float can
 * hold below 1e3, subnormals included (rounded to their coarse grid). */
static float log_uniform_float(struct rng *r)
{
	const double lo = log(0x1p-149), hi = log(1e3);
	float v = (float)exp(lo + (hi - lo) * rng_uniform(r));
	return v > 0 ? v : 0x1p-149f;
}

/* Ratios far outside any fixed range: off-diagonal g log-uniform over
 * 1.4e-45 .. 1e3 (half of them below 2^-64), g[t,t] = 1 or a power of two
 * (so ratios reach below the least float), the extreme floats themselves,
 * and a lag where 15% of the ratios are exact zeros. Every quantile from 0
 * to 1 by 0.005 must be within 2^-9 of the sorted values (ANALYSIS.md's
 * guarantee), zeros exact, the least and greatest value exact. */
static void test_decay_extremes(void)
{
	const int n = 5, R = 3000;
	const double tol = 0x1p-9;
	struct rng r;
	struct decay d;
	float g[25];
	double *vals[5];
	int64_t nv[5] = { 0 };
	rng_seed(&r, 29);
	decay_init(&d, n);
	for (int lag = 0; lag < n; lag++)
		vals[lag] = malloc((size_t)R * n * sizeof(double));
	for (int rec = 0; rec < R; rec++) {
		memset(g, 0, sizeof(g));
		for (int t = 0; t < n; t++) {
			g[t * n + t] = rec % 4 ? 1.0f : ldexpf(1.0f, rec % 16 - 8);
			for (int j = 0; j < t; j++)
				g[t * n + j] = log_uniform_float(&r);
		}
		if (rec == 1)
			g[4 * n + 0] = 0x1p-149f; /* the least subnormal: lag 4 */
		if (rec == 2)
			g[4 * n + 1] = 0x1.fffffep127f; /* the greatest float: lag 3 */
		for (int t = 2; t < n && rec % 20 < 3; t++)
			g[t * n + t - 2] = 0.0f; /* lag 2: 15% exact zeros */
		decay_add(&d, g);
		for (int t = 0; t < n; t++)
			for (int lag = 0; lag <= t; lag++)
				vals[lag][nv[lag]++] = (double)g[t * n + t - lag] / g[t * n + t];
	}
	double worst = 0, worst_q = 0;
	int worst_lag = 0, counts_ok = 1, ends_ok = 1;
	for (int lag = 0; lag < n; lag++) {
		qsort(vals[lag], (size_t)nv[lag], sizeof(double), cmp_double);
		counts_ok &= d.count[lag] == nv[lag];
		ends_ok &= decay_quantile(&d, lag, 0.0) == vals[lag][0] &&
			   decay_quantile(&d, lag, 1.0) == vals[lag][nv[lag] - 1];
		for (int k = 0; k <= 200; k++) {
			double q = k / 200.0, want = percentile(vals[lag], nv[lag], q);
			double got = decay_quantile(&d, lag, q);
			double err = want == 0 ? (got == 0 ? 0 : INFINITY) : fabs(got - want) / want;
			if (!(err <= worst)) {
				worst = err;
				worst_q = q;
				worst_lag = lag;
			}
		}
	}
	tap_check(counts_ok, "decay extremes: counts are exact");
	tap_check(worst < tol, "decay extremes: ratios %.2g..%.2g, every quantile within 2^-9 of sorted "
		  "values (worst %.2g at lag %d q %g)", vals[4][0], vals[3][nv[3] - 1], worst, worst_lag,
		  worst_q);
	tap_check(ends_ok, "decay extremes: q 0 and q 1 are the least and greatest ratio exactly");
	tap_check(vals[3][nv[3] - 1] == 0x1.fffffep127 && decay_quantile(&d, 3, 1.0) == 0x1.fffffep127,
		  "decay extremes: the greatest float ratio is kept exactly");
	double p10 = percentile(vals[2], nv[2], 0.1), p20 = percentile(vals[2], nv[2], 0.2);
	tap_check(p10 == 0 && decay_quantile(&d, 2, 0.1) == 0.0 && p20 > 0 && p20 < 1e-30 &&
		  fabs(decay_quantile(&d, 2, 0.2) - p20) < tol * p20,
		  "decay extremes: exact zeros are values (p10 = 0, p20 = %.3g)", decay_quantile(&d, 2, 0.2));
	/* the check can fail: a quantile one old-style bin (2^-8) off is caught */
	double want = percentile(vals[3], nv[3], 0.3);
	tap_check(want > 0 && fabs(want * (1 + 0x1p-8) - want) / want >= tol,
		  "a quantile 2^-8 off would be caught");
	for (int lag = 0; lag < n; lag++)
		free(vals[lag]);
	decay_free(&d);

	/* lag 1 holds 0 and the least subnormal, lag 2 one zero: exact */
	const float tiny[9] = { 1, 0, 0, 0x1p-149f, 1, 0, 0, 0, 1 };
	decay_init(&d, 3);
	decay_add(&d, tiny);
	tap_check(decay_quantile(&d, 1, 0.0) == 0.0 && decay_quantile(&d, 1, 1.0) == 0x1p-149 &&
		  decay_quantile(&d, 1, 0.5) == 0x1p-150 && decay_quantile(&d, 2, 0.5) == 0.0 &&
		  d.count[2] == 1 && decay_quantile(&d, 0, 0.5) == 1.0,
		  "decay: the least subnormal ratio and an exact zero are kept exactly");
	decay_free(&d);
}

static void test_k(void)
{
	float E[5] = { 0.9f, 0.5f, 0.2f, 0.09f, 0.0f };
	tap_check(k_exact(E, 5, 0.1) == 3 && k_exact(E, 5, 0.05) == 4 && k_exact(E, 5, 0.95) == 0,
		  "k_exact is the first k with E[k] <= eps");

	/* g with known tails: loss 3 spreads 0.5, 0.3, 0.15, 0.05 over lags 0..3 */
	const int n = 4;
	float g[16] = { 0 };
	int counts[4];
	g[0] = 1.0f;                         /* t=0: only its own step */
	g[1 * 4 + 1] = 1.0f;                 /* t=1: all on lag 0 */
	g[2 * 4 + 2] = 0.5f;                 /* t=2: lag 1 holds 0.5 of 1 */
	g[2 * 4 + 1] = 0.5f;
	g[3 * 4 + 3] = 0.5f;
	g[3 * 4 + 2] = 0.3f;
	g[3 * 4 + 1] = 0.15f;
	g[3 * 4 + 0] = 0.05f;
	/* eps 0.1: k_t = 0, 0, 1, 2 (tail after lag 2 is 0.05 <= 0.1) */
	tap_check(k_from_g(g, n, 0.1, 1.0, counts) == 2, "k_from_g: every loss covered -> 2");
	tap_check(k_from_g(g, n, 0.1, 0.75, counts) == 1, "k_from_g: 3 of 4 losses -> 1");
	tap_check(k_from_g(g, n, 0.1, 0.5, counts) == 0, "k_from_g: 2 of 4 losses -> 0");
	tap_check(k_from_g(g, n, 0.0, 1.0, counts) == 3, "k_from_g: eps 0 needs every lag");
	float zero[16] = { 0 };
	tap_check(k_from_g(zero, n, 0.1, 1.0, counts) == 0, "k_from_g: all-zero g gives 0");

	int64_t hist[5] = { 10, 70, 15, 5, 0 }, reached;
	tap_check(k_quantile(hist, 5, 0.95, &reached) == 2 && reached == 95,
		  "k_quantile: 95%% of 100 records reached at k = 2");
	tap_check(k_quantile(hist, 5, 1.0, &reached) == 3 && reached == 100,
		  "k_quantile: all records at k = 3");
	int64_t none[3] = { 0 };
	tap_check(k_quantile(none, 3, 0.95, &reached) == -1 && reached == 0,
		  "k_quantile: no records gives -1");
}

static void test_fit(void)
{
	double med[8];
	struct decay_fit f;
	for (int d = 0; d < 8; d++)
		med[d] = pow(0.6, d);
	decay_fit(&f, med, 8, 1e-3);
	tap_check(fabs(f.factor - 0.6) < 1e-12 && fabs(f.half_life - log(2) / -log(0.6)) < 1e-9 &&
		  f.fit_from == 0 && f.fit_to == 7, "fit: a geometric curve gives its factor");
	decay_fit(&f, med, 8, 0.1); /* 0.6^5 = 0.078 <= 0.1: fit over lags 0..4 */
	tap_check(f.fit_to == 4 && fabs(f.factor - 0.6) < 1e-12, "fit: stops before the floor");
	med[1] = NAN;
	decay_fit(&f, med, 8, 1e-3);
	tap_check(f.fit_to == 0 && isnan(f.factor), "fit: fewer than 2 lags gives nan");
}

int main(void)
{
	test_decay_quantiles();
	test_decay_extremes();
	test_k();
	test_fit();
	return tap_done();
}
