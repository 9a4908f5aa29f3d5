/*
 * cell.h - the element-wise part of one step of each cell kind, forward
 * and backward (PyTorch's equations, gate order and bias placement):
 *
 *   vanilla  h = act(a),  a = W_ih u + b_ih + W_hh h' + b_hh
 *   LSTM     [i f g o] = [s s tanh s](W_ih u + b_ih + W_hh h' + b_hh)
 *            c = f c' + i g,  h = o tanh(c)
 *   GRU      [r z] = s(W_ih u + b_ih + W_hh h' + b_hh)  (their blocks)
 *            n = tanh(W_in u + b_in + r (W_hn h' + b_hn))
 *            h = (1 - z) n + z h'
 *
 * (h', c' the previous step's states, s the logistic sigmoid.) The matrix
 * products are the caller's. Backward runs on a block of rows at once, one
 * step each, so the same code serves BPTT (one row per step) and the
 * itemizer (all losses of one lag: row r is step r).
 */
#ifndef RNNBOW_CELL_H
#define RNNBOW_CELL_H

#include "rnn.h"

/* One forward step t of layer lc (row t of a minibatch's cache, whose
 * previous state is row t and own row t + lc->B). On entry gate (GH) holds W_ih u_t + b_ih
 * and rec (GH) W_hh h_{t-1} + b_hh; on return gate holds the cache's gate
 * row, and h_t, c_t (LSTM) and aux_t (LSTM, GRU) are written to lc. */
void cell_forward_step(const struct model *m, struct layer_cache *lc, int t, float *gate,
		       const float *rec);
/* The same for units [u0, u0 + w) of the row alone (gate is still the
 * whole row); rec then holds the G blocks of those units, w entries each.
 * cell_forward_step is u0 = 0, w = H. The numbers of a unit do not depend
 * on the range it is computed in (element-wise). */
void cell_forward_units(const struct model *m, struct layer_cache *lc, int t, float *gate,
			const float *rec, int u0, int w);

/* The backward of `rows` steps of layer lc; row r is step step0 + r. */
struct cell_back {
	int rows;
	const float *dh; /* (rows, H) dL/dh_j */
	float *dc;       /* LSTM (rows, H): in dL/dc_j through step j+1 (zeros
			    for none), out dL/dc_{j-1}, in place; else unused */
	float *dpre;     /* (rows, GH) out: dL/d(W_hh h_{j-1}) */
	float *dpre_ih;  /* GRU (rows, GH) out: dL/d(W_ih u_j); else unused */
	float *direct;   /* GRU (rows, H) out: z_j dh_j, the part of
			    dL/dh_{j-1} that skips W_hh; else unused */
};
void cell_backward_rows(const struct model *m, const struct layer_cache *lc, int step0,
			const struct cell_back *b);
/* The same for units [u0, u0 + w) of each row alone (every array of b
 * still has whole rows); cell_backward_rows is u0 = 0, w = H. */
void cell_backward_units(const struct model *m, const struct layer_cache *lc, int step0,
			 const struct cell_back *b, int u0, int w);

#endif
