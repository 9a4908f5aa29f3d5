/*
 * recread.c - block reader for /record and /train (see recread.h).
 */
#include "recread.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"
#include "tokenio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (8 << 20)
#define MAX_BLOCK_ROWS 4096

/* The columns a reader can ask for, as schema.h's entries: a dataset
 * written once per record, or g and E, whose dataset depends on the
 * source read (the layer's, whole or per gate). */
static const struct {
	unsigned col;
	int once;          /* schema_record_once index, or -1: per source */
	int whole, gated;  /* schema_layer indices of a per-source column */
} record_cols[7] = {
	{ RC_BATCH, R_BATCH, -1, -1 },
	{ RC_POSITION, R_POSITION, -1, -1 },
	{ RC_TARGET, R_TARGET, -1, -1 },
	{ RC_PREDICTED, R_PREDICTED, -1, -1 },
	{ RC_LOSS, R_LOSS, -1, -1 },
	{ RC_ITEMIZED, -1, L_ITEMIZED, L_ITEMIZED_GATES },
	{ RC_TRUNC, -1, L_TRUNC, L_TRUNC_GATES },
};

/* The schema entry column i reads; gated: one gate's block of it. */
static const struct schema_rec *column_entry(int i, int gated)
{
	if (record_cols[i].once >= 0)
		return &schema_record_once[record_cols[i].once];
	return &schema_layer[gated ? record_cols[i].gated : record_cols[i].whole];
}

/* Opens path and checks it is (rows or more, tail); a missing dataset
 * makes the run incomplete. */
static hid_t open_checked(const struct run *run, const char *path, int ntail,
			  const hsize_t *tail, int64_t rows)
{
	return run_open_shaped(run, path, ntail, tail, rows, "%s: not a complete run: no /%s");
}

/* /model (schema.h's run_model_read). Files from before gated cells and
 * stacked layers may lack `gates` and `gate_names` (and `cell`, `layers`
 * are optional to readers): absent means one vanilla layer. */
static void list_names(char *buf, size_t len, const char *names);

/* A mix's component (src's), whose cell, gates and datasets are read;
 * refused to a reader of g and E without mix_ok. */
static int pick_component(struct recread *rr, struct run_model *rm, const struct run *run,
			  const struct rec_source *src)
{
	if (!rm->ncomp)
		return 0;
	rr->ncomp = rm->ncomp;
	snprintf(rr->components, sizeof(rr->components), "%s", rm->components);
	if (!(rr->cols & (RC_ITEMIZED | RC_TRUNC)))
		return 0; /* the shared datasets alone */
	if (!src || !src->mix_ok)
		return schema_refuse_mix(run->path, rm->components);
	const char *want = src->component;
	if (run_model_component(rm, want) < 0) {
		char list[96];
		list_names(list, sizeof(list), rm->components);
		return error("%s: no component '%s' (the run has %s)", run->path, want, list);
	}
	snprintf(rr->comp, sizeof(rr->comp), "%s", rm->comp_name);
	return 0;
}

