/*
 * model.c - parameter table and initialisation of every cell kind.
 */
#include "model.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_param(struct param_info *p, const char *name, int layer, size_t rows,
		      size_t cols, size_t *off)
{
	if (layer >= 0)
		snprintf(p->name, sizeof(p->name), "%s_l%d", name, layer);
	else
		snprintf(p->name, sizeof(p->name), "%s", name);
	p->rank = cols > 1 || strncmp(name, "weight", 6) == 0 ? 2 : 1;
	p->dims[0] = rows;
	p->dims[1] = cols;
	p->size = rows * cols;
	p->offset = *off;
	*off += p->size;
}

int model_init(struct model *m, enum cell_kind cell, enum act_kind act, int L, int H, int V)
{
	return model_init_io(m, cell, act, L, H, V, V);
}

int model_init_io(struct model *m, enum cell_kind cell, enum act_kind act, int L, int H,
		  int In, int V)
{
	size_t h = (size_t)H, v = (size_t)V, off = 0;

	memset(m, 0, sizeof(*m));
	m->cell = cell;
	m->act = act;
	m->H = H;
	m->V = V;
	m->In = In;
	m->G = cell_gates(cell);
	m->L = L;
	m->ntab = L * LP_COUNT + 2;
	m->tab = calloc((size_t)m->ntab, sizeof(*m->tab));
	m->layer = calloc((size_t)L, sizeof(*m->layer));
	if (!m->tab || !m->layer)
		goto fail;
	size_t gh = (size_t)m->G * h;
	for (int l = 0; l < L; l++) {
		size_t in = l == 0 ? (size_t)In : h;
		set_param(&m->tab[model_param(l, LP_WEIGHT_IH)], "weight_ih", l, gh, in, &off);
		m->tab[model_param(l, LP_WEIGHT_IH)].transposed = l == 0;
		set_param(&m->tab[model_param(l, LP_WEIGHT_HH)], "weight_hh", l, gh, h, &off);
		set_param(&m->tab[model_param(l, LP_BIAS_IH)], "bias_ih", l, gh, 1, &off);
		set_param(&m->tab[model_param(l, LP_BIAS_HH)], "bias_hh", l, gh, 1, &off);
	}
	set_param(&m->tab[model_weight_out(m)], "weight_out", -1, v, h, &off);
	set_param(&m->tab[model_bias_out(m)], "bias_out", -1, v, 1, &off);
	m->nparams = off;
	m->params = calloc(off, sizeof(float));
	if (!m->params)
		goto fail;
	for (int l = 0; l < L; l++) {
		struct layer_params *lp = &m->layer[l];
		lp->in = l == 0 ? In : H;
		lp->W_ih = model_slot(m, m->params, model_param(l, LP_WEIGHT_IH));
		lp->W_hh = model_slot(m, m->params, model_param(l, LP_WEIGHT_HH));
		lp->b_ih = model_slot(m, m->params, model_param(l, LP_BIAS_IH));
		lp->b_hh = model_slot(m, m->params, model_param(l, LP_BIAS_HH));
	}
	m->W_out = model_slot(m, m->params, model_weight_out(m));
	m->b_out = model_slot(m, m->params, model_bias_out(m));
	return 0;
fail:
	model_free(m);
	return -1;
}

void model_free(struct model *m)
{
	free(m->params);
	free(m->tab);
	free(m->layer);
	m->params = NULL;
	m->tab = NULL;
	m->layer = NULL;
}

void model_export(const struct model *m, float *dst, const float *src)
{
	for (int i = 0; i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i];
		const float *a = src + p->offset;
		float *b = dst + p->offset;
		if (!p->transposed) {
			memcpy(b, a, p->size * sizeof(float));
			continue;
		}
		const size_t rows = p->dims[0], cols = p->dims[1]; /* stored (cols, rows) */
		for (size_t r = 0; r < rows; r++)
			for (size_t c = 0; c < cols; c++)
				b[r * cols + c] = a[c * rows + r];
	}
}

/* One parameter from PyTorch's layout (src) into its slot laid out as
 * stored (dst): transposed slots are kept (cols, rows). */
static void import_slot(const struct param_info *p, float *dst, const float *src)
{
	if (!p->transposed) {
		memcpy(dst, src, p->size * sizeof(float));
		return;
	}
	const size_t rows = p->dims[0], cols = p->dims[1];
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			dst[c * rows + r] = src[r * cols + c];
}

void model_import_one(struct model *m, int id, const float *src)
{
	import_slot(&m->tab[id], model_slot(m, m->params, id), src);
}

void model_import(const struct model *m, float *dst, const float *src)
{
	for (int i = 0; i < m->ntab; i++)
		import_slot(&m->tab[i], dst + m->tab[i].offset, src + m->tab[i].offset);
}

void model_init_params(struct model *m, float scale, float forget_bias, struct rng *r)
{
	for (int i = 0; i < m->ntab; i++) {
		float *p = model_slot(m, m->params, i);
		if (m->tab[i].rank == 1) {
			memset(p, 0, m->tab[i].size * sizeof(float));
			continue;
		}
		for (size_t k = 0; k < m->tab[i].size; k++)
			p[k] = (float)(scale * rng_normal(r));
	}
	if (m->cell == CELL_LSTM)
		for (int l = 0; l < m->L; l++)
			for (int i = 0; i < m->H; i++)
				m->layer[l].b_ih[m->H + i] = forget_bias;
}

static const char *const act_name_tab[] = {
	[ACT_TANH] = "tanh", [ACT_RELU] = "relu", [ACT_SIGMOID] = "sigmoid",
};
static const char *const cell_name_tab[] = {
	[CELL_RNN] = "rnn", [CELL_LSTM] = "lstm", [CELL_GRU] = "gru",
};
const struct names act_names = NAMES(act_name_tab);
const struct names cell_names = NAMES(cell_name_tab);

const char *act_name(enum act_kind a)
{
	return names_get(&act_names, (int)a);
}

int act_parse(const char *s, enum act_kind *a)
{
	int v = names_find(&act_names, s);
	if (v < 0)
		return -1;
	*a = (enum act_kind)v;
	return 0;
}

const char *cell_name(enum cell_kind c)
{
	return names_get(&cell_names, (int)c);
}

int cell_parse(const char *s, enum cell_kind *c)
{
	int v = names_find(&cell_names, s);
	if (v < 0)
		return -1;
	*c = (enum cell_kind)v;
	return 0;
}

int cell_gates(enum cell_kind c)
{
	return c == CELL_LSTM ? 4 : c == CELL_GRU ? 3 : 1;
}

const char *cell_gate_names(enum cell_kind c)
{
	return c == CELL_LSTM ? "i,f,g,o" : c == CELL_GRU ? "r,z,n" : "";
}
