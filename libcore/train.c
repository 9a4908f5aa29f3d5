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
	if (tr->cfg.layers <= 0)
		tr->cfg.layers = 1;
	tr->ids = ids;
	tr->len = len;
	size_t state = (size_t)tr->cfg.layers * cfg->H;
	if (model_init(&tr->m, cfg->cell, cfg->act, tr->cfg.layers, cfg->H, cfg->V) ||
	    rnn_cache_init(&tr->c, cfg->n, &tr->m) ||
	    optim_init(&tr->opt, cfg->optim, cfg->lr, tr->m.nparams) ||
	    itemize_ws_init(&tr->iw, cfg->n, &tr->m))
		goto fail;
	tr->grads = calloc(tr->m.nparams, sizeof(float));
	tr->h = calloc(state, sizeof(float));
	if (cfg->cell == CELL_LSTM && !(tr->cstate = calloc(state, sizeof(float))))
		goto fail;
	if (!tr->grads || !tr->h)
		goto fail;
	rng_seed(&r, cfg->seed);
	model_init_params(&tr->m, cfg->init_scale, cfg->forget_bias, &r);
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
	free(tr->cstate);
	tr->grads = tr->h = tr->cstate = NULL;
}

void train_defaults(enum cell_kind cell, int layers, int H, enum optim_kind *optim, double *lr,
		    double *init_scale)
{
	if (layers <= 1) {
		*optim = OPT_ADAGRAD;
		*init_scale = 0.01;
	} else {
		*optim = OPT_ADAM;
		*init_scale = 1.0 / sqrt(3.0 * (H > 0 ? H : 1));
	}
	*lr = optim_default_lr(*optim);
	if (layers > 1 && cell == CELL_RNN)
		*lr = 0.001; /* 0.002 left one seed in three above the entropy */
}

