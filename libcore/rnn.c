/*
 * rnn.c - forward and backward through time of the layer stack and the
 * output layer with OpenBLAS; the cells' element-wise steps are in cell.c.
 */
#include "rnn.h"
#include "cell.h"
#include "pool.h"
#include "rnn_batch.h"
#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layer 0's inputs of one batch: token ids (n) or dense rows x (n, In),
 * exactly one of the two set. */
struct rnn_input {
	const int32_t *tok;
	const float *x;
};

static void layer_cache_free(struct layer_cache *lc)
{
	free(lc->hs);
	free(lc->cs);
	free(lc->gates);
	free(lc->aux);
	free(lc->dh);
	free(lc->dpre);
	if (lc->dpre_ih != lc->dpre)
		free(lc->dpre_ih);
	free(lc->dhs);
	free(lc->dcs);
	memset(lc, 0, sizeof(*lc));
}

static int layer_cache_init(struct layer_cache *lc, int n, int B, const struct model *m)
{
	lc->B = B;
	size_t N = (size_t)n * B, H = (size_t)m->H, GH = (size_t)m->G * H;
	lc->hs = calloc((N + B) * H, sizeof(float));
	lc->gates = calloc(N * GH, sizeof(float));
	lc->dh = calloc(N * H, sizeof(float));
	lc->dpre = calloc(N * GH, sizeof(float));
	lc->dpre_ih = m->cell == CELL_GRU ? calloc(N * GH, sizeof(float)) : lc->dpre;
	if (m->cell == CELL_LSTM)
		lc->cs = calloc((N + B) * H, sizeof(float));
	if (m->cell != CELL_RNN)
		lc->aux = calloc(N * H, sizeof(float));
	return lc->hs && lc->gates && lc->dh && lc->dpre && lc->dpre_ih &&
	       (m->cell != CELL_LSTM || lc->cs) && (m->cell == CELL_RNN || lc->aux) ? 0 : -1;
}

int rnn_cache_init(struct rnn_cache *c, int n, const struct model *m)
{
	return rnn_cache_init_batch(c, n, 1, m);
}

int rnn_cache_init_batch(struct rnn_cache *c, int n, int B, const struct model *m)
{
	size_t N = (size_t)n * B, H = (size_t)m->H * B, V = (size_t)m->V;
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->B = B;
	c->L = m->L;
	c->ly = calloc((size_t)m->L, sizeof(*c->ly));
	c->probs = calloc(N * V, sizeof(float));
	c->dlogits = calloc(N * V, sizeof(float));
	c->pred = calloc(N, sizeof(int32_t));
	c->losses = calloc(N, sizeof(float));
	c->rec = calloc((size_t)m->G * H, sizeof(float));
	c->dht = calloc(H, sizeof(float));
	c->carry = calloc(H, sizeof(float));
	c->dc = calloc(H, sizeof(float));
	c->direct = calloc(H, sizeof(float));
	c->parts = rnn_batch_parts(B, m->H);
	if (c->parts > 1 && (!(c->whh_p = malloc((size_t)m->G * m->H * m->H * sizeof(float))) ||
			     !(c->bhh_p = malloc((size_t)m->G * m->H * sizeof(float)))))
		goto fail;
	if (!c->ly || !c->probs || !c->dlogits || !c->pred || !c->losses || !c->rec ||
	    !c->dht || !c->carry || !c->dc || !c->direct)
		goto fail;
	for (int l = 0; l < m->L; l++)
		if (layer_cache_init(&c->ly[l], n, B, m) < 0)
			goto fail;
	return 0;
fail:
	rnn_cache_free(c);
	return -1;
}

int rnn_cache_keep_adjoints(struct rnn_cache *c, const struct model *m)
{
	size_t NH = (size_t)c->n * (size_t)m->H;
	for (int l = 0; l < c->L; l++) {
		struct layer_cache *lc = &c->ly[l];
		if (!lc->dhs && !(lc->dhs = calloc(NH, sizeof(float))))
			return -1;
		if (m->cell == CELL_LSTM && !lc->dcs && !(lc->dcs = calloc(NH, sizeof(float))))
			return -1;
	}
	return 0;
}

void rnn_cache_free(struct rnn_cache *c)
{
	for (int l = 0; c->ly && l < c->L; l++)
		layer_cache_free(&c->ly[l]);
	free(c->ly);
	free(c->probs);
	free(c->dlogits);
	free(c->pred);
	free(c->losses);
	free(c->rec);
	free(c->dht);
	free(c->carry);
	free(c->dc);
	free(c->direct);
	free(c->whh_p);
	free(c->bhh_p);
	memset(c, 0, sizeof(*c));
}

