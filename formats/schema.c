/*
 * schema.c - the names, types and shapes of a run file (see schema.h).
 */
#include "schema.h"
#include "h5util.h"
#include "msg.h"
#include "runfile.h"

#include <stdio.h>
#include <string.h>

hid_t schema_ftype(enum schema_type t)
{
	switch (t) {
	case ST_I64: return H5T_STD_I64LE;
	case ST_U64: return H5T_STD_U64LE;
	case ST_I32: return H5T_STD_I32LE;
	case ST_F32: return H5T_IEEE_F32LE;
	case ST_F64: return H5T_IEEE_F64LE;
	case ST_U8: return H5T_STD_U8LE;
	default: return H5T_C_S1;
	}
}

hid_t schema_mtype(enum schema_type t)
{
	switch (t) {
	case ST_I64: return H5T_NATIVE_INT64;
	case ST_U64: return H5T_NATIVE_UINT64;
	case ST_I32: return H5T_NATIVE_INT32;
	case ST_F32: return H5T_NATIVE_FLOAT;
	case ST_F64: return H5T_NATIVE_DOUBLE;
	case ST_U8: return H5T_NATIVE_UINT8;
	default: return H5T_C_S1;
	}
}

size_t schema_elem(enum schema_type t)
{
	static const size_t bytes[] = { [ST_I64] = 8, [ST_U64] = 8, [ST_I32] = 4, [ST_F32] = 4,
					[ST_F64] = 8, [ST_U8] = 1, [ST_STR] = 1 };
	return bytes[t];
}

void schema_layer_name(char *buf, size_t len, const char *base, int layer)
{
	if (layer > 0)
		snprintf(buf, len, "%s_l%d", base, layer);
	else
		snprintf(buf, len, "%s", base);
}

/* ---- attributes ---- */

