/*
 * paraminit.c - loading the starting parameters of `record --init`
 * (see paraminit.h).
 */
#include "paraminit.h"
#include "h5util.h"
#include "msg.h"
#include "batchread.h"
#include "paramread.h"
#include "recread.h"
#include "runread.h"
#include "schema.h"
#include "sha256.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "(256, 100)" or "(256)". */
static void shape_str(char *buf, size_t len, int rank, const size_t *dims)
{
	if (rank == 1)
		snprintf(buf, len, "(%zu)", dims[0]);
	else
		snprintf(buf, len, "(%zu, %zu)", dims[0], dims[1]);
}

/* Refuses parameter p whose file shape (rank, dims) is not the run's. */
static int check_shape(const char *path, const struct param_info *p, int rank,
		       const size_t *dims)
{
	char want[48], got[48];
	if (rank == p->rank && dims[0] == p->dims[0] && (rank == 1 || dims[1] == p->dims[1]))
		return 0;
	shape_str(want, sizeof(want), p->rank, p->dims);
	if (rank < 1 || rank > 2)
		snprintf(got, sizeof(got), "rank %d", rank);
	else
		shape_str(got, sizeof(got), rank, dims);
	return error("--init %s: %s has shape %s, the run's model needs %s", path, p->name, got,
		     want);
}

/* The first non-finite value of src (n floats) refused, naming p. */
static int check_finite(const char *path, const char *name, const float *src, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!isfinite(src[k]))
			return error("--init %s: %s holds a non-finite value (%g at index %zu)",
				     path, name, (double)src[k], k);
	return 0;
}

/* The tensor named p->name at the root of file, in PyTorch's layout, into
 * buf (p->size floats, converted from any float type). */
