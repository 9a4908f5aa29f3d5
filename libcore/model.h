/*
 * model.h - the network's parameters: one float block laid out from a
 * table, so gradients and optimizer state reuse the layout, the optimizer
 * is one flat loop and HDF5 export walks one table of names.
 *
 * A model is L stacked layers of one cell kind (SPEC 1, PyTorch's nn.RNN,
 * nn.LSTM and nn.GRU) and an output layer reading the top layer. Layer l
 * has the four PyTorch parameters weight_ih_l<l> (GH, In), weight_hh_l<l>
 * (GH, H), bias_ih_l<l> (GH), bias_hh_l<l> (GH), with G gates stacked in
 * PyTorch's order (LSTM i,f,g,o; GRU r,z,n; G = 1 for the vanilla cell)
 * and In = the input size for layer 0 (V for the char model, whose inputs
 * are one-hot tokens), H above. Then weight_out (V, H), bias_out (V): V is
 * the output size, equal to the input size except for library clients.
 *
 * One exception inside the block: layer 0's W_ih is kept transposed,
 * (V, GH), so that the one-hot input x_t selects a contiguous row, and the
 * gradient of a batch touches only the rows of the tokens in it (the
 * optimizer skips the others, see optim.h). The table still gives PyTorch's
 * shape; model_export writes a block in PyTorch's layout.
 *
 * Dimension letters used across libcore:
 *   n = steps per batch (seq_len), H = hidden size, V = vocabulary size,
 *   G = gates of the cell, L = layers.
 * All matrices are row-major float32.
 */
#ifndef RNNBOW_MODEL_H
#define RNNBOW_MODEL_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

enum act_kind { ACT_TANH, ACT_RELU, ACT_SIGMOID };
enum cell_kind { CELL_RNN, CELL_LSTM, CELL_GRU };

struct mix;

#define MAX_LAYERS 64

/* The four parameters of a layer, in block order. */
enum layer_param { LP_WEIGHT_IH, LP_WEIGHT_HH, LP_BIAS_IH, LP_BIAS_HH, LP_COUNT };

struct param_info {
	char name[24];    /* e.g. "weight_hh_l0" */
	int rank;         /* 1 or 2 */
	size_t dims[2];   /* rows, cols (cols = 1 for rank 1) */
	size_t offset;    /* floats from the start of the block */
	size_t size;      /* dims[0] * dims[1] */
	int transposed;   /* stored as (dims[1], dims[0]): layer 0's weight_ih */
};

/* Views of one layer's parameters inside the block. */
struct layer_params {
	int in;       /* inputs: In for layer 0, H above */
	float *W_ih;  /* (GH, in); layer 0: (In, GH), transposed */
	float *W_hh;  /* (GH, H) */
	float *b_ih;  /* (GH) */
	float *b_hh;  /* (GH) */
};

struct model {
	enum cell_kind cell;
	enum act_kind act;  /* vanilla cell only; gated cells are fixed */
	int H, V, G, L;
	int In;             /* layer 0's inputs: V for the char model */
	int ntab;           /* 4 L + 2 */
	struct param_info *tab;
	size_t nparams;     /* floats in the block */
	float *params;      /* (nparams) the block */
	struct layer_params *layer; /* (L) */
	float *W_out;       /* (V, H) */
	float *b_out;       /* (V) */
	/* A mix of components (mix.h): this model is then only the block of
	 * every component's parameters, its table their names prefixed by
	 * component; layer, W_out and b_out are NULL. NULL for one model. */
	const struct mix *mix;
};

/* Fills m's table and allocates a zeroed block. Returns 0, or -1 when out
 * of memory (m is then freed). */
int model_init(struct model *m, enum cell_kind cell, enum act_kind act, int L, int H, int V);
/* The same with In inputs to layer 0 and V outputs (model_init: In = V). */
int model_init_io(struct model *m, enum cell_kind cell, enum act_kind act, int L, int H,
		  int In, int V);
void model_free(struct model *m);

/* Table index of layer l's parameter p, and of the output layer's two. */
static inline int model_param(int l, enum layer_param p)
{
	return l * LP_COUNT + (int)p;
}
static inline int model_weight_out(const struct model *m) { return m->L * LP_COUNT; }
static inline int model_bias_out(const struct model *m) { return m->L * LP_COUNT + 1; }

/* Gaussian init with standard deviation `scale` for the weight matrices,
 * drawn in table order; zero biases (as min-char-rnn) except the LSTM's
 * forget gate: bias_ih[H:2H] = forget_bias in every layer. */
struct rng;
void model_init_params(struct model *m, float scale, float forget_bias, struct rng *r);

/* Pointer to table entry `id` inside any block laid out like m->params
 * (gradients, optimizer state, saved snapshots). */
static inline float *model_slot(const struct model *m, float *block, int id)
{
	return block + m->tab[id].offset;
}

/* Copies a block laid out like m->params into dst in PyTorch's layout
 * (transposed slots transposed back): what files and clients see. */
void model_export(const struct model *m, float *dst, const float *src);
/* The inverse: one parameter (table entry id) given in PyTorch's layout
 * (src, tab[id].size floats) into its slot of m->params. */
void model_import_one(struct model *m, int id, const float *src);
/* The inverse: a block in PyTorch's layout (a run's saved parameters) into
 * dst laid out like m->params. */
void model_import(const struct model *m, float *dst, const float *src);

/* The names of the activations and cells, by enum value (names.h); the
 * functions below are theirs. A name of a value out of range is "?". */
extern const struct names act_names, cell_names;

const char *act_name(enum act_kind a);
/* Returns 0 and sets *a for "tanh", "relu", "sigmoid"; -1 otherwise. */
int act_parse(const char *s, enum act_kind *a);

const char *cell_name(enum cell_kind c);
/* Returns 0 and sets *c for "rnn", "lstm", "gru"; -1 otherwise. */
int cell_parse(const char *s, enum cell_kind *c);
/* Gates per cell: 1, 4, 3. */
int cell_gates(enum cell_kind c);
/* "i,f,g,o", "r,z,n", or "" for the vanilla cell. */
const char *cell_gate_names(enum cell_kind c);

#endif