const struct schema_attr schema_attrs[SCHEMA_ATTRS] = {
	[A_FORMAT] = { "", "format", ST_STR, NULL },
	[A_FORMAT_VERSION] = { "", "format_version", ST_I64, NULL },
	[A_SOFTWARE_VERSION] = { "", "software_version", ST_STR, NULL },
	[A_COMMAND_LINE] = { "", "command_line", ST_STR, NULL },
	[A_CREATED_UTC] = { "", "created_utc", ST_STR, NULL },
	[A_HISTORY] = { "", "history", ST_STR, "after a resume or an extension" },
	[A_SEED] = { "", "seed", ST_U64, NULL },
	[A_CORPUS_NAME] = { "", "corpus_name", ST_STR, NULL },
	[A_CORPUS_BYTES] = { "", "corpus_bytes", ST_I64, NULL },
	[A_CORPUS_SHA256] = { "", "corpus_sha256", ST_STR, NULL },
	[A_CELL] = { SCHEMA_MODEL, "cell", ST_STR, NULL },
	[A_ACTIVATION] = { SCHEMA_MODEL, "activation", ST_STR, NULL },
	[A_HIDDEN_SIZE] = { SCHEMA_MODEL, "hidden_size", ST_I64, NULL },
	[A_LAYERS] = { SCHEMA_MODEL, "layers", ST_I64, NULL },
	[A_GATES] = { SCHEMA_MODEL, "gates", ST_I64, NULL },
	[A_GATE_NAMES] = { SCHEMA_MODEL, "gate_names", ST_STR, NULL },
	[A_FORGET_BIAS] = { SCHEMA_MODEL, "forget_bias", ST_F64, "lstm" },
	[A_VOCAB_SIZE] = { SCHEMA_MODEL, "vocab_size", ST_I64, NULL },
	[A_SEQ_LEN] = { SCHEMA_MODEL, "seq_len", ST_I64, NULL },
	[A_INIT_SCALE] = { SCHEMA_MODEL, "init_scale", ST_F64, NULL },
	[A_INPUT] = { SCHEMA_MODEL, "input", ST_STR, "librnnbow" },
	[A_INPUT_SIZE] = { SCHEMA_MODEL, "input_size", ST_I64, "librnnbow" },
	[A_OPTIMIZER] = { SCHEMA_TRAIN, "optimizer", ST_STR, NULL },
	[A_LEARNING_RATE] = { SCHEMA_TRAIN, "learning_rate", ST_F64, NULL },
	[A_CLIP] = { SCHEMA_TRAIN, "clip", ST_F64, NULL },
	[A_BATCHES] = { SCHEMA_TRAIN, "batches", ST_I64, NULL },
	[A_RECORD_EVERY] = { SCHEMA_TRAIN, "record_every", ST_I64, NULL },
	[A_SAMPLE_EVERY] = { SCHEMA_SAMPLES, "every", ST_I64, "--sample-every" },
	[A_SAMPLE_LENGTH] = { SCHEMA_SAMPLES, "length", ST_I64, "--sample-every" },
	[A_SAMPLE_TEMPERATURE] = { SCHEMA_SAMPLES, "temperature", ST_F64, "--sample-every" },
	[A_BATCH_SIZE] = { SCHEMA_TRAIN, "batch_size", ST_I64, "--batch-size > 1" },
	[A_RECORD_SEQUENCES] = { SCHEMA_TRAIN, "record_sequences", ST_I64, "--batch-size > 1" },
	[A_DIAG_ACTIVATIONS] = { SCHEMA_RECORD "/" SCHEMA_DIAG, "activations", ST_STR,
				 "diagnostics" },
	[A_VALID_EVERY] = { SCHEMA_VALID, "every", ST_I64, "--valid, --valid-share" },
	[A_VALID_STEPS] = { SCHEMA_VALID, "steps", ST_I64, "--valid, --valid-share" },
	[A_VALID_SOURCE] = { SCHEMA_VALID, "source", ST_STR, "--valid, --valid-share" },
	[A_VALID_BYTES] = { SCHEMA_VALID, "bytes", ST_I64, "--valid, --valid-share" },
	[A_LR_DECAY] = { SCHEMA_TRAIN, "lr_decay", ST_F64, "--lr-decay" },
	[A_LR_DECAY_AFTER] = { SCHEMA_TRAIN, "lr_decay_after", ST_I64, "--lr-decay" },
	[A_EPOCH_BATCHES] = { SCHEMA_TRAIN, "epoch_batches", ST_I64, "--lr-decay" },
	[A_INIT] = { "", "init", ST_STR, "--init" },
	[A_TOKENS] = { SCHEMA_MODEL, "tokens", ST_STR, "--tokens utf8|words, --token-ids" },
	[A_CORPUS_TOKENS] = { "", "corpus_tokens", ST_I64, "--tokens utf8|words, --token-ids" },
	[A_COMPONENTS] = { SCHEMA_MODEL, "components", ST_STR, "--cell mix or a list" },
};

int schema_put(hid_t obj, enum schema_attr_id id, const struct schema_value *v)
{
	const char *name = schema_attrs[id].name;
	switch (schema_attrs[id].type) {
	case ST_STR: return h5_attr_put_str(obj, name, v->s);
	case ST_U64: return h5_attr_put_u64(obj, name, v->u);
	case ST_F64: return h5_attr_put_f64(obj, name, v->f);
	default: return h5_attr_put_i64(obj, name, v->i);
	}
}

int schema_get_str(hid_t obj, enum schema_attr_id id, char *buf, size_t len)
{
	return h5_attr_get_str(obj, schema_attrs[id].name, buf, len);
}

int schema_get_i64(hid_t obj, enum schema_attr_id id, int64_t *value)
{
	return h5_attr_get_i64(obj, schema_attrs[id].name, value);
}

int schema_get_f64(hid_t obj, enum schema_attr_id id, double *value)
{
	return h5_attr_get_f64(obj, schema_attrs[id].name, value);
}

int schema_is_run(hid_t file)
{
	char fmt[64];
	return schema_get_str(file, A_FORMAT, fmt, sizeof(fmt)) == 0 &&
	       !strcmp(fmt, RUNFILE_FORMAT);
}