static int read_model(struct recread *rr, const struct run *run, const struct rec_source *src)
{
	struct run_model rm;
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(run->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return error("%s: not a complete run: no /model", run->path);
	run_model_read(&rm, g);
	H5Gclose(g);
	if (pick_component(rr, &rm, run, src) < 0)
		return -1;
	if (!rm.bad && (rm.layers < 1 || rm.layers > 1 << 10 || rm.gates < 1 || rm.gates > 16))
		return error("%s: /model layers or gates are out of range", run->path);
	if (rm.bad || rm.n < 1 || rm.n > 1 << 16 || rm.H < 1 || rm.H > 1 << 20 || rm.V < 1 ||
	    rm.V > TOKENS_MAX_V)
		return error("%s: /model attributes are missing or out of range", run->path);
	/* a run without the attribute (written before gated cells) is vanilla */
	snprintf(rr->cell, sizeof(rr->cell), "%.*s", (int)sizeof(rr->cell) - 1,
		 rm.has_cell ? rm.cell : "rnn");
	snprintf(rr->activation, sizeof(rr->activation), "%s", rm.activation);
	snprintf(rr->gate_names, sizeof(rr->gate_names), "%s", rm.gate_names);
	rr->layers = (int)rm.layers;
	rr->G = (int)rm.gates;
	rr->n = (int)rm.n;
	rr->H = (int)rm.H;
	rr->V = (int)rm.V;
	/* /model/vocab, or vocab_text in a run of other tokens (tokenio.h) */
	if (tokens_read(&rr->tokens, run->file, run->path, rr->V) < 0)
		return -1;
	memset(rr->vocab, '?', sizeof(rr->vocab));
	if (rr->tokens.kind == TOKENS_BYTES)
		for (int i = 0; i < rr->V; i++)
			rr->vocab[i] = (uint8_t)rr->tokens.text[i][0];
	return 0;
}

uint8_t recread_byte(const struct recread *rr, int32_t id)
{
	return id >= 0 && id < rr->V && id < 256 ? rr->vocab[id] : '?';
}

const char *recread_text(const struct recread *rr, int32_t id, size_t *len)
{
	if (id < 0 || id >= rr->tokens.V) {
		*len = 1;
		return "?";
	}
	*len = rr->tokens.len[id];
	return rr->tokens.text[id];
}

/* Index of gate `want` in the comma-separated `names`, or -1; *count
 * gets the number of names. */
static int gate_index(const char *names, const char *want, int *count)
{
	int found = -1, i = 0;
	size_t len = strlen(want);
	for (const char *p = names; *p; i++) {
		size_t w = strcspn(p, ",");
		if (w == len && !strncmp(p, want, len) && found < 0)
			found = i;
		p += w + (p[w] == ',');
	}
	*count = i;
	return found;
}

/* "i, f, g, o" from "i,f,g,o", for messages. */
static void list_names(char *buf, size_t len, const char *names)
{
	size_t k = 0;
	for (const char *p = names; *p && k + 3 < len; p++) {
		buf[k++] = *p;
		if (*p == ',')
			buf[k++] = ' ';
	}
	buf[k] = '\0';
}

/* Resolves src against the run's /model: a layer it has, a gate of its
 * cell. The messages say what the run has, so the fix is one look away. */
static int pick_source(struct recread *rr, const struct rec_source *src, const char *path)
{
	char list[128];
	rr->layer = 0;
	rr->gate = -1;
	if (!src)
		return 0;
	if (src->layer < 0 || src->layer >= rr->layers)
		return rr->layers == 1 ?
		       error("%s: no layer %lld (the run has one layer, 0)", path,
			     (long long)src->layer) :
		       error("%s: no layer %lld (the run has layers 0 to %d)", path,
			     (long long)src->layer, rr->layers - 1);
	rr->layer = (int)src->layer;
	if (!src->gate)
		return 0;
	int count, q = gate_index(rr->gate_names, src->gate, &count);
	if (count == 0)
		return error("%s: no gate '%s' (cell %s has no gates)", path, src->gate, rr->cell);
	if (count != rr->G)
		return error("%s: /model gate_names \"%s\" does not match gates = %d", path,
			     rr->gate_names, rr->G);
	if (q < 0) {
		list_names(list, sizeof(list), rr->gate_names);
		return error("%s: no gate '%s' (cell %s has %s)", path, src->gate, rr->cell, list);
	}
	rr->gate = q;
	return 0;
}

/* 1 when column i has the sequence axis of a minibatch run's S > 1. */
static int column_per_sequence(const struct recread *rr, int i)
{
	return rr->S > 1 && record_cols[i].once >= 0 &&
	       schema_rec_per_sequence(&schema_record_once[record_cols[i].once]);
}

/* The index in the second dimension of column i (the gate's, or the
 * sequence's of a minibatch), or -1. */
static int column_slice(const struct recread *rr, int i)
{
	return record_cols[i].once < 0 ? rr->gate : column_per_sequence(rr, i) ? rr->sequence : -1;
}

/* Opens column i for the chosen source, checking the shape schema.h
 * gives it: g and E of a layer above 0 and of a gate are other datasets
 * (itemized_gates_l1), whose second dimension is the gate. */
static hid_t open_column(struct recread *rr, int i)
{
	hsize_t tail[3];
	int slice = column_slice(rr, i);
	const struct schema_rec *e = column_entry(i, record_cols[i].once < 0 && slice >= 0);
	int rank = schema_rec_tail_seq(e, tail, rr->n, rr->H, rr->G, column_per_sequence(rr, i) ?
				       rr->S : 1);
	if (record_cols[i].once < 0)
		schema_rec_path_comp(rr->path[i], RECREAD_PATH, e, rr->comp, rr->layer);
	else
		schema_rec_path(rr->path[i], RECREAD_PATH, e, 0);
	return open_checked(rr->run, rr->path[i], rank, tail, rr->rows);
}

/* Bytes a block reserves per row for column i: 4 per step, or per n^2. */
static size_t column_row_bytes(const struct recread *rr, int i)
{
	hsize_t tail[3];
	int rank = schema_rec_tail(column_entry(i, 0), tail, rr->n, rr->H, rr->G);
	return 4 * (rank == 2 ? (size_t)rr->n * rr->n : (size_t)rr->n);
}

int recread_open(struct recread *rr, const struct run *run, unsigned cols)
{
	return recread_open_source(rr, run, cols, NULL);
}

int recread_open_source(struct recread *rr, const struct run *run, unsigned cols,
			const struct rec_source *src)
{
	memset(rr, 0, sizeof(*rr));
	for (int i = 0; i < 7; i++)
		rr->dset[i] = H5I_INVALID_HID;
	rr->run = run;
	rr->cols = cols | RC_BATCH;
	if (read_model(rr, run, src) < 0 || pick_source(rr, src, run->path) < 0) {
		tokens_free(&rr->tokens);
		return -1;
	}
	rr->rows = run_rows(run, SCHEMA_RECORD);
	int64_t S = 1; /* absent: one sequence */
	run_attr_i64(run, SCHEMA_TRAIN, schema_attrs[A_RECORD_SEQUENCES].name, &S);
	rr->S = S > 1 && S <= 1 << 16 ? (int)S : 1;
	rr->sequence = src ? (int)src->sequence : 0;
	if (src && (src->sequence < 0 || src->sequence >= rr->S))
		return tokens_free(&rr->tokens), rr->S == 1 ?
		       error("%s: no sequence %lld (its records itemize one sequence, 0)", run->path,
			     (long long)src->sequence) :
		       error("%s: no sequence %lld (its records itemize sequences 0 to %d)",
			     run->path, (long long)src->sequence, rr->S - 1);

	size_t row_bytes = 16;
	for (int i = 0; i < 7; i++) {
		if (!(rr->cols & record_cols[i].col))
			continue;
		rr->dset[i] = open_column(rr, i);
		if (rr->dset[i] < 0) {
			recread_close(rr);
			return -1;
		}
		row_bytes += column_row_bytes(rr, i);
	}
	rr->cap = BLOCK_BYTES / row_bytes;
	rr->cap = rr->cap < 1 ? 1 : rr->cap > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : rr->cap;
	size_t c = rr->cap, n = (size_t)rr->n;
	rr->batch = malloc(c * sizeof(int64_t));
	rr->position = malloc(c * sizeof(int64_t));
	rr->target = malloc(c * n * sizeof(int32_t));
	rr->predicted = malloc(c * n * sizeof(int32_t));
	rr->loss = malloc(c * n * sizeof(float));
	rr->itemized = (rr->cols & RC_ITEMIZED) ? malloc(c * n * n * sizeof(float)) : malloc(1);
	rr->trunc = malloc(c * n * sizeof(float));
	if (!rr->batch || !rr->position || !rr->target || !rr->predicted || !rr->loss ||
	    !rr->itemized || !rr->trunc) {
		recread_close(rr);
		return error("%s: out of memory", run->path);
	}
	return 0;
}

void rec_source_name(char *buf, size_t len, const struct rec_source *src)
{
	int layer = src && (src->layer_given || src->layer > 0), gate = src && src->gate;
	buf[0] = '\0';
	if (src && src->component)
		snprintf(buf, len, "component %s%s", src->component, layer || gate ? ", " : "");
	if (layer)
		snprintf(buf + strlen(buf), len - strlen(buf), "layer %lld", (long long)src->layer);
	if (gate)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sgate %s", layer ? ", " : "",
			 src->gate);
}

