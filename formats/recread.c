/*
 * recread.c - block reader for /record and /train (see recread.h).
 */
#include "recread.h"
#include "h5util.h"
#include "msg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES (8 << 20)
#define MAX_BLOCK_ROWS 4096

static const struct {
	unsigned col;
	const char *path;
	int tail; /* 0: (R), 1: (R, n), 2: (R, n, n) */
	int is_float, is_i64;
} record_cols[7] = {
	{ RC_BATCH, "record/batch", 0, 0, 1 },
	{ RC_POSITION, "record/position", 0, 0, 1 },
	{ RC_TARGET, "record/target", 1, 0, 0 },
	{ RC_PREDICTED, "record/predicted", 1, 0, 0 },
	{ RC_LOSS, "record/loss", 1, 1, 0 },
	{ RC_ITEMIZED, "record/itemized", 2, 1, 0 },
	{ RC_TRUNC, "record/truncation_error", 1, 1, 0 },
};

/* Reads rows [row0, row0 + count) of a dataset, as mtype, into buf. With
 * slice >= 0, only index `slice` of the second dimension (one gate of
 * itemized_gates): buf then holds (count, remaining dims), as if that
 * dimension were not there. */
static int read_rows(hid_t d, int64_t row0, int64_t count, int slice, hid_t mtype, void *buf)
{
	hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = { 0 };
	hid_t fs = H5Dget_space(d), ms = H5I_INVALID_HID;
	int rc = -1, rank;
	if (fs < 0)
		return -1;
	rank = H5Sget_simple_extent_dims(fs, dims, NULL);
	if (rank < 1 || (slice >= 0 && (rank < 2 || (hsize_t)slice >= dims[1])))
		goto out;
	start[0] = (hsize_t)row0;
	dims[0] = (hsize_t)count;
	if (slice >= 0) {
		start[1] = (hsize_t)slice;
		dims[1] = 1;
	}
	if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, dims, NULL) < 0 ||
	    (ms = H5Screate_simple(rank, dims, NULL)) < 0)
		goto out;
	if (H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
		rc = 0;
out:
	if (ms >= 0)
		H5Sclose(ms);
	H5Sclose(fs);
	return rc;
}

/* Opens path and checks rank and trailing dimensions. */
static hid_t open_checked(const struct run *run, const char *path, int rank,
			  const hsize_t *tail, int64_t rows)
{
	hsize_t dims[H5S_MAX_RANK];
	hid_t d = H5I_INVALID_HID, s = H5I_INVALID_HID;
	int r = -1;
	H5E_BEGIN_TRY {
		d = H5Dopen2(run->file, path, H5P_DEFAULT);
		if (d >= 0 && (s = H5Dget_space(d)) >= 0)
			r = H5Sget_simple_extent_dims(s, dims, NULL);
	} H5E_END_TRY;
	if (s >= 0)
		H5Sclose(s);
	if (d < 0) {
		error("%s: not a complete run: no /%s", run->path, path);
		return H5I_INVALID_HID;
	}
	int ok = r == rank && (int64_t)dims[0] >= rows;
	for (int i = 1; ok && i < rank; i++)
		ok = dims[i] == tail[i - 1];
	if (!ok) {
		error("%s: /%s has a shape that does not match /model", run->path, path);
		H5Dclose(d);
		return H5I_INVALID_HID;
	}
	return d;
}

/* The architecture attributes of /model. Files from before gated cells
 * and stacked layers may lack `gates` and `gate_names` (and `cell`,
 * `layers` are optional to readers): absent means one vanilla layer. */
static int read_arch(struct recread *rr, hid_t g, const char *path)
{
	int64_t layers = 1, G = 1;
	snprintf(rr->cell, sizeof(rr->cell), "rnn");
	h5_attr_get_str(g, "cell", rr->cell, sizeof(rr->cell));
	h5_attr_get_str(g, "gate_names", rr->gate_names, sizeof(rr->gate_names));
	h5_attr_get_i64(g, "layers", &layers);
	h5_attr_get_i64(g, "gates", &G);
	if (layers < 1 || layers > 1 << 10 || G < 1 || G > 16)
		return error("%s: /model layers or gates are out of range", path);
	rr->layers = (int)layers;
	rr->G = (int)G;
	return 0;
}

