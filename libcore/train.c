/*
 * train.c - one batch: forward, backward, optional itemization, clip,
 * update; then move along the corpus.
 */
#include "train.h"
#include "diagrec.h"
#include "pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int trainer_fits(size_t len, int n, int B)
{
	return B >= 1 && len / (size_t)B >= (size_t)n + 1;
}

int trainer_init(struct trainer *tr, const struct train_config *cfg,
		 const int32_t *ids, size_t len)
{
	struct rng r;

	memset(tr, 0, sizeof(*tr));
	tr->cfg = *cfg;
	if (tr->cfg.layers <= 0)
		tr->cfg.layers = 1;
	tr->B = tr->cfg.batch = cfg->batch > 1 ? cfg->batch : 1;
	tr->S = tr->cfg.record_sequences = cfg->record_sequences > 1 ?
		(cfg->record_sequences < tr->B ? cfg->record_sequences : tr->B) : 1;
	tr->ids = ids;
	tr->len = len;
	tr->stretch = len / (size_t)tr->B;
	size_t state = (size_t)tr->cfg.layers * tr->B * cfg->H;
	if (cfg->ncomp >= 2)
		return mix_trainer_init(tr, ids, len);
	if (model_init(&tr->m, cfg->cell, cfg->act, tr->cfg.layers, cfg->H, cfg->V) ||
	    rnn_cache_init_batch(&tr->c, cfg->n, tr->B, &tr->m) ||
	    optim_init(&tr->opt, cfg->optim, cfg->lr, tr->m.nparams) ||
	    itemize_ws_init_batch(&tr->iw, cfg->n, tr->S, &tr->m))
		goto fail;
	if (tr->B > 1) {
		size_t rows = (size_t)cfg->n * tr->B;
		tr->xb = malloc(rows * sizeof(int32_t));
		tr->yb = malloc(rows * sizeof(int32_t));
		if (!tr->xb || !tr->yb || rnn_cache_init_batch(&tr->view, cfg->n, tr->S, &tr->m))
			goto fail;
	}
	tr->grads = calloc(tr->m.nparams, sizeof(float));
	tr->h = calloc(state, sizeof(float));
	tr->seen = calloc((size_t)cfg->V, 1); /* any V: words and token ids go past 256 */
	tr->rows = malloc((size_t)cfg->V * sizeof(int32_t));
	if (!tr->seen || !tr->rows)
		goto fail;
	if (cfg->cell == CELL_LSTM && !(tr->cstate = calloc(state, sizeof(float))))
		goto fail;
	if (!tr->grads || !tr->h)
		goto fail;
	/* only a minibatch has parts to share (rnn_batch.h) */
	if (tr->c.parts > 1 && cfg->threads > 1 && !(tr->pool = pool_create(cfg->threads)))
		goto fail;
	tr->c.pool = tr->view.pool = tr->iw.pool = tr->pool;
	rng_seed(&r, cfg->seed);
	model_init_params(&tr->m, cfg->init_scale, cfg->forget_bias, &r);
	return 0;
fail:
	trainer_free(tr);
	return -1;
}

void trainer_buffers_free(struct trainer *tr)
{
	free(tr->grads);
	free(tr->h);
	free(tr->cstate);
	tr->grads = tr->h = tr->cstate = NULL;
	free(tr->xb);
	free(tr->yb);
	tr->xb = tr->yb = NULL;
	free(tr->seen);
	free(tr->rows);
	tr->seen = NULL;
	tr->rows = NULL;
}

void trainer_free(struct trainer *tr)
{
	if (tr->mix) {
		trainer_diag_free(tr);
		mix_trainer_free(tr);
		return;
	}
	model_free(&tr->m);
	rnn_cache_free(&tr->c);
	optim_free(&tr->opt);
	itemize_ws_free(&tr->iw);
	trainer_buffers_free(tr);
	if (tr->view.ly)
		rnn_cache_free(&tr->view);
	trainer_diag_free(tr);
	pool_free(tr->pool);
	tr->pool = NULL;
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
	return record_alloc_seq(r, m, steps, 1, with_params, with_hidden);
}

