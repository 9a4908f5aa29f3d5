/*
 * optim.h - optimizers and gradient clipping over one flat parameter block
 * (the layout of struct model, so every update is a single loop).
 */
#ifndef RNNBOW_OPTIM_H
#define RNNBOW_OPTIM_H

#include "names.h"

#include <stddef.h>
#include <stdint.h>

enum optim_kind { OPT_ADAGRAD, OPT_SGD, OPT_ADAM };

struct optim {
	enum optim_kind kind;
	float lr;
	size_t n;      /* floats in the block */
	float *mem;    /* (n) adagrad: sum of g^2; adam: first moment */
	float *mem2;   /* (n) adam: second moment */
	long step;     /* updates done (adam's bias correction) */
};

/* Returns 0, or -1 when out of memory. */
int optim_init(struct optim *o, enum optim_kind kind, float lr, size_t n);
void optim_free(struct optim *o);

/* Rows of a block region where the gradient can be non-zero: layer 0's
 * W_ih, stored (V, GH), has a gradient only in the rows of the batch's
 * tokens. count distinct row indices in [0, nrows). */
struct sparse_rows {
	size_t offset;  /* first float of the region */
	size_t row_len; /* floats per row */
	size_t nrows;
	const int32_t *rows;
	int count;
};

/* params -= update(clip(grads)), one flat loop; each gradient element is
 * first clipped to [-clip, clip] (clip <= 0: no clipping), in the same pass
 * (a pass of its own over the block cost ~2% of LSTM training):
 *   adagrad: mem += g^2; p -= lr g / sqrt(mem + 1e-8)       (min-char-rnn)
 *   sgd:     p -= lr g
 *   adam:    PyTorch's Adam, betas (0.9, 0.999), eps 1e-8, bias-corrected
 * With sp, sgd and adagrad skip the rows of sp's region that are not
 * listed (their gradient is zero, and so would be their update: the result
 * is the same, bit for bit); adam updates everything. sp may be NULL. */
void optim_step(struct optim *o, float *params, const float *grads, float clip,
		const struct sparse_rows *sp);

/* The default learning rate of each optimizer: 0.1, 0.01, 0.002. */
double optim_default_lr(enum optim_kind kind);
/* The optimizers' names by enum value (names.h): "adagrad", "sgd", "adam". */
extern const struct names optim_names;
const char *optim_name(enum optim_kind kind);
int optim_parse(const char *s, enum optim_kind *kind);

/* |g|_2 over the block, accumulated in double; with sp, rows of its
 * region not listed are taken as zero and not read. */
double grad_norm(const float *grads, size_t n, const struct sparse_rows *sp);

/* The share of the n entries of the block that optim_step's clipping
 * changes, |g| > clip (0 when clip <= 0); with sp as grad_norm. One pass
 * over what optim_step reads. */
double clip_share(const float *grads, size_t n, float clip, const struct sparse_rows *sp);

#endif
