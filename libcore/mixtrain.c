/*
 * mixtrain.c - the trainer of a mix of components (mix.h): one block of
 * parameters for the optimizer, each component's own forward, BPTT and
 * itemizer, one record per component beside the shared one.
 */
#include "train.h"

#include <stdlib.h>
#include <string.h>

int mix_trainer_init(struct trainer *tr, const int32_t *ids, size_t len)
{
	const struct train_config *cfg = &tr->cfg;
	struct rng r;
	(void)ids;
	(void)len;
	if (!(tr->mix = calloc(1, sizeof(*tr->mix))))
		return -1;
	struct mix_train *mt = tr->mix;
	if (mix_init(&mt->mx, &tr->m, cfg->comp, cfg->ncomp, cfg->act, cfg->layers, cfg->H,
		     cfg->V) < 0) {
		free(tr->mix);
		tr->mix = NULL;
		return -1;
	}
	size_t state = trainer_state_len(tr);
	int bad = mix_run_init(&mt->run, &mt->mx, cfg->n, tr->B) < 0 ||
		  optim_init(&tr->opt, cfg->optim, cfg->lr, tr->m.nparams) < 0;
	for (int k = 0; k < mt->mx.K && !bad; k++)
		bad = itemize_ws_init_batch(&mt->iw[k], cfg->n, tr->S, &mt->mx.comp[k]) < 0 ||
		      (tr->B > 1 &&
		       rnn_cache_init_batch(&mt->view[k], cfg->n, tr->S, &mt->mx.comp[k]) < 0);
	if (tr->B > 1) {
		size_t rows = (size_t)cfg->n * tr->B;
		tr->xb = malloc(rows * sizeof(int32_t));
		tr->yb = malloc(rows * sizeof(int32_t));
		bad |= !tr->xb || !tr->yb;
	}
	tr->grads = calloc(tr->m.nparams, sizeof(float));
	tr->h = calloc(state, sizeof(float));
	tr->seen = calloc((size_t)cfg->V, 1); /* batch_rows' (train.c), any V */
	tr->rows = malloc((size_t)cfg->V * sizeof(int32_t));
	bad |= !tr->seen || !tr->rows;
	if (mt->mx.any_lstm)
		tr->cstate = calloc(state, sizeof(float));
	if (bad || !tr->grads || !tr->h || (mt->mx.any_lstm && !tr->cstate)) {
		mix_trainer_free(tr);
		return -1;
	}
	rng_seed(&r, cfg->seed);
	mix_init_params(&mt->mx, cfg->init_scale, cfg->forget_bias, &r);
	return 0;
}

void mix_trainer_free(struct trainer *tr)
{
	struct mix_train *mt = tr->mix;
	for (int k = 0; k < mt->mx.K; k++) {
		if (mt->iw[k].ly)
			itemize_ws_free(&mt->iw[k]);
		if (mt->view[k].ly)
			rnn_cache_free(&mt->view[k]);
	}
	trainer_buffers_free(tr);
	if (mt->run.probs)
		mix_run_free(&mt->run, &mt->mx);
	mix_free(&mt->mx, &tr->m);
	optim_free(&tr->opt);
	free(mt);
	tr->mix = NULL;
}

int mix_record_alloc(struct record *r, const struct mix *mx, int n, int S, int with_params,
		     int with_hidden)
{
	const size_t N = (size_t)n * S;
	memset(r, 0, sizeof(*r));
	r->S = S;
	if (S > 1 && !(r->positions = malloc((size_t)S * sizeof(int64_t))))
		return -1;
	r->input = malloc(N * sizeof(int32_t));
	r->target = malloc(N * sizeof(int32_t));
	r->predicted = malloc(N * sizeof(int32_t));
	r->loss = malloc(N * sizeof(float));
	r->comp = calloc((size_t)mx->K, sizeof(*r->comp));
	int bad = !r->input || !r->target || !r->predicted || !r->loss || !r->comp;
	if (r->comp)
		r->ncomp = mx->K;
	for (int k = 0; k < mx->K && !bad; k++)
		bad = record_alloc_seq(&r->comp[k], &mx->comp[k], n, S, with_params,
				       with_hidden) < 0;
	if (bad) {
		record_free(r);
		return -1;
	}
	return 0;
}

double mix_train_batch(struct trainer *tr, const int32_t *x, const int32_t *y,
		       struct record *rec)
{
	struct mix_train *mt = tr->mix;
	struct mix_run *run = &mt->run;
	const int n = tr->cfg.n;
	mix_logits(run, &mt->mx, x, tr->h, tr->cstate);
	double L = mix_softmax(run, &mt->mx, MIX_ALL, y);
	memset(tr->grads, 0, tr->m.nparams * sizeof(float));
	mix_backward(run, &mt->mx, tr->grads, x, y);
	if (!rec)
		return L;
	const size_t B = (size_t)tr->B;
	rec->batch = tr->batch;
	rec->position = (int64_t)tr->pos;
	for (int s = 0; rec->positions && s < rec->S; s++)
		rec->positions[s] = (int64_t)(s * tr->stretch + tr->pos);
	for (size_t s = 0; s < (size_t)rec->S; s++) /* sequence-major from step-major rows */
		for (size_t t = 0; t < (size_t)n; t++) {
			rec->input[s * n + t] = x[t * B + s];
			rec->target[s * n + t] = y[t * B + s];
			rec->predicted[s * n + t] = run->pred[t * B + s];
			rec->loss[s * n + t] = run->losses[t * B + s];
		}
	for (int k = 0; k < mt->mx.K; k++) {
		struct record *rk = &rec->comp[k];
		const struct rnn_cache *c = &run->c[k];
		record_fill(rk, c, &mt->mx.comp[k], x, y);
		if (B > 1) { /* the itemizer reads the S sequences' rows alone */
			rnn_cache_gather(&mt->view[k], c, &mt->mx.comp[k]);
			c = &mt->view[k];
		}
		itemize(&rk->it, &mt->iw[k], c, &mt->mx.comp[k]);
	}
	return L;
}
