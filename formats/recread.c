/*
 * recread.c - block reader for /record and /train (see recread.h).
 */
#include "recread.h"
#include "h5util.h"
#include "msg.h"

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

/* Reads rows [row0, row0 + count) of a dataset whose rows hold `per_row`
 * elements, as mtype, into buf. */
static int read_rows(hid_t d, int64_t row0, int64_t count, hid_t mtype, void *buf)
{
	hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = { 0 };
	hid_t fs = H5Dget_space(d), ms = H5I_INVALID_HID;
	int rc = -1, rank;
	if (fs < 0)
		return -1;
	rank = H5Sget_simple_extent_dims(fs, dims, NULL);
	if (rank < 1)
		goto out;
	start[0] = (hsize_t)row0;
	dims[0] = (hsize_t)count;
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

static int read_model(struct recread *rr, const struct run *run)
{
	int64_t n = 0, H = 0, V = 0;
	hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(run->file, "model", H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return error("%s: not a complete run: no /model", run->path);
	int bad = h5_attr_get_i64(g, "seq_len", &n) | h5_attr_get_i64(g, "hidden_size", &H) |
		  h5_attr_get_i64(g, "vocab_size", &V);
	H5Gclose(g);
	if (bad || n < 1 || n > 1 << 16 || H < 1 || H > 1 << 20 || V < 1 || V > 256)
		return error("%s: /model attributes are missing or out of range", run->path);
	rr->n = (int)n;
	rr->H = (int)H;
	rr->V = (int)V;
	d = open_checked(run, "model/vocab", 1, NULL, V);
	if (d < 0)
		return -1;
	int rc = read_rows(d, 0, V, H5T_NATIVE_UINT8, rr->vocab);
	H5Dclose(d);
	return rc < 0 ? error("%s: cannot read /model/vocab", run->path) : 0;
}

int recread_open(struct recread *rr, const struct run *run, unsigned cols)
{
	memset(rr, 0, sizeof(*rr));
	for (int i = 0; i < 7; i++)
		rr->dset[i] = H5I_INVALID_HID;
	rr->run = run;
	rr->cols = cols | RC_BATCH;
	if (read_model(rr, run) < 0)
		return -1;
	rr->rows = run_rows(run, "record");

	const hsize_t nn[2] = { (hsize_t)rr->n, (hsize_t)rr->n };
	size_t row_bytes = 16;
	for (int i = 0; i < 7; i++) {
		if (!(rr->cols & record_cols[i].col))
			continue;
		rr->dset[i] = open_checked(run, record_cols[i].path, 1 + record_cols[i].tail, nn,
					   rr->rows);
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
		    read_rows(rr->dset[i], row0, count, column_type(i), column_buffer(rr, i)) < 0)
			return error("%s: cannot read /%s rows %lld..%lld: %s", rr->run->path,
				     record_cols[i].path, (long long)row0,
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
		if (read_rows(rr->dset[0], row0, count, H5T_NATIVE_INT64, rr->batch) < 0)
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
	for (int i = 0; i < 3; i++)
		if ((tr->dset[i] = open_checked(run, train_paths[i], 1, NULL, tr->rows)) < 0) {
			trainread_close(tr);
			return -1;
		}
	tr->cap = 1 << 16;
	tr->batch = malloc(tr->cap * sizeof(int64_t));
	tr->loss = malloc(tr->cap * sizeof(float));
	tr->grad_norm = malloc(tr->cap * sizeof(float));
	if (!tr->batch || !tr->loss || !tr->grad_norm) {
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
	if (read_rows(tr->dset[0], tr->next, count, H5T_NATIVE_INT64, tr->batch) < 0 ||
	    read_rows(tr->dset[1], tr->next, count, H5T_NATIVE_FLOAT, tr->loss) < 0 ||
	    read_rows(tr->dset[2], tr->next, count, H5T_NATIVE_FLOAT, tr->grad_norm) < 0)
		return error("%s: cannot read /train: %s", tr->run->path, h5_reason());
	tr->next += count;
	return count;
}

void trainread_close(struct trainread *tr)
{
	for (int i = 0; i < 3; i++)
		if (tr->dset[i] >= 0)
			H5Dclose(tr->dset[i]);
	free(tr->batch);
	free(tr->loss);
	free(tr->grad_norm);
	memset(tr, 0, sizeof(*tr));
}
