/*
 * train.c - one batch: forward, backward, optional itemization, clip,
 * update; then move along the corpus.
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int trainer_init(struct trainer *tr, const struct train_config *cfg,
		 const int32_t *ids, size_t len)
{
	struct rng r;

	memset(tr, 0, sizeof(*tr));
	tr->cfg = *cfg;
	tr->ids = ids;
	tr->len = len;
	if (model_init(&tr->m, cfg->H, cfg->V, cfg->act) ||
	    rnn_cache_init(&tr->c, cfg->n, &tr->m) ||
	    optim_init(&tr->opt, cfg->optim, cfg->lr, tr->m.nparams) ||
	    itemize_ws_init(&tr->iw, cfg->n, cfg->H))
		goto fail;
	tr->grads = calloc(tr->m.nparams, sizeof(float));
	tr->h = calloc((size_t)cfg->H, sizeof(float));
	if (!tr->grads || !tr->h)
		goto fail;
	rng_seed(&r, cfg->seed);
	model_init_params(&tr->m, cfg->init_scale, &r);
	return 0;
fail:
	trainer_free(tr);
	return -1;
}

void trainer_free(struct trainer *tr)
{
	model_free(&tr->m);
	rnn_cache_free(&tr->c);
	optim_free(&tr->opt);
	itemize_ws_free(&tr->iw);
	free(tr->grads);
	free(tr->h);
	tr->grads = tr->h = NULL;
}

int record_alloc(struct record *r, const struct trainer *tr, int with_params,
		 int with_hidden)
{
	size_t n = (size_t)tr->cfg.n, H = (size_t)tr->cfg.H;
	memset(r, 0, sizeof(*r));
	r->input = malloc(n * sizeof(int32_t));
	r->target = malloc(n * sizeof(int32_t));
	r->predicted = malloc(n * sizeof(int32_t));
	r->loss = malloc(n * sizeof(float));
	r->itemized = malloc(n * n * sizeof(float));
	r->trunc = malloc(n * sizeof(float));
	r->h0 = malloc(H * sizeof(float));
	if (with_params)
		r->params = malloc(tr->m.nparams * sizeof(float));
	if (with_hidden)
		r->hidden = malloc(n * H * sizeof(float));
	if (!r->input || !r->target || !r->predicted || !r->loss || !r->itemized ||
	    !r->trunc || !r->h0 || (with_params && !r->params) ||
	    (with_hidden && !r->hidden)) {
		record_free(r);
		return -1;
	}
	return 0;
}

void record_free(struct record *r)
{
	free(r->input);
	free(r->target);
	free(r->predicted);
	free(r->loss);
	free(r->itemized);
	free(r->trunc);
	free(r->h0);
	free(r->params);
	free(r->hidden);
	memset(r, 0, sizeof(*r));
}

static void fill_record(struct record *rec, struct trainer *tr,
			const int32_t *x, const int32_t *y)
{
	const int n = tr->cfg.n, H = tr->cfg.H;
	rec->batch = tr->batch;
	rec->position = (int64_t)tr->pos;
	memcpy(rec->input, x, (size_t)n * sizeof(int32_t));
	memcpy(rec->target, y, (size_t)n * sizeof(int32_t));
	memcpy(rec->predicted, tr->c.pred, (size_t)n * sizeof(int32_t));
	memcpy(rec->loss, tr->c.losses, (size_t)n * sizeof(float));
	memcpy(rec->h0, tr->c.hs, (size_t)H * sizeof(float));
	if (rec->params)
		memcpy(rec->params, tr->m.params, tr->m.nparams * sizeof(float));
	if (rec->hidden)
		memcpy(rec->hidden, tr->c.hs + H, (size_t)n * H * sizeof(float));
	itemize(rec->itemized, rec->trunc, &tr->iw, &tr->c, &tr->m);
}

void trainer_step(struct trainer *tr, struct batch_stats *st, struct record *rec)
{
	const int n = tr->cfg.n;
	if (tr->pos + (size_t)n + 1 > tr->len) { /* wrap: start over from zero */
		tr->pos = 0;
		memset(tr->h, 0, (size_t)tr->cfg.H * sizeof(float));
	}
	const int32_t *x = tr->ids + tr->pos, *y = x + 1;
	double L = rnn_forward(&tr->c, x, y, tr->h, &tr->m);
	memset(tr->grads, 0, tr->m.nparams * sizeof(float));
	rnn_backward(tr->grads, &tr->c, x, y, &tr->m);
	if (rec)
		fill_record(rec, tr, x, y);

	st->batch = tr->batch;
	st->position = (int64_t)tr->pos;
	st->loss = (float)(L / n);
	st->grad_norm = (float)grad_norm_clip(tr->grads, tr->m.nparams, tr->cfg.clip);
	/* a NaN or Inf anywhere in the gradient shows in its norm */
	st->nonfinite = !isfinite(st->loss) || !isfinite(st->grad_norm);
	if (!st->nonfinite) {
		optim_step(&tr->opt, tr->m.params, tr->grads);
		memcpy(tr->h, tr->c.hs + (size_t)n * tr->cfg.H, (size_t)tr->cfg.H * sizeof(float));
	} else {
		memset(tr->h, 0, (size_t)tr->cfg.H * sizeof(float));
	}
	tr->pos += (size_t)n;
	tr->batch++;
}