/* Softmax of one row of logits in place; returns the row's argmax and
 * stores -log p[y] in *loss (computed from the log-sum-exp, not log p).
 * Written for speed at V ~ 100: the max and the exps vectorise, the sum
 * runs on four independent double accumulators, and the argmax is found by
 * a scan for the max that stops at the first hit. */
HOT_LOOPS static int32_t softmax_row(float *p, int V, int32_t y, float *loss)
{
	float mx = p[0];
	for (int v = 1; v < V; v++)
		mx = p[v] > mx ? p[v] : mx;
	int32_t arg = 0;
	while (arg < V - 1 && p[arg] != mx) /* bounded: a NaN row never matches */
		arg++;
	float ly = p[y] - mx;
	for (int v = 0; v < V; v++)
		p[v] = fast_expf(p[v] - mx);
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int v = 0;
	for (; v + 4 <= V; v += 4) {
		s0 += p[v];
		s1 += p[v + 1];
		s2 += p[v + 2];
		s3 += p[v + 3];
	}
	for (; v < V; v++)
		s0 += p[v];
	double sum = (s0 + s1) + (s2 + s3);
	float inv = (float)(1.0 / sum);
	for (v = 0; v < V; v++)
		p[v] *= inv;
	*loss = (float)(log(sum) - ly);
	return arg;
}

/* Layer 0's gate rows of one-hot inputs, by blocks of rows: b_ih plus
 * row x_t of W_ih (stored (In, GH)). */
struct gather_job {
	const struct rnn_cache *c;
	float *gates;
	const float *W, *b;
	const int32_t *tok;
	int rows, GH;
};

static void gather_part(void *ctx, int k)
{
	const struct gather_job *j = ctx;
	int lo, hi;
	rnn_part_range(j->rows, j->c->parts, k, &lo, &hi);
	for (int t = lo; t < hi; t++) {
		float *gt = j->gates + (size_t)t * j->GH;
		const float *w = j->W + (size_t)j->tok[t] * j->GH;
		memcpy(gt, j->b, (size_t)j->GH * sizeof(float));
		for (int i = 0; i < j->GH; i++)
			gt[i] += w[i];
	}
}

/* One layer over the batch: the input projections of all steps first (a
 * column gather of W_ih for one-hot layer 0, one sgemm for dense layer 0
 * and above it), then the recurrence, one sgemv per step (one sgemm over
 * the B sequences of a minibatch). Rows are the cache's: N = n*B. */
static void layer_forward(struct rnn_cache *c, int l, const struct rnn_input *in,
			  const struct model *m)
{
	const int B = c->B, n = c->n * B, H = m->H, GH = m->G * m->H;
	const struct layer_params *lp = &m->layer[l];
	struct layer_cache *lc = &c->ly[l];

	if (l == 0 && !in->x) { /* W_ih stored (In, GH): the one-hot x_t picks row x_t */
		struct gather_job j = { .c = c, .gates = lc->gates, .W = lp->W_ih, .b = lp->b_ih,
					.tok = in->tok, .rows = n, .GH = GH };
		pool_run(c->pool, c->parts, gather_part, &j);
	} else {
		for (int t = 0; t < n; t++)
			memcpy(lc->gates + (size_t)t * GH, lp->b_ih, (size_t)GH * sizeof(float));
	}
	if (l == 0 && in->x) { /* (n, GH) += x (n, In) W_ih, stored (In, GH) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, GH, m->In, 1.0f,
			    in->x, m->In, lp->W_ih, GH, 1.0f, lc->gates, GH);
	} else if (l > 0) { /* (n, GH) += h^{l-1}_{0..n-1} (n, H) W_ih^T */
		rnn_sgemm_parts(c, 1, CblasNoTrans, CblasTrans, n, GH, H, 1.0f,
				c->ly[l - 1].hs + (size_t)B * H, H, lp->W_ih, H, 1.0f, lc->gates, GH);
	}
	if (B > 1) {
		rnn_layer_forward_batch(c, l, m);
		return;
	}
	for (int t = 0; t < n; t++) {
		memcpy(c->rec, lp->b_hh, (size_t)GH * sizeof(float));
		cblas_sgemv(CblasRowMajor, CblasNoTrans, GH, H, 1.0f, lp->W_hh, H,
			    lc->hs + (size_t)t * H, 1, 1.0f, c->rec, 1);
		cell_forward_step(m, lc, t, lc->gates + (size_t)t * GH, c->rec);
	}
}

