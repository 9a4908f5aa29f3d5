/*
 * itemize.h - itemized BPTT (SPEC 1): for one batch, the gradient of
 * weight_hh_l0 split by the loss L_t that caused it and the step j where it
 * enters, reduced to g[t,j] = mean |G_{t,j}|, and the exact truncation
 * error E[k] of keeping only lags t-j <= k.
 *
 * Workload: once per recorded batch, after rnn_backward on it. No HxH
 * G_{t,j} is ever formed:
 *   - delta_{t,t-d} for all t is one (n-d, H) x (H, H) sgemm per lag d;
 *   - g is an L1 norm of each delta times the L1 norm of h_{j-1};
 *   - E uses the Gram matrix K = Hp Hp^T of the inputs h_{j-1}: the part
 *     of dW_hh with lags > k is R_k = A_k^T Hp, where row j of A_k sums
 *     delta_{t,j} over t > j+k, so |R_k|_F^2 = sum(A_k .* (K A_k)); A_k and
 *     M_k = K A_k grow by one lag block per k, in double precision
 *     (M only on the rows A_k has).
 * Cost ~ n^2 H^2 + 2/3 n^3 H flops, memory n(n+1)/2 * H floats for the deltas.
 */
#ifndef RNNBOW_ITEMIZE_H
#define RNNBOW_ITEMIZE_H

#include "rnn.h"

struct itemize_ws {
	int n, H;
	float *delta;  /* (n(n+1)/2, H) lag blocks: block d holds rows t = d..n-1 */
	float *hl1;    /* (n) |h_{j-1}|_1 */
	double *hp;    /* (n, H) h_{j-1} in double */
	double *K;     /* (n, n) Gram matrix of h_{j-1} */
	double *A;     /* (n, H) sum of deltas with lag > k, by j */
	double *M;     /* (n, H) K A */
	double *D;     /* (n, H) one lag block in double */
	double *sq;    /* (n) |R_k|_F^2 */
	float *absblk; /* (n, H) |delta| of one lag block */
	float *ones;   /* (H) */
	float *l1;     /* (n) row L1 norms of one lag block */
};

int itemize_ws_init(struct itemize_ws *w, int n, int H);
void itemize_ws_free(struct itemize_ws *w);

/* Fills g (n, n) row t, column j (zero for j > t) and E (n) from the cache
 * of a batch that went through rnn_forward and rnn_backward. */
void itemize(float *g, float *E, struct itemize_ws *w, const struct rnn_cache *c,
	     const struct model *m);

/* The plain reference: triple loops in double that form every G_{t,j}.
 * Also returns dW_hh = sum of all G (H, H) when dW is not NULL, for the
 * identity test. O(n^2 H^2) memory-light but slow: tests only. */
void itemize_reference(double *g, double *E, double *dW, const struct rnn_cache *c,
		       const struct model *m);

#endif
