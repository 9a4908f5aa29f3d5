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
	if (tr->B > 1 || !(tr->mix = calloc(1, sizeof(*tr->mix))))
		return -1; /* the caller refuses --batch-size with a mix */
	struct mix_train *mt = tr->mix;
	if (mix_init(&mt->mx, &tr->m, cfg->comp, cfg->ncomp, cfg->act, cfg->layers, cfg->H,
		     cfg->V) < 0) {
		free(tr->mix);
		tr->mix = NULL;
		return -1;
	}
	size_t state = trainer_state_len(tr);
	int bad = mix_run_init(&mt->run, &mt->mx, cfg->n, 1) < 0 ||
		  optim_init(&tr->opt, cfg->optim, cfg->lr, tr->m.nparams) < 0;
	for (int k = 0; k < mt->mx.K && !bad; k++)
		bad = itemize_ws_init(&mt->iw[k], cfg->n, &mt->mx.comp[k]) < 0;
	tr->grads = calloc(tr->m.nparams, sizeof(float));
	tr->h = calloc(state, sizeof(float));
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
	for (int k = 0; k < mt->mx.K; k++)
		if (mt->iw[k].ly)
			itemize_ws_free(&mt->iw[k]);
	if (mt->run.probs)
		mix_run_free(&mt->run, &mt->mx);
	mix_free(&mt->mx, &tr->m);
	optim_free(&tr->opt);
	free(tr->grads);
	free(tr->h);
	free(tr->cstate);
	tr->grads = tr->h = tr->cstate = NULL;
	free(mt);
	tr->mix = NULL;
}

int mix_record_alloc(struct record *r, const struct mix *mx, int n, int with_params,
		     int with_hidden)
{
	const size_t N = (size_t)n;
	memset(r, 0, sizeof(*r));
	r->S = 1;
	r->input = malloc(N * sizeof(int32_t));
	r->target = malloc(N * sizeof(int32_t));
	r->predicted = malloc(N * sizeof(int32_t));
	r->loss = malloc(N * sizeof(float));
	r->comp = calloc((size_t)mx->K, sizeof(*r->comp));
	int bad = !r->input || !r->target || !r->predicted || !r->loss || !r->comp;
	if (r->comp)
		r->ncomp = mx->K;
	for (int k = 0; k < mx->K && !bad; k++)
		bad = record_alloc(&r->comp[k], &mx->comp[k], n, with_params, with_hidden) < 0;
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
	rec->batch = tr->batch;
	rec->position = (int64_t)tr->pos;
	memcpy(rec->input, x, (size_t)n * sizeof(int32_t));
	memcpy(rec->target, y, (size_t)n * sizeof(int32_t));
	memcpy(rec->predicted, run->pred, (size_t)n * sizeof(int32_t));
	memcpy(rec->loss, run->losses, (size_t)n * sizeof(float));
	for (int k = 0; k < mt->mx.K; k++) {
		struct record *rk = &rec->comp[k];
		rk->batch = rec->batch;
		rk->position = rec->position;
		record_fill(rk, &run->c[k], &mt->mx.comp[k], x, y);
		itemize(&rk->it, &mt->iw[k], &run->c[k], &mt->mx.comp[k]);
	}
	return L;
}
