/*
 * reccols.c - the list of /record datasets (see reccols.h).
 */
#include "reccols.h"

#include <stdio.h>
#include <string.h>

int reccols_max(const struct model *m)
{
	return 9 + 8 * m->L + m->ntab;
}

size_t reccol_row_bytes(const struct reccol *c)
{
	size_t b = c->elem;
	for (int i = 0; i < c->tail_rank; i++)
		b *= c->tail[i];
	return b;
}

/* Appends one column; a name with "%d" gets the layer suffix. */
static void add(struct reccol *cols, int *k, const char *name, int layer, int is_float,
		int rank, hsize_t d0, hsize_t d1, hsize_t d2, enum rec_src src, size_t offset)
{
	struct reccol *c = &cols[(*k)++];
	memset(c, 0, sizeof(*c));
	if (layer > 0)
		snprintf(c->name, sizeof(c->name), "%s_l%d", name, layer);
	else
		snprintf(c->name, sizeof(c->name), "%s", name);
	c->tail_rank = rank;
	c->tail[0] = d0;
	c->tail[1] = d1;
	c->tail[2] = d2;
	c->src = src;
	c->offset = offset;
	if (is_float) {
		c->ftype = H5T_IEEE_F32LE;
		c->mtype = H5T_NATIVE_FLOAT;
		c->elem = 4;
	} else if (rank == 0) { /* batch, position */
		c->ftype = H5T_STD_I64LE;
		c->mtype = H5T_NATIVE_INT64;
		c->elem = 8;
	} else {
		c->ftype = H5T_STD_I32LE;
		c->mtype = H5T_NATIVE_INT32;
		c->elem = 4;
	}
}

/* What each layer adds besides the token columns: layer 0's itemized,
 * truncation_error and h0 keep SPEC 2's order and place. */
static void add_layer(struct reccol *cols, int *k, const struct model *m, int n, int l)
{
	const hsize_t N = (hsize_t)n, H = (hsize_t)m->H, G = (hsize_t)m->G;
	const size_t L = (size_t)l, nn = (size_t)n * n;
	add(cols, k, "itemized", l, 1, 2, N, N, 0, SRC_G, L * nn);
	add(cols, k, "truncation_error", l, 1, 1, N, 0, 0, SRC_E, L * n);
	add(cols, k, "h0", l, 1, 1, H, 0, 0, SRC_H0, L * H);
	if (G > 1) {
		add(cols, k, "itemized_gates", l, 1, 3, G, N, N, SRC_GQ, L * G * nn);
		add(cols, k, "truncation_error_gates", l, 1, 2, G, N, 0, SRC_EQ, L * G * n);
	}
	if (m->cell == CELL_LSTM)
		add(cols, k, "c0", l, 1, 1, H, 0, 0, SRC_C0, L * H);
}

int reccols_build(struct reccol *cols, int cap, const struct model *m, int n,
		  int with_params, int with_hidden)
{
	const hsize_t N = (hsize_t)n, H = (hsize_t)m->H;
	int k = 0;
	if (cap < reccols_max(m))
		return -1;
	add(cols, &k, "batch", 0, 0, 0, 0, 0, 0, SRC_BATCH, 0);
	add(cols, &k, "position", 0, 0, 0, 0, 0, 0, SRC_POSITION, 0);
	add(cols, &k, "input", 0, 0, 1, N, 0, 0, SRC_INPUT, 0);
	add(cols, &k, "target", 0, 0, 1, N, 0, 0, SRC_TARGET, 0);
	add(cols, &k, "predicted", 0, 0, 1, N, 0, 0, SRC_PREDICTED, 0);
	add(cols, &k, "loss", 0, 1, 1, N, 0, 0, SRC_LOSS, 0);
	for (int l = 0; l < m->L; l++)
		add_layer(cols, &k, m, n, l);
	for (int l = 0; with_hidden && l < m->L; l++) {
		add(cols, &k, "hidden", l, 1, 2, N, H, 0, SRC_HIDDEN, (size_t)l * N * H);
		if (m->cell == CELL_LSTM)
			add(cols, &k, "cell", l, 1, 2, N, H, 0, SRC_CELL, (size_t)l * N * H);
	}
	for (int i = 0; with_params && i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i];
		add(cols, &k, p->name, 0, 1, p->rank, p->dims[0], p->dims[1], 0, SRC_PARAM,
		    p->offset);
		cols[k - 1].in_params = 1;
	}
	return k;
}

const void *reccol_row(const struct reccol *c, const struct record *r)
{
	switch (c->src) {
	case SRC_BATCH: return &r->batch;
	case SRC_POSITION: return &r->position;
	case SRC_INPUT: return r->input;
	case SRC_TARGET: return r->target;
	case SRC_PREDICTED: return r->predicted;
	case SRC_LOSS: return r->loss;
	case SRC_G: return r->it.g + c->offset;
	case SRC_E: return r->it.E + c->offset;
	case SRC_GQ: return r->it.gq + c->offset;
	case SRC_EQ: return r->it.Eq + c->offset;
	case SRC_H0: return r->h0 + c->offset;
	case SRC_C0: return r->c0 + c->offset;
	case SRC_HIDDEN: return r->hidden + c->offset;
	case SRC_CELL: return r->cell + c->offset;
	default: return r->params + c->offset;
	}
}
