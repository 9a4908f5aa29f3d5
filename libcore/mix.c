/*
 * mix.c - components in competition: K models, logits averaged (see mix.h).
 */
#include "mix.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mix_parse(const char *s, enum cell_kind *cells)
{
	if (!strcmp(s, "mix")) {
		cells[0] = CELL_RNN;
		cells[1] = CELL_LSTM;
		cells[2] = CELL_GRU;
		return 3;
	}
	if (!strchr(s, ','))
		return cell_parse(s, &cells[0]) == 0 ? 0 : -1;
	int K = 0;
	for (const char *p = s;; K++) {
		size_t w = strcspn(p, ",");
		char one[16];
		if (K == MIX_MAX || w == 0 || w >= sizeof(one))
			return -1;
		memcpy(one, p, w);
		one[w] = '\0';
		if (cell_parse(one, &cells[K]) < 0)
			return -1;
		if (!p[w])
			return K + 1;
		p += w + 1;
	}
}

void mix_names(char name[][MIX_NAME], const enum cell_kind *cells, int K)
{
	for (int k = 0; k < K; k++) {
		int rank = 0, count = 0;
		for (int j = 0; j < K; j++) {
			count += cells[j] == cells[k];
			rank += j < k && cells[j] == cells[k];
		}
		if (count > 1)
			snprintf(name[k], MIX_NAME, "%s%d", cell_name(cells[k]), rank);
		else
			snprintf(name[k], MIX_NAME, "%s", cell_name(cells[k]));
	}
}

int32_t mix_code(const enum cell_kind *cells, int K)
{
	int32_t code = 0;
	for (int k = K - 1; k >= 0; k--)
		code = code * 4 + (int32_t)cells[k] + 1;
	return 16 + code;
}

void mix_code_name(char *buf, size_t len, int32_t code)
{
	if (code < 16) {
		snprintf(buf, len, "%s", cell_name((enum cell_kind)code));
		return;
	}
	buf[0] = '\0';
	for (code -= 16; code > 0 && strlen(buf) + 6 < len; code /= 4)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", *buf ? "," : "",
			 cell_name((enum cell_kind)(code % 4 - 1)));
}

/* Points component model c's views at its slot of the block. */
static void rebase(struct model *c, float *params)
{
	free(c->params);
	c->params = params;
	for (int l = 0; l < c->L; l++) {
		struct layer_params *lp = &c->layer[l];
		lp->W_ih = model_slot(c, params, model_param(l, LP_WEIGHT_IH));
		lp->W_hh = model_slot(c, params, model_param(l, LP_WEIGHT_HH));
		lp->b_ih = model_slot(c, params, model_param(l, LP_BIAS_IH));
		lp->b_hh = model_slot(c, params, model_param(l, LP_BIAS_HH));
	}
	c->W_out = model_slot(c, params, model_weight_out(c));
	c->b_out = model_slot(c, params, model_bias_out(c));
}

int mix_init(struct mix *mx, struct model *whole, const enum cell_kind *cells, int K,
	     enum act_kind act, int L, int H, int V)
{
	memset(mx, 0, sizeof(*mx));
	memset(whole, 0, sizeof(*whole));
	mx->K = K;
	mx->L = L;
	mx->H = H;
	mx->V = V;
	mix_names(mx->name, cells, K);
	int ntab = 0;
	for (int k = 0; k < K; k++) {
		mx->cell[k] = cells[k];
		mx->any_lstm |= cells[k] == CELL_LSTM;
		if (model_init(&mx->comp[k], cells[k], cells[k] == CELL_RNN ? act : ACT_TANH, L, H,
			       V) < 0)
			goto fail;
		mx->offset[k] = whole->nparams;
		whole->nparams += mx->comp[k].nparams;
		ntab += mx->comp[k].ntab;
	}
	/* the block's own description: what the optimizer, a checkpoint and
	 * the saved parameters walk */
	whole->cell = cells[0];
	whole->act = act;
	whole->H = H;
	whole->V = V;
	whole->In = V;
	whole->G = 1;
	whole->L = L;
	whole->ntab = ntab;
	whole->mix = mx;
	whole->tab = calloc((size_t)ntab, sizeof(*whole->tab));
	whole->params = calloc(whole->nparams, sizeof(float));
	if (!whole->tab || !whole->params)
		goto fail;
	for (int k = 0, i = 0; k < K; k++) {
		for (int j = 0; j < mx->comp[k].ntab; j++, i++) {
			struct param_info *p = &whole->tab[i];
			*p = mx->comp[k].tab[j];
			snprintf(p->name, sizeof(p->name), "%.7s.%.15s", mx->name[k],
				 mx->comp[k].tab[j].name);
			p->offset += mx->offset[k];
		}
		rebase(&mx->comp[k], whole->params + mx->offset[k]);
	}
	return 0;
fail:
	mix_free(mx, whole);
	return -1;
}

void mix_free(struct mix *mx, struct model *whole)
{
	for (int k = 0; k < mx->K; k++) {
		if (whole->params && mx->comp[k].params >= whole->params &&
		    mx->comp[k].params < whole->params + whole->nparams)
			mx->comp[k].params = NULL; /* the block's */
		model_free(&mx->comp[k]);
	}
	free(whole->tab);
	free(whole->params);
	memset(whole, 0, sizeof(*whole));
	mx->K = 0;
}

int mix_find(const struct mix *mx, const char *want)
{
	char list[MIX_MAX * MIX_NAME] = "";
	int count;
	for (int k = 0; k < mx->K; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? "," : "",
			 mx->name[k]);
	return names_in_list(list, want, &count);
}