static int read_root(hid_t file, const char *path, const struct param_info *p, float *buf)
{
	hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
	hsize_t hd[3] = { 0 };
	size_t dims[2] = { 0, 0 };
	H5E_BEGIN_TRY { d = H5Dopen2(file, p->name, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0)
		return error("--init %s: has no parameter %s (a run file, or an HDF5 file of "
			     "PyTorch-named tensors at its root)", path, p->name);
	int rank = -1;
	if ((sp = H5Dget_space(d)) >= 0) {
		rank = H5Sget_simple_extent_ndims(sp);
		if (rank >= 1 && rank <= 3)
			H5Sget_simple_extent_dims(sp, hd, NULL);
		H5Sclose(sp);
	}
	dims[0] = (size_t)hd[0], dims[1] = (size_t)hd[1];
	int rc = check_shape(path, p, rank, dims);
	if (!rc && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
		rc = error("--init %s: %s cannot be read as numbers", path, p->name);
	H5Dclose(d);
	return rc;
}

/* PyTorch-named tensors at the root of path (opened as file). */
static int load_tensors(struct model *m, hid_t file, const char *path)
{
	size_t most = 0;
	for (int i = 0; i < m->ntab; i++)
		most = m->tab[i].size > most ? m->tab[i].size : most;
	float *buf = malloc(most * sizeof(float));
	if (!buf)
		return error("out of memory for the parameters");
	int rc = 0;
	for (int i = 0; i < m->ntab && !rc; i++) {
		const struct param_info *p = &m->tab[i];
		rc = read_root(file, path, p, buf) < 0 ||
				     check_finite(path, p->name, buf, p->size) < 0 ? -1 : 0;
		if (!rc)
			model_import_one(m, i, buf);
	}
	free(buf);
	return rc;
}

/* The table entry of src named name, or NULL. */
static const struct param_info *find_param(const struct model *src, const char *name)
{
	for (int i = 0; i < src->ntab; i++)
		if (!strcmp(src->tab[i].name, name))
			return &src->tab[i];
	return NULL;
}

/* Whether two vocabularies give every id the same kind and text. */
static int same_tokens(const struct token_vocab *a, const struct token_vocab *b)
{
	if (a->kind != b->kind || a->V != b->V)
		return 0;
	for (int i = 0; i < a->V; i++)
		if (a->len[i] != b->len[i] || memcmp(a->text[i], b->text[i], a->len[i]))
			return 0;
	return 1;
}

/* -1 (said why) when the run's vocabulary differs from the corpus'. */
static int check_tokens(const char *path, const struct token_vocab *got,
			const struct token_vocab *tv)
{
	if (same_tokens(got, tv))
		return 0;
	return error("--init %s: the run's vocabulary maps token ids to other %s than "
		     "this corpus'", path, tv->kind == TOKENS_BYTES ? "bytes" : "tokens");
}

/* 1 when the run is a mix of components (/model components). */
static int run_is_mix(const struct run *run)
{
	struct run_model rm;
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(run->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return 0;
	run_model_read(&rm, g);
	H5Gclose(g);
	return rm.ncomp > 0;
}

/* Every parameter of m from pt (src's, in PyTorch's layout), by name. */
static int import_named(struct model *m, const struct model *src, const float *pt,
			const char *path)
{
	for (int i = 0; i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i], *q = find_param(src, p->name);
		if (!q)
			return error("--init %s: the run has no parameter %s (%d layers%s)", path,
				     p->name, src->L, src->mix ? ", a mix" : "");
		if (check_shape(path, p, q->rank, q->dims) < 0 ||
		    check_finite(path, p->name, pt + q->offset, q->size) < 0)
			return -1;
		model_import_one(m, i, pt + q->offset);
	}
	return 0;
}

/* A mix's record (libcore/mix.h), rebuilt by batchread: its parameters
 * named by component ("lstm.weight_hh_l0"). */
static int load_mix_record(struct model *m, const struct token_vocab *tv, struct run *run,
			   const char *path, int64_t batch, int64_t *got)
{
	struct recread rr;
	struct batchread b;
	if (recread_open(&rr, run, RC_BATCH) < 0)
		return -1;
	if (batchread_open(&b, run) < 0) {
		recread_close(&rr);
		return -1;
	}
	int64_t row = batch < 0 ? b.rows - 1 : batchread_row(&b, batch);
	float *pt = NULL;
	int rc = -1;
	if (row < 0)
		error("--init %s: %s", path, batch < 0 ? "has no records" : "no record of that batch");
	else if (batchread_load(&b, row) == 0 && !(pt = malloc(b.m.nparams * sizeof(float))))
		error("out of memory for the parameters");
	else if (pt) {
		model_export(&b.m, pt, b.m.params);
		*got = b.batch[row];
		rc = import_named(m, &b.m, pt, path);
		if (!rc)
			rc = check_tokens(path, &rr.tokens, tv);
	}
	free(pt);
	batchread_close(&b);
	recread_close(&rr);
	return rc;
}

/* A record's parameters (run file path, batch or -1: the last). */
static int load_record(struct model *m, const struct token_vocab *tv, const char *path,
		       int64_t batch, int64_t *got)
{
	struct run run;
	struct run_params rp;
	if (run_open(&run, path) < 0)
		return -1;
	if (run_is_mix(&run)) {
		int rc = load_mix_record(m, tv, &run, path, batch, got);
		run_close(&run);
		return rc;
	}
	int rc = run_params_read_one(&rp, &run, batch);
	run_close(&run);
	if (rc < 0)
		return -1;
	*got = rp.batch;
	float *pt = malloc(rp.m.nparams * sizeof(float));
	if (!pt) {
		run_params_free(&rp);
		return error("out of memory for the parameters");
	}
	model_export(&rp.m, pt, rp.m.params); /* PyTorch's layout, named by rp.m's table */
	rc = import_named(m, &rp.m, pt, path);
	if (!rc)
		rc = check_tokens(path, &rp.tokens, tv);
	free(pt);
	run_params_free(&rp);
	return rc;
}

/* Splits "PATH:B" (B digits, PATH not itself a file) into path and *batch;
 * else path = file, *batch = -1. Returns 0 or -1 (said why). */
static int split_spec(const char *file, char *path, size_t len, int64_t *batch)
{
	struct stat st;
	const char *colon = strrchr(file, ':');
	*batch = -1;
	if (strlen(file) >= len)
		return error("--init %s: path too long", file);
	strcpy(path, file);
	if (stat(file, &st) == 0 || !colon || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return 0;
	path[colon - file] = '\0';
	*batch = strtoll(colon + 1, NULL, 10);
	return 0;
}

int param_init_load(struct model *m, const struct token_vocab *tv, const char *file, char *desc,
		    size_t desclen, char sha[65])
{
	char path[4096];
	int64_t batch, got = -1;
	if (split_spec(file, path, sizeof(path), &batch) < 0)
		return -1;
	hid_t f = H5I_INVALID_HID;
	H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
	if (f < 0)
		return error("--init %s: cannot be opened as an HDF5 file", path);
	int is_run = schema_is_run(f) > 0;
	int rc;
	if (!is_run && batch >= 0)
		rc = error("--init %s: not a run file, so :%lld names no record", path,
			   (long long)batch);
	else if (!is_run)
		rc = load_tensors(m, f, path);
	else
		rc = 0;
	H5Fclose(f);
	if (!rc && is_run)
		rc = load_record(m, tv, path, batch, &got);
	if (rc < 0)
		return -1;
	if (got >= 0)
		snprintf(desc, desclen, "%s:%lld", path, (long long)got);
	else
		snprintf(desc, desclen, "%s", path);
	sha256_hex(sha, (const uint8_t *)m->params, m->nparams * sizeof(float));
	return 0;
}
