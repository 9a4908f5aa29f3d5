/*
 * diagrec.c - the diagnostics of a record (see diagrec.h).
 */
#include "diagrec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int diag_blocks(const struct model *m)
{
	return m->G > 1 ? m->G + 1 : 1;
}

int record_alloc_diag(struct record *r, const struct model *m, int with_dead, int defer)
{
	const size_t L = (size_t)m->L, A = (size_t)diag_acts(m, NULL);
	const size_t B = (size_t)diag_blocks(m);
	r->sat = malloc(L * A * sizeof(float));
	r->gamma = malloc(L * A * sizeof(float));
	r->gamma_max = malloc(L * A * sizeof(float));
	r->rho = malloc(L * B * sizeof(float));
	r->sigma_max = malloc(L * B * sizeof(float));
	int dead = with_dead && m->cell == CELL_RNN && m->act == ACT_RELU;
	if (dead)
		r->dead = calloc(L * (size_t)m->H, 1);
	if (defer)
		r->whh = malloc(L * (size_t)m->G * m->H * m->H * sizeof(float));
	if (!r->sat || !r->gamma || !r->gamma_max || !r->rho || !r->sigma_max || (dead && !r->dead) ||
	    (defer && !r->whh))
		return -1;
	return 0;
}

/* rho and sigma_max of a layer's W_hh (GH, H) into the layer's B entries. */
static void layer_spectrum(float *rho, float *sigma, const struct model *m, const float *W_hh,
			   struct diag_work *w)
{
	double r[DIAG_MAX_ACTS], s[DIAG_MAX_ACTS], whole = NAN;
	diag_spectrum(r, s, w, W_hh, m->G, m->H); /* NaN where it fails */
	if (m->G == 1) {
		rho[0] = (float)r[0];
		sigma[0] = (float)s[0];
		return;
	}
	diag_sigma_whole(&whole, w, W_hh, m->G, m->H);
	rho[0] = NAN; /* a (GH, H) matrix has no spectral radius */
	sigma[0] = (float)whole;
	for (int q = 0; q < m->G; q++) {
		rho[1 + q] = (float)r[q];
		sigma[1 + q] = (float)s[q];
	}
}

void record_diag_fill(struct record *r, const struct rnn_cache *c, const struct model *m,
		      struct diag_work *w)
{
	if (!r->sat)
		return;
	const int B = diag_blocks(m);
	struct diag_act acts[DIAG_MAX_ACTS];
	for (int l = 0; l < m->L; l++) {
		int A = diag_saturation(acts, c, l, m);
		for (int a = 0; a < A; a++) {
			r->sat[l * A + a] = (float)acts[a].saturated;
			r->gamma[l * A + a] = (float)acts[a].gamma;
			r->gamma_max[l * A + a] = (float)acts[a].gamma_max;
		}
		const size_t GHH = (size_t)m->G * m->H * m->H;
		if (r->whh) /* record_diag_finish, elsewhere */
			memcpy(r->whh + l * GHH, m->layer[l].W_hh, GHH * sizeof(float));
		else
			layer_spectrum(r->rho + l * B, r->sigma_max + l * B, m, m->layer[l].W_hh, w);
	}
	r->spec_pending = r->whh != NULL;
}

void record_diag_finish(struct record *r, const struct model *m, struct diag_work *w)
{
	if (!r->spec_pending)
		return;
	const int B = diag_blocks(m);
	const size_t GHH = (size_t)m->G * m->H * m->H;
	for (int l = 0; l < m->L; l++)
		layer_spectrum(r->rho + l * B, r->sigma_max + l * B, m, r->whh + l * GHH, w);
	r->spec_pending = 0;
}

int trainer_diag_init(struct trainer *tr)
{
	const struct model *m = &tr->m;
	if (diag_work_init(&tr->dw, m->H) < 0)
		return -1;
	if (m->cell == CELL_RNN && m->act == ACT_RELU &&
	    !(tr->fired = calloc((size_t)m->L * m->H, 1))) {
		diag_work_free(&tr->dw);
		return -1;
	}
	tr->diag = 1;
	return 0;
}

void trainer_diag_free(struct trainer *tr)
{
	if (tr->diag)
		diag_work_free(&tr->dw);
	free(tr->fired);
	tr->fired = NULL;
	tr->diag = 0;
}

void trainer_diag_batch(struct trainer *tr, struct record *rec)
{
	const int H = tr->m.H, L = tr->m.L;
	if (!tr->diag)
		return;
	const int B = tr->c.B; /* rows B..(n+1)B-1: h_0 .. h_{n-1} of the B sequences */
	for (int l = 0; tr->fired && l < L; l++)
		diag_fired_or(tr->fired + (size_t)l * H, tr->c.ly[l].hs + (size_t)B * H,
			      tr->cfg.n * B, H);
	if (!rec || !rec->sat)
		return;
	record_diag_fill(rec, &tr->c, &tr->m, &tr->dw);
	if (!tr->fired)
		return;
	if (rec->dead)
		for (size_t u = 0; u < (size_t)L * H; u++)
			rec->dead[u] = !tr->fired[u];
	memset(tr->fired, 0, (size_t)L * H);
}
