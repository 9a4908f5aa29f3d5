/*
 * itemize.h - itemized BPTT (SPEC 1): for one batch, the gradient of each
 * layer's recurrent matrix weight_hh_l<l> split by the loss L_t that
 * caused it and the step j where it enters, reduced to g[t,j] = mean
 * |G_{t,j}| (and per gate g_q for gated cells), and the exact truncation
 * error E[k] of keeping only lags t-j <= k (and E_q per gate block).
 *
 * delta_{t,j} = dL_t/d(W_hh h_{j-1}) (GH entries) and G_{t,j} = delta_{t,j}
 * h_{j-1}^T. Workload: once per recorded batch, after rnn_backward on it.
 * No GH x H matrix G_{t,j} is ever formed:
 *   - the backward of every loss at once, lag by lag: the rows of lag d are
 *     the losses t = d..n-1 at steps j = t-d, so one lag block of a layer
 *     is one element-wise cell step over consecutive steps 0..n-d-1 and
 *     one sgemm with W_hh (the carry to lag d+1); above layer 0 one more
 *     sgemm with W_ih passes the block down to layer l-1 at the same lag.
 *     The LSTM carries dL/dc with the rows, GRU adds its z_j dh_j term;
 *   - g is an L1 norm of each delta (per gate block) times |h_{j-1}|_1;
 *   - unit_flow[d,u] (SPEC 1) is the column sum of the same |delta| of lag
 *     block d, gate entries u, H+u, ... added: n G H adds per layer, next
 *     to the n^2 G H^2 of the block's sgemm;
 *   - E uses the Gram matrix K = Hp Hp^T of the inputs h_{j-1}: the part of
 *     dW_hh with lags > k is R_k = A_k^T Hp, where row j of A_k sums
 *     delta_{t,j} over t > j+k, so |R_k|_F^2 = sum(A_k .* (K A_k)), and a
 *     gate's share is that sum over its columns. A_k and M_k = K A_k grow
 *     by one lag block per k, in double (M only on the rows A_k has).
 * Cost per layer ~ n^2 G H^2 + 2/3 n^3 G H flops; memory n(n+1)/2 * GH
 * floats of deltas per layer.
 */
#ifndef RNNBOW_ITEMIZE_H
#define RNNBOW_ITEMIZE_H

#include "rnn.h"

/* Where itemize writes, each layer-major (layer l at offset l * size). */
struct itemized {
	float *g;  /* (L, n, n) g[t,j], zero for j > t */
	float *E;  /* (L, n) E[k] */
	float *gq; /* (L, G, n, n) g_q[t,j], or NULL (not asked, or G = 1) */
	float *Eq; /* (L, G, n) E_q[k], or NULL */
	float *uf; /* (L, n, H) unit_flow[d,u] = sum_{t>=d} sum_q |delta_{t,t-d}[qH+u]|, or NULL */
};

struct itemize_layer {
	float *delta;  /* (n(n+1)/2, GH) lag blocks: block d holds rows t = d..n-1 */
	float *in;     /* (n, H) dL/dh arriving at the current lag's rows */
	float *dc;     /* (n, H) LSTM: dL/dc, row r + d for row r of lag d */
	float *dih;    /* (n, GH) GRU: dL/d(W_ih u_j) of the current lag */
	float *direct; /* (n, H) GRU: z_j dh_j of the current lag */
};

struct itemize_ws {
	int n, H, G, L;
	int S;         /* sequences of a minibatch itemized together (1: rank one) */
	struct itemize_layer *ly; /* (L) */
	float *hl1;    /* (n) |h_{j-1}|_1 */
	double *hp;    /* (n, H) h_{j-1} in double */
	double *K;     /* (n, n) Gram matrix of h_{j-1} */
	double *A;     /* (n, GH) sum of deltas with lag > k, by j */
	double *M;     /* (n, GH) K A */
	double *D;     /* (n, GH) one lag block in double */
	double *sq;    /* (G, n) |R_k|_F^2 of each gate block */
	float *absblk; /* (n, GH) |delta| of one lag block */
	float *ones;   /* (H) */
	float *l1;     /* (n, G) row L1 norms of one lag block, per gate */
	float *Gt;     /* S > 1: (ITEMIZE_PARTS + 1, GH, H) one G_{t,j} per part */
	double *R;     /* S > 1: (GH, H) the sum of the lag blocks done so far */
	struct pool *pool; /* S > 1: threads for a lag's (t, j) blocks, or NULL */
};

