/*
 * paramread.c - loading a record's saved parameters (see paramread.h).
 */
#include "paramread.h"
#include "h5util.h"
#include "msg.h"
#include "recread.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A mix's block and components (mix.h) from /model components. */
static int make_mix(struct run_params *p, const struct recread *rr, const struct run *run)
{
	enum cell_kind cells[MIX_MAX];
	enum act_kind act = ACT_TANH;
	int K = 0;
	for (const char *s = rr->components; *s && K < MIX_MAX; K++) {
		char kind[16];
		size_t w = strcspn(s, ","), c = w;
		while (c > 0 && s[c - 1] >= '0' && s[c - 1] <= '9')
			c--;
		snprintf(kind, sizeof(kind), "%.*s", (int)(c < 15 ? c : 15), s);
		if (cell_parse(kind, &cells[K]) < 0)
			return error("%s: /model components \"%s\" is not a mix rnnbow knows",
				     run->path, rr->components);
		s += w + (s[w] == ',');
	}
	if (rr->activation[0] && act_parse(rr->activation, &act) < 0)
		return error("%s: /model activation '%s' is not one this program knows", run->path,
			     rr->activation);
	if (K < 2 || !(p->mx = malloc(sizeof(*p->mx))))
		return error(K < 2 ? "%s: /model components \"%s\" is not a mix rnnbow knows" :
			     "out of memory", run->path, rr->components);
	if (mix_init(p->mx, &p->m, cells, K, act, rr->layers, rr->H, rr->V) < 0) {
		free(p->mx);
		p->mx = NULL;
		return error("out of memory for the model");
	}
	return 0;
}

/* The model of the run rr describes, with zero parameters. */
static int make_model(struct model *m, const struct recread *rr, const struct run *run)
{
	enum cell_kind cell;
	enum act_kind act = ACT_TANH;
	if (cell_parse(rr->cell, &cell) < 0)
		return error("%s: /model cell '%s' is not one this program knows", run->path,
			     rr->cell);
	if (cell == CELL_RNN && rr->activation[0] && act_parse(rr->activation, &act) < 0)
		return error("%s: /model activation '%s' is not one this program knows", run->path,
			     rr->activation);
	if (model_init(m, cell, act, rr->layers, rr->H, rr->V) < 0)
		return error("out of memory for the model");
	if (m->G != rr->G) {
		model_free(m);
		return error("%s: /model gates (%d) do not match cell %s", run->path, rr->G,
			     rr->cell);
	}
	return 0;
}

/* 1 when /model says layer 0 reads dense vectors (a library run). */
static int dense_inputs(const struct run *run)
{
	char input[16] = "";
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(run->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g >= 0) {
		schema_get_str(g, A_INPUT, input, sizeof(input));
		H5Gclose(g);
	}
	return !strcmp(input, "dense");
}

/* Row `row` of /record/params/NAME for every parameter, into block
 * (PyTorch's layout, m's offsets). */
static int read_rows(const struct model *m, const struct run *run, int64_t row, float *block)
{
	char path[96];
	for (int i = 0; i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i];
		hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
		hsize_t dims[3] = { 0 };
		snprintf(path, sizeof(path), "%s/%s/%s", SCHEMA_RECORD, SCHEMA_PARAMS, p->name);
		H5E_BEGIN_TRY { d = H5Dopen2(run->file, path, H5P_DEFAULT); } H5E_END_TRY;
		if (d < 0)
			return error("%s: /%s is missing", run->path, path);
		int rank = (sp = H5Dget_space(d)) < 0 ? -1 : H5Sget_simple_extent_dims(sp, dims, NULL);
		if (sp >= 0)
			H5Sclose(sp);
		int ok = rank == 1 + p->rank && (int64_t)dims[0] > row && dims[1] == p->dims[0] &&
			 (p->rank == 1 || dims[2] == p->dims[1]);
		if (!ok || h5_read_rows(d, row, 1, -1, H5T_NATIVE_FLOAT, block + p->offset) < 0) {
			H5Dclose(d);
			return error("%s: /%s %s", run->path, path,
				     ok ? "cannot be read" : "has a shape that does not match /model");
		}
		H5Dclose(d);
	}
	return 0;
}

