/*
 * diag.c - diagnostics of one recorded batch and layer (see diag.h).
 */
#include "diag.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK through OpenBLAS (Fortran symbols: Debian ships no lapacke.h
 * beside OpenBLAS). The trailing lengths are the hidden ones gfortran
 * passes for the character arguments. */
void sgeev_(const char *jobvl, const char *jobvr, const int *n, float *a, const int *lda,
	    float *wr, float *wi, float *vl, const int *ldvl, float *vr, const int *ldvr,
	    float *work, const int *lwork, int *info, size_t ljobvl, size_t ljobvr);
void sgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, float *a,
	     const int *lda, float *s, float *u, const int *ldu, float *vt, const int *ldvt,
	     float *work, const int *lwork, int *info, size_t ljobu, size_t ljobvt);

enum fkind { F_TANH, F_SIGMOID, F_RELU, F_GIVEN };

static const char *const lstm_names[] = { "i", "f", "g", "o", "tanh_c" };
static const char *const gru_names[] = { "r", "z", "n" };

int diag_acts(const struct model *m, const char **names)
{
	int k = m->cell == CELL_LSTM ? 5 : m->cell == CELL_GRU ? 3 : 1;
	for (int a = 0; names && a < k; a++)
		names[a] = m->cell == CELL_LSTM ? lstm_names[a]
			 : m->cell == CELL_GRU ? gru_names[a] : act_name(m->act);
	return k;
}

/* The statistics of n rows of H values y (row stride ld) of one function:
 * kind F_GIVEN when y already is f'(z) (the vanilla cell keeps it). */
static void act_stats(struct diag_act *d, const float *y, int n, int H, size_t ld,
		      enum fkind kind, double fmax)
{
	const double floor = 0.01 * fmax;
	size_t sat = 0;
	double sum = 0, mx = 0;
	for (int t = 0; t < n; t++) {
		const float *r = y + (size_t)t * ld;
		for (int i = 0; i < H; i++) {
			double v = r[i], fd;
			switch (kind) {
			case F_TANH: fd = 1.0 - v * v; break;
			case F_SIGMOID: fd = v * (1.0 - v); break;
			case F_RELU: fd = v > 0; break;
			default: fd = v; break;
			}
			sum += fd;
			if (fd > mx)
				mx = fd;
			sat += fd < floor;
		}
	}
	const double N = (double)n * H;
	d->fmax = fmax;
	d->saturated = N > 0 && kind != F_RELU ? (double)sat / N : 0;
	d->gamma = N > 0 ? sum / N : 0;
	d->gamma_max = mx;
}

int diag_saturation(struct diag_act *out, const struct rnn_cache *c, int l,
		    const struct model *m)
{
	const struct layer_cache *lc = &c->ly[l];
	const int n = c->n * c->B, H = m->H; /* a minibatch: every sequence's rows */
	const size_t GH = (size_t)m->G * H;
	const char *names[DIAG_MAX_ACTS];
	int k = diag_acts(m, names);
	for (int a = 0; a < k; a++)
		out[a].name = names[a];
	switch (m->cell) {
	case CELL_LSTM:
		for (int q = 0; q < 4; q++) /* i, f, o sigmoid; g tanh */
			act_stats(&out[q], lc->gates + (size_t)q * H, n, H, GH,
				  q == 2 ? F_TANH : F_SIGMOID, q == 2 ? 1.0 : 0.25);
		act_stats(&out[4], lc->aux, n, H, (size_t)H, F_TANH, 1.0);
		break;
	case CELL_GRU: /* r, z sigmoid; n tanh */
		for (int q = 0; q < 3; q++)
			act_stats(&out[q], lc->gates + (size_t)q * H, n, H, GH,
				  q == 2 ? F_TANH : F_SIGMOID, q == 2 ? 1.0 : 0.25);
		break;
	default: /* the cache holds act'(z_t) itself; relu's is 0 or 1 */
		act_stats(&out[0], lc->gates, n, H, GH, m->act == ACT_RELU ? F_RELU : F_GIVEN,
			  m->act == ACT_SIGMOID ? 0.25 : 1.0);
		break;
	}
	return k;
}

void diag_work_free(struct diag_work *w)
{
	free(w->a);
	free(w->wr);
	free(w->wi);
	free(w->s);
	free(w->work);
	memset(w, 0, sizeof(*w));
}

