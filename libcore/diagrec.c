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

/* 1 when m is a relu cell: the one whose units can die. */
static int is_relu(const struct model *m)
{
	return m->cell == CELL_RNN && m->act == ACT_RELU;
}

/* The fired flags of component k of a mix within tr->fired (the relu
 * components' (L, H) one after another), or NULL when it is no relu. */
static uint8_t *comp_fired(const struct trainer *tr, int k)
{
	const struct mix *mx = &tr->mix->mx;
	size_t at = 0;
	if (!tr->fired || !is_relu(&mx->comp[k]))
		return NULL;
	for (int j = 0; j < k; j++)
		at += is_relu(&mx->comp[j]) ? (size_t)mx->L * mx->H : 0;
	return tr->fired + at;
}

size_t trainer_fired_len(const struct trainer *tr)
{
	size_t len = 0;
	if (!tr->mix)
		return is_relu(&tr->m) ? (size_t)tr->m.L * tr->m.H : 0;
	for (int k = 0; k < tr->mix->mx.K; k++)
		len += is_relu(&tr->mix->mx.comp[k]) ? (size_t)tr->m.L * tr->m.H : 0;
	return len;
}

int trainer_diag_init(struct trainer *tr)
{
	const struct model *m = &tr->m;
	size_t fired = trainer_fired_len(tr);
	if (diag_work_init(&tr->dw, m->H) < 0)
		return -1;
	if (fired && !(tr->fired = calloc(fired, 1))) {
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

/* One model's part of trainer_diag_batch: the batch that rnn_forward left
 * in c (n steps of c->B sequences), fired its flags (or NULL). */
static void model_diag_batch(uint8_t *fired, const struct rnn_cache *c, const struct model *m,
			     int n, struct record *rec, struct diag_work *dw)
{
	const int H = m->H, L = m->L, B = c->B;
	/* rows B..(n+1)B-1: h_0 .. h_{n-1} of the B sequences */
	for (int l = 0; fired && l < L; l++)
		diag_fired_or(fired + (size_t)l * H, c->ly[l].hs + (size_t)B * H, n * B, H);
	if (!rec || !rec->sat)
		return;
	record_diag_fill(rec, c, m, dw);
	if (!fired)
		return;
	if (rec->dead)
		for (size_t u = 0; u < (size_t)L * H; u++)
			rec->dead[u] = !fired[u];
	memset(fired, 0, (size_t)L * H);
}

void trainer_diag_batch(struct trainer *tr, struct record *rec)
{
	if (!tr->diag)
		return;
	if (!tr->mix) {
		model_diag_batch(tr->fired, &tr->c, &tr->m, tr->cfg.n, rec, &tr->dw);
		return;
	}
	/* a mix: each component as one model, into its own record */
	struct mix_train *mt = tr->mix;
	for (int k = 0; k < mt->mx.K; k++)
		model_diag_batch(comp_fired(tr, k), &mt->run.c[k], &mt->mx.comp[k], tr->cfg.n,
				 rec ? &rec->comp[k] : NULL, &tr->dw);
}
