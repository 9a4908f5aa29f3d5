/*
 * runfile_write.c - the run file writer (see runfile.h).
 *
 * Every dataset of a group is a "column": its first dimension counts rows
 * and grows by H5Dset_extent + one hyperslab write. Per-record columns are
 * uncompressed with the raw-data chunk cache switched off, so each append
 * writes just its new row in place and a flush never rewrites a chunk
 * (SWMR never reuses freed space; see docs/FORMAT.md for the figures).
 */
#include "runfile.h"
#include "clock.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"
#include "tokenio.h"
#include "../libcore/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRAIN_CHUNK_ROWS 4096
#define RECORD_CHUNK_BYTES 65536
/* /record/diag rows are a few bytes: 64 KiB chunks of them would add
 * 320 KiB to the smallest run (docs/FORMAT.md "Diagnostics") */
#define DIAG_CHUNK_BYTES 4096
#define FSYNC_SECONDS 5.0
/* Room claimed ahead of HDF5 (see claim_room): the new chunks of an
 * append plus this much for metadata (chunk indexes, object headers),
 * grown by an eighth of the file at a time, at most ROOM_GROW_MAX. */
#define ROOM_SLACK (64u << 10)
#define ROOM_GROW_MAX (64u << 20)

struct column {
	hid_t dset;
	hid_t mtype;      /* memory type of a row's elements */
	hid_t fspace;     /* file dataspace, resized in place on append */
	hid_t mspace1;    /* memory dataspace of one row (the common append) */
	int rank;
	hsize_t dims[4];  /* dims[0] = rows written */
	hsize_t chunk_rows, chunk_size; /* rows and bytes of a chunk (col_chunk_info) */
};

struct runfile {
	char *path;
	hid_t file;
	struct reccol *cols; /* (ncols) the /record datasets, see schema.h */
	struct column *rec;  /* (ncols) their handles; nrec opened so far */
	int ncols, nrec;
	struct column train[TRAIN_COLS]; /* schema_train's */
	struct column samples[2];        /* /samples batch, text; unused when */
	int has_samples;                 /* the run has no /samples */
	struct column valid[2];          /* /valid batch, loss; unused when */
	int has_valid;                   /* the run has no /valid */
	double last_fsync;
	int failed;     /* a write failed and was reported: closing may fail too */
	hsize_t room_end;    /* the file is known to be at least this long */
	int room_unsure;     /* no fallocate here: HDF5 finds out by itself */
	const struct model *m;
	int n, flags;
};

/* Reads the column's chunk shape once, when it is created or reopened:
 * claim_room and the reopen margin reckon in chunks. */
static void col_chunk_info(struct column *c)
{
	hsize_t dims[4] = { 0 };
	hid_t dcpl = H5Dget_create_plist(c->dset), type = H5Dget_type(c->dset);
	c->chunk_rows = 1; /* cannot tell: a row's worth, of no bytes */
	c->chunk_size = 0;
	if (dcpl >= 0 && type >= 0 && H5Pget_chunk(dcpl, c->rank, dims) == c->rank && dims[0]) {
		c->chunk_rows = dims[0];
		c->chunk_size = H5Tget_size(type);
		for (int i = 0; i < c->rank; i++)
			c->chunk_size *= dims[i];
	}
	if (type >= 0)
		H5Tclose(type);
	if (dcpl >= 0)
		H5Pclose(dcpl);
}