/* "batches 0 to 900" of the records there are, for a message. */
static void records_there(char *buf, size_t len, struct recread *rr)
{
	int64_t first = -1, last = -1, got;
	rr->next = 0;
	while ((got = recread_next(rr)) > 0) {
		if (first < 0)
			first = rr->batch[0];
		last = rr->batch[got - 1];
	}
	if (first < 0)
		snprintf(buf, len, "the run has no records");
	else
		snprintf(buf, len, "records are of batches %lld to %lld", (long long)first,
			 (long long)last);
}

/* The row of the record of `batch` (the last one for batch < 0) into
 * *row and p->batch. Returns 0, or -1 when there is none or on a read
 * error (said why). */
static int find_row(struct run_params *p, struct recread *rr, int64_t batch, int64_t *row)
{
	char there[96];
	int64_t got, row0 = 0;
	if (rr->rows == 0)
		return error("%s: has no records to take parameters from", rr->run->path);
	*row = -1;
	for (; (got = recread_next(rr)) > 0; row0 += got)
		for (int64_t i = 0; i < got; i++)
			if (batch < 0 || rr->batch[i] == batch) {
				*row = row0 + i;
				p->batch = rr->batch[i];
			}
	if (got < 0)
		return -1;
	if (*row < 0) {
		records_there(there, sizeof(there), rr);
		return error("%s: batch %lld was not recorded (%s)", rr->run->path,
			     (long long)batch, there);
	}
	return 0;
}

int run_params_read(struct run_params *p, const struct run *run, int64_t batch)
{
	struct recread rr;
	int64_t row = -1;
	float *block = NULL;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (dense_inputs(run))
		return error("%s: layer 0 reads dense vectors (a library run): there are no bytes "
			     "to sample", run->path);
	if (recread_open(&rr, run, RC_BATCH) < 0)
		return -1;
	if (H5Lexists(run->file, SCHEMA_RECORD "/" SCHEMA_PARAMS, H5P_DEFAULT) <= 0) {
		error("%s: has no saved parameters (/record/params): record it with --save-params",
		      run->path);
		goto out;
	}
	if (find_row(p, &rr, batch, &row) < 0 ||
	    (rr.ncomp ? make_mix(p, &rr, run) : make_model(&p->m, &rr, run)) < 0)
		goto out;
	memcpy(p->vocab, rr.vocab, sizeof(p->vocab));
	p->tokens = rr.tokens; /* ours now: recread_close leaves it */
	memset(&rr.tokens, 0, sizeof(rr.tokens));
	int64_t seed = 0;
	schema_get_i64(run->file, A_SEED, &seed);
	p->seed = (uint64_t)seed;
	if (!(block = malloc(p->m.nparams * sizeof(float)))) {
		error("out of memory for the parameters");
		goto out_model;
	}
	if (read_rows(&p->m, run, row, block) < 0)
		goto out_model;
	model_import(&p->m, p->m.params, block);
	rc = 0;
	goto out;
out_model:
	run_params_free(p);
out:
	free(block);
	recread_close(&rr);
	return rc;
}

void run_params_free(struct run_params *p)
{
	if (p->mx) {
		mix_free(p->mx, &p->m);
		free(p->mx);
		p->mx = NULL;
	} else {
		model_free(&p->m);
	}
	tokens_free(&p->tokens);
}

int run_params_read_one(struct run_params *p, const struct run *run, int64_t batch)
{
	struct recread rr;
	if (recread_open(&rr, run, RC_BATCH) < 0)
		return -1;
	int mix = rr.ncomp > 0;
	if (mix)
		schema_refuse_mix(run->path, rr.components);
	recread_close(&rr);
	return mix ? -1 : run_params_read(p, run, batch);
}
