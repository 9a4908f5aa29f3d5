/*
 * rnn.h - forward and backward through time of a stack of L recurrent
 * layers (vanilla, LSTM or GRU cells, SPEC 1) and the output layer over one
 * batch of n steps, keeping what backward and the itemizer need in a cache.
 *
 * Workload: called once per training batch with n ~ 25..256, H ~ 32..512,
 * V up to 2^24 (words, token ids; library clients: any In and V). Only the recurrences are
 * sequential (one sgemv per step and layer); input projections above
 * layer 0, the output layer and every weight gradient are one sgemm over
 * all n steps.
 */
#ifndef RNNBOW_RNN_H
#define RNNBOW_RNN_H

#include "model.h"

struct pool;

/* What one layer keeps of a batch. Rows are steps; GH = gates x H. A
 * minibatch of B sequences (SPEC 1) keeps them interleaved, step-major:
 * row t*B + b is step t of sequence b, so "n" rows below read n*B, and the
 * previous state of row r is row r of hs/cs (its own is row r + B). */
struct layer_cache {
	int B;          /* sequences per batch: the stride between steps */
	float *hs;      /* (n+1, H) row 0 = h_{-1} (carried), row t+1 = h_t */
	float *cs;      /* (n+1, H) LSTM cell states, rows as hs; NULL otherwise */
	float *gates;   /* (n, GH) vanilla: act'(z_t); LSTM: i,f,g,o; GRU: r,z,n */
	float *aux;     /* (n, H) LSTM: tanh(c_t); GRU: W_hn h_{t-1} + b_hn; else NULL */
	float *dh;      /* (n, H) dL/dh_t arriving from above (the output layer or
			   layer l+1 at the same step), filled by backward */
	float *dpre;    /* (n, GH) dL/d(W_hh h_{t-1}), filled by backward */
	float *dpre_ih; /* (n, GH) dL/d(W_ih u_t): == dpre except for GRU, whose
			   n block lacks the reset gate factor r_t */
	float *dhs;     /* (n, H) or NULL: dL/dh_t in total (from above and
			   through step t+1), kept by backward when allocated
			   (rnn_cache_keep_adjoints; gradient tracing) */
	float *dcs;     /* (n, H) or NULL, LSTM: dL/dc_t through c_{t+1} alone */
};

struct rnn_cache {
	int n, L;
	int B;          /* sequences per batch (rows n*B; 1: one sequence) */
	struct layer_cache *ly; /* (L) */
	float *probs;   /* (n, V) softmax p_t */
	float *dlogits; /* (n, V) p_t - onehot(y_t), filled by backward */
	int32_t *pred;  /* (n) argmax p_t */
	float *losses;  /* (n) L_t = -log p_t[y_t] */
	float *rec;     /* (B, GH) scratch: W_hh h_{t-1} + b_hh */
	float *dht;     /* (B, H) scratch: dL/dh_t in backward */
	float *carry;   /* (B, H) scratch: dL/dh_{t-1} through the recurrence */
	float *dc;      /* (B, H) scratch: dL/dc_t (LSTM) */
	float *direct;  /* (B, H) scratch: GRU's z_t * dh_t */
	/* a minibatch's work is cut into `parts` by its size alone (rnn_batch.h),
	 * which pool's threads share: the same numbers for any pool */
	int parts;      /* 1 for B = 1 */
	struct pool *pool; /* NULL: every part on the caller's thread */
	float *whh_p;   /* parts > 1: (GH, H) one layer's W_hh rows in part order */
	float *bhh_p;   /* parts > 1: (GH) its b_hh the same way */
};

/* Allocates a cache for n steps; returns 0, or -1 when out of memory. */
int rnn_cache_init(struct rnn_cache *c, int n, const struct model *m);

/* The same for a minibatch of B sequences of n steps (SPEC 1 "minibatches"):
 * every array below then holds n*B rows, step-major (row t*B + b), and so
 * must the inputs x, y (n*B ids, or (n*B, In) rows), h0 and c0 ((L, B, H)).
 * Each step's recurrence is one sgemm over the B sequences ((B x H) by
 * (H x GH)); with B = 1 it is the sgemv of rnn_cache_init's cache, and the
 * numbers are those bit for bit. */
int rnn_cache_init_batch(struct rnn_cache *c, int n, int B, const struct model *m);

/* Copies the rows of the first dst->B sequences of src (same n, dst->B <=
 * src->B) that backward and the itemizer read: every layer's hs, cs,
 * gates, aux, dh, dpre, dpre_ih, and the losses. */
void rnn_cache_gather(struct rnn_cache *dst, const struct rnn_cache *src, const struct model *m);
void rnn_cache_free(struct rnn_cache *c);
/* Makes backward keep every layer's dhs (and the LSTM's dcs), which BPTT
 * otherwise drops step by step. Returns 0, or -1 when out of memory. */
int rnn_cache_keep_adjoints(struct rnn_cache *c, const struct model *m);

/* Runs the batch x (n token ids) with targets y from the carried state h0
 * (L, H) and, for LSTM, cell state c0 (L, H; ignored otherwise). Fills the
 * cache (hs, cs, gates, aux, probs, pred, losses) and returns L = sum L_t. */
double rnn_forward(struct rnn_cache *c, const int32_t *x, const int32_t *y,
		   const float *h0, const float *c0, const struct model *m);

/* Adds dL/dtheta into grads (a block laid out like m->params; zero it
 * first) and fills dlogits, dh, dpre and dpre_ih of the cache. Must follow
 * rnn_forward on the same batch. */
void rnn_backward(float *grads, struct rnn_cache *c, const int32_t *x,
		  const int32_t *y, const struct model *m);

/* The halves a mix of components (mix.h) runs between: rnn_forward
 * without the softmax, leaving the logits (n, V) in c->probs (pred and
 * losses untouched); rnn_backward from the dL/dlogits the caller put in
 * c->dlogits. rnn_softmax_rows is the softmax of rnn_forward over rows of
 * logits in place, filling pred and losses; returns sum L_t. */
void rnn_forward_logits(struct rnn_cache *c, const int32_t *x, const float *h0, const float *c0,
			const struct model *m);
void rnn_backward_logits(float *grads, struct rnn_cache *c, const int32_t *x,
			 const struct model *m);
/* rnn_forward_logits with dense inputs x (n, In), as rnn_forward_dense. */
void rnn_forward_logits_dense(struct rnn_cache *c, const float *x, const float *h0,
			      const float *c0, const struct model *m);
double rnn_softmax_rows(float *probs, int32_t *pred, float *losses, int rows, int V,
			const int32_t *y);

/* The pair with dense inputs (SPEC 1 "Dense inputs"): x (n, In) rows of
 * floats instead of token ids, read by layer 0 as one sgemm with its W_ih.
 * Everything above layer 0 is shared with the token path, whose numbers do
 * not change (one-hot rows give the same gates up to float rounding). */
double rnn_forward_dense(struct rnn_cache *c, const float *x, const int32_t *y,
			 const float *h0, const float *c0, const struct model *m);
void rnn_backward_dense(float *grads, struct rnn_cache *c, const float *x,
			const int32_t *y, const struct model *m);

#endif