int diag_work_init(struct diag_work *w, int H)
{
	memset(w, 0, sizeof(*w));
	w->H = H;
	w->a = malloc((size_t)H * H * sizeof(float));
	w->wr = malloc((size_t)H * sizeof(float));
	w->wi = malloc((size_t)H * sizeof(float));
	w->s = malloc((size_t)H * sizeof(float));
	if (!w->a || !w->wr || !w->wi || !w->s)
		goto fail;
	/* ask both routines for their best workspace, keep the larger */
	float q1 = 0, q2 = 0, dummy = 0;
	int info = 0, one = 1, query = -1;
	sgeev_("N", "N", &H, w->a, &H, w->wr, w->wi, &dummy, &one, &dummy, &one, &q1, &query,
	       &info, 1, 1);
	sgesvd_("N", "N", &H, &H, w->a, &H, w->s, &dummy, &one, &dummy, &one, &q2, &query, &info,
		1, 1);
	w->lwork = (int)fmaxf(fmaxf(q1, q2), 5.0f * H + 1);
	w->work = malloc((size_t)w->lwork * sizeof(float));
	if (!w->work)
		goto fail;
	return 0;
fail:
	diag_work_free(w);
	return -1;
}

/* rho and sigma_max of the H x H block b. Row-major b is column-major b^T,
 * which has the same eigenvalues and singular values: no transpose. */
static int block_spectrum(double *rho, double *sigma, struct diag_work *w, const float *b)
{
	int H = w->H, one = 1, info = 0;
	float dummy = 0;
	*rho = *sigma = NAN;
	for (size_t i = 0; i < (size_t)H * H; i++)
		if (!isfinite(b[i]))
			return -1; /* LAPACK is not asked about NaN: some versions loop */
	memcpy(w->a, b, (size_t)H * H * sizeof(float));
	sgeev_("N", "N", &H, w->a, &H, w->wr, w->wi, &dummy, &one, &dummy, &one, w->work,
	       &w->lwork, &info, 1, 1);
	if (info != 0)
		return -1;
	double r = 0;
	for (int i = 0; i < H; i++)
		r = fmax(r, hypot(w->wr[i], w->wi[i]));
	memcpy(w->a, b, (size_t)H * H * sizeof(float));
	sgesvd_("N", "N", &H, &H, w->a, &H, w->s, &dummy, &one, &dummy, &one, w->work, &w->lwork,
		&info, 1, 1);
	if (info != 0)
		return -1;
	*rho = r;
	*sigma = H > 0 ? w->s[0] : 0; /* descending */
	return isfinite(*rho) && isfinite(*sigma) ? 0 : -1;
}

int diag_spectrum(double *rho, double *sigma, struct diag_work *w, const float *W_hh, int G,
		  int H)
{
	int rc = 0;
	for (int q = 0; q < G; q++)
		rho[q] = sigma[q] = NAN;
	if (H != w->H)
		return -1;
	for (int q = 0; q < G; q++)
		if (block_spectrum(&rho[q], &sigma[q], w, W_hh + (size_t)q * H * H) < 0)
			rc = -1;
	return rc;
}

int diag_sigma_whole(double *sigma, struct diag_work *w, const float *W_hh, int G, int H)
{
	const size_t GH = (size_t)G * H;
	int one = 1, info = 0;
	float dummy = 0;
	*sigma = NAN;
	if (H != w->H)
		return -1;
	for (size_t i = 0; i < GH * H; i++)
		if (!isfinite(W_hh[i]))
			return -1;
	/* a = W_hh^T W_hh (H, H), symmetric: its layout needs no care */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, (int)GH, 1.0f, W_hh, H, W_hh,
		    H, 0.0f, w->a, H);
	sgesvd_("N", "N", &H, &H, w->a, &H, w->s, &dummy, &one, &dummy, &one, w->work, &w->lwork,
		&info, 1, 1);
	if (info != 0)
		return -1;
	*sigma = H > 0 ? sqrt(fmax(w->s[0], 0.0)) : 0;
	return isfinite(*sigma) ? 0 : -1;
}

void diag_lambda(double *lambda, const double *sigma, const struct diag_act *acts, int G)
{
	for (int q = 0; q < G; q++)
		lambda[q] = sigma[q] * acts[q].gamma_max;
}

void diag_fired_or(uint8_t *fired, const float *h, int n, int H)
{
	for (int t = 0; t < n; t++)
		for (int u = 0; u < H; u++)
			fired[u] |= h[(size_t)t * H + u] > 0.0f;
}

int diag_dead_count(const uint8_t *fired, int H)
{
	int dead = 0;
	for (int u = 0; u < H; u++)
		dead += !fired[u];
	return dead;
}