static void *column_buffer(struct recread *rr, int i)
{
	void *bufs[7] = { rr->batch, rr->position, rr->target, rr->predicted,
			  rr->loss, rr->itemized, rr->trunc };
	return bufs[i];
}

static hid_t column_type(int i)
{
	return schema_mtype(column_entry(i, 0)->type);
}

/* Reads rows [row0, row0 + count) of every open column into the block. */
static int read_block(struct recread *rr, int64_t row0, int64_t count)
{
	for (int i = 0; i < 7; i++)
		if (rr->dset[i] >= 0 &&
		    h5_read_rows(rr->dset[i], row0, count, column_slice(rr, i), column_type(i),
			      column_buffer(rr, i)) < 0)
			return error("%s: cannot read /%s rows %lld..%lld: %s", rr->run->path,
				     rr->path[i], (long long)row0,
				     (long long)(row0 + count - 1), h5_reason());
	return 0;
}

int64_t recread_next(struct recread *rr)
{
	int64_t count = rr->rows - rr->next;
	if (count <= 0)
		return 0;
	if (count > (int64_t)rr->cap)
		count = (int64_t)rr->cap;
	if (read_block(rr, rr->next, count) < 0)
		return -1;
	rr->first = rr->next;
	rr->next += count;
	return count;
}