void run_model_read(struct run_model *rm, hid_t g)
{
	memset(rm, 0, sizeof(*rm));
	rm->layers = 1;
	rm->gates = 1;
	rm->has_cell = schema_get_str(g, A_CELL, rm->cell, sizeof(rm->cell)) == 0;
	rm->has_input = schema_get_str(g, A_INPUT, rm->input, sizeof(rm->input)) == 0;
	schema_get_i64(g, A_INPUT_SIZE, &rm->input_size);
	schema_get_str(g, A_ACTIVATION, rm->activation, sizeof(rm->activation));
	rm->bad = schema_get_i64(g, A_SEQ_LEN, &rm->n) | schema_get_i64(g, A_HIDDEN_SIZE, &rm->H) |
		  schema_get_i64(g, A_VOCAB_SIZE, &rm->V);
	schema_get_i64(g, A_LAYERS, &rm->layers);
	schema_get_i64(g, A_GATES, &rm->gates);
	schema_get_str(g, A_GATE_NAMES, rm->gate_names, sizeof(rm->gate_names));
	rm->has_forget_bias = schema_get_f64(g, A_FORGET_BIAS, &rm->forget_bias) == 0;
	schema_get_f64(g, A_INIT_SCALE, &rm->init_scale);
	rm->comp = -1;
	if (schema_get_str(g, A_COMPONENTS, rm->components, sizeof(rm->components)) == 0)
		names_in_list(rm->components, "", &rm->ncomp);
}

int run_model_component(struct run_model *rm, const char *want)
{
	int count, k = names_in_list(rm->components, want ? want : "0", &count);
	if (rm->ncomp < 1 || k < 0)
		return -1;
	const char *p = rm->components;
	for (int i = 0; i < k; i++)
		p += strcspn(p, ",") + 1;
	size_t w = strcspn(p, ",");
	snprintf(rm->comp_name, sizeof(rm->comp_name), "%.*s", (int)w, p);
	/* the cell: the name without its rank */
	size_t c = w;
	while (c > 0 && p[c - 1] >= '0' && p[c - 1] <= '9')
		c--;
	enum cell_kind cell;
	char kind[16];
	snprintf(kind, sizeof(kind), "%.*s", (int)c, p);
	if (cell_parse(kind, &cell) < 0)
		return -1;
	snprintf(rm->cell, sizeof(rm->cell), "%s", kind);
	rm->has_cell = 1;
	rm->gates = cell_gates(cell);
	snprintf(rm->gate_names, sizeof(rm->gate_names), "%s", cell_gate_names(cell));
	rm->comp = k;
	return k;
}

int schema_refuse_mix(const char *path, const char *components)
{
	char list[96];
	size_t k = 0;
	for (const char *p = components; *p && k + 3 < sizeof(list); p++) {
		list[k++] = *p;
		if (*p == ',')
			list[k++] = ' ';
	}
	list[k] = '\0';
	return error("%s: a mix of components (%s): not supported by this command yet "
		     "(summarize, horizon, info, units, trace, ablate, sample, diagnose, plot, report "
		     "and view read mixes)", path, list);
}

/* ---- /train ---- */

const struct schema_train_col schema_train[TRAIN_COLS] = {
	[TRAIN_BATCH] = { "batch", ST_I64, 0 },
	[TRAIN_LOSS] = { "loss", ST_F32, 0 },
	[TRAIN_GRAD_NORM] = { "grad_norm", ST_F32, 0 },
	[TRAIN_NONFINITE] = { "nonfinite", ST_U8, 1 },
	[TRAIN_CLIP_SHARE] = { "clip_share", ST_F32, 1 },
};

void schema_train_path(char *buf, size_t len, int i)
{
	snprintf(buf, len, "%s/%s", SCHEMA_TRAIN, schema_train[i].name);
}

/* ---- /record ---- */

const struct schema_rec schema_record_once[SCHEMA_RECORD_ONCE] = {
	[R_BATCH] = { "batch", ST_I64, { DIM_END }, W_ALWAYS, 0, 0, SRC_BATCH },
	[R_POSITION] = { "position", ST_I64, { DIM_END }, W_ALWAYS, 0, 1, SRC_POSITION },
	[R_INPUT] = { "input", ST_I32, { DIM_N }, W_ALWAYS, 0, 2, SRC_INPUT },
	[R_TARGET] = { "target", ST_I32, { DIM_N }, W_ALWAYS, 0, 3, SRC_TARGET },
	[R_PREDICTED] = { "predicted", ST_I32, { DIM_N }, W_ALWAYS, 0, 4, SRC_PREDICTED },
	[R_LOSS] = { "loss", ST_F32, { DIM_N }, W_ALWAYS, 0, 5, SRC_LOSS },
};

