/*
 * model.c - parameter table and initialisation of the vanilla RNN.
 */
#include "model.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

static const struct { const char *name; int rank; } param_kinds[P_COUNT] = {
	{ "weight_ih_l0", 2 }, { "weight_hh_l0", 2 }, { "bias_ih_l0", 1 },
	{ "bias_hh_l0", 1 }, { "weight_out", 2 }, { "bias_out", 1 },
};

int model_init(struct model *m, int H, int V, enum act_kind act)
{
	size_t h = (size_t)H, v = (size_t)V;
	size_t dims[P_COUNT][2] = {
		{ h, v }, { h, h }, { h, 1 }, { h, 1 }, { v, h }, { v, 1 },
	};
	size_t off = 0;

	memset(m, 0, sizeof(*m));
	m->H = H;
	m->V = V;
	m->act = act;
	for (int i = 0; i < P_COUNT; i++) {
		struct param_info *p = &m->tab[i];
		p->name = param_kinds[i].name;
		p->rank = param_kinds[i].rank;
		p->dims[0] = dims[i][0];
		p->dims[1] = dims[i][1];
		p->size = dims[i][0] * dims[i][1];
		p->offset = off;
		off += p->size;
	}
	m->nparams = off;
	m->params = calloc(off, sizeof(float));
	if (!m->params)
		return -1;
	m->W_ih = model_slot(m, m->params, P_WEIGHT_IH);
	m->W_hh = model_slot(m, m->params, P_WEIGHT_HH);
	m->b_ih = model_slot(m, m->params, P_BIAS_IH);
	m->b_hh = model_slot(m, m->params, P_BIAS_HH);
	m->W_out = model_slot(m, m->params, P_WEIGHT_OUT);
	m->b_out = model_slot(m, m->params, P_BIAS_OUT);
	return 0;
}

void model_free(struct model *m)
{
	free(m->params);
	m->params = NULL;
}

void model_init_params(struct model *m, float scale, struct rng *r)
{
	for (int i = 0; i < P_COUNT; i++) {
		float *p = model_slot(m, m->params, i);
		if (m->tab[i].rank == 1) {
			memset(p, 0, m->tab[i].size * sizeof(float));
			continue;
		}
		for (size_t k = 0; k < m->tab[i].size; k++)
			p[k] = (float)(scale * rng_normal(r));
	}
}

const char *act_name(enum act_kind a)
{
	switch (a) {
	case ACT_RELU: return "relu";
	case ACT_SIGMOID: return "sigmoid";
	default: return "tanh";
	}
}

int act_parse(const char *s, enum act_kind *a)
{
	if (!strcmp(s, "tanh"))
		*a = ACT_TANH;
	else if (!strcmp(s, "relu"))
		*a = ACT_RELU;
	else if (!strcmp(s, "sigmoid"))
		*a = ACT_SIGMOID;
	else
		return -1;
	return 0;
}
