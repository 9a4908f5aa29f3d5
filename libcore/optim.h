/*
 * optim.h - optimizers and gradient clipping over one flat parameter block
 * (the layout of struct model, so every update is a single loop).
 */
#ifndef RNNBOW_OPTIM_H
#define RNNBOW_OPTIM_H

#include <stddef.h>

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

/* params -= update(clip(grads)), one flat loop; each gradient element is
 * first clipped to [-clip, clip] (clip <= 0: no clipping), in the same pass
 * (a pass of its own over the block cost ~2% of LSTM training):
 *   adagrad: mem += g^2; p -= lr g / sqrt(mem + 1e-8)       (min-char-rnn)
 *   sgd:     p -= lr g
 *   adam:    PyTorch's Adam, betas (0.9, 0.999), eps 1e-8, bias-corrected */
void optim_step(struct optim *o, float *params, const float *grads, float clip);

/* The default learning rate of each optimizer: 0.1, 0.01, 0.002. */
double optim_default_lr(enum optim_kind kind);
const char *optim_name(enum optim_kind kind);
int optim_parse(const char *s, enum optim_kind *kind);

/* |g|_2 over the block, accumulated in double. */
double grad_norm(const float *grads, size_t n);

#endif
