/*
 * train.h - the training loop of one run, one batch at a time, without
 * any I/O: batches walk the token ids in order, n steps each, carrying the
 * hidden state and resetting it to zero when they wrap (SPEC 1). A recorded
 * batch is itemized before the update, from the parameters that produced
 * its gradient.
 */
#ifndef RNNBOW_TRAIN_H
#define RNNBOW_TRAIN_H

#include "diag.h"
#include "itemize.h"
#include "mix.h"
#include "optim.h"
#include "rng.h"

struct train_config {
	enum cell_kind cell;
	int layers;         /* L; 0 means 1 */
	int H;              /* hidden size */
	int V;              /* vocabulary size */
	int n;              /* steps per batch */
	enum act_kind act;
	enum optim_kind optim;
	float lr;
	float clip;         /* element-wise; <= 0 disables */
	float init_scale;   /* std of the Gaussian weight init */
	float forget_bias;  /* LSTM: initial bias_ih of the forget gate */
	uint64_t seed;
	int batch;          /* B sequences per batch; 0 means 1 */
	int record_sequences; /* S <= B itemized per record; 0 means 1 */
	int ncomp;          /* K >= 2: a mix of these components (mix.h); else 0 */
	enum cell_kind comp[MIX_MAX];
	int threads;        /* T threads for a minibatch's parts (pool.h); 0 means 1.
			       The numbers are the same for any T */
};

/* The optimizer, learning rate and initial weight std a model trains with
 * when the user names none of them (an --optimizer given alone brings
 * optim_default_lr's rate); the depth decides, and for stacked layers the
 * cell the rate:
 *   one layer, any cell: adagrad (lr 0.1), std 0.01, min-char-rnn's recipe;
 *   stacked layers: adam, std 1/sqrt(3H), the std of PyTorch's
 *     uniform(-1/sqrt(H), 1/sqrt(H)) init; lr 0.002 for LSTM and GRU, 0.001
 *     for the vanilla cell (at 0.002, 1 seed in 3 blew up past the entropy).
 * Measured (README, rnnbow-record(1)): with the first recipe a 2-layer LSTM's
 * cell state runs into the thousands and a 2-layer RNN stays at the unigram
 * entropy; with the second a one-layer LSTM or GRU learns slower than with
 * the first, which never failed it. Adam from std 0.01 leaves GRUs stuck. */
void train_defaults(enum cell_kind cell, int layers, int H, enum optim_kind *optim, double *lr,
		    double *init_scale);

/* What one recorded batch leaves behind (SPEC 2, /record). */
/* Of a minibatch the record keeps the first S sequences (S = 1: the
 * shapes below; S > 1: each per-sequence array gains an S axis after the
 * layer, e.g. input (S, n), h0 (L, S, H), hidden (L, S, n, H)). */
struct record {
	int64_t batch;
	int64_t position;   /* corpus offset of x_0 (of sequence 0) */
	int64_t *positions; /* (S) each sequence's offset of x_0, or NULL for S = 1 */
	int S;              /* sequences kept (1 unless record_alloc_seq) */
	int32_t *input;     /* (n) */
	int32_t *target;    /* (n) */
	int32_t *predicted; /* (n) */
	float *loss;        /* (n) L_t */
	struct itemized it; /* g (L,n,n), E (L,n), uf (L,n,H); gated cells also gq, Eq */
	float *h0;          /* (L, H) hidden state carried into the batch */
	float *c0;          /* (L, H) LSTM cell state carried in, else NULL */
	float *params;      /* (nparams) or NULL: snapshot before the update */
	float *hidden;      /* (L, n, H) or NULL: h_t */
	float *cell;        /* (L, n, H) or NULL: LSTM c_t with hidden */
	struct itemize_defer *defer; /* record_defer: E is left to record_finish */
	/* diagnostics (diagrec.h), NULL unless record_alloc_diag; A = the
	 * cell's activations (diag_acts), G' = diag_blocks */
	float *sat;         /* (L, A) share of saturated entries */
	float *gamma;       /* (L, A) mean f'(z) */
	float *gamma_max;   /* (L, A) max f'(z) */
	float *rho;         /* (L, G') spectral radius: W_hh, then gate blocks */
	float *sigma_max;   /* (L, G') largest singular value, the same blocks */
	uint8_t *dead;      /* (L, H) relu cell, trainer only: no firing in the window */
	float *whh;         /* (L, GH, H) or NULL: W_hh kept for record_diag_finish */
	int spec_pending;   /* rho and sigma_max not filled yet (whh holds W_hh) */
	int pending;        /* E (and E_q) not filled yet */
	/* a mix's record (mix_record_alloc): this one holds the shared
	 * batch, position, input, target, predicted and loss, comp[k]
	 * component k's itemized arrays, states and parameters */
	struct record *comp;
	int ncomp;
};

struct batch_stats {
	int64_t batch;
	int64_t position; /* of sequence 0 */
	float loss;      /* mean L_t (nats) over the n*B steps of the B sequences */
	float grad_norm; /* |dL/dtheta|_2 before clipping */
	int nonfinite;   /* loss or gradient was NaN or infinite: no update made */
	float clip_share; /* share of gradient entries |g| > clip (0 when clip is off) */
};