void mix_init_params(struct mix *mx, float scale, float forget_bias, struct rng *r)
{
	for (int k = 0; k < mx->K; k++)
		model_init_params(&mx->comp[k], scale, forget_bias, r);
}

int mix_run_init(struct mix_run *r, const struct mix *mx, int n, int B)
{
	size_t N = (size_t)n * B, V = (size_t)mx->V;
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->B = B;
	r->probs = calloc(N * V, sizeof(float));
	r->dlogits = calloc(N * V, sizeof(float));
	r->pred = calloc(N, sizeof(int32_t));
	r->losses = calloc(N, sizeof(float));
	int bad = !r->probs || !r->dlogits || !r->pred || !r->losses;
	for (int k = 0; k < mx->K && !bad; k++)
		bad = rnn_cache_init_batch(&r->c[k], n, B, &mx->comp[k]) < 0;
	if (bad) {
		mix_run_free(r, mx);
		return -1;
	}
	return 0;
}

void mix_run_free(struct mix_run *r, const struct mix *mx)
{
	for (int k = 0; k < mx->K; k++)
		if (r->c[k].ly)
			rnn_cache_free(&r->c[k]);
	free(r->probs);
	free(r->dlogits);
	free(r->pred);
	free(r->losses);
	memset(r, 0, sizeof(*r));
}

/* Floats of one component's carried state: (L, B, H). */
static size_t state_len(const struct mix *mx, int B)
{
	return (size_t)mx->L * B * mx->H;
}

void mix_logits(struct mix_run *r, const struct mix *mx, const int32_t *x, const float *h0,
		const float *c0)
{
	const size_t s = state_len(mx, r->B);
	for (int k = 0; k < mx->K; k++)
		rnn_forward_logits(&r->c[k], x, h0 + k * s, c0 ? c0 + k * s : NULL, &mx->comp[k]);
}

double mix_softmax(struct mix_run *r, const struct mix *mx, unsigned keep, const int32_t *y)
{
	const size_t N = (size_t)r->n * r->B * mx->V;
	int kept = 0;
	memset(r->probs, 0, N * sizeof(float));
	for (int k = 0; k < mx->K; k++) {
		if (!(keep >> k & 1))
			continue;
		kept++;
		const float *lg = r->c[k].probs;
		for (size_t i = 0; i < N; i++)
			r->probs[i] += lg[i];
	}
	const float inv = 1.0f / (float)(kept ? kept : 1);
	for (size_t i = 0; i < N; i++)
		r->probs[i] *= inv;
	return rnn_softmax_rows(r->probs, r->pred, r->losses, r->n * r->B, mx->V, y);
}

void mix_backward(struct mix_run *r, const struct mix *mx, float *grads, const int32_t *x,
		  const int32_t *y)
{
	const int rows = r->n * r->B, V = mx->V;
	const float inv = 1.0f / (float)mx->K;
	for (int t = 0; t < rows; t++) {
		const float *p = r->probs + (size_t)t * V;
		float *d = r->dlogits + (size_t)t * V;
		for (int v = 0; v < V; v++)
			d[v] = (p[v] - (v == y[t] ? 1.0f : 0.0f)) * inv;
	}
	for (int k = 0; k < mx->K; k++) {
		memcpy(r->c[k].dlogits, r->dlogits, (size_t)rows * V * sizeof(float));
		rnn_backward_logits(grads + mx->offset[k], &r->c[k], x, &mx->comp[k]);
	}
}

void mix_carry(const struct mix_run *r, const struct mix *mx, float *h, float *c)
{
	const size_t BH = (size_t)r->B * mx->H, s = state_len(mx, r->B), n = (size_t)r->n;
	for (int k = 0; k < mx->K; k++)
		for (int l = 0; l < mx->L; l++) {
			const struct layer_cache *lc = &r->c[k].ly[l];
			memcpy(h + k * s + l * BH, lc->hs + n * BH, BH * sizeof(float));
			if (c && lc->cs)
				memcpy(c + k * s + l * BH, lc->cs + n * BH, BH * sizeof(float));
		}
}

int mix_eval_sums(const struct mix *mx, const int32_t *ids, size_t steps, int chunk,
		  double *sums)
{
	struct mix_run r;
	const size_t s = state_len(mx, 1) * (size_t)mx->K;
	if ((size_t)chunk > steps)
		chunk = (int)steps;
	float *h = calloc(s, sizeof(float)), *c = calloc(s, sizeof(float));
	if (!h || !c || mix_run_init(&r, mx, chunk, 1) < 0) {
		free(h);
		free(c);
		return -1;
	}
	for (int k = 0; k <= mx->K; k++)
		sums[k] = 0;
	for (size_t t = 0; t < steps; t += (size_t)chunk) {
		int count = steps - t < (size_t)chunk ? (int)(steps - t) : chunk;
		/* a shorter last chunk: the caches' first `count` rows */
		r.n = count;
		for (int k = 0; k < mx->K; k++)
			r.c[k].n = count;
		mix_logits(&r, mx, ids + t, h, c);
		for (int k = -1; k < mx->K; k++) {
			double L = mix_softmax(&r, mx, k < 0 ? MIX_ALL : ~(1u << k), ids + t + 1);
			sums[k + 1] += L;
		}
		mix_carry(&r, mx, h, c);
	}
	for (int k = 0; k < mx->K; k++)
		r.c[k].n = chunk;
	r.n = chunk;
	mix_run_free(&r, mx);
	free(h);
	free(c);
	return 0;
}