/* With S > 1 the G_{t,j} of a lag are formed in ITEMIZE_PARTS blocks of
 * steps j (and the lag's sum beside them), which w->pool's threads share;
 * each G is one product whatever the cut, so the numbers are the same
 * for any pool. */
#define ITEMIZE_PARTS 2

int itemize_ws_init(struct itemize_ws *w, int n, const struct model *m);

/* A workspace for a cache of S sequences (an rnn_cache with B = S; S = 1
 * is itemize_ws_init). With S > 1, G_{t,j} = sum_s delta^s_{t,j}
 * (h^s_{j-1})^T is no longer rank one (SPEC 1 "minibatches"): itemize then
 * forms each G_{t,j} in turn, one (GH x S) by (S x H) sgemm, for g and g_q,
 * and E from the sums of the lag blocks, one (GH x (n-d)S) by ((n-d)S x H)
 * sgemm per lag d, highest lag first, accumulated in double. Cost per layer
 * ~ n^2 G H^2 (2S + 1) flops; deltas n(n+1)/2 * S * GH floats. No
 * itemize_split (deferred E) for S > 1. */
int itemize_ws_init_batch(struct itemize_ws *w, int n, int S, const struct model *m);

/* Row offset of lag block d (in rows of one sequence): blocks 0..d-1 hold
 * n, n-1, ..., n-d+1 rows. */
static inline size_t itemize_lag_block(int n, int d)
{
	return (size_t)d * n - (size_t)d * (d - 1) / 2;
}

/* itemize_batch.c: g, g_q, E, E_q of layer l from its deltas and h_{j-1}
 * (the cache's hs) when w->S > 1. */
void itemize_batch_layer(const struct itemized *out, struct itemize_ws *w, int l,
			 const float *delta, const float *hs);
void itemize_ws_free(struct itemize_ws *w);

/* E (n) and, when Eq is not NULL, Eq (G, n) from the squared norms of the
 * truncated-away parts: part (G, n), the part beyond lag k of each gate
 * block, and total (G), each block's whole squared norm (SPEC 1: E[k] =
 * |G - G_k| / |G|). Shared by the one-sequence and minibatch itemizers. */
void itemize_errors_from_parts(float *E, float *Eq, const double *part, const double *total,
			       int G, int n);

/* Fills out from the cache of a batch that went through rnn_forward and
 * rnn_backward. */
void itemize(const struct itemized *out, struct itemize_ws *w, const struct rnn_cache *c,
	     const struct model *m);

/* The same in two halves, so that E (a quarter of the work) can run on
 * another thread while training goes on: itemize_split fills g (and g_q)
 * and copies what E needs (every layer's deltas and h_{j-1}) into d;
 * itemize_errors then fills E (and E_q) from d, with a workspace of its
 * own. The results are those of itemize, bit for bit. */
struct itemize_defer {
	int L;
	size_t layer_delta; /* floats of deltas per layer: n(n+1)/2 * GH */
	size_t layer_hs;    /* floats of h_{j-1} per layer: n * H */
	float *delta;       /* (L, layer_delta) */
	float *hs;          /* (L, layer_hs) */
};

/* Bytes a deferral holds for this model (to decide whether to defer). */
size_t itemize_defer_bytes(int n, const struct model *m);
int itemize_defer_init(struct itemize_defer *d, int n, const struct model *m);
void itemize_defer_free(struct itemize_defer *d);
void itemize_split(const struct itemized *out, struct itemize_ws *w, const struct rnn_cache *c,
		   const struct model *m, struct itemize_defer *d);
void itemize_errors(const struct itemized *out, struct itemize_ws *w,
		    const struct itemize_defer *d);
/* A workspace for itemize_errors alone: without the per-layer delta
 * buffers (as large as the copies in d). Free with itemize_ws_free. */
int itemize_errors_ws_init(struct itemize_ws *w, int n, const struct model *m);

/* The plain reference: per loss, BPTT in double through every layer,
 * forming every G_{t,j}, straight from SPEC 1 and the cell equations,
 * sharing no code with the fast path. Fills g (L,n,n), gq (L,G,n,n),
 * E (L,n), Eq (L,G,n), when uf is not NULL unit_flow uf (L,n,H), and,
 * when dW is not NULL, dW (L, GH, H) = sum of all G per layer, for the
 * identity test. Slow: tests only. */
void itemize_reference(double *g, double *gq, double *E, double *Eq, double *uf, double *dW,
		       const struct rnn_cache *c, const struct model *m);

#endif