static int read_model(struct recread *rr, const struct run *run)
{
	int64_t n = 0, H = 0, V = 0;
	hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(run->file, "model", H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return error("%s: not a complete run: no /model", run->path);
	int bad = h5_attr_get_i64(g, "seq_len", &n) | h5_attr_get_i64(g, "hidden_size", &H) |
		  h5_attr_get_i64(g, "vocab_size", &V);
	int arch = bad ? 0 : read_arch(rr, g, run->path);
	H5Gclose(g);
	if (arch < 0)
		return -1;
	if (bad || n < 1 || n > 1 << 16 || H < 1 || H > 1 << 20 || V < 1 || V > 256)
		return error("%s: /model attributes are missing or out of range", run->path);
	rr->n = (int)n;
	rr->H = (int)H;
	rr->V = (int)V;
	d = open_checked(run, "model/vocab", 1, NULL, V);
	if (d < 0)
		return -1;
	int rc = read_rows(d, 0, V, -1, H5T_NATIVE_UINT8, rr->vocab);
	H5Dclose(d);
	return rc < 0 ? error("%s: cannot read /model/vocab", run->path) : 0;
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

/* Dataset of column i for the chosen source: g and E carry the gate and
 * layer suffixes of docs/FORMAT.md (itemized_gates_l1). */
static void column_path(struct recread *rr, int i)
{
	char *p = rr->path[i];
	int per_source = record_cols[i].col & (RC_ITEMIZED | RC_TRUNC);
	snprintf(p, RECREAD_PATH, "%s", record_cols[i].path);
	if (per_source && rr->gate >= 0)
		snprintf(p + strlen(p), RECREAD_PATH - strlen(p), "_gates");
	if (per_source && rr->layer > 0)
		snprintf(p + strlen(p), RECREAD_PATH - strlen(p), "_l%d", rr->layer);
}

/* The gate's index in the second dimension of column i, or -1. */
static int column_slice(const struct recread *rr, int i)
{
	return record_cols[i].col & (RC_ITEMIZED | RC_TRUNC) ? rr->gate : -1;
}

/* Opens column i, checking its shape: (R), (R, n), (R, n, n), or with a
 * gate (R, G, n), (R, G, n, n). */
static hid_t open_column(struct recread *rr, int i)
{
	hsize_t tail[3];
	int k = 0;
	if (column_slice(rr, i) >= 0)
		tail[k++] = (hsize_t)rr->G;
	for (int j = 0; j < record_cols[i].tail; j++)
		tail[k++] = (hsize_t)rr->n;
	column_path(rr, i);
	return open_checked(rr->run, rr->path[i], 1 + k, tail, rr->rows);
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
	if (read_model(rr, run) < 0 || pick_source(rr, src, run->path) < 0)
		return -1;
	rr->rows = run_rows(run, "record");

	size_t row_bytes = 16;
	for (int i = 0; i < 7; i++) {
		if (!(rr->cols & record_cols[i].col))
			continue;
		rr->dset[i] = open_column(rr, i);
		if (rr->dset[i] < 0) {
			recread_close(rr);
			return -1;
		}
		row_bytes += 4 * (record_cols[i].tail == 2 ? (size_t)rr->n * rr->n : (size_t)rr->n);
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
	if (layer)
		snprintf(buf, len, "layer %lld", (long long)src->layer);
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
	return record_cols[i].is_i64 ? H5T_NATIVE_INT64 :
	       record_cols[i].is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32;
}

/* Reads rows [row0, row0 + count) of every open column into the block. */
static int read_block(struct recread *rr, int64_t row0, int64_t count)
{
	for (int i = 0; i < 7; i++)
		if (rr->dset[i] >= 0 &&
		    read_rows(rr->dset[i], row0, count, column_slice(rr, i), column_type(i),
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
		if (read_rows(rr->dset[0], row0, count, -1, H5T_NATIVE_INT64, rr->batch) < 0)
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
	memset(rr, 0, sizeof(*rr));
	for (int i = 0; i < 7; i++)
		rr->dset[i] = H5I_INVALID_HID;
}

static const char *const train_paths[3] = { "train/batch", "train/loss", "train/grad_norm" };

int trainread_open(struct trainread *tr, const struct run *run)
{
	memset(tr, 0, sizeof(*tr));
	tr->run = run;
	tr->rows = run_rows(run, "train");
	for (int i = 0; i < 3; i++)
		tr->dset[i] = H5I_INVALID_HID;
	tr->dset[3] = H5I_INVALID_HID;
	for (int i = 0; i < 3; i++)
		if ((tr->dset[i] = open_checked(run, train_paths[i], 1, NULL, tr->rows)) < 0) {
			trainread_close(tr);
			return -1;
		}
	htri_t has = H5Lexists(run->file, "train/nonfinite", H5P_DEFAULT);
	if (has > 0 && (tr->dset[3] = open_checked(run, "train/nonfinite", 1, NULL, tr->rows)) < 0) {
		trainread_close(tr);
		return -1;
	}
	tr->cap = 1 << 16;
	tr->batch = malloc(tr->cap * sizeof(int64_t));
	tr->loss = malloc(tr->cap * sizeof(float));
	tr->grad_norm = malloc(tr->cap * sizeof(float));
	tr->nonfinite = malloc(tr->cap);
	if (!tr->batch || !tr->loss || !tr->grad_norm || !tr->nonfinite) {
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
	if (read_rows(tr->dset[0], tr->next, count, -1, H5T_NATIVE_INT64, tr->batch) < 0 ||
	    read_rows(tr->dset[1], tr->next, count, -1, H5T_NATIVE_FLOAT, tr->loss) < 0 ||
	    read_rows(tr->dset[2], tr->next, count, -1, H5T_NATIVE_FLOAT, tr->grad_norm) < 0 ||
	    (tr->dset[3] >= 0 &&
	     read_rows(tr->dset[3], tr->next, count, -1, H5T_NATIVE_UINT8, tr->nonfinite) < 0))
		return error("%s: cannot read /train: %s", tr->run->path, h5_reason());
	if (tr->dset[3] < 0)
		for (int64_t i = 0; i < count; i++)
			tr->nonfinite[i] = !isfinite(tr->loss[i]) || !isfinite(tr->grad_norm[i]);
	tr->next += count;
	return count;
}

void trainread_close(struct trainread *tr)
{
	for (int i = 0; i < 4; i++)
		if (tr->dset[i] >= 0)
			H5Dclose(tr->dset[i]);
	free(tr->batch);
	free(tr->loss);
	free(tr->grad_norm);
	free(tr->nonfinite);
	memset(tr, 0, sizeof(*tr));
}
