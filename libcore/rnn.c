/*
 * rnn.c - vanilla RNN forward/backward through time with OpenBLAS.
 */
#include "rnn.h"
#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int rnn_cache_init(struct rnn_cache *c, int n, const struct model *m)
{
	size_t N = (size_t)n, H = (size_t)m->H, V = (size_t)m->V;
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->hs = calloc((N + 1) * H, sizeof(float));
	c->dact = calloc(N * H, sizeof(float));
	c->probs = calloc(N * V, sizeof(float));
	c->dlogits = calloc(N * V, sizeof(float));
	c->dh_out = calloc(N * H, sizeof(float));
	c->dz = calloc(N * H, sizeof(float));
	c->pred = calloc(N, sizeof(int32_t));
	c->losses = calloc(N, sizeof(float));
	if (!c->hs || !c->dact || !c->probs || !c->dlogits || !c->dh_out ||
	    !c->dz || !c->pred || !c->losses) {
		rnn_cache_free(c);
		return -1;
	}
	return 0;
}

void rnn_cache_free(struct rnn_cache *c)
{
	free(c->hs);
	free(c->dact);
	free(c->probs);
	free(c->dlogits);
	free(c->dh_out);
	free(c->dz);
	free(c->pred);
	free(c->losses);
	memset(c, 0, sizeof(*c));
}

/* h = act(z) in place and dact = act'(z), for H units. */
HOT_LOOPS static void activate(float *h, float *dact, int H, enum act_kind act)
{
	switch (act) {
	case ACT_RELU:
		for (int i = 0; i < H; i++) {
			dact[i] = h[i] > 0.0f ? 1.0f : 0.0f;
			h[i] = h[i] > 0.0f ? h[i] : 0.0f;
		}
		break;
	case ACT_SIGMOID:
		for (int i = 0; i < H; i++) {
			h[i] = fast_sigmoidf(h[i]);
			dact[i] = h[i] * (1.0f - h[i]);
		}
		break;
	default:
		for (int i = 0; i < H; i++) {
			h[i] = fast_tanhf(h[i]);
			dact[i] = 1.0f - h[i] * h[i];
		}
	}
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

double rnn_forward(struct rnn_cache *c, const int32_t *x, const int32_t *y,
		   const float *h0, const struct model *m)
{
	const int n = c->n, H = m->H, V = m->V;
	double L = 0.0;

	memcpy(c->hs, h0, (size_t)H * sizeof(float));
	for (int t = 0; t < n; t++) {
		const float *hprev = c->hs + (size_t)t * H;
		float *h = c->hs + (size_t)(t + 1) * H;
		/* one-hot input: W_ih x_t is column x_t of W_ih */
		for (int i = 0; i < H; i++)
			h[i] = m->W_ih[(size_t)i * V + x[t]] + m->b_ih[i] + m->b_hh[i];
		cblas_sgemv(CblasRowMajor, CblasNoTrans, H, H, 1.0f, m->W_hh, H,
			    hprev, 1, 1.0f, h, 1);
		activate(h, c->dact + (size_t)t * H, H, m->act);
	}
	/* logits for all steps at once: (n, V) = hs[1..n] (n, H) W_out^T */
	for (int t = 0; t < n; t++)
		memcpy(c->probs + (size_t)t * V, m->b_out, (size_t)V * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, V, H, 1.0f,
		    c->hs + H, H, m->W_out, H, 1.0f, c->probs, V);
	for (int t = 0; t < n; t++) {
		c->pred[t] = softmax_row(c->probs + (size_t)t * V, V, y[t], &c->losses[t]);
		L += c->losses[t];
	}
	return L;
}

void rnn_backward(float *grads, struct rnn_cache *c, const int32_t *x,
		  const int32_t *y, const struct model *m)
{
	const int n = c->n, H = m->H, V = m->V;
	float *dW_ih = model_slot(m, grads, P_WEIGHT_IH);  /* (H, V) */
	float *dW_hh = model_slot(m, grads, P_WEIGHT_HH);  /* (H, H) */
	float *db_ih = model_slot(m, grads, P_BIAS_IH);    /* (H) */
	float *db_hh = model_slot(m, grads, P_BIAS_HH);    /* (H) */
	float *dW_out = model_slot(m, grads, P_WEIGHT_OUT); /* (V, H) */
	float *db_out = model_slot(m, grads, P_BIAS_OUT);  /* (V) */

	memcpy(c->dlogits, c->probs, (size_t)n * V * sizeof(float));
	for (int t = 0; t < n; t++) {
		float *d = c->dlogits + (size_t)t * V;
		d[y[t]] -= 1.0f;
		for (int v = 0; v < V; v++)
			db_out[v] += d[v];
	}
	/* dW_out (V, H) += dlogits^T (V, n) hs[1..n] (n, H) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, H, n, 1.0f,
		    c->dlogits, V, c->hs + H, H, 1.0f, dW_out, H);
	/* dh_out (n, H) = dlogits (n, V) W_out (V, H) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, H, V, 1.0f,
		    c->dlogits, V, m->W_out, H, 0.0f, c->dh_out, H);

	/* the only sequential part: dh_t = dh_out_t + W_hh^T dz_{t+1} */
	float *dnext = NULL;
	for (int t = n - 1; t >= 0; t--) {
		float *dz = c->dz + (size_t)t * H;
		const float *da = c->dact + (size_t)t * H;
		const float *dho = c->dh_out + (size_t)t * H;
		if (dnext) {
			/* dz temporarily holds W_hh^T dz_{t+1} */
			cblas_sgemv(CblasRowMajor, CblasTrans, H, H, 1.0f, m->W_hh, H,
				    dnext, 1, 0.0f, dz, 1);
			for (int i = 0; i < H; i++)
				dz[i] = da[i] * (dz[i] + dho[i]);
		} else {
			for (int i = 0; i < H; i++)
				dz[i] = da[i] * dho[i];
		}
		dnext = dz;
	}
	/* dW_hh (H, H) += dz^T (H, n) hs[0..n-1] (n, H) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, n, 1.0f,
		    c->dz, H, c->hs, H, 1.0f, dW_hh, H);
	for (int t = 0; t < n; t++) {
		const float *dz = c->dz + (size_t)t * H;
		for (int i = 0; i < H; i++) {
			dW_ih[(size_t)i * V + x[t]] += dz[i];
			db_ih[i] += dz[i];
			db_hh[i] += dz[i];
		}
	}
}