/* The output layer on a block of rows: logits (rows, V) = top (rows, H)
 * W_out^T + b_out; with targets y, then each row's softmax, loss and
 * argmax (a mix averages the logits first: rnn_softmax_rows). */
struct output_job {
	struct rnn_cache *c;
	const struct model *m;
	const float *top;
	const int32_t *y;   /* NULL: logits only */
	int rows;
};

static void output_part(void *ctx, int k)
{
	const struct output_job *j = ctx;
	struct rnn_cache *c = j->c;
	const int H = j->m->H, V = j->m->V;
	int lo, hi;
	rnn_part_range(j->rows, c->parts, k, &lo, &hi);
	if (hi <= lo)
		return;
	float *p = c->probs + (size_t)lo * V;
	for (int t = lo; t < hi; t++)
		memcpy(c->probs + (size_t)t * V, j->m->b_out, (size_t)V * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, V, H, 1.0f,
		    j->top + (size_t)lo * H, H, j->m->W_out, H, 1.0f, p, V);
	for (int t = lo; j->y && t < hi; t++)
		c->pred[t] = softmax_row(c->probs + (size_t)t * V, V, j->y[t], &c->losses[t]);
}

/* The layers and the output layer: logits (n, V) into c->probs, and with
 * targets y their softmax, losses and argmax. */
static void forward_logits(struct rnn_cache *c, const struct rnn_input *in, const int32_t *y,
			   const float *h0, const float *c0, const struct model *m)
{
	const int B = c->B, n = c->n * B, H = m->H;
	const size_t BH = (size_t)B * H;
	const float *top = c->ly[m->L - 1].hs + BH; /* h_0..h_{n-1} of the top layer */

	for (int l = 0; l < m->L; l++) {
		memcpy(c->ly[l].hs, h0 + l * BH, BH * sizeof(float));
		if (m->cell == CELL_LSTM)
			memcpy(c->ly[l].cs, c0 + l * BH, BH * sizeof(float));
		layer_forward(c, l, in, m);
	}
	struct output_job j = { .c = c, .m = m, .top = top, .y = y, .rows = n };
	pool_run(c->pool, c->parts, output_part, &j);
}

double rnn_softmax_rows(float *probs, int32_t *pred, float *losses, int rows, int V,
			const int32_t *y)
{
	double L = 0.0;
	for (int t = 0; t < rows; t++) {
		pred[t] = softmax_row(probs + (size_t)t * V, V, y[t], &losses[t]);
		L += losses[t];
	}
	return L;
}

static double forward(struct rnn_cache *c, const struct rnn_input *in, const int32_t *y,
		      const float *h0, const float *c0, const struct model *m)
{
	forward_logits(c, in, y, h0, c0, m);
	double L = 0.0;
	for (int t = 0; t < c->n * c->B; t++) /* in order, whatever the parts */
		L += c->losses[t];
	return L;
}

/* The sequential part of BPTT through layer l of one sequence: one cell
 * row and one sgemv per step. */
static void layer_bptt(struct rnn_cache *c, int l, const struct model *m)
{
	const int H = m->H, GH = m->G * m->H;
	const struct layer_params *lp = &m->layer[l];
	struct layer_cache *lc = &c->ly[l];

	memset(c->carry, 0, (size_t)H * sizeof(float));
	memset(c->dc, 0, (size_t)H * sizeof(float));
	for (int t = c->n - 1; t >= 0; t--) {
		const float *dh = lc->dh + (size_t)t * H;
		for (int i = 0; i < H; i++)
			c->dht[i] = dh[i] + c->carry[i];
		if (lc->dhs)
			memcpy(lc->dhs + (size_t)t * H, c->dht, (size_t)H * sizeof(float));
		if (lc->dcs)
			memcpy(lc->dcs + (size_t)t * H, c->dc, (size_t)H * sizeof(float));
		struct cell_back b = {
			.rows = 1, .dh = c->dht, .dc = c->dc, .dpre = lc->dpre + (size_t)t * GH,
			.dpre_ih = lc->dpre_ih + (size_t)t * GH, .direct = c->direct,
		};
		cell_backward_rows(m, lc, t, &b);
		if (t == 0)
			break;
		/* dL/dh_{t-1} through the recurrence: W_hh^T dpre_t (+ GRU's z_t dh_t) */
		cblas_sgemv(CblasRowMajor, CblasTrans, GH, H, 1.0f, lp->W_hh, H, b.dpre, 1,
			    0.0f, c->carry, 1);
		if (m->cell == CELL_GRU)
			for (int i = 0; i < H; i++)
				c->carry[i] += c->direct[i];
	}
}