int recread_find(struct recread *rr, int64_t batch)
{
	for (int64_t row0 = 0; row0 < rr->rows; row0 += (int64_t)rr->cap) {
		int64_t count = rr->rows - row0;
		if (count > (int64_t)rr->cap)
			count = (int64_t)rr->cap;
		if (h5_read_rows(rr->dset[0], row0, count, -1, H5T_NATIVE_INT64, rr->batch) < 0)
			return error("%s: cannot read /record/batch", rr->run->path);
		for (int64_t i = 0; i < count; i++)
			if (rr->batch[i] == batch)
				return read_block(rr, row0 + i, 1);
	}
	return 1;
}

void recread_close(struct recread *rr)
{
	for (int i = 0; i < 7; i++)
		if (rr->dset[i] >= 0)
			H5Dclose(rr->dset[i]);
	free(rr->batch);
	free(rr->position);
	free(rr->target);
	free(rr->predicted);
	free(rr->loss);
	free(rr->itemized);
	free(rr->trunc);
	tokens_free(&rr->tokens);
	memset(rr, 0, sizeof(*rr));
	for (int i = 0; i < 7; i++)
		rr->dset[i] = H5I_INVALID_HID;
}

/* The block buffer of /train column i (schema_train's order). */
static void *train_buffer(struct trainread *tr, int i)
{
	void *bufs[TRAIN_COLS] = { tr->batch, tr->loss, tr->grad_norm, tr->nonfinite,
				   tr->clip_share };
	return bufs[i];
}

int trainread_open(struct trainread *tr, const struct run *run)
{
	char path[64];
	memset(tr, 0, sizeof(*tr));
	tr->run = run;
	tr->rows = run_rows(run, SCHEMA_TRAIN);
	for (int i = 0; i < TRAIN_COLS; i++)
		tr->dset[i] = H5I_INVALID_HID;
	for (int i = 0; i < TRAIN_COLS; i++) {
		schema_train_path(path, sizeof(path), i);
		if (schema_train[i].optional && H5Lexists(run->file, path, H5P_DEFAULT) <= 0)
			continue;
		if ((tr->dset[i] = open_checked(run, path, 0, NULL, tr->rows)) < 0) {
			trainread_close(tr);
			return -1;
		}
	}
	tr->cap = 1 << 16;
	tr->batch = malloc(tr->cap * sizeof(int64_t));
	tr->loss = malloc(tr->cap * sizeof(float));
	tr->grad_norm = malloc(tr->cap * sizeof(float));
	tr->nonfinite = malloc(tr->cap);
	tr->clip_share = malloc(tr->cap * sizeof(float));
	tr->has_clip_share = tr->dset[TRAIN_CLIP_SHARE] >= 0;
	if (!tr->batch || !tr->loss || !tr->grad_norm || !tr->nonfinite || !tr->clip_share) {
		trainread_close(tr);
		return error("%s: out of memory", run->path);
	}
	return 0;
}

int64_t trainread_next(struct trainread *tr)
{
	int64_t count = tr->rows - tr->next;
	if (count <= 0)
		return 0;
	if (count > (int64_t)tr->cap)
		count = (int64_t)tr->cap;
	for (int i = 0; i < TRAIN_COLS; i++)
		if (tr->dset[i] >= 0 &&
		    h5_read_rows(tr->dset[i], tr->next, count, -1, schema_mtype(schema_train[i].type),
			      train_buffer(tr, i)) < 0)
			return error("%s: cannot read /train: %s", tr->run->path, h5_reason());
	if (tr->dset[TRAIN_NONFINITE] < 0) /* another writer's: the flag from the values */
		for (int64_t i = 0; i < count; i++)
			tr->nonfinite[i] = !isfinite(tr->loss[i]) || !isfinite(tr->grad_norm[i]);
	if (!tr->has_clip_share) /* an older run's: not known */
		for (int64_t i = 0; i < count; i++)
			tr->clip_share[i] = NAN;
	tr->next += count;
	return count;
}

void trainread_close(struct trainread *tr)
{
	for (int i = 0; i < TRAIN_COLS; i++)
		if (tr->dset[i] >= 0)
			H5Dclose(tr->dset[i]);
	free(tr->batch);
	free(tr->loss);
	free(tr->grad_norm);
	free(tr->nonfinite);
	free(tr->clip_share);
	memset(tr, 0, sizeof(*tr));
}
