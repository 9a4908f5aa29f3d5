/*
 * rnn.h - forward and backward of the vanilla RNN over one batch of n steps
 * (SPEC 1), keeping what backward and the itemizer need in a cache.
 *
 * Workload: called once per training batch with n ~ 25..256, H ~ 32..512,
 * V <= 256. Only the two recurrences are sequential (one sgemv per step);
 * the output layer and every weight gradient are one sgemm over all n steps.
 */
#ifndef RNNBOW_RNN_H
#define RNNBOW_RNN_H

#include "model.h"

struct rnn_cache {
	int n;          /* steps */
	float *hs;      /* (n+1, H) row 0 = h_{-1} (carried), row t+1 = h_t */
	float *dact;    /* (n, H) act'(z_t) */
	float *probs;   /* (n, V) softmax p_t */
	float *dlogits; /* (n, V) p_t - onehot(y_t), filled by backward */
	float *dh_out;  /* (n, H) W_out^T (p_t - onehot(y_t)), filled by backward */
	float *dz;      /* (n, H) dL/dz_t, filled by backward */
	int32_t *pred;  /* (n) argmax p_t */
	float *losses;  /* (n) L_t = -log p_t[y_t] */
};

/* Allocates a cache for n steps; returns 0, or -1 when out of memory. */
int rnn_cache_init(struct rnn_cache *c, int n, const struct model *m);
void rnn_cache_free(struct rnn_cache *c);

/* Runs the batch x (n token ids) with targets y from carried state h0 (H).
 * Fills the cache (hs, dact, probs, pred, losses) and returns L = sum L_t. */
double rnn_forward(struct rnn_cache *c, const int32_t *x, const int32_t *y,
		   const float *h0, const struct model *m);

/* Adds dL/dtheta into grads (a block laid out like m->params; call
 * zero_grad first) and fills dlogits, dh_out and dz of the cache.
 * Must follow rnn_forward on the same batch. */
void rnn_backward(float *grads, struct rnn_cache *c, const int32_t *x,
		  const int32_t *y, const struct model *m);

#endif
