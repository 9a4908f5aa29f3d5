/*
 * model.h - the vanilla RNN's parameters: one float block laid out from a
 * sizes table, so gradients and optimizer state reuse the layout, the
 * optimizer is one flat loop and HDF5 export walks one table of names.
 *
 * Dimension letters used across libcore:
 *   n = steps per batch (seq_len), H = hidden size, V = vocabulary size.
 * All matrices are row-major float32.
 */
#ifndef RNNBOW_MODEL_H
#define RNNBOW_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum act_kind { ACT_TANH, ACT_RELU, ACT_SIGMOID };

/* Parameter ids, in block order; names follow PyTorch's nn.RNN. */
enum param_id {
	P_WEIGHT_IH, /* (H, V) */
	P_WEIGHT_HH, /* (H, H) */
	P_BIAS_IH,   /* (H) */
	P_BIAS_HH,   /* (H) */
	P_WEIGHT_OUT, /* (V, H) */
	P_BIAS_OUT,  /* (V) */
	P_COUNT
};

struct param_info {
	const char *name; /* e.g. "weight_hh_l0" */
	int rank;         /* 1 or 2 */
	size_t dims[2];   /* rows, cols (cols = 1 for rank 1) */
	size_t offset;    /* floats from the start of the block */
	size_t size;      /* dims[0] * dims[1] */
};

struct model {
	int H, V;
	enum act_kind act;
	struct param_info tab[P_COUNT];
	size_t nparams; /* floats in the block */
	float *params;  /* (nparams) the block */
	/* views into params */
	float *W_ih;  /* (H, V) */
	float *W_hh;  /* (H, H) */
	float *b_ih;  /* (H) */
	float *b_hh;  /* (H) */
	float *W_out; /* (V, H) */
	float *b_out; /* (V) */
};

/* Fills m's table and allocates a zeroed block. Returns 0, or -1 when out
 * of memory (m is then left with params == NULL). */
int model_init(struct model *m, int H, int V, enum act_kind act);
void model_free(struct model *m);

/* Gaussian init with standard deviation `scale` for the weight matrices,
 * zeros for the biases (as min-char-rnn), drawn in table order. */
struct rng;
void model_init_params(struct model *m, float scale, struct rng *r);

/* Pointer to parameter `id` inside any block laid out like m->params
 * (gradients, optimizer state, saved snapshots). */
static inline float *model_slot(const struct model *m, float *block, enum param_id id)
{
	return block + m->tab[id].offset;
}

const char *act_name(enum act_kind a);
/* Returns 0 and sets *a for "tanh", "relu", "sigmoid"; -1 otherwise. */
int act_parse(const char *s, enum act_kind *a);

#endif
