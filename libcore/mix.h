/*
 * mix.h - components in competition (record --cell mix, --cell rnn,lstm,gru):
 * K full models, each its own L layers of its own cell kind, hidden size H
 * and output layer, run in parallel on the same one-hot input; their
 * logits are averaged, y_t = (1/K) sum_k y_t^k, and the softmax loss is
 * taken of the average. Backward gives each component dL/dy^k =
 * dL/dy / K and runs its own BPTT (rnn.h), so each component's weight_hh
 * is itemized like any single model's (itemize.h). No I/O.
 *
 * The parameters of all components live in one block (struct model
 * `whole`, whose table holds every component's parameters in component
 * order, named as PyTorch would name a module's: "lstm.weight_hh_l0", or
 * "rnn0.", "rnn1." when a kind repeats), so the optimizer, clipping and
 * the gradient norm act on all of them together, and each component's
 * struct model points into it.
 *
 * States carried between batches are laid out (K, L, B, H): component k's
 * at k L B H, the layout its rnn_forward takes. The LSTM's cell states
 * have the same layout, zero for components of other cells.
 */
#ifndef RNNBOW_MIX_H
#define RNNBOW_MIX_H

#include "itemize.h"
#include "rnn.h"

#define MIX_MAX 8   /* components */
#define MIX_NAME 8  /* bytes of a component's name, with the NUL */

struct mix {
	int K, L, H, V;
	enum cell_kind cell[MIX_MAX];
	char name[MIX_MAX][MIX_NAME]; /* "lstm", or "rnn0", "rnn1" when a kind repeats */
	size_t offset[MIX_MAX];       /* floats into the block of component k's first */
	struct model comp[MIX_MAX];   /* parameters inside the block */
	int any_lstm;                 /* a component carries cell states */
};

/* "mix" (= rnn,lstm,gru) or a comma-separated list of 2..MIX_MAX cell
 * names, repeats allowed, into cells; returns K, or -1 (nothing said)
 * when s is neither: a list with an unknown name, or of fewer than 2.
 * 0 when s is a single cell name (not a mix). */
int mix_parse(const char *s, enum cell_kind *cells);

/* The components' names of cells (K of them) into name: the cell's name,
 * with the component's rank among those of its kind (0, 1, ...) appended
 * when the kind repeats. */
void mix_names(char name[][MIX_NAME], const enum cell_kind *cells, int K);

/* The fingerprint's cell of a mix (checkpoint.h): 16 + sum_k (cell_k + 1)
 * 4^k, never a single cell's; mix_code_name writes it back as a list. */
int32_t mix_code(const enum cell_kind *cells, int K);
void mix_code_name(char *buf, size_t len, int32_t code);

/* Builds mx and whole (the block, zeroed; whole->mix = mx) for K
 * components of L layers of H units over V tokens. Returns 0, or -1 when
 * out of memory (everything freed). */
int mix_init(struct mix *mx, struct model *whole, const enum cell_kind *cells, int K,
	     enum act_kind act, int L, int H, int V);
void mix_free(struct mix *mx, struct model *whole);

/* Index of component `want` (a name, or an index 0..K-1), or -1 (over a
 * run file's list of names: names_in_list). */
int mix_find(const struct mix *mx, const char *want);

/* Draws every component's initial parameters from r, component after
 * component in table order (model_init_params). */
struct rng;
void mix_init_params(struct mix *mx, float scale, float forget_bias, struct rng *r);

/* A forward/backward workspace for batches of n steps of B sequences. */
struct mix_run {
	int n, B;
	struct rnn_cache c[MIX_MAX]; /* each component's; probs holds its logits */
	float *probs;    /* (nB, V) softmax of the averaged logits */
	float *dlogits;  /* (nB, V) (p - onehot(y)) / K: each component's dL/dy^k */
	int32_t *pred;   /* (nB) */
	float *losses;   /* (nB) */
};

int mix_run_init(struct mix_run *r, const struct mix *mx, int n, int B);
void mix_run_free(struct mix_run *r, const struct mix *mx);

/* Every component's logits of the batch x from the states h0, c0
 * ((K, L, B, H) each). */
void mix_logits(struct mix_run *r, const struct mix *mx, const int32_t *x, const float *h0,
		const float *c0);

/* Averages the logits of the components whose bit is set in `keep` (all:
 * MIX_ALL) over their number, and takes the softmax: fills probs, pred,
 * losses; returns sum L_t. */
#define MIX_ALL (~0u)
double mix_softmax(struct mix_run *r, const struct mix *mx, unsigned keep, const int32_t *y);

/* After mix_softmax(MIX_ALL): adds dL/dtheta into grads (the block's
 * layout; zero it first), component after component. */
void mix_backward(struct mix_run *r, const struct mix *mx, float *grads, const int32_t *x,
		  const int32_t *y);

/* Each component's last states (h_{n-1}, c_{n-1}) into h, c ((K, L, B, H)). */
void mix_carry(const struct mix_run *r, const struct mix *mx, float *h, float *c);

/* The held-out loss sums of the text ids (steps + 1 of them) from a zero
 * state, in chunks of `chunk` steps (valid.h): sums[0] with every
 * component, sums[1 + k] with component k's logits left out of the
 * average. Returns 0, or -1 when out of memory. */
int mix_eval_sums(const struct mix *mx, const int32_t *ids, size_t steps, int chunk,
		  double *sums);

#endif
