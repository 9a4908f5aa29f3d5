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
 * count is the number of floats in data. 0, or -1 on an unknown name, a
 * count that does not match or a NaN or infinite entry (the parameter is
 * then unchanged). */
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

/* Per-unit gradient flow of one sequence, inputs as rnnbow_itemize's:
 *   unit_flow  (num_layers, n, H) out: unit_flow[d][u] = sum over t >= d of
 *              |delta_{t,t-d}[u]|, a gated unit's G gate entries added
 *              (rnnbow's /record/unit_flow). From the same pass as g, at
 *              about the cost of rnnbow_itemize. 0 or -1. */
RNNBOW_API int rnnbow_unit_flow(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
				const int32_t *targets, const float *h0, const float *c0,
				float *unit_flow);


/* The forward pass alone, inputs as rnnbow_itemize's: losses (n) L_t (the
 * per-step cross-entropy, nats), hn and cn (num_layers, H) the states
 * after the last step, to carry into the next sequence (cn: LSTM); any of
 * them may be NULL. 0 or -1. */
RNNBOW_API int rnnbow_forward(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			      const int32_t *targets, const float *h0, const float *c0,
			      float *losses, float *hn, float *cn);

/* The same and the backward pass: the gradient of sum_t L_t with respect
 * to every parameter, kept in the network until the next gradient,
 * itemize or run_record call on it (read with rnnbow_net_grad; a forward
 * call leaves it). 0 or -1. */
RNNBOW_API int rnnbow_gradient(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			       const int32_t *targets, const float *h0, const float *c0,
			       float *losses, float *hn, float *cn);

/* Copy one parameter (rnnbow_net_get) or its gradient from the last
 * rnnbow_gradient, rnnbow_itemize or rnnbow_run_record call
 * (rnnbow_net_grad) out by its PyTorch name, in PyTorch's layout; count
 * as rnnbow_net_set's. 0 or -1. */
RNNBOW_API int rnnbow_net_get(const rnnbow_net *net, const char *name, float *data,
			      size_t count);
RNNBOW_API int rnnbow_net_grad(const rnnbow_net *net, const char *name, float *data,
			       size_t count);

/*
 * Run files: what `rnnbow record` writes (docs/FORMAT.md),
 * from a client's own training loop, read by every rnnbow reader (info,
 * summarize, horizon, plot, report):
 *
 *   rnnbow_run_options *o = rnnbow_run_options_new();
 *   rnnbow_run_options_set(o, "optimizer", "adam");
 *   rnnbow_run *run = rnnbow_run_create("run.h5", net, n, o);
 *   for (batch = 0; ...; batch++) {
 *       ... the client's forward, backward, update, then rnnbow_net_set ...
 *       if (batch % K == 0)
 *           rnnbow_run_record(run, batch, x, tokens, targets, h0, c0);
 *       rnnbow_run_train(run, batch, loss, grad_norm);
 *   }
 *   rnnbow_run_close(run);
 *
 * A run uses its network at every record (its weights as they are then;
 * the network must outlive the run). HDF5 is not thread-safe: make every
 * rnnbow_run_* call of the process from one thread at a time.
 */
typedef struct rnnbow_run rnnbow_run;
typedef struct rnnbow_run_options rnnbow_run_options;

/* Options with their defaults; NULL when out of memory. */
RNNBOW_API rnnbow_run_options *rnnbow_run_options_new(void);
RNNBOW_API void rnnbow_run_options_free(rnnbow_run_options *opt);

/* Sets one option by name from its text; 0, or -1 on an unknown name or
 * a value that does not parse (the option is then unchanged).
 *   input          "tokens" (default): records take token ids (input_size
 *                  <= 256: the run's vocabulary holds a byte per id);
 *                  "dense": records take x (n, input_size)
 *   overwrite      "1": replace an existing run file (only a run file)
 *   params         "1": store every parameter with each record
 *                  (/record/params/NAME)
 *   hidden         "1": store every layer's h_t (and LSTM c_t) with each
 *                  record (/record/hidden, cell)
 *   corpus_name, corpus_sha256, corpus_bytes   what was trained on
 *   command_line   how the run was made (default "librnnbow")
 *   seed, init_scale, forget_bias              how the weights were drawn
 *   optimizer, learning_rate, clip             /train's attributes
 *   batches, record_every                      the plan (default 0: unknown)
 */
RNNBOW_API int rnnbow_run_options_set(rnnbow_run_options *opt, const char *name,
				      const char *value);

/* The byte each output id (target) stands for, count = output_size;
 * readers print target and predicted steps as these bytes. Without it
 * id i is byte i. 0, or -1 when count is not output_size. */
RNNBOW_API int rnnbow_run_options_set_vocab(rnnbow_run_options *opt, const uint8_t *vocab,
					    size_t count);

/* Creates the run file at path for records of seq_len steps of net
 * (output_size <= 256, what the readers hold); opt may be NULL. Takes the
 * run's lock (PATH.lock) until rnnbow_run_close. NULL on failure: an
 * existing file without the overwrite option, no room, bad arguments. */
RNNBOW_API rnnbow_run *rnnbow_run_create(const char *path, rnnbow_net *net, int seq_len,
					 const rnnbow_run_options *opt);

/* Itemizes one sequence of seq_len steps with the network's current
 * weights (arguments as rnnbow_itemize's: x for a dense run, tokens for
 * a token run) and appends it to /record as training batch `batch`:
 * inputs, targets, predictions, losses, g and E of every layer (and per
 * gate), h0 (and c0). The row is on disk when this returns 0; -1 on
 * failure. */
RNNBOW_API int rnnbow_run_record(rnnbow_run *run, int64_t batch, const float *x,
				 const int32_t *tokens, const int32_t *targets,
				 const float *h0, const float *c0);

/* Appends one /train row: a training batch's mean loss (nats per step)
 * and gradient norm before clipping (a NaN or infinite value marks the
 * row nonfinite). Rows are buffered and written in blocks, at each
 * record and at close. 0 or -1. */
RNNBOW_API int rnnbow_run_train(rnnbow_run *run, int64_t batch, float loss, float grad_norm);

/* Writes what is buffered, closes the file and releases its lock; run is
 * freed either way. NULL is a no-op. 0, or -1 when something could not be
 * written. */
RNNBOW_API int rnnbow_run_close(rnnbow_run *run);

#ifdef __cplusplus
}
#endif

#endif