/* Pass 1 is layer 0's itemized, truncation_error and h0 in SPEC 2's order
 * and place, then what gated cells add, then each further layer; pass 2
 * the hidden states of every layer; pass 3 every layer's diagnostics
 * (under /record/diag: add() tells them by their pass); pass 4 every
 * layer's unit_flow. */
const struct schema_rec schema_layer[SCHEMA_LAYER_DATASETS] = {
	[L_ITEMIZED] = { "itemized", ST_F32, { DIM_N, DIM_N }, W_ALWAYS, 1, 0, SRC_G },
	[L_TRUNC] = { "truncation_error", ST_F32, { DIM_N }, W_ALWAYS, 1, 1, SRC_E },
	[L_ITEMIZED_GATES] = { "itemized_gates", ST_F32, { DIM_G, DIM_N, DIM_N }, W_GATED, 1, 3,
			       SRC_GQ },
	[L_TRUNC_GATES] = { "truncation_error_gates", ST_F32, { DIM_G, DIM_N }, W_GATED, 1, 4,
			    SRC_EQ },
	[L_H0] = { "h0", ST_F32, { DIM_H }, W_ALWAYS, 1, 2, SRC_H0 },
	[L_C0] = { "c0", ST_F32, { DIM_H }, W_LSTM, 1, 5, SRC_C0 },
	[L_HIDDEN] = { "hidden", ST_F32, { DIM_N, DIM_H }, W_HIDDEN, 2, 0, SRC_HIDDEN },
	[L_CELL] = { "cell", ST_F32, { DIM_N, DIM_H }, W_HIDDEN_LSTM, 2, 1, SRC_CELL },
	/* pass 3: the diagnostics of every layer, under /record/diag */
	[L_DIAG_SATURATED] = { SCHEMA_DIAG "/saturated", ST_F32, { DIM_A }, W_DIAG, 3, 0, SRC_SAT },
	[L_DIAG_GAMMA] = { SCHEMA_DIAG "/gamma", ST_F32, { DIM_A }, W_DIAG, 3, 1, SRC_GAMMA },
	[L_DIAG_GAMMA_MAX] = { SCHEMA_DIAG "/gamma_max", ST_F32, { DIM_A }, W_DIAG, 3, 2,
			       SRC_GAMMA_MAX },
	[L_DIAG_RHO] = { SCHEMA_DIAG "/rho", ST_F32, { DIM_B }, W_DIAG, 3, 3, SRC_RHO },
	[L_DIAG_SIGMA_MAX] = { SCHEMA_DIAG "/sigma_max", ST_F32, { DIM_B }, W_DIAG, 3, 4,
			       SRC_SIGMA_MAX },
	[L_DIAG_DEAD] = { SCHEMA_DIAG "/dead", ST_U8, { DIM_H }, W_DIAG_DEAD, 3, 5, SRC_DEAD },
	/* pass 4, after what files had before it: SPEC 1's per-unit flow */
	[L_UNIT_FLOW] = { "unit_flow", ST_F32, { DIM_N, DIM_H }, W_UNIT_FLOW, 4, 0, SRC_UNIT_FLOW },
};

int schema_diag_acts(int G)
{
	return G == 4 ? 5 : G;
}

int schema_diag_blocks(int G)
{
	return G > 1 ? G + 1 : 1;
}

int schema_rec_tail(const struct schema_rec *e, hsize_t *tail, int n, int H, int G)
{
	int k = 0;
	for (; k < 3 && e->dim[k] != DIM_END; k++)
		tail[k] = (hsize_t)(e->dim[k] == DIM_N ? n : e->dim[k] == DIM_H ? H :
				    e->dim[k] == DIM_A ? schema_diag_acts(G) :
				    e->dim[k] == DIM_B ? schema_diag_blocks(G) : G);
	return k;
}

