/*
 * optim.c - adagrad, sgd and adam as flat loops over the parameter block.
 */
#include "optim.h"

#include "fastmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int optim_init(struct optim *o, enum optim_kind kind, float lr, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->lr = lr;
	o->n = n;
	o->mem = calloc(n, sizeof(float));
	o->mem2 = calloc(n, sizeof(float));
	if (!o->mem || !o->mem2) {
		optim_free(o);
		return -1;
	}
	return 0;
}

void optim_free(struct optim *o)
{
	free(o->mem);
	free(o->mem2);
	o->mem = o->mem2 = NULL;
}

/* g clipped to [-lim, lim]; lim = INFINITY for no clipping */
static inline float clipped(float g, float lim)
{
	g = g > lim ? lim : g;
	return g < -lim ? -lim : g;
}

/* The update of elements [from, to) of the block. */
HOT_LOOPS static void step_range(struct optim *o, float *restrict params,
				 const float *restrict grads, float lim, size_t from, size_t to)
{
	const float lr = o->lr;
	float *restrict mem = o->mem, *restrict mem2 = o->mem2;

	switch (o->kind) {
	case OPT_SGD:
		for (size_t i = from; i < to; i++)
			params[i] -= lr * clipped(grads[i], lim);
		break;
	case OPT_ADAM: {
		const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
		const float c1 = (float)(1.0 - pow(b1, (double)o->step));
		const float c2 = (float)sqrt(1.0 - pow(b2, (double)o->step));
		const float step = lr / c1;
		for (size_t i = from; i < to; i++) {
			float g = clipped(grads[i], lim);
			mem[i] = b1 * mem[i] + (1.0f - b1) * g;
			mem2[i] = b2 * mem2[i] + (1.0f - b2) * g * g;
			params[i] -= step * mem[i] / (sqrtf(mem2[i]) / c2 + eps);
		}
		break;
	}
	default:
		for (size_t i = from; i < to; i++) {
			float g = clipped(grads[i], lim);
			mem[i] += g * g;
			params[i] -= lr * g / sqrtf(mem[i] + 1e-8f);
		}
	}
}

void optim_step(struct optim *o, float *params, const float *grads, float clip,
		const struct sparse_rows *sp)
{
	const float lim = clip > 0.0f ? clip : INFINITY;
	o->step++;
	if (!sp || o->kind == OPT_ADAM) { /* Adam moves parameters with a zero gradient too */
		step_range(o, params, grads, lim, 0, o->n);
		return;
	}
	/* a zero gradient leaves sgd and adagrad exactly where they were */
	size_t end = sp->offset + sp->nrows * sp->row_len;
	step_range(o, params, grads, lim, 0, sp->offset);
	for (int k = 0; k < sp->count; k++) {
		size_t r = sp->offset + (size_t)sp->rows[k] * sp->row_len;
		step_range(o, params, grads, lim, r, r + sp->row_len);
	}
	step_range(o, params, grads, lim, end, o->n);
}

double optim_default_lr(enum optim_kind kind)
{
	switch (kind) {
	case OPT_SGD: return 0.01;
	case OPT_ADAM: return 0.002;
	default: return 0.1;
	}
}

static const char *const optim_name_tab[] = {
	[OPT_ADAGRAD] = "adagrad", [OPT_SGD] = "sgd", [OPT_ADAM] = "adam",
};
const struct names optim_names = NAMES(optim_name_tab);

const char *optim_name(enum optim_kind kind)
{
	return names_get(&optim_names, (int)kind);
}

int optim_parse(const char *s, enum optim_kind *kind)
{
	int v = names_find(&optim_names, s);
	if (v < 0)
		return -1;
	*kind = (enum optim_kind)v;
	return 0;
}

/* float products summed in double, vectorised by OpenBLAS */
static double sumsq(const float *g, size_t n)
{
	return n ? cblas_dsdot((blasint)n, g, 1, g, 1) : 0.0;
}

double grad_norm(const float *grads, size_t n, const struct sparse_rows *sp)
{
	if (!sp)
		return sqrt(sumsq(grads, n));
	size_t end = sp->offset + sp->nrows * sp->row_len;
	double s = sumsq(grads, sp->offset);
	for (int k = 0; k < sp->count; k++)
		s += sumsq(grads + sp->offset + (size_t)sp->rows[k] * sp->row_len, sp->row_len);
	return sqrt(s + sumsq(grads + end, n - end));
}

/* a 32-bit count vectorises (a block has far fewer than 2^32 floats) */
HOT_LOOPS static size_t count_above(const float *restrict g, size_t n, float lim)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += fabsf(g[i]) > lim;
	return k;
}

double clip_share(const float *grads, size_t n, float clip, const struct sparse_rows *sp)
{
	if (!(clip > 0.0f) || n == 0)
		return 0.0;
	if (!sp)
		return (double)count_above(grads, n, clip) / (double)n;
	size_t end = sp->offset + sp->nrows * sp->row_len;
	size_t k = count_above(grads, sp->offset, clip) + count_above(grads + end, n - end, clip);
	for (int r = 0; r < sp->count; r++)
		k += count_above(grads + sp->offset + (size_t)sp->rows[r] * sp->row_len, sp->row_len,
				 clip);
	return (double)k / (double)n;
}
