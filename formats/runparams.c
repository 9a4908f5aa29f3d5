/*
 * runparams.c - a run's model at one record, from /model and
 * /record/params (see runparams.h).
 */
#include "runparams.h"
#include "h5util.h"
#include "msg.h"
#include "recread.h"
#include "schema.h"

#include <stdlib.h>
#include <string.h>

/* The row of training batch `want` (-1: the last row) in /record/batch,
 * walked in rr's blocks. Sets *row and *batch; returns 0, 1 when no
 * record has that batch, -1 on a read error (message printed). */
static int find_row(struct recread *rr, int64_t want, int64_t *row, int64_t *batch)
{
	int64_t got, found = -1;
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++)
			if (want < 0 || rr->batch[i] == want) {
				found = rr->first + i;
				*batch = rr->batch[i];
			}
	if (got < 0)
		return -1;
	*row = found;
	return found < 0 ? 1 : 0;
}

/* Dataset `name` under /record/params, row `row`, into slot id of m. */
static int load_param(struct model *m, const struct run *r, int id, int64_t row, float *buf)
{
	const struct param_info *p = &m->tab[id];
	char path[96];
	hsize_t dims[3] = { 0, 0, 0 };
	snprintf(path, sizeof(path), "%s/%s/%s", SCHEMA_RECORD, SCHEMA_PARAMS, p->name);
	hid_t d = H5I_INVALID_HID, space = H5I_INVALID_HID;
	int rank = -1, rc = -1;
	H5E_BEGIN_TRY {
		d = H5Dopen2(r->file, path, H5P_DEFAULT);
		if (d >= 0 && (space = H5Dget_space(d)) >= 0)
			rank = H5Sget_simple_extent_ndims(space);
		if (rank >= 1 && rank <= 3)
			H5Sget_simple_extent_dims(space, dims, NULL);
	} H5E_END_TRY;
	if (d < 0) {
		error("%s: /%s is missing", r->path, path);
		goto out;
	}
	if (rank != 1 + p->rank || (int64_t)dims[0] <= row || dims[1] != p->dims[0] ||
	    (p->rank == 2 && dims[2] != p->dims[1])) {
		char shape[48];
		if (p->rank == 2)
			snprintf(shape, sizeof(shape), "%zu, %zu", p->dims[0], p->dims[1]);
		else
			snprintf(shape, sizeof(shape), "%zu", p->dims[0]);
		error("%s: /%s is not of shape (records, %s) as /model says", r->path, path, shape);
		goto out;
	}
	if (h5_read_rows(d, row, 1, -1, H5T_NATIVE_FLOAT, buf) < 0) {
		error("%s: cannot read /%s row %lld: %s", r->path, path, (long long)row, h5_reason());
		goto out;
	}
	model_import(m, m->params, id, buf);
	rc = 0;
out:
	if (space >= 0)
		H5Sclose(space);
	if (d >= 0)
		H5Dclose(d);
	return rc;
}

/* Whether the run has /record/params at all. */
static int has_params(const struct run *r)
{
	htri_t e;
	H5E_BEGIN_TRY { e = H5Lexists(r->file, SCHEMA_RECORD "/" SCHEMA_PARAMS, H5P_DEFAULT); }
	H5E_END_TRY;
	return e > 0;
}

/* The input attribute: "dense" runs (librnnbow) have no tokens. */
static int is_dense(const struct run *r)
{
	char input[16] = "";
	hid_t g;
	H5E_BEGIN_TRY { g = H5Gopen2(r->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return 0;
	schema_get_str(g, A_INPUT, input, sizeof(input));
	H5Gclose(g);
	return !strcmp(input, "dense");
}

int run_params_load(struct run_params *p, const struct run *r, int64_t batch)
{
	struct recread rr;
	enum cell_kind cell;
	enum act_kind act = ACT_TANH;
	float *buf = NULL;
	int rc = -1, found;

	memset(p, 0, sizeof(*p));
	if (recread_open(&rr, r, RC_BATCH) < 0)
		return -1;
	if (rr.rows == 0) {
		error("%s: holds no records", r->path);
		goto out;
	}
	if (!has_params(r)) {
		error("%s: holds no saved parameters (/record/params): record with --save-params",
		      r->path);
		goto out;
	}
	if (is_dense(r)) {
		error("%s: a run of dense inputs has no token text to run on", r->path);
		goto out;
	}
	if (cell_parse(rr.cell, &cell) < 0 ||
	    (cell == CELL_RNN && rr.activation[0] && act_parse(rr.activation, &act) < 0)) {
		error("%s: /model cell '%s', activation '%s' are none this rnnbow runs", r->path,
		      rr.cell, rr.activation);
		goto out;
	}
	found = find_row(&rr, batch, &p->row, &p->batch);
	if (found < 0)
		goto out;
	if (found > 0) {
		error("%s: batch %lld is not recorded (see 'rnnbow summarize %s')", r->path,
		      (long long)batch, r->path);
		goto out;
	}
	if (model_init(&p->m, cell, act, rr.layers, rr.H, rr.V) < 0) {
		error("out of memory for the model");
		goto out;
	}
	p->n = rr.n;
	memcpy(p->vocab, rr.vocab, (size_t)rr.V);
	buf = malloc(p->m.nparams * sizeof(float));
	if (!buf) {
		error("out of memory for the parameters");
		goto out;
	}
	for (int i = 0; i < p->m.ntab; i++)
		if (load_param(&p->m, r, i, p->row, buf) < 0)
			goto out;
	rc = 0;
out:
	free(buf);
	recread_close(&rr);
	if (rc < 0)
		run_params_free(p);
	return rc;
}

void run_params_free(struct run_params *p)
{
	if (p->m.tab)
		model_free(&p->m);
	memset(p, 0, sizeof(*p));
}