void schema_rec_path(char *buf, size_t len, const struct schema_rec *e, int layer)
{
	char name[64];
	schema_layer_name(name, sizeof(name), e->name, layer);
	snprintf(buf, len, "%s/%s", SCHEMA_RECORD, name);
}

/* name with comp's prefix on its own part: "lstm.itemized_l1", and
 * within a group "diag/lstm.saturated_l0" (the group stays the run's). */
static void comp_prefix(char *buf, size_t len, const char *comp, const char *name)
{
	const char *own = strrchr(name, '/');
	own = own ? own + 1 : name;
	snprintf(buf, len, "%.*s%s.%s", (int)(own - name), name, comp, own);
}

void schema_comp_layer_name(char *buf, size_t len, const char *comp, const char *base,
			    int layer)
{
	char name[64];
	schema_layer_name(name, sizeof(name), base, layer);
	if (comp && *comp)
		comp_prefix(buf, len, comp, name);
	else
		snprintf(buf, len, "%s", name);
}

void schema_rec_path_comp(char *buf, size_t len, const struct schema_rec *e, const char *comp,
			  int layer)
{
	char name[80];
	schema_comp_layer_name(name, sizeof(name), comp, e->name, layer);
	snprintf(buf, len, "%s/%s", SCHEMA_RECORD, name);
}

static int present(enum rec_when w, const struct model *m, int with_hidden, unsigned extras)
{
	switch (w) {
	case W_DIAG: return (extras & RECCOLS_DIAG) != 0;
	case W_DIAG_DEAD:
		return (extras & RECCOLS_DEAD) && m->cell == CELL_RNN && m->act == ACT_RELU;
	case W_UNIT_FLOW: return (extras & RECCOLS_UNIT_FLOW) != 0;
	case W_GATED: return m->G > 1;
	case W_LSTM: return m->cell == CELL_LSTM;
	case W_HIDDEN: return with_hidden;
	case W_HIDDEN_LSTM: return with_hidden && m->cell == CELL_LSTM;
	default: return 1;
	}
}

int reccols_max(const struct model *m)
{
	if (m->mix) {
		int k = SCHEMA_RECORD_ONCE;
		for (int c = 0; c < m->mix->K; c++)
			k += reccols_max(&m->mix->comp[c]);
		return k;
	}
	return SCHEMA_RECORD_ONCE + SCHEMA_LAYER_DATASETS * m->L + m->ntab;
}

size_t reccol_row_bytes(const struct reccol *c)
{
	size_t b = schema_elem(c->type);
	for (int i = 0; i < c->tail_rank; i++)
		b *= c->tail[i];
	return b;
}

int schema_rec_per_sequence(const struct schema_rec *e)
{
	switch (e->src) {
	case SRC_POSITION: case SRC_INPUT: case SRC_TARGET: case SRC_PREDICTED: case SRC_LOSS:
	case SRC_H0: case SRC_C0: case SRC_HIDDEN: case SRC_CELL:
		return 1;
	default:
		return 0;
	}
}

int schema_rec_tail_seq(const struct schema_rec *e, hsize_t *tail, int n, int H, int G, int S)
{
	int k = schema_rec_tail(e, tail, n, H, G);
	if (S <= 1 || !schema_rec_per_sequence(e))
		return k;
	for (int i = k; i > 0; i--) /* the sequence axis right after R */
		tail[i] = tail[i - 1];
	tail[0] = (hsize_t)S;
	return k + 1;
}

/* Appends the column of entry e for layer l; its row of a record lies
 * l rows into the record's array for the source (layer after layer). */
static void add(struct reccol *cols, int *k, const struct schema_rec *e, const struct model *m,
		int n, int l, int S)
{
	struct reccol *c = &cols[(*k)++];
	memset(c, 0, sizeof(*c));
	schema_layer_name(c->name, sizeof(c->name), e->name, l);
	c->type = e->type;
	c->tail_rank = schema_rec_tail_seq(e, c->tail, n, m->H, m->G, S);
	c->src = e->src;
	c->in_diag = e->pass == 3;
	size_t row = 1;
	for (int i = 0; i < c->tail_rank; i++)
		row *= (size_t)c->tail[i];
	c->offset = (size_t)l * row;
}