/* One-hot inputs: row x_t of dW_ih (stored (In, GH)) += dpre_ih row t,
 * by blocks of columns (each entry adds its rows in order whatever the
 * cut). */
struct scatter_job {
	const struct rnn_cache *c;
	float *dW;
	const float *d;
	const int32_t *tok;
	int rows, GH;
};

static void scatter_part(void *ctx, int k)
{
	const struct scatter_job *j = ctx;
	int lo, hi;
	rnn_part_range(j->GH, j->c->parts, k, &lo, &hi);
	for (int t = 0; t < j->rows; t++) {
		const float *d = j->d + (size_t)t * j->GH;
		float *row = j->dW + (size_t)j->tok[t] * j->GH;
		for (int i = lo; i < hi; i++)
			row[i] += d[i];
	}
}

/* BPTT through layer l: the sequential part (layer_bptt), then
 * its weight gradients and, above layer 0, dL/dh of the layer below, each
 * one sgemm over all steps. lc->dh must hold what arrives from above. */
static void layer_backward(float *grads, struct rnn_cache *c, int l,
			   const struct rnn_input *in, const struct model *m)
{
	const int B = c->B, n = c->n * B, H = m->H, GH = m->G * m->H;
	const struct layer_params *lp = &m->layer[l];
	struct layer_cache *lc = &c->ly[l];
	float *dW_ih = model_slot(m, grads, model_param(l, LP_WEIGHT_IH));
	float *dW_hh = model_slot(m, grads, model_param(l, LP_WEIGHT_HH));
	float *db_ih = model_slot(m, grads, model_param(l, LP_BIAS_IH));
	float *db_hh = model_slot(m, grads, model_param(l, LP_BIAS_HH));

	if (B > 1)
		rnn_layer_bptt_batch(c, l, m);
	else
		layer_bptt(c, l, m);
	/* dW_hh (GH, H) += dpre^T (GH, n) h_{-1..n-2} (n, H), by columns */
	rnn_sgemm_parts(c, 0, CblasTrans, CblasNoTrans, GH, H, n, 1.0f, lc->dpre, GH, lc->hs, H,
			1.0f, dW_hh, H);
	rnn_colsums_parts(c, db_hh, lc->dpre, n, GH);
	rnn_colsums_parts(c, db_ih, lc->dpre_ih, n, GH);
	if (l == 0 && in->x) { /* dW_ih, stored (In, GH), += x^T (In, n) dpre_ih (n, GH) */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m->In, GH, n, 1.0f,
			    in->x, m->In, lc->dpre_ih, GH, 1.0f, dW_ih, GH);
		return;
	}
	if (l == 0) { /* one-hot inputs: row x_t of dW_ih, stored (In, GH) */
		struct scatter_job j = { .c = c, .dW = dW_ih, .d = lc->dpre_ih, .tok = in->tok,
					 .rows = n, .GH = GH };
		pool_run(c->pool, c->parts, scatter_part, &j);
		return;
	}
	const float *below = c->ly[l - 1].hs + (size_t)B * H;
	/* dW_ih (GH, H) += dpre_ih^T (GH, n) h^{l-1}_{0..n-1} (n, H) */
	rnn_sgemm_parts(c, 0, CblasTrans, CblasNoTrans, GH, H, n, 1.0f, lc->dpre_ih, GH, below, H,
			1.0f, dW_ih, H);
	/* what reaches layer l-1: dh (n, H) = dpre_ih (n, GH) W_ih (GH, H) */
	rnn_sgemm_parts(c, 1, CblasNoTrans, CblasNoTrans, n, H, GH, 1.0f, lc->dpre_ih, GH, lp->W_ih,
			H, 0.0f, c->ly[l - 1].dh, H);
}

