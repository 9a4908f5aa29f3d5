/*
 * rnnbow.h - librnnbow, the itemized BPTT gradients of rnnbow for any
 * recurrent network built from PyTorch tensors (see rnnbow(3)).
 *
 *   rnnbow_net *net = rnnbow_net_new("lstm", input_size, H, L, output_size);
 *   rnnbow_net_set(net, "weight_ih_l0", W, 4 * H * input_size);   ...
 *   rnnbow_itemize(net, n, x, NULL, targets, h0, c0, g, E);
 *   rnnbow_net_free(net);
 *
 * A network is L stacked layers of one cell (PyTorch's nn.RNN with tanh,
 * relu or sigmoid, nn.LSTM, nn.GRU: their equations, gate order and
 * parameter layout) and a linear output layer with softmax cross-entropy
 * losses L_t. For one sequence of n steps, itemizing writes per layer l
 *   g[l][t][j] = mean |G_{t,j}|,  G_{t,j} = dL_t/d(W_hh h_{j-1}) h_{j-1}^T,
 *   E[l][k]    = |sum_t sum_{j<t-k} G_{t,j}|_F / |dL/dW_hh|_F,
 * and per gate q the same over the gate's H x H block of weight_hh.
 *
 * Every function reports failure by NULL or -1, and rnnbow_errmsg() then
 * says why. Handles are opaque; a network may be used by one thread at a
 * time, different networks by different threads at once.
 */
#ifndef RNNBOW_H
#define RNNBOW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RNNBOW_API __attribute__((visibility("default")))
#else
#define RNNBOW_API
#endif

typedef struct rnnbow_net rnnbow_net;

/* The library's version, "MAJOR.MINOR.PATCH". */
RNNBOW_API const char *rnnbow_version(void);

/* Why the last call of this thread that failed did fail ("" if none has).
 * Valid until this thread's next failing call. */
RNNBOW_API const char *rnnbow_errmsg(void);

/* A network with every parameter zero. cell: "rnn_tanh", "rnn_relu",
 * "rnn_sigmoid", "lstm" or "gru"; sizes >= 1, num_layers <= 64. NULL on
 * bad arguments or out of memory. */
RNNBOW_API rnnbow_net *rnnbow_net_new(const char *cell, int input_size, int hidden_size,
				      int num_layers, int output_size);

/* Frees net and everything it holds; NULL is a no-op. */
RNNBOW_API void rnnbow_net_free(rnnbow_net *net);

/* Sets one parameter by its PyTorch name from data in PyTorch's row-major
 * layout, G = 1, 4 (LSTM i,f,g,o), 3 (GRU r,z,n) gates:
 *   weight_ih_l<l>  (G*H, input_size for l = 0, H above)
 *   weight_hh_l<l>  (G*H, H)
 *   bias_ih_l<l>, bias_hh_l<l>  (G*H)
 *   weight_out      (output_size, H)    nn.Linear's weight
 *   bias_out        (output_size)       nn.Linear's bias
 * count is the number of floats in data. 0, or -1 on an unknown name or a
 * count that does not match (the parameter is then unchanged). */
RNNBOW_API int rnnbow_net_set(rnnbow_net *net, const char *name, const float *data,
			      size_t count);

/* Itemizes one sequence of n >= 1 steps:
 *   x        (n, input_size) dense inputs; or NULL, and then
 *   tokens   (n) ids < input_size, the one-hot special case (ignored when
 *            x is given)
 *   targets  (n) ids < output_size, the target of each step's loss
 *   h0, c0   (num_layers, H) states before step 0, or NULL for zeros
 *            (c0: LSTM only, ignored otherwise)
 *   g        (num_layers, n, n) out: g[t][j], zero for j > t
 *   E        (num_layers, n) out: E[k]
 * 0, or -1 (bad arguments, out of memory; the outputs are then undefined). */
RNNBOW_API int rnnbow_itemize(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			      const int32_t *targets, const float *h0, const float *c0,
			      float *g, float *E);

/* The same and the per gate split, from one pass:
 *   gq  (num_layers, G, n, n) out: g_q[t][j] over gate q's H x H block
 *   Eq  (num_layers, G, n) out: E_q[k]
 * g and E may be NULL when not wanted. For the vanilla cells (G = 1) gq
 * and Eq equal g and E. */
RNNBOW_API int rnnbow_itemize_gates(rnnbow_net *net, int n, const float *x,
				    const int32_t *tokens, const int32_t *targets,
				    const float *h0, const float *c0, float *g, float *E,
				    float *gq, float *Eq);

#ifdef __cplusplus
}
#endif

#endif