/* The per-layer entries of pass p, slot by slot, for layer l. */
static void add_layer(struct reccol *cols, int *k, const struct model *m, int n, int p, int l,
		      int with_hidden, unsigned extras, int S)
{
	for (int slot = 0; slot < SCHEMA_LAYER_DATASETS; slot++)
		for (int i = 0; i < SCHEMA_LAYER_DATASETS; i++) {
			const struct schema_rec *e = &schema_layer[i];
			if (e->pass == p && e->slot == slot && present(e->when, m, with_hidden, extras))
				add(cols, k, e, m, n, l, S);
		}
}

int reccols_build(struct reccol *cols, int cap, const struct model *m, int n,
		  int with_params, int with_hidden, unsigned extras)
{
	return reccols_build_seq(cols, cap, m, n, with_params, with_hidden, extras, 1);
}

/* A mix: the shared datasets, then each component's per-layer datasets
 * (its diagnostics too) and parameters, named with its prefix
 * (schema_comp_layer_name). */
static int reccols_build_mix(struct reccol *cols, const struct model *m, int n,
			     int with_params, int with_hidden, unsigned extras, int S)
{
	const struct mix *mx = m->mix;
	int k = 0;
	for (int i = 0; i < SCHEMA_RECORD_ONCE; i++)
		add(cols, &k, &schema_record_once[i], m, n, 0, S);
	for (int c = 0; c < mx->K; c++) {
		int first = k;
		k += reccols_build_seq(cols + k, reccols_max(&mx->comp[c]), &mx->comp[c], n,
				       with_params, with_hidden, extras, S);
		/* drop the copy of the shared datasets */
		memmove(cols + first, cols + first + SCHEMA_RECORD_ONCE,
			(size_t)(k - first - SCHEMA_RECORD_ONCE) * sizeof(*cols));
		k -= SCHEMA_RECORD_ONCE;
		for (int i = first; i < k; i++) {
			char name[sizeof(cols[i].name)];
			comp_prefix(name, sizeof(name), mx->name[c], cols[i].name);
			memcpy(cols[i].name, name, sizeof(name));
			cols[i].comp = c + 1;
		}
	}
	return k;
}

int reccols_build_seq(struct reccol *cols, int cap, const struct model *m, int n,
		      int with_params, int with_hidden, unsigned extras, int S)
{
	int k = 0;
	if (cap < reccols_max(m))
		return -1;
	if (m->mix)
		return reccols_build_mix(cols, m, n, with_params, with_hidden, extras, S);
	for (int i = 0; i < SCHEMA_RECORD_ONCE; i++)
		add(cols, &k, &schema_record_once[i], m, n, 0, S);
	for (int p = 1; p <= 4; p++)
		for (int l = 0; l < m->L; l++)
			add_layer(cols, &k, m, n, p, l, with_hidden, extras, S);
	for (int i = 0; with_params && i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i];
		struct reccol *c = &cols[k++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", p->name);
		c->in_params = 1;
		c->type = ST_F32;
		c->tail_rank = p->rank;
		c->tail[0] = p->dims[0];
		c->tail[1] = p->dims[1];
		c->src = SRC_PARAM;
		c->offset = p->offset;
	}
	return k;
}

const void *reccol_row(const struct reccol *c, const struct record *r)
{
	if (c->comp > 0)
		r = &r->comp[c->comp - 1];
	switch (c->src) {
	case SRC_BATCH: return &r->batch;
	case SRC_POSITION: return r->positions ? (const void *)r->positions : &r->position;
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
	case SRC_SAT: return r->sat + c->offset;
	case SRC_GAMMA: return r->gamma + c->offset;
	case SRC_GAMMA_MAX: return r->gamma_max + c->offset;
	case SRC_RHO: return r->rho + c->offset;
	case SRC_SIGMA_MAX: return r->sigma_max + c->offset;
	case SRC_DEAD: return r->dead + c->offset;
	case SRC_UNIT_FLOW: return r->it.uf + c->offset;
	default: return r->params + c->offset;
	}
}