/* Backward from the dlogits the cache holds. */
static void backward_logits(float *grads, struct rnn_cache *c, const struct rnn_input *in,
			    const struct model *m)
{
	const int n = c->n * c->B, H = m->H, V = m->V;
	const struct layer_cache *top = &c->ly[m->L - 1];
	float *dW_out = model_slot(m, grads, model_weight_out(m)); /* (V, H) */
	float *db_out = model_slot(m, grads, model_bias_out(m));   /* (V) */

	rnn_colsums_parts(c, db_out, c->dlogits, n, V);
	/* dW_out (V, H) += dlogits^T (V, n) h_{0..n-1} (n, H), by columns */
	rnn_sgemm_parts(c, 0, CblasTrans, CblasNoTrans, V, H, n, 1.0f, c->dlogits, V,
			top->hs + (size_t)c->B * H, H, 1.0f, dW_out, H);
	/* the top layer's dh (n, H) = dlogits (n, V) W_out (V, H), by rows */
	rnn_sgemm_parts(c, 1, CblasNoTrans, CblasNoTrans, n, H, V, 1.0f, c->dlogits, V, m->W_out,
			H, 0.0f, top->dh, H);
	for (int l = m->L - 1; l >= 0; l--)
		layer_backward(grads, c, l, in, m);
}

static void backward(float *grads, struct rnn_cache *c, const struct rnn_input *in,
		     const int32_t *y, const struct model *m)
{
	const int n = c->n * c->B, V = m->V;
	memcpy(c->dlogits, c->probs, (size_t)n * V * sizeof(float));
	for (int t = 0; t < n; t++)
		c->dlogits[(size_t)t * V + y[t]] -= 1.0f;
	backward_logits(grads, c, in, m);
}

void rnn_forward_logits(struct rnn_cache *c, const int32_t *x, const float *h0, const float *c0,
			const struct model *m)
{
	const struct rnn_input in = { .tok = x };
	forward_logits(c, &in, NULL, h0, c0, m);
}

void rnn_forward_logits_dense(struct rnn_cache *c, const float *x, const float *h0,
			      const float *c0, const struct model *m)
{
	const struct rnn_input in = { .x = x };
	forward_logits(c, &in, NULL, h0, c0, m);
}

void rnn_backward_logits(float *grads, struct rnn_cache *c, const int32_t *x,
			 const struct model *m)
{
	const struct rnn_input in = { .tok = x };
	backward_logits(grads, c, &in, m);
}

double rnn_forward(struct rnn_cache *c, const int32_t *x, const int32_t *y,
		   const float *h0, const float *c0, const struct model *m)
{
	const struct rnn_input in = { .tok = x };
	return forward(c, &in, y, h0, c0, m);
}

double rnn_forward_dense(struct rnn_cache *c, const float *x, const int32_t *y,
			 const float *h0, const float *c0, const struct model *m)
{
	const struct rnn_input in = { .x = x };
	return forward(c, &in, y, h0, c0, m);
}

void rnn_backward(float *grads, struct rnn_cache *c, const int32_t *x,
		  const int32_t *y, const struct model *m)
{
	const struct rnn_input in = { .tok = x };
	backward(grads, c, &in, y, m);
}

void rnn_backward_dense(float *grads, struct rnn_cache *c, const float *x,
			const int32_t *y, const struct model *m)
{
	const struct rnn_input in = { .x = x };
	backward(grads, c, &in, y, m);
}

/* Rows of sequences 0..S-1 of `steps` steps from a stride-B array into a
 * stride-S one, `width` floats a row. */
static void gather_rows(float *dst, const float *src, int steps, int S, int B, int width)
{
	if (!dst || !src)
		return;
	for (size_t t = 0; t < (size_t)steps; t++)
		memcpy(dst + t * S * width, src + t * B * width, (size_t)S * width * sizeof(float));
}

void rnn_cache_gather(struct rnn_cache *dst, const struct rnn_cache *src, const struct model *m)
{
	const int n = src->n, B = src->B, S = dst->B, H = m->H, GH = m->G * m->H;
	for (int l = 0; l < m->L; l++) {
		struct layer_cache *d = &dst->ly[l];
		const struct layer_cache *s = &src->ly[l];
		gather_rows(d->hs, s->hs, n + 1, S, B, H);
		gather_rows(d->cs, s->cs, n + 1, S, B, H);
		gather_rows(d->gates, s->gates, n, S, B, GH);
		gather_rows(d->aux, s->aux, n, S, B, H);
		gather_rows(d->dh, s->dh, n, S, B, H);
		gather_rows(d->dpre, s->dpre, n, S, B, GH);
		if (d->dpre_ih != d->dpre)
			gather_rows(d->dpre_ih, s->dpre_ih, n, S, B, GH);
	}
	gather_rows(dst->losses, src->losses, n, S, B, 1);
}