int record_alloc_seq(struct record *r, const struct model *m, int steps, int seqs,
		     int with_params, int with_hidden)
{
	const size_t n = (size_t)steps, L = (size_t)m->L, S = (size_t)seqs;
	const size_t H = (size_t)m->H * S; /* the per-sequence arrays: S of each */
	const size_t G = (size_t)m->G, lstm = m->cell == CELL_LSTM;
	memset(r, 0, sizeof(*r));
	r->S = seqs;
	if (S > 1 && !(r->positions = malloc(S * sizeof(int64_t))))
		return -1;
	r->input = malloc(S * n * sizeof(int32_t));
	r->target = malloc(S * n * sizeof(int32_t));
	r->predicted = malloc(S * n * sizeof(int32_t));
	r->loss = malloc(S * n * sizeof(float));
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
	free(r->positions);
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
	free(r->sat);
	free(r->gamma);
	free(r->gamma_max);
	free(r->rho);
	free(r->sigma_max);
	free(r->dead);
	free(r->whh);
	for (int k = 0; r->comp && k < r->ncomp; k++)
		record_free(&r->comp[k]);
	free(r->comp);
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
	if (tr->S > 1 || itemize_defer_init(r->defer, tr->cfg.n, &tr->m) < 0) {
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
	const size_t n = (size_t)c->n, H = (size_t)m->H, B = (size_t)c->B;
	const size_t S = rec->S > 1 ? (size_t)rec->S : 1;
	for (size_t s = 0; s < S; s++) /* sequence-major from step-major rows */
		for (size_t t = 0; t < n; t++) {
			rec->input[s * n + t] = x[t * B + s];
			rec->target[s * n + t] = y[t * B + s];
			rec->predicted[s * n + t] = c->pred[t * B + s];
			rec->loss[s * n + t] = c->losses[t * B + s];
		}
	for (size_t l = 0; l < (size_t)m->L; l++) {
		const struct layer_cache *lc = &c->ly[l];
		for (size_t s = 0; s < S; s++) {
			size_t at = l * S + s;
			memcpy(rec->h0 + at * H, lc->hs + s * H, H * sizeof(float));
			if (rec->c0)
				memcpy(rec->c0 + at * H, lc->cs + s * H, H * sizeof(float));
			for (size_t t = 0; rec->hidden && t < n; t++) /* rows B.. : h_0 .. */
				memcpy(rec->hidden + (at * n + t) * H, lc->hs + ((t + 1) * B + s) * H,
				       H * sizeof(float));
			for (size_t t = 0; rec->cell && t < n; t++)
				memcpy(rec->cell + (at * n + t) * H, lc->cs + ((t + 1) * B + s) * H,
				       H * sizeof(float));
		}
	}
	if (rec->params) /* PyTorch's layout */
		model_export(m, rec->params, m->params);
}

static void fill_record(struct record *rec, struct trainer *tr,
			const int32_t *x, const int32_t *y)
{
	const struct rnn_cache *c = &tr->c;
	rec->batch = tr->batch;
	rec->position = (int64_t)tr->pos;
	for (int s = 0; rec->positions && s < rec->S; s++)
		rec->positions[s] = (int64_t)(s * tr->stretch + tr->pos);
	record_fill(rec, c, &tr->m, x, y);
	if (tr->B > 1) { /* the itemizer reads the S sequences' rows alone */
		rnn_cache_gather(&tr->view, c, &tr->m);
		c = &tr->view;
	}
	if (rec->defer) { /* E later, by record_finish */
		itemize_split(&rec->it, &tr->iw, c, &tr->m, rec->defer);
		rec->pending = 1;
	} else {
		itemize(&rec->it, &tr->iw, c, &tr->m);
	}
}

/* The rows of layer 0's W_ih (stored (V, GH)) that the batch x can have
 * touched: its distinct tokens, in order of appearance. */
static void batch_rows(struct sparse_rows *sp, int32_t *rows, uint8_t *seen,
		       const struct trainer *tr, const int32_t *x)
{
	const struct param_info *p = &tr->m.tab[model_param(0, LP_WEIGHT_IH)];
	sp->offset = p->offset;
	sp->row_len = p->dims[0];
	sp->nrows = p->dims[1];
	sp->rows = rows;
	sp->count = 0;
	for (int t = 0; t < tr->cfg.n * tr->B; t++)
		if (!seen[x[t]]) {
			seen[x[t]] = 1;
			rows[sp->count++] = x[t];
		}
	for (int i = 0; i < sp->count; i++) /* clean for the next batch */
		seen[rows[i]] = 0;
}

/* The state every layer carries into the next batch: zeros after a wrap
 * or a batch that was not finite, else the batch's last h_t (and c_t). */
size_t trainer_state_len(const struct trainer *tr)
{
	return (size_t)tr->m.L * tr->B * tr->m.H * (tr->mix ? (size_t)tr->mix->mx.K : 1);
}

static void reset_state(struct trainer *tr)
{
	size_t len = trainer_state_len(tr) * sizeof(float);
	memset(tr->h, 0, len);
	if (tr->cstate)
		memset(tr->cstate, 0, len);
}

static void carry_state(struct trainer *tr)
{
	const size_t n = (size_t)tr->cfg.n, H = (size_t)tr->m.H * tr->B; /* B states */
	if (tr->mix) {
		mix_carry(&tr->mix->run, &tr->mix->mx, tr->h, tr->cstate);
		return;
	}
	for (int l = 0; l < tr->m.L; l++) {
		memcpy(tr->h + l * H, tr->c.ly[l].hs + n * H, H * sizeof(float));
		if (tr->cstate)
			memcpy(tr->cstate + l * H, tr->c.ly[l].cs + n * H, H * sizeof(float));
	}
}

void trainer_step(struct trainer *tr, struct batch_stats *st, struct record *rec)
{
	const int n = tr->cfg.n;
	if (tr->pos + (size_t)n + 1 > tr->stretch) { /* wrap: start over from zero */
		tr->pos = 0;
		reset_state(tr);
	}
	const int32_t *x = tr->ids + tr->pos, *y = x + 1;
	if (tr->B > 1) { /* row t*B + b: step t of sequence b, in its own stretch */
		for (int t = 0; t < n; t++)
			for (int b = 0; b < tr->B; b++) {
				const int32_t *at = tr->ids + (size_t)b * tr->stretch + tr->pos + t;
				tr->xb[t * tr->B + b] = at[0];
				tr->yb[t * tr->B + b] = at[1];
			}
		x = tr->xb;
		y = tr->yb;
	}
	double L;
	if (tr->mix) {
		L = mix_train_batch(tr, x, y, rec);
	} else {
		L = rnn_forward(&tr->c, x, y, tr->h, tr->cstate, &tr->m);
		memset(tr->grads, 0, tr->m.nparams * sizeof(float));
		rnn_backward(tr->grads, &tr->c, x, y, &tr->m);
		if (rec)
			fill_record(rec, tr, x, y);
	}
	trainer_diag_batch(tr, rec);

	st->batch = tr->batch;
	st->position = (int64_t)tr->pos;
	st->loss = (float)(L / ((double)n * tr->B)); /* per step of each sequence */
	struct sparse_rows sp;
	batch_rows(&sp, tr->rows, tr->seen, tr, x);
	st->grad_norm = (float)grad_norm(tr->grads, tr->m.nparams, &sp); /* before clipping */
	/* a NaN or Inf anywhere in the gradient shows in its norm */
	st->nonfinite = !isfinite(st->loss) || !isfinite(st->grad_norm);
	st->clip_share = (float)clip_share(tr->grads, tr->m.nparams, tr->cfg.clip, &sp);
	if (!st->nonfinite) {
		optim_step(&tr->opt, tr->m.params, tr->grads, tr->cfg.clip, &sp);
		carry_state(tr);
	} else {
		reset_state(tr);
	}
	tr->pos += (size_t)n;
	tr->batch++;
}
