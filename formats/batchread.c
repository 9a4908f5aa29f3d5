/*
 * batchread.c - a recorded batch and its saved parameters read back into a
 * model (see batchread.h). Names come from schema.c and the model's
 * parameter table; every dataset's row shape is checked before it is read.
 */
#include "batchread.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"

#include <stdlib.h>
#include <string.h>

/* Reads row `row` of dataset path (a row of `count` elements) as mtype.
 * The file's row must hold exactly count elements. */
static int read_row(const struct batchread *b, const char *path, int64_t row, size_t count,
		    hid_t mtype, void *buf)
{
	hsize_t dims[4];
	hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
	int rank, rc = -1;
	H5E_BEGIN_TRY { d = H5Dopen2(b->run->file, path, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0)
		return error("%s: no /%s", b->run->path, path);
	if ((sp = H5Dget_space(d)) < 0 || (rank = H5Sget_simple_extent_ndims(sp)) < 1 ||
	    rank > 4 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
		error("%s: /%s: cannot read its shape", b->run->path, path);
		goto out;
	}
	size_t have = 1;
	for (int i = 1; i < rank; i++)
		have *= dims[i];
	if (have != count || (hsize_t)row >= dims[0]) {
		error("%s: /%s holds %zu values a row, /model says %zu", b->run->path, path,
		      have, count);
		goto out;
	}
	if (h5_read_rows(d, row, 1, -1, mtype, buf) < 0)
		error("%s: cannot read /%s: %s", b->run->path, path, h5_reason());
	else
		rc = 0;
out:
	if (sp >= 0)
		H5Sclose(sp);
	H5Dclose(d);
	return rc;
}

/* A mix: its components' cells from /model components, and the block. */
static int open_mix(struct batchread *b, struct run_model *rm, enum act_kind act)
{
	enum cell_kind cells[MIX_MAX];
	int K = rm->ncomp;
	if (K < 2 || K > MIX_MAX)
		return error("%s: /model components \"%s\" is not a mix rnnbow knows", b->run->path,
			     rm->components);
	for (int k = 0; k < K; k++) {
		struct run_model one = *rm;
		char want[8];
		snprintf(want, sizeof(want), "%d", k);
		if (run_model_component(&one, want) < 0 || cell_parse(one.cell, &cells[k]) < 0)
			return error("%s: /model components \"%s\" is not a mix rnnbow knows",
				     b->run->path, rm->components);
	}
	b->mx = malloc(sizeof(*b->mx));
	if (!b->mx || mix_init(b->mx, &b->m, cells, K, act, (int)rm->layers, (int)rm->H,
			       (int)rm->V) < 0) {
		free(b->mx);
		b->mx = NULL;
		return error("out of memory");
	}
	return 0;
}

static int open_model(struct batchread *b)
{
	struct run_model rm;
	enum cell_kind cell = CELL_RNN;
	enum act_kind act = ACT_TANH;
	hid_t g;
	H5E_BEGIN_TRY { g = H5Gopen2(b->run->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return error("%s: no /%s group", b->run->path, SCHEMA_MODEL);
	run_model_read(&rm, g);
	H5Gclose(g);
	if (rm.bad || rm.H < 1 || rm.V < 1 || rm.n < 1 || rm.layers < 1 ||
	    rm.layers > MAX_LAYERS || (rm.has_cell && !rm.ncomp && cell_parse(rm.cell, &cell) < 0) ||
	    (rm.activation[0] && cell == CELL_RNN && act_parse(rm.activation, &act) < 0))
		return error("%s: /model does not describe a network rnnbow knows", b->run->path);
	if (rm.has_input && strcmp(rm.input, "tokens"))
		return error("%s: a run of %s inputs: they are not stored, so its batches cannot "
			     "be rebuilt", b->run->path, rm.input);
	int In = rm.has_input && rm.input_size > 0 ? (int)rm.input_size : (int)rm.V;
	b->n = (int)rm.n;
	if (rm.ncomp)
		return open_mix(b, &rm, act);
	if (model_init_io(&b->m, cell, act, (int)rm.layers, (int)rm.H, In, (int)rm.V) < 0)
		return error("out of memory");
	return 0;
}

int batchread_open(struct batchread *b, const struct run *run)
{
	char path[96];
	memset(b, 0, sizeof(*b));
	b->run = run;
	snprintf(path, sizeof(path), "%s/%s", SCHEMA_RECORD, SCHEMA_PARAMS);
	htri_t has;
	H5E_BEGIN_TRY { has = H5Lexists(run->file, path, H5P_DEFAULT); } H5E_END_TRY;
	if (has <= 0)
		return error("%s: no saved parameters (/%s): record the run with --save-params "
			     "to rebuild its batches", run->path, path);
	if (open_model(b) < 0)
		return -1;
	const struct model *m = &b->m;
	size_t big = 0;
	for (int i = 0; i < m->ntab; i++)
		big = m->tab[i].size > big ? m->tab[i].size : big;
	b->rows = run_rows(run, SCHEMA_RECORD);
	b->batch = malloc(((size_t)b->rows + 1) * sizeof(int64_t));
	b->x = malloc((size_t)b->n * sizeof(int32_t));
	b->y = malloc((size_t)b->n * sizeof(int32_t));
	const size_t K = b->mx ? (size_t)b->mx->K : 1;
	b->h0 = calloc(K * m->L * m->H, sizeof(float));
	b->c0 = calloc(K * m->L * m->H, sizeof(float));
	b->buf = malloc(big * sizeof(float));
	if (!b->batch || !b->x || !b->y || !b->h0 || !b->c0 || !b->buf) {
		batchread_close(b);
		return error("out of memory");
	}
	hid_t d = H5I_INVALID_HID;
	schema_rec_path(path, sizeof(path), &schema_record_once[R_BATCH], 0);
	H5E_BEGIN_TRY { d = H5Dopen2(run->file, path, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0 || (b->rows > 0 && h5_read_rows(d, 0, b->rows, -1, H5T_NATIVE_INT64,
						  b->batch) < 0)) {
		if (d >= 0)
			H5Dclose(d);
		batchread_close(b);
		return error("%s: cannot read /%s", run->path, path);
	}
	H5Dclose(d);
	return 0;
}

int64_t batchread_row(const struct batchread *b, int64_t batch)
{
	for (int64_t r = 0; r < b->rows; r++)
		if (b->batch[r] == batch)
			return r;
	return -1;
}

/* A mix's carried states: each component's h0 (and c0) of every layer. */
static int load_mix_states(struct batchread *b, int64_t row)
{
	const struct mix *mx = b->mx;
	const size_t H = (size_t)mx->H;
	char path[96];
	for (int k = 0; k < mx->K; k++)
		for (int l = 0; l < mx->L; l++) {
			size_t at = ((size_t)k * mx->L + l) * H;
			schema_rec_path_comp(path, sizeof(path), &schema_layer[L_H0], mx->name[k], l);
			if (read_row(b, path, row, H, H5T_NATIVE_FLOAT, b->h0 + at) < 0)
				return -1;
			if (mx->cell[k] != CELL_LSTM)
				continue;
			schema_rec_path_comp(path, sizeof(path), &schema_layer[L_C0], mx->name[k], l);
			if (read_row(b, path, row, H, H5T_NATIVE_FLOAT, b->c0 + at) < 0)
				return -1;
		}
	return 0;
}

int batchread_load(struct batchread *b, int64_t row)
{
	struct model *m = &b->m;
	const size_t H = (size_t)m->H, n = (size_t)b->n;
	char path[96];
	for (int i = 0; i < m->ntab; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", SCHEMA_RECORD, SCHEMA_PARAMS,
			 m->tab[i].name);
		if (read_row(b, path, row, m->tab[i].size, H5T_NATIVE_FLOAT, b->buf) < 0)
			return -1;
		model_import_one(m, i, b->buf);
	}
	schema_rec_path(path, sizeof(path), &schema_record_once[R_INPUT], 0);
	if (read_row(b, path, row, n, H5T_NATIVE_INT32, b->x) < 0)
		return -1;
	schema_rec_path(path, sizeof(path), &schema_record_once[R_TARGET], 0);
	if (read_row(b, path, row, n, H5T_NATIVE_INT32, b->y) < 0)
		return -1;
	for (size_t t = 0; t < n; t++)
		if (b->x[t] < 0 || b->x[t] >= m->In || b->y[t] < 0 || b->y[t] >= m->V)
			return error("%s: record %lld: a token id outside the vocabulary",
				     b->run->path, (long long)row);
	if (b->mx)
		return load_mix_states(b, row);
	for (int l = 0; l < m->L; l++) {
		schema_rec_path(path, sizeof(path), &schema_layer[L_H0], l);
		if (read_row(b, path, row, H, H5T_NATIVE_FLOAT, b->h0 + l * H) < 0)
			return -1;
		if (m->cell != CELL_LSTM)
			continue;
		schema_rec_path(path, sizeof(path), &schema_layer[L_C0], l);
		if (read_row(b, path, row, H, H5T_NATIVE_FLOAT, b->c0 + l * H) < 0)
			return -1;
	}
	return 0;
}

void batchread_close(struct batchread *b)
{
	if (b->mx) {
		mix_free(b->mx, &b->m);
		free(b->mx);
	} else if (b->m.params) {
		model_free(&b->m);
	}
	free(b->batch);
	free(b->x);
	free(b->y);
	free(b->h0);
	free(b->c0);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