/* Creates an empty extendable column under group: rows x tail. */
static int col_create(struct column *c, hid_t group, const char *name, hid_t ftype,
		      hid_t mtype, int tail_rank, const hsize_t *tail, hsize_t chunk_rows)
{
	hsize_t dims[4] = { 0 }, maxdims[4] = { H5S_UNLIMITED }, chunk[4] = { chunk_rows };
	hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
	int rc = -1;

	c->dset = c->fspace = c->mspace1 = H5I_INVALID_HID;
	c->mtype = mtype;
	c->rank = tail_rank + 1;
	memset(c->dims, 0, sizeof(c->dims));
	for (int i = 0; i < tail_rank; i++) {
		dims[i + 1] = maxdims[i + 1] = chunk[i + 1] = tail[i];
		c->dims[i + 1] = tail[i];
	}
	if ((space = H5Screate_simple(c->rank, dims, maxdims)) < 0 ||
	    (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
	    (dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0)
		goto out;
	if (H5Pset_chunk(dcpl, c->rank, chunk) < 0 ||
	    H5Pset_obj_track_times(dcpl, 0) < 0 ||
	    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0 ||
	    /* no chunk cache: appends go straight to their place in the file */
	    H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0)
		goto out;
	c->dset = H5Dcreate2(group, name, ftype, space, H5P_DEFAULT, dcpl, dapl);
	if (c->dset < 0)
		goto out;
	col_chunk_info(c);
	c->fspace = space;
	space = H5I_INVALID_HID;
	hsize_t one[4] = { 1 };
	for (int i = 1; i < c->rank; i++)
		one[i] = c->dims[i];
	c->mspace1 = H5Screate_simple(c->rank, one, NULL);
	if (c->mspace1 >= 0)
		rc = 0;
out:
	if (dapl >= 0)
		H5Pclose(dapl);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	return rc;
}

/* Chunk rows so that a chunk holds about chunk_bytes. */
static hsize_t rows_per_chunk(size_t row_bytes, size_t chunk_bytes, hsize_t cap)
{
	hsize_t r = chunk_bytes / (row_bytes ? row_bytes : 1);
	if (r < 1)
		r = 1;
	return r > cap ? cap : r;
}

/* Appends nrows rows from buf (no flush). The dataspaces are kept per
 * column and resized in place: an append is then set_extent + one write. */
static int col_append(struct column *c, hsize_t nrows, const void *buf)
{
	hsize_t start[4] = { c->dims[0] }, count[4] = { nrows };
	hid_t mspace = c->mspace1;
	int rc = -1;

	for (int i = 1; i < c->rank; i++)
		count[i] = c->dims[i];
	c->dims[0] += nrows;
	if (H5Dset_extent(c->dset, c->dims) < 0 ||
	    H5Sset_extent_simple(c->fspace, c->rank, c->dims, NULL) < 0) {
		c->dims[0] -= nrows;
		return -1;
	}
	if (H5Sselect_hyperslab(c->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
		return -1;
	if (nrows != 1 && (mspace = H5Screate_simple(c->rank, count, NULL)) < 0)
		return -1;
	if (H5Dwrite(c->dset, c->mtype, mspace, c->fspace, H5P_DEFAULT, buf) >= 0)
		rc = 0;
	if (mspace != c->mspace1)
		H5Sclose(mspace);
	return rc;
}

/* HDF5 hears of a full disk or a file size limit (ulimit -f) only half
 * way through a write, after it has moved its end of allocation past the
 * end of the file: the run is then "truncated" to every HDF5 tool, and
 * the rows already written are lost with it. So the room an append may
 * need is claimed first, with posix_fallocate: when it is not there, the
 * append is refused before HDF5 writes anything, with the system's
 * reason, and the run closes as cleanly as after its last row.
 * runfile_close gives back what was claimed and not used. Returns 0, or
 * -1 with errno set. */
static int claim_room(struct runfile *f, hsize_t bytes)
{
	haddr_t eoa;
	void *handle = NULL;
	struct stat st;
	if (f->room_unsure || H5Fget_eoa(f->file, &eoa) < 0)
		return 0;
	hsize_t need = (hsize_t)eoa + bytes + ROOM_SLACK;
	if (need <= f->room_end)
		return 0;
	if (H5Fget_vfd_handle(f->file, H5P_DEFAULT, &handle) < 0 || !handle)
		return 0;
	int fd = *(int *)handle;
	if (fstat(fd, &st) < 0)
		return 0;
	if ((hsize_t)st.st_size >= need) {
		f->room_end = (hsize_t)st.st_size;
		return 0;
	}
	hsize_t grow = need / 8 < ROOM_GROW_MAX ? need / 8 : ROOM_GROW_MAX;
	int e = posix_fallocate(fd, st.st_size, (off_t)(need + grow - (hsize_t)st.st_size));
	if (e == ENOSPC || e == EFBIG || e == EDQUOT) { /* the last bytes, then */
		grow = 0;
		e = posix_fallocate(fd, st.st_size, (off_t)(need - (hsize_t)st.st_size));
	}
	if (!e) {
		f->room_end = need + grow;
		return 0;
	}
	if (e != ENOSPC && e != EFBIG && e != EDQUOT && e != EIO) {
		f->room_unsure = 1; /* no fallocate on this file system */
		return 0;
	}
	errno = e;
	return -1;
}

/* Bytes of the chunks HDF5 allocates to append nrows rows to c. */
static hsize_t col_new_bytes(const struct column *c, hsize_t nrows)
{
	hsize_t before = (c->dims[0] + c->chunk_rows - 1) / c->chunk_rows;
	hsize_t after = (c->dims[0] + nrows + c->chunk_rows - 1) / c->chunk_rows;
	return (after - before) * c->chunk_size;
}

/* Bytes of the chunks appending nrows rows to /train allocates. */
static hsize_t train_new_bytes(struct runfile *f, hsize_t nrows)
{
	hsize_t bytes = 0;
	for (int i = 0; i < TRAIN_COLS; i++)
		bytes += col_new_bytes(&f->train[i], nrows);
	return bytes;
}

static void col_close(struct column *c)
{
	if (c->dset <= 0) /* 0: never created (calloc) */
		return;
	H5Dclose(c->dset);
	if (c->fspace > 0)
		H5Sclose(c->fspace);
	if (c->mspace1 > 0)
		H5Sclose(c->mspace1);
	c->dset = H5I_INVALID_HID;
}

/* Opens an existing column that must hold at least rows rows (cut to
 * rows later, by col_cut). On failure closes what it opened. */
static int col_reopen(struct column *c, hid_t group, const char *name, hid_t mtype, int64_t rows)
{
	hsize_t one[4] = { 1 };
	c->dset = c->fspace = c->mspace1 = H5I_INVALID_HID;
	c->mtype = mtype;
	H5E_BEGIN_TRY { c->dset = H5Dopen2(group, name, H5P_DEFAULT); } H5E_END_TRY;
	if (c->dset < 0 || (c->fspace = H5Dget_space(c->dset)) < 0)
		goto fail;
	c->rank = H5Sget_simple_extent_dims(c->fspace, c->dims, NULL);
	if (c->rank < 1 || (int64_t)c->dims[0] < rows)
		goto fail;
	col_chunk_info(c);
	for (int i = 1; i < c->rank; i++)
		one[i] = c->dims[i];
	if ((c->mspace1 = H5Screate_simple(c->rank, one, NULL)) < 0)
		goto fail;
	return 0;
fail:
	col_close(c);
	return -1;
}

/* An optional /train column a run from an older rnnbow lacks (clip_share),
 * made on resume with rows rows of "not known": NaN, or 0 for integers.
 * Only before SWMR writing starts. */
static int col_backfill(struct column *c, hid_t group, int i, int64_t rows)
{
	const struct schema_train_col *t = &schema_train[i];
	size_t elem = schema_elem(t->type);
	unsigned char *buf = calloc(rows > 0 ? (size_t)rows : 1, elem);
	int rc = -1;
	if (!buf)
		return -1;
	for (int64_t r = 0; t->type == ST_F32 && r < rows; r++)
		((float *)buf)[r] = NAN;
	if (col_create(c, group, t->name, schema_ftype(t->type), schema_mtype(t->type), 0, NULL,
		       TRAIN_CHUNK_ROWS) == 0 &&
	    (rows == 0 || col_append(c, (hsize_t)rows, buf) == 0))
		rc = 0;
	free(buf);
	return rc;
}

/* Cuts a column to rows rows: what was written after the checkpoint goes. */
static int col_cut(struct column *c, int64_t rows)
{
	c->dims[0] = (hsize_t)rows;
	if (H5Dset_extent(c->dset, c->dims) < 0 ||
	    H5Sset_extent_simple(c->fspace, c->rank, c->dims, NULL) < 0)
		return -1;
	return 0;
}


static hid_t make_group(hid_t parent, const char *name)
{
	hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE), g;
	if (gcpl < 0)
		return H5I_INVALID_HID;
	H5Pset_obj_track_times(gcpl, 0);
	g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
	H5Pclose(gcpl);
	return g;
}

static int write_vocab(hid_t group, const uint8_t *vocab, hsize_t V)
{
	hid_t space = H5Screate_simple(1, &V, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d = H5I_INVALID_HID;
	int rc = -1;
	if (space < 0 || dcpl < 0)
		goto out;
	H5Pset_obj_track_times(dcpl, 0);
	d = H5Dcreate2(group, SCHEMA_VOCAB, H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d >= 0 && H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, vocab) >= 0)
		rc = 0;
out:
	if (d >= 0)
		H5Dclose(d);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	return rc;
}

/* A mix's /model components: "rnn,lstm,gru" (mix.h's names). */
static int mix_components(struct schema_value *v, const struct mix *mx)
{
	static char list[MIX_MAX * MIX_NAME];
	list[0] = '\0';
	for (int k = 0; k < mx->K; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? "," : "",
			 mx->name[k]);
	v->s = list;
	return 1;
}

/* The value of attribute id in a new run; 0: the run has none. This is
 * the code that fills schema_attrs. */
static int attr_value(struct schema_value *v, enum schema_attr_id id, const struct run_info *in,
		      const struct model *m, int n)
{
	memset(v, 0, sizeof(*v));
	switch (id) {
	case A_FORMAT: v->s = RUNFILE_FORMAT; break;
	case A_FORMAT_VERSION: v->i = RUNFILE_FORMAT_VERSION; break;
	case A_SOFTWARE_VERSION: v->s = in->software_version; break;
	case A_COMMAND_LINE: v->s = in->command_line; break;
	case A_CREATED_UTC: v->s = in->created_utc; break;
	case A_HISTORY: return 0; /* the first resume adds it */
	case A_SEED: v->u = in->seed; break;
	case A_CORPUS_NAME: v->s = in->corpus_name; break;
	case A_CORPUS_BYTES: v->i = in->corpus_bytes; break;
	case A_CORPUS_SHA256: v->s = in->corpus_sha256; break;
	case A_CELL: v->s = m->mix ? "mix" : cell_name(m->cell); break;
	case A_ACTIVATION: v->s = in->activation; break;
	case A_HIDDEN_SIZE: v->i = m->H; break;
	case A_LAYERS: v->i = m->L; break;
	case A_GATES: v->i = m->G; return !m->mix; /* a mix: each component's cell's */
	case A_GATE_NAMES: v->s = cell_gate_names(m->cell); return !m->mix;
	case A_FORGET_BIAS:
		v->f = in->forget_bias;
		return m->mix ? m->mix->any_lstm : m->cell == CELL_LSTM;
	case A_VOCAB_SIZE: v->i = m->V; break;
	case A_SEQ_LEN: v->i = n; break;
	case A_INIT_SCALE: v->f = in->init_scale; break;
	case A_INPUT: v->s = in->input; return in->input != NULL;
	case A_INPUT_SIZE: v->i = in->input_size; return in->input != NULL;
	case A_OPTIMIZER: v->s = in->optimizer; break;
	case A_LEARNING_RATE: v->f = in->learning_rate; break;
	case A_CLIP: v->f = in->clip; break;
	case A_BATCHES: v->i = in->batches; break;
	case A_RECORD_EVERY: v->i = in->record_every; break;
	case A_BATCH_SIZE: v->i = in->batch_size; return in->batch_size > 1;
	case A_RECORD_SEQUENCES: v->i = in->record_sequences; return in->batch_size > 1;
	case A_LR_DECAY: v->f = in->lr_decay; return in->lr_decay > 0;
	case A_LR_DECAY_AFTER: v->i = in->lr_decay_after; return in->lr_decay > 0;
	case A_EPOCH_BATCHES: v->i = in->epoch_batches; return in->lr_decay > 0;
	case A_INIT: v->s = in->init; return in->init != NULL;
	case A_TOKENS: return tokens_other(in) ? (v->s = tokens_kind_name(in->tokens->kind), 1) : 0;
	case A_CORPUS_TOKENS: v->i = in->corpus_tokens; return tokens_other(in);
	case A_COMPONENTS: return m->mix && mix_components(v, m->mix);
	default: return 0;
	}
	return 1;
}

/* Every attribute of a new run, in schema_attrs' order (the bytes of a
 * run depend on it). */
static int write_attrs(hid_t file, hid_t model, hid_t train, const struct run_info *in,
		       const struct model *m, int n)
{
	struct schema_value v;
	int bad = 0;
	for (int id = 0; id < SCHEMA_ATTRS; id++) {
		const char *g = schema_attrs[id].group;
		hid_t obj = !*g ? file : !strcmp(g, SCHEMA_MODEL) ? model : train;
		if (attr_value(&v, (enum schema_attr_id)id, in, m, n))
			bad |= schema_put(obj, (enum schema_attr_id)id, &v);
	}
	return bad ? -1 : 0;
}

static int create_train_columns(struct runfile *f, hid_t train)
{
	for (int i = 0; i < TRAIN_COLS; i++) {
		const struct schema_train_col *c = &schema_train[i];
		if (col_create(&f->train[i], train, c->name, schema_ftype(c->type),
			       schema_mtype(c->type), 0, NULL, TRAIN_CHUNK_ROWS) < 0)
			return -1;
	}
	return 0;
}

/* /record/diag with its attribute activations: the cell's activations
 * (diag_acts' order), comma-separated; a mix's, each component's list in
 * component order, separated by ';'. Its datasets are made by path. */
static int make_diag_group(hid_t rec, const struct model *m)
{
	const char *names[DIAG_MAX_ACTS];
	char list[8 * MIX_MAX * 8] = "";
	const int K = m->mix ? m->mix->K : 1;
	for (int c = 0; c < K; c++) {
		int k = diag_acts(m->mix ? &m->mix->comp[c] : m, names);
		for (int a = 0; a < k; a++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 a ? "," : c ? ";" : "", names[a]);
	}
	hid_t g = make_group(rec, SCHEMA_DIAG);
	struct schema_value v = { .s = list };
	int rc = g < 0 || schema_put(g, A_DIAG_ACTIVATIONS, &v) < 0 ? -1 : 0;
	if (g >= 0)
		H5Gclose(g);
	return rc;
}

static int create_record_columns(struct runfile *f, hid_t rec)
{
	const hsize_t big = 1 << 20;
	hid_t pg = H5I_INVALID_HID;
	int bad = 0, diag = 0;

	for (f->nrec = 0; f->nrec < f->ncols && !bad; f->nrec++) {
		const struct reccol *c = &f->cols[f->nrec];
		if (c->in_params && pg < 0 && (pg = make_group(rec, SCHEMA_PARAMS)) < 0)
			return -1;
		if (c->in_diag && !diag++ && make_diag_group(rec, f->m) < 0)
			bad = 1;
		if (bad)
			break;
		bad |= col_create(&f->rec[f->nrec], c->in_params ? pg : rec, c->name,
				  schema_ftype(c->type), schema_mtype(c->type), c->tail_rank, c->tail,
				  rows_per_chunk(reccol_row_bytes(c), c->in_diag ? DIAG_CHUNK_BYTES :
						 RECORD_CHUNK_BYTES, big));
	}
	if (pg >= 0)
		H5Gclose(pg);
	return bad ? -1 : 0;
}

static void free_runfile(struct runfile *f)
{
	for (int i = 0; i < f->nrec; i++)
		col_close(&f->rec[i]);
	for (int i = 0; i < TRAIN_COLS; i++)
		col_close(&f->train[i]);
	for (int i = 0; i < 2; i++)
		col_close(&f->samples[i]);
	for (int i = 0; i < 2; i++)
		col_close(&f->valid[i]);
	free(f->cols);
	free(f->rec);
	free(f->path);
	free(f);
}

/* Closes what a failed create or reopen had opened. */
static void abandon(struct runfile *f)
{
	hid_t file = f->file;
	free_runfile(f);
	if (file >= 0)
		H5Fclose(file);
}

/* ---- /samples (record --sample-every) ---- */

#define SAMPLES_BATCH_CHUNK_ROWS 1024

static int write_failed(struct runfile *f, const char *what, const char *why, int no_room);

/* The /samples group of a new run, when info asks for samples: its
 * attributes (every, length, temperature 1) and two empty columns.
 * Returns 0 or -1 (no message: the caller's). */
static int create_samples(struct runfile *f, const struct run_info *info)
{
	if (info->sample_every <= 0)
		return 0;
	hsize_t len = (hsize_t)info->sample_length;
	hid_t g = make_group(f->file, SCHEMA_SAMPLES);
	struct schema_value every = { .i = info->sample_every }, length = { .i = info->sample_length };
	struct schema_value temp = { .f = 1.0 };
	int rc = g < 0 || schema_put(g, A_SAMPLE_EVERY, &every) < 0 ||
		 schema_put(g, A_SAMPLE_LENGTH, &length) < 0 ||
		 schema_put(g, A_SAMPLE_TEMPERATURE, &temp) < 0 ||
		 col_create(&f->samples[0], g, SCHEMA_SAMPLES_BATCH, H5T_STD_I64LE, H5T_NATIVE_INT64,
			    0, NULL, SAMPLES_BATCH_CHUNK_ROWS) < 0 ||
		 col_create(&f->samples[1], g, SCHEMA_SAMPLES_TEXT, H5T_STD_U8LE, H5T_NATIVE_UINT8,
			    1, &len, rows_per_chunk(len, RECORD_CHUNK_BYTES, 1 << 20)) < 0 ? -1 : 0;
	if (g >= 0)
		H5Gclose(g);
	f->has_samples = rc == 0;
	return rc;
}

/* Reopens a group of two columns written every K batches (/samples,
 * /valid: attribute every_id holds K) of a resumed run, if it has one,
 * leaving dims[0] of both at the rows of batches 0, K, ... below
 * train_rows (each row is written before its batch's /train row); *has
 * says it is there. Returns 0 or -1. */
static int reopen_every(struct runfile *f, const char *group, enum schema_attr_id every_id,
			struct column *cols, const char *name0, hid_t type0, const char *name1,
			hid_t type1, int64_t train_rows, int *has)
{
	int64_t every = 0;
	if (H5Lexists(f->file, group, H5P_DEFAULT) <= 0)
		return 0;
	hid_t g = H5Gopen2(f->file, group, H5P_DEFAULT);
	if (g < 0)
		return -1;
	int64_t rows = schema_get_i64(g, every_id, &every) < 0 || every <= 0 ? -1 :
		       (train_rows + every - 1) / every;
	int rc = rows < 0 || col_reopen(&cols[0], g, name0, type0, rows) < 0 ||
		 col_reopen(&cols[1], g, name1, type1, rows) < 0 ? -1 : 0;
	H5Gclose(g);
	if (rc == 0) {
		cols[0].dims[0] = cols[1].dims[0] = (hsize_t)rows;
		*has = 1;
	}
	return rc;
}

/* Appends one row to such a group: value1 to cols[1] first, the batch
 * that names it (cols[0]) last, as /train does, each flushed. */
static int append_every(struct runfile *f, const char *what, int has, const char *group,
			struct column *cols, const int64_t *batch, const void *value1)
{
	if (!has) {
		char why[64];
		snprintf(why, sizeof(why), "the run has no /%s", group);
		return write_failed(f, what, why, 0);
	}
	hsize_t bytes = ROOM_SLACK + col_new_bytes(&cols[0], 1) + col_new_bytes(&cols[1], 1);
	if (claim_room(f, bytes) < 0)
		return write_failed(f, what, sys_reason(errno), 1);
	if (col_append(&cols[1], 1, value1) < 0 || col_append(&cols[0], 1, batch) < 0 ||
	    H5Dflush(cols[1].dset) < 0 || H5Dflush(cols[0].dset) < 0)
		return write_failed(f, what, h5_reason(), 0);
	return 0;
}

int runfile_add_sample(struct runfile *f, int64_t batch, const uint8_t *text)
{
	char what[64];
	snprintf(what, sizeof(what), "sample of batch %lld", (long long)batch);
	return append_every(f, what, f->has_samples, SCHEMA_SAMPLES, f->samples, &batch, text);
}

/* ---- /valid (record --valid, --valid-share) ---- */

/* The /valid group of a new run, when info asks for it: its attributes
 * and two empty columns. Returns 0 or -1 (no message: the caller's). */
static int create_valid(struct runfile *f, const struct run_info *info)
{
	if (info->valid_every <= 0)
		return 0;
	hid_t g = make_group(f->file, SCHEMA_VALID);
	struct schema_value every = { .i = info->valid_every }, steps = { .i = info->valid_steps };
	struct schema_value src = { .s = info->valid_source }, bytes = { .i = info->valid_bytes };
	int rc = g < 0 || schema_put(g, A_VALID_EVERY, &every) < 0 ||
		 schema_put(g, A_VALID_STEPS, &steps) < 0 || schema_put(g, A_VALID_SOURCE, &src) < 0 ||
		 schema_put(g, A_VALID_BYTES, &bytes) < 0 ||
		 col_create(&f->valid[0], g, SCHEMA_VALID_BATCH, H5T_STD_I64LE, H5T_NATIVE_INT64,
			    0, NULL, SAMPLES_BATCH_CHUNK_ROWS) < 0 ||
		 col_create(&f->valid[1], g, SCHEMA_VALID_LOSS, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
			    0, NULL, SAMPLES_BATCH_CHUNK_ROWS) < 0 ? -1 : 0;
	if (g >= 0)
		H5Gclose(g);
	f->has_valid = rc == 0;
	return rc;
}

int runfile_add_valid(struct runfile *f, int64_t batch, float loss)
{
	char what[64];
	snprintf(what, sizeof(what), "held-out loss of batch %lld", (long long)batch);
	return append_every(f, what, f->has_valid, SCHEMA_VALID, f->valid, &batch, &loss);
}

/* A writer with its column list and nothing opened; NULL after a message. */
static struct runfile *runfile_new(const char *path, const struct model *m, int n, int flags)
{
	struct runfile *f = calloc(1, sizeof(*f));
	int cap = reccols_max(m);
	if (f) {
		f->file = H5I_INVALID_HID;
		f->m = m;
		f->n = n;
		f->flags = flags;
		f->path = strdup(path);
		f->cols = calloc((size_t)cap, sizeof(*f->cols));
		f->rec = calloc((size_t)cap, sizeof(*f->rec));
	}
	if (!f || !f->path || !f->cols || !f->rec) {
		error("out of memory");
		if (f)
			free_runfile(f);
		return NULL;
	}
	int S = flags >> 8; /* RUNFILE_SEQUENCES */
	f->ncols = reccols_build_seq(f->cols, cap, m, n, flags & RUNFILE_PARAMS,
				     flags & RUNFILE_HIDDEN,
				     (!(flags & RUNFILE_DIAG) ? 0 :
				      RECCOLS_DIAG | (flags & RUNFILE_DEAD ? RECCOLS_DEAD : 0)) |
				     (flags & RUNFILE_NO_UNIT_FLOW ? 0 : RECCOLS_UNIT_FLOW),
				     S > 1 ? S : 1);
	return f;
}

struct runfile *runfile_create(const char *path, const struct run_info *info,
			       const struct model *m, int n, int flags)
{
	struct runfile *f = runfile_new(path, m, n, flags);
	hid_t fapl = H5I_INVALID_HID, fcpl = H5I_INVALID_HID, model = H5I_INVALID_HID;
	hid_t train = H5I_INVALID_HID;
	hid_t rec = H5I_INVALID_HID;
	const char *what = NULL, *target;
	char *tmp = NULL;
	int fd;

	if (!f)
		return NULL;

	/* A run to replace stays as it is until the new one is laid out
	 * beside it (PATH.new), then the new one is renamed over it: a
	 * failure on the way (a full disk, a signal) loses nothing. */
	if (flags & RUNFILE_FORCE) {
		size_t len = strlen(path) + sizeof(".new");
		if (!(tmp = malloc(len))) {
			error("out of memory");
			free_runfile(f);
			return NULL;
		}
		snprintf(tmp, len, "%s.new", path);
	}
	/* Claim the name ourselves first, for a plain reason on failure
	 * (exists, permission, no such directory, is a directory). The
	 * caller holds the run's lock, so a PATH.new is a dead writer's. */
	target = tmp ? tmp : path;
	fd = open(target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			  (tmp ? O_TRUNC : O_EXCL), 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			error("%s: already exists (use --force to overwrite it)", path);
		else
			error("%s: %s", target, strerror(errno));
		free(tmp);
		free_runfile(f);
		return NULL;
	}
	close(fd);

	what = "cannot create the file";
	if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
	    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
	    /* no raw-data chunk cache, file-wide: H5Fstart_swmr_write reopens
	     * the datasets and would drop a per-dataset setting. Appends then
	     * go straight to their rows; a cached chunk would be rewritten
	     * whole at every flush (64 KiB per dataset per record, measured). */
	    H5Pset_cache(fapl, 0, 0, 0, 1.0) < 0)
		goto fail;
	/* no timestamps on the root group either: same run, same bytes */
	if ((fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 || H5Pset_obj_track_times(fcpl, 0) < 0)
		goto fail;
	f->file = H5Fcreate(target, H5F_ACC_TRUNC, fcpl, fapl);
	if (f->file < 0)
		goto fail;
	what = "cannot lay out the run";
	if ((model = make_group(f->file, SCHEMA_MODEL)) < 0 ||
	    (train = make_group(f->file, SCHEMA_TRAIN)) < 0 ||
	    (rec = make_group(f->file, SCHEMA_RECORD)) < 0)
		goto fail;
	if (write_attrs(f->file, model, train, info, m, n) < 0 ||
	    (tokens_other(info) ? tokens_write(model, info->tokens)
				: write_vocab(model, info->vocab, (hsize_t)m->V)) < 0)
		goto fail;
	if (create_train_columns(f, train) < 0)
		goto fail;
	if (create_record_columns(f, rec) < 0 || create_samples(f, info) < 0 ||
	    create_valid(f, info) < 0)
		goto fail;
	H5Gclose(rec);
	H5Gclose(train);
	H5Gclose(model);
	rec = train = model = H5I_INVALID_HID;
	what = "cannot start SWMR writing";
	if (H5Fstart_swmr_write(f->file) < 0)
		goto fail;
	what = "cannot replace the old run";
	if (tmp && rename(tmp, path) < 0) {
		error("%s: %s: %s", path, what, strerror(errno));
		goto fail_said;
	}
	H5Pclose(fapl);
	H5Pclose(fcpl);
	free(tmp);
	f->last_fsync = monotonic_seconds();
	return f;
fail:
	error("%s: %s: %s", path, what, h5_reason());
fail_said:
	if (rec >= 0)
		H5Gclose(rec);
	if (train >= 0)
		H5Gclose(train);
	if (model >= 0)
		H5Gclose(model);
	if (fapl >= 0)
		H5Pclose(fapl);
	if (fcpl >= 0)
		H5Pclose(fcpl);
	abandon(f);
	unlink(target); /* nothing of ours worth keeping: no row was written */
	free(tmp);
	return NULL;
}

/* A resumed run goes on with /record/unit_flow as it began: a run without
 * it (record --no-unit-flow, or written before it existed) drops those
 * columns; --no-unit-flow given to a run that has them is refused, since
 * the run would stop at the rows they have. Returns 0 or -1 (message). */
static int follow_unit_flow(struct runfile *f, hid_t rec)
{
	int k = 0;
	for (int i = 0; i < f->ncols; i++) {
		htri_t there = 1;
		if (f->cols[i].src == SRC_UNIT_FLOW)
			H5E_BEGIN_TRY { there = H5Lexists(rec, f->cols[i].name, H5P_DEFAULT); } H5E_END_TRY;
		if (there > 0 && f->cols[i].src == SRC_UNIT_FLOW && (f->flags & RUNFILE_NO_UNIT_FLOW))
			return error("%s: --no-unit-flow: the run has /record/%s; resume it without "
				     "--no-unit-flow", f->path, f->cols[i].name);
		if (there > 0)
			f->cols[k++] = f->cols[i];
	}
	f->ncols = k;
	return 0;
}

struct runfile *runfile_reopen(const char *path, const struct model *m, int n, int flags,
			       int64_t train_rows, int64_t record_rows, int64_t planned,
			       const char *history)
{
	/* every column the run may have; follow_unit_flow keeps what it has */
	struct runfile *f = runfile_new(path, m, n, flags & ~RUNFILE_NO_UNIT_FLOW);
	if (f)
		f->flags = flags;
	hid_t fapl = H5I_INVALID_HID, g = H5I_INVALID_HID, pg = H5I_INVALID_HID;
	hbool_t clear = 1;
	const char *what = "cannot reopen the run for writing";
	if (!f)
		return NULL;
	if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
	    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
	    H5Pset_cache(fapl, 0, 0, 0, 1.0) < 0 ||
	    /* what `h5clear -s` does: forget the flag of a writer that died */
	    H5Pset(fapl, "clear_status_flags", &clear) < 0)
		goto fail;
	f->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
	if (f->file < 0)
		goto fail;
	what = "the run does not match its checkpoint (fewer rows, or other datasets)";
	if ((g = H5Gopen2(f->file, SCHEMA_TRAIN, H5P_DEFAULT)) < 0)
		goto fail;
	for (int i = 0; i < TRAIN_COLS; i++)
		if (col_reopen(&f->train[i], g, schema_train[i].name,
			       schema_mtype(schema_train[i].type), train_rows) < 0 &&
		    (!schema_train[i].optional || H5Lexists(g, schema_train[i].name, H5P_DEFAULT) != 0 ||
		     col_backfill(&f->train[i], g, i, train_rows) < 0))
			goto fail;
	H5Gclose(g);
	if ((g = H5Gopen2(f->file, SCHEMA_RECORD, H5P_DEFAULT)) < 0)
		goto fail;
	if (follow_unit_flow(f, g) < 0)
		goto fail_said;
	for (f->nrec = 0; f->nrec < f->ncols; f->nrec++) {
		const struct reccol *c = &f->cols[f->nrec];
		if (c->in_params && pg < 0 && (pg = H5Gopen2(g, SCHEMA_PARAMS, H5P_DEFAULT)) < 0)
			goto fail;
		if (col_reopen(&f->rec[f->nrec], c->in_params ? pg : g, c->name,
			       schema_mtype(c->type), record_rows) < 0)
			goto fail;
	}
	if (pg >= 0)
		H5Gclose(pg);
	pg = H5I_INVALID_HID;
	H5Gclose(g);
	g = H5I_INVALID_HID;
	/* A killed writer may have allocated a chunk (one per dataset at most)
	 * without writing it, so the file can end where that chunk starts:
	 * the end of allocation must go past the file's end by every chunk,
	 * or new data lands outside it ("addr overflow"). This is what
	 * h5clear --increment is for. */
	if (reopen_every(f, SCHEMA_SAMPLES, A_SAMPLE_EVERY, f->samples, SCHEMA_SAMPLES_BATCH,
			 H5T_NATIVE_INT64, SCHEMA_SAMPLES_TEXT, H5T_NATIVE_UINT8, train_rows,
			 &f->has_samples) < 0 ||
	    reopen_every(f, SCHEMA_VALID, A_VALID_EVERY, f->valid, SCHEMA_VALID_BATCH,
			 H5T_NATIVE_INT64, SCHEMA_VALID_LOSS, H5T_NATIVE_FLOAT, train_rows,
			 &f->has_valid) < 0)
		goto fail;
	what = "cannot move the end of allocation";
	hsize_t margin = 0;
	for (int i = 0; i < TRAIN_COLS; i++)
		margin += f->train[i].chunk_size;
	for (int i = 0; i < f->nrec; i++)
		margin += f->rec[i].chunk_size;
	for (int i = 0; f->has_samples && i < 2; i++)
		margin += f->samples[i].chunk_size;
	for (int i = 0; f->has_valid && i < 2; i++)
		margin += f->valid[i].chunk_size;
	if (H5Fincrement_filesize(f->file, margin) < 0)
		goto fail;
	what = "cannot cut the run back to its checkpoint";
	for (int i = 0; i < TRAIN_COLS; i++)
		if (col_cut(&f->train[i], train_rows) < 0)
			goto fail;
	for (int i = 0; i < f->nrec; i++)
		if (col_cut(&f->rec[i], record_rows) < 0)
			goto fail;
	for (int i = 0; f->has_samples && i < 2; i++)
		if (col_cut(&f->samples[i], f->samples[i].dims[0]) < 0)
			goto fail;
	for (int i = 0; f->has_valid && i < 2; i++)
		if (col_cut(&f->valid[i], f->valid[i].dims[0]) < 0)
			goto fail;
	/* the plan (raised when the run is extended) and the history: only
	 * before SWMR writing may attributes change, and only once the run
	 * is known to fit, so a refused resume changes nothing */
	what = "cannot record the resume in the run's attributes";
	if (h5_attr_append_line(f->file, schema_attrs[A_HISTORY].name, history) < 0 ||
	    (g = H5Gopen2(f->file, SCHEMA_TRAIN, H5P_DEFAULT)) < 0 ||
	    h5_attr_set_i64(g, schema_attrs[A_BATCHES].name, planned) < 0)
		goto fail;
	H5Gclose(g);
	g = H5I_INVALID_HID;
	what = "cannot start SWMR writing";
	if (H5Fstart_swmr_write(f->file) < 0)
		goto fail;
	H5Pclose(fapl);
	f->last_fsync = monotonic_seconds();
	return f;
fail:
	error("%s: %s: %s", path, what, h5_reason());
fail_said:
	if (pg >= 0)
		H5Gclose(pg);
	if (g >= 0)
		H5Gclose(g);
	if (fapl >= 0)
		H5Pclose(fapl);
	abandon(f);
	return NULL;
}

int runfile_sync(struct runfile *f)
{
	void *handle = NULL;
	if (H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
		return error("%s: cannot flush: %s", f->path, h5_reason());
	if (H5Fget_vfd_handle(f->file, H5P_DEFAULT, &handle) >= 0 && handle &&
	    fsync(*(int *)handle) < 0)
		return error("%s: cannot sync: %s", f->path, strerror(errno));
	f->last_fsync = monotonic_seconds();
	return 0;
}

static void maybe_fsync(struct runfile *f, double now)
{
	void *handle = NULL;
	if (now - f->last_fsync < FSYNC_SECONDS)
		return;
	f->last_fsync = now;
	if (H5Fget_vfd_handle(f->file, H5P_DEFAULT, &handle) >= 0 && handle)
		fsync(*(int *)handle);
}

_Static_assert(TRAIN_COLS == RUNFILE_TRAIN_COLS, "runfile.h counts the /train columns");

int train_rows_alloc(struct train_rows *t, size_t cap)
{
	int bad = 0;
	for (int i = 0; i < TRAIN_COLS; i++)
		bad |= !(t->col[i] = malloc(cap * schema_elem(schema_train[i].type)));
	t->n = 0;
	t->cap = cap;
	if (bad) {
		train_rows_free(t);
		return -1;
	}
	return 0;
}

void train_rows_free(struct train_rows *t)
{
	for (int i = 0; i < TRAIN_COLS; i++) {
		free(t->col[i]);
		t->col[i] = NULL;
	}
	t->n = t->cap = 0;
}

/* What fills each /train column (schema_train's types). */
void train_rows_add(struct train_rows *t, const struct batch_stats *st)
{
	((int64_t *)t->col[TRAIN_BATCH])[t->n] = st->batch;
	((float *)t->col[TRAIN_LOSS])[t->n] = st->loss;
	((float *)t->col[TRAIN_GRAD_NORM])[t->n] = st->grad_norm;
	((uint8_t *)t->col[TRAIN_NONFINITE])[t->n] = (uint8_t)(st->nonfinite != 0);
	((float *)t->col[TRAIN_CLIP_SHARE])[t->n] = st->clip_share;
	t->n++;
}

/* The one line a failed write prints: what could not be written and the
 * system's reason, and, when it is room that is missing, how to go on. A
 * second failure (the /train rows behind a record that failed) adds no
 * line: the first said it. Returns -1. */
static int write_failed(struct runfile *f, const char *what, const char *why, int no_room)
{
	int first = !f->failed;
	f->failed = 1;
	if (first)
		error("%s: cannot write %s: %s%s", f->path, what, why,
		      !no_room ? "" : (f->flags & RUNFILE_LIBRARY) ? "; what was written stays readable"
		      : "; what was written stays readable: make room, then the same command with "
			"--resume goes on");
	return -1;
}

int runfile_write_train(struct runfile *f, const struct train_rows *t)
{
	if (!t->n)
		return 0;
	if (claim_room(f, train_new_bytes(f, t->n)) < 0)
		return write_failed(f, "/train", sys_reason(errno), 1);
	for (int i = 0; i < TRAIN_COLS; i++)
		if (col_append(&f->train[i], t->n, t->col[i]) < 0)
			return write_failed(f, "/train", h5_reason(), 0);
	/* the batch numbers last: the values are flushed before the rows
	 * that name them */
	for (int i = 1; i <= TRAIN_COLS; i++)
		if (H5Dflush(f->train[i % TRAIN_COLS].dset) < 0)
			return write_failed(f, "/train", h5_reason(), 0);
	maybe_fsync(f, monotonic_seconds());
	return 0;
}

int runfile_add_record(struct runfile *f, const struct record *r)
{
	int i;
	/* and room for a new chunk of every /train column besides: when a
	 * record no longer fits, the /train rows queued behind it still do,
	 * so the run tells how far training went */
	hsize_t bytes = ROOM_SLACK;
	for (i = 0; i < TRAIN_COLS; i++)
		bytes += f->train[i].chunk_size;
	for (i = 0; i < f->nrec; i++)
		bytes += col_new_bytes(&f->rec[i], 1);
	char what[64];
	snprintf(what, sizeof(what), "record of batch %lld", (long long)r->batch);
	if (claim_room(f, bytes) < 0)
		return write_failed(f, what, sys_reason(errno), 1);
	for (i = 0; i < f->nrec; i++)
		if (col_append(&f->rec[i], 1, reccol_row(&f->cols[i], r)) < 0)
			return write_failed(f, what, h5_reason(), 0);
	for (i = 0; i < f->nrec; i++)
		if (H5Dflush(f->rec[i].dset) < 0)
			return write_failed(f, what, h5_reason(), 0);
	return 0;
}

/* Gives back the room claimed past the end of a closed run (claim_room):
 * its end of allocation is read back from its superblock. */
static void give_back_room(const char *path, int fd)
{
	hid_t file = H5I_INVALID_HID;
	haddr_t eoa;
	struct stat st;
	H5E_BEGIN_TRY { file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
	if (file < 0)
		return;
	int got = H5Fget_eoa(file, &eoa) >= 0;
	H5Fclose(file);
	if (got && fstat(fd, &st) == 0 && (hsize_t)st.st_size > (hsize_t)eoa &&
	    ftruncate(fd, (off_t)eoa) < 0)
		return; /* the room stays claimed: the run is sound either way */
}

int runfile_close(struct runfile *f)
{
	int rc = 0, failed = f->failed;
	hid_t file = f->file;
	void *handle = NULL;
	int fd = -1;
	char *path = strdup(f->path);

	if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle)
		fd = dup(*(int *)handle);
	free_runfile(f);
	if (H5Fclose(file) < 0) /* after a failed write, that was the message */
		rc = failed ? -1 : error("cannot close the run file: %s", h5_reason());
	else if (fd >= 0 && path)
		give_back_room(path, fd);
	free(path);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			rc = error("cannot sync the run file: %s", strerror(errno));
		close(fd);
	}
	return rc;
}