int record_alloc(struct record *r, const struct model *m, int steps, int with_params,
		 int with_hidden)
{
	const size_t n = (size_t)steps, H = (size_t)m->H, L = (size_t)m->L;
	const size_t G = (size_t)m->G, lstm = m->cell == CELL_LSTM;
	memset(r, 0, sizeof(*r));
	r->input = malloc(n * sizeof(int32_t));
	r->target = malloc(n * sizeof(int32_t));
	r->predicted = malloc(n * sizeof(int32_t));
	r->loss = malloc(n * sizeof(float));
	r->it.g = malloc(L * n * n * sizeof(float));
	r->it.E = malloc(L * n * sizeof(float));
	r->it.uf = malloc(L * n * H * sizeof(float));
	if (G > 1) {
		r->it.gq = malloc(L * G * n * n * sizeof(float));
		r->it.Eq = malloc(L * G * n * sizeof(float));
	}
	r->h0 = malloc(L * H * sizeof(float));
	if (lstm)
		r->c0 = malloc(L * H * sizeof(float));
	if (with_params)
		r->params = malloc(m->nparams * sizeof(float));
	if (with_hidden)
		r->hidden = malloc(L * n * H * sizeof(float));
	if (with_hidden && lstm)
		r->cell = malloc(L * n * H * sizeof(float));
	if (!r->input || !r->target || !r->predicted || !r->loss || !r->it.g || !r->it.E ||
	    !r->it.uf ||
	    (G > 1 && (!r->it.gq || !r->it.Eq)) || !r->h0 || (lstm && !r->c0) ||
	    (with_params && !r->params) || (with_hidden && !r->hidden) ||
	    (with_hidden && lstm && !r->cell)) {
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
	free(r->it.g);
	free(r->it.E);
	free(r->it.gq);
	free(r->it.Eq);
	free(r->it.uf);
	free(r->h0);
	free(r->c0);
	free(r->params);
	free(r->hidden);
	free(r->cell);
	if (r->defer) {
		itemize_defer_free(r->defer);
		free(r->defer);
	}
	memset(r, 0, sizeof(*r));
}

int record_defer(struct record *r, const struct trainer *tr)
{
	r->defer = malloc(sizeof(*r->defer));
	if (!r->defer)
		return -1;
	if (itemize_defer_init(r->defer, tr->cfg.n, &tr->m) < 0) {
		free(r->defer);
		r->defer = NULL;
		return -1;
	}
	return 0;
}

void record_finish(struct record *r, struct itemize_ws *w)
{
	if (!r->pending)
		return;
	itemize_errors(&r->it, w, r->defer);
	r->pending = 0;
}

void record_fill(struct record *rec, const struct rnn_cache *c, const struct model *m,
		 const int32_t *x, const int32_t *y)
{
	const size_t n = (size_t)c->n, H = (size_t)m->H;
	memcpy(rec->input, x, n * sizeof(int32_t));
	memcpy(rec->target, y, n * sizeof(int32_t));
	memcpy(rec->predicted, c->pred, n * sizeof(int32_t));
	memcpy(rec->loss, c->losses, n * sizeof(float));
	for (int l = 0; l < m->L; l++) {
		const struct layer_cache *lc = &c->ly[l];
		memcpy(rec->h0 + l * H, lc->hs, H * sizeof(float));
		if (rec->c0)
			memcpy(rec->c0 + l * H, lc->cs, H * sizeof(float));
		if (rec->hidden) /* rows 1..n of the cache: h_0 .. h_{n-1} */
			memcpy(rec->hidden + l * n * H, lc->hs + H, n * H * sizeof(float));
		if (rec->cell)
			memcpy(rec->cell + l * n * H, lc->cs + H, n * H * sizeof(float));
	}
	if (rec->params) /* PyTorch's layout */
		model_export(m, rec->params, m->params);
}

static void fill_record(struct record *rec, struct trainer *tr,
			const int32_t *x, const int32_t *y)
{
	rec->batch = tr->batch;
	rec->position = (int64_t)tr->pos;
	record_fill(rec, &tr->c, &tr->m, x, y);
	if (rec->defer) { /* E later, by record_finish */
		itemize_split(&rec->it, &tr->iw, &tr->c, &tr->m, rec->defer);
		rec->pending = 1;
	} else {
		itemize(&rec->it, &tr->iw, &tr->c, &tr->m);
	}
}

/* The rows of layer 0's W_ih (stored (V, GH)) that the batch x can have
 * touched: its distinct tokens, in order of appearance. */
static void batch_rows(struct sparse_rows *sp, int32_t *rows, const struct trainer *tr,
		       const int32_t *x)
{
	uint8_t seen[256] = { 0 };
	const struct param_info *p = &tr->m.tab[model_param(0, LP_WEIGHT_IH)];
	sp->offset = p->offset;
	sp->row_len = p->dims[0];
	sp->nrows = p->dims[1];
	sp->rows = rows;
	sp->count = 0;
	for (int t = 0; t < tr->cfg.n; t++)
		if (!seen[x[t]]) {
			seen[x[t]] = 1;
			rows[sp->count++] = x[t];
		}
}

/* The state every layer carries into the next batch: zeros after a wrap
 * or a batch that was not finite, else the batch's last h_t (and c_t). */
static void reset_state(struct trainer *tr)
{
	size_t len = (size_t)tr->m.L * tr->m.H * sizeof(float);
	memset(tr->h, 0, len);
	if (tr->cstate)
		memset(tr->cstate, 0, len);
}

static void carry_state(struct trainer *tr)
{
	const size_t n = (size_t)tr->cfg.n, H = (size_t)tr->m.H;
	for (int l = 0; l < tr->m.L; l++) {
		memcpy(tr->h + l * H, tr->c.ly[l].hs + n * H, H * sizeof(float));
		if (tr->cstate)
			memcpy(tr->cstate + l * H, tr->c.ly[l].cs + n * H, H * sizeof(float));
	}
}

void trainer_step(struct trainer *tr, struct batch_stats *st, struct record *rec)
{
	const int n = tr->cfg.n;
	if (tr->pos + (size_t)n + 1 > tr->len) { /* wrap: start over from zero */
		tr->pos = 0;
		reset_state(tr);
	}
	const int32_t *x = tr->ids + tr->pos, *y = x + 1;
	double L = rnn_forward(&tr->c, x, y, tr->h, tr->cstate, &tr->m);
	memset(tr->grads, 0, tr->m.nparams * sizeof(float));
	rnn_backward(tr->grads, &tr->c, x, y, &tr->m);
	if (rec)
		fill_record(rec, tr, x, y);

	st->batch = tr->batch;
	st->position = (int64_t)tr->pos;
	st->loss = (float)(L / n);
	struct sparse_rows sp;
	int32_t rows[256];
	batch_rows(&sp, rows, tr, x);
	st->grad_norm = (float)grad_norm(tr->grads, tr->m.nparams, &sp); /* before clipping */
	/* a NaN or Inf anywhere in the gradient shows in its norm */
	st->nonfinite = !isfinite(st->loss) || !isfinite(st->grad_norm);
	if (!st->nonfinite) {
		optim_step(&tr->opt, tr->m.params, tr->grads, tr->cfg.clip, &sp);
		carry_state(tr);
	} else {
		reset_state(tr);
	}
	tr->pos += (size_t)n;
	tr->batch++;
}