struct trainer {
	struct train_config cfg;
	struct model m;
	struct rnn_cache c;
	struct optim opt;
	struct itemize_ws iw;
	float *grads;       /* (nparams) */
	float *h;           /* (L, B, H) carried hidden state */
	float *cstate;      /* (L, B, H) carried LSTM cell state, else NULL */
	const int32_t *ids; /* (len) token ids of the corpus, not owned */
	size_t len;
	size_t pos;         /* offset of the next batch in each stretch */
	int64_t batch;      /* index of the next batch */
	/* a minibatch (B > 1; char-rnn's scheme): sequence b reads the
	 * corpus from b * stretch + pos, its own stretch of len / B ids */
	int B, S;
	size_t stretch;     /* len / B (len when B = 1) */
	int32_t *xb, *yb;   /* (n*B) the batch's inputs and targets, step-major */
	struct rnn_cache view; /* the S itemized sequences' rows of c (B > 1) */
	int diag;           /* diagnostics on (trainer_diag_init) */
	uint8_t *fired;     /* (L, H) relu cell with diag: fired since the last record */
	struct diag_work dw; /* with diag: LAPACK's workspace */
	uint8_t *seen;      /* (V) zero between batches: the rows a batch touched, */
	int32_t *rows;      /* (V) in order of appearance */
	struct mix_train *mix; /* a mix (cfg.ncomp >= 2): m is its block, h and
				  cstate (K, L, B, H); c and iw unused */
	struct pool *pool;  /* cfg.threads > 1: the threads the batch's parts run on */
};

/* What a mix trains with besides the block. */
struct mix_train {
	struct mix mx;
	struct mix_run run;
	struct itemize_ws iw[MIX_MAX];
	struct rnn_cache view[MIX_MAX]; /* B > 1: the S itemized sequences' rows */
};

/* The record of a mix of S sequences (record_alloc_seq for each
 * component, and the shared arrays). Returns 0 or -1 when out of memory. */
int mix_record_alloc(struct record *r, const struct mix *mx, int n, int S, int with_params,
		     int with_hidden);

/* mixtrain.c: trainer_init, trainer_free and trainer_step's batch for a
 * mix. mix_train_batch runs forward and backward (tr->grads) and fills
 * rec when not NULL; returns sum L_t. */
int mix_trainer_init(struct trainer *tr, const int32_t *ids, size_t len);
void mix_trainer_free(struct trainer *tr);
/* The buffers every trainer has (grads, h, cstate, xb, yb, seen, rows):
 * freed and NULL, for trainer_free and mix_trainer_free. */
void trainer_buffers_free(struct trainer *tr);
double mix_train_batch(struct trainer *tr, const int32_t *x, const int32_t *y,
		       struct record *rec);

/* Floats of the carried state tr->h (and tr->cstate): (K,) L, B, H. */
size_t trainer_state_len(const struct trainer *tr);

/* Sets up model, optimizer, workspaces (and the threads of cfg->threads)
 * and draws the initial weights from cfg->seed. len must be at least n + 1
 * (len / B at least n + 1 for a minibatch: trainer_fits). Returns 0, or -1
 * when out of memory (everything allocated is freed). */
int trainer_fits(size_t len, int n, int B);
int trainer_init(struct trainer *tr, const struct train_config *cfg,
		 const int32_t *ids, size_t len);
void trainer_free(struct trainer *tr);

/* Allocates the arrays of a record of model m over n steps; params and
 * hidden only when asked. Returns 0 or -1 when out of memory. */
int record_alloc(struct record *r, const struct model *m, int n, int with_params,
		 int with_hidden);
/* The same for S sequences of a minibatch (record_alloc is S = 1). */
int record_alloc_seq(struct record *r, const struct model *m, int n, int S, int with_params,
		     int with_hidden);

/* Copies what a forward pass over c left (x, y, predictions, losses, the
 * carried states, and as r asks the hidden states and the parameters in
 * PyTorch's layout) into r, for r's S sequences (the first S of c's B,
 * x and y step-major as c's rows); batch, position and the itemized arrays
 * are the caller's. */
void record_fill(struct record *r, const struct rnn_cache *c, const struct model *m,
		 const int32_t *x, const int32_t *y);
void record_free(struct record *r);

/* Makes r a deferred record: trainer_step then fills g and copies what E
 * needs into r (itemize_split) and sets pending; record_finish computes E,
 * on any thread. Returns 0 or -1 when out of memory. */
int record_defer(struct record *r, const struct trainer *tr);

/* Fills E of a pending record with workspace w (one per thread, sized for
 * the trainer's model); does nothing for a record that is not pending. */
void record_finish(struct record *r, struct itemize_ws *w);

/* Trains one batch. When rec is not NULL the batch is also itemized into
 * it (and the optional params/hidden filled) before the update. A batch
 * whose loss or gradient is not finite makes no update (st->nonfinite),
 * and the hidden state it would carry is reset to zero, so one bad batch
 * does not poison the parameters or the next batch; the caller decides
 * whether to go on. */
void trainer_step(struct trainer *tr, struct batch_stats *st, struct record *rec);

#endif
