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
#include "h5util.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRAIN_CHUNK_ROWS 4096
#define RECORD_CHUNK_BYTES 65536
#define FSYNC_SECONDS 5.0

struct column {
	hid_t dset;
	hid_t mtype;      /* memory type of a row's elements */
	hid_t fspace;     /* file dataspace, resized in place on append */
	hid_t mspace1;    /* memory dataspace of one row (the common append) */
	int rank;
	hsize_t dims[4];  /* dims[0] = rows written */
};



/* The /record columns, in the order runfile_add_record writes them. */
enum { R_BATCH, R_POSITION, R_INPUT, R_TARGET, R_PREDICTED, R_LOSS, R_ITEMIZED,
       R_TRUNC, R_H0, R_HIDDEN, R_PARAMS };

struct runfile {
	char *path;
	hid_t file;
	struct column rec[R_PARAMS + P_COUNT]; /* fixed columns, hidden, params */
	int nrec;
	struct column t_batch, t_loss, t_norm, t_nonfinite;
	double last_fsync;
	int failed;     /* a write failed and was reported: closing may fail too */
	const struct model *m;
	int n, flags;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

/* Chunk rows so that a chunk holds about RECORD_CHUNK_BYTES. */
static hsize_t rows_per_chunk(size_t row_bytes, hsize_t cap)
{
	hsize_t r = RECORD_CHUNK_BYTES / (row_bytes ? row_bytes : 1);
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

/* Bytes in one chunk of a column. */
static hsize_t chunk_bytes(const struct column *c)
{
	hsize_t dims[4] = { 0 }, bytes = 0;
	hid_t dcpl = H5Dget_create_plist(c->dset), type = H5Dget_type(c->dset);
	if (dcpl >= 0 && type >= 0 && H5Pget_chunk(dcpl, c->rank, dims) == c->rank) {
		bytes = H5Tget_size(type);
		for (int i = 0; i < c->rank; i++)
			bytes *= dims[i];
	}
	if (type >= 0)
		H5Tclose(type);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	return bytes;
}

/* Opens an existing column that must hold at least rows rows (cut to
 * rows later, by col_cut). */
static int col_reopen(struct column *c, hid_t group, const char *name, hid_t mtype, int64_t rows)
{
	c->dset = c->fspace = c->mspace1 = H5I_INVALID_HID;
	c->mtype = mtype;
	H5E_BEGIN_TRY { c->dset = H5Dopen2(group, name, H5P_DEFAULT); } H5E_END_TRY;
	if (c->dset < 0)
		return -1;
	if ((c->fspace = H5Dget_space(c->dset)) < 0)
		return -1;
	c->rank = H5Sget_simple_extent_dims(c->fspace, c->dims, NULL);
	if (c->rank < 1 || (int64_t)c->dims[0] < rows)
		return -1;
	hsize_t one[4] = { 1 };
	for (int i = 1; i < c->rank; i++)
		one[i] = c->dims[i];
	if ((c->mspace1 = H5Screate_simple(c->rank, one, NULL)) < 0)
		return -1;
	return 0;
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
	d = H5Dcreate2(group, "vocab", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
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

static int write_attrs(hid_t file, hid_t model, hid_t train, const struct run_info *in,
		       const struct model *m, int n)
{
	int bad = 0;
	bad |= h5_attr_put_str(file, "format", RUNFILE_FORMAT);
	bad |= h5_attr_put_i64(file, "format_version", RUNFILE_FORMAT_VERSION);
	bad |= h5_attr_put_str(file, "software_version", in->software_version);
	bad |= h5_attr_put_str(file, "command_line", in->command_line);
	bad |= h5_attr_put_str(file, "created_utc", in->created_utc);
	bad |= h5_attr_put_u64(file, "seed", in->seed);
	bad |= h5_attr_put_str(file, "corpus_name", in->corpus_name);
	bad |= h5_attr_put_i64(file, "corpus_bytes", in->corpus_bytes);
	bad |= h5_attr_put_str(file, "corpus_sha256", in->corpus_sha256);

	bad |= h5_attr_put_str(model, "cell", in->cell);
	bad |= h5_attr_put_str(model, "activation", in->activation);
	bad |= h5_attr_put_i64(model, "hidden_size", m->H);
	bad |= h5_attr_put_i64(model, "layers", in->layers);
	bad |= h5_attr_put_i64(model, "vocab_size", m->V);
	bad |= h5_attr_put_i64(model, "seq_len", n);
	bad |= h5_attr_put_f64(model, "init_scale", in->init_scale);

	bad |= h5_attr_put_str(train, "optimizer", in->optimizer);
	bad |= h5_attr_put_f64(train, "learning_rate", in->learning_rate);
	bad |= h5_attr_put_f64(train, "clip", in->clip);
	bad |= h5_attr_put_i64(train, "batches", in->batches);
	bad |= h5_attr_put_i64(train, "record_every", in->record_every);
	return bad ? -1 : 0;
}

static int create_record_columns(struct runfile *f, hid_t rec)
{
	const hsize_t n = (hsize_t)f->n, H = (hsize_t)f->m->H;
	const hsize_t tail_n[1] = { n }, tail_nn[2] = { n, n }, tail_H[1] = { H };
	const hsize_t tail_nH[2] = { n, H };
	const hsize_t big = 1 << 20;
	struct column *c = f->rec;
	int bad = 0;

	bad |= col_create(&c[R_BATCH], rec, "batch", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL,
			  rows_per_chunk(8, big));
	bad |= col_create(&c[R_POSITION], rec, "position", H5T_STD_I64LE, H5T_NATIVE_INT64, 0,
			  NULL, rows_per_chunk(8, big));
	bad |= col_create(&c[R_INPUT], rec, "input", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, tail_n,
			  rows_per_chunk(4 * n, big));
	bad |= col_create(&c[R_TARGET], rec, "target", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, tail_n,
			  rows_per_chunk(4 * n, big));
	bad |= col_create(&c[R_PREDICTED], rec, "predicted", H5T_STD_I32LE, H5T_NATIVE_INT32, 1,
			  tail_n, rows_per_chunk(4 * n, big));
	bad |= col_create(&c[R_LOSS], rec, "loss", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, tail_n,
			  rows_per_chunk(4 * n, big));
	bad |= col_create(&c[R_ITEMIZED], rec, "itemized", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2,
			  tail_nn, rows_per_chunk(4 * n * n, big));
	bad |= col_create(&c[R_TRUNC], rec, "truncation_error", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
			  1, tail_n, rows_per_chunk(4 * n, big));
	bad |= col_create(&c[R_H0], rec, "h0", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, tail_H,
			  rows_per_chunk(4 * H, big));
	f->nrec = R_HIDDEN;
	if (bad)
		return -1;
	if (f->flags & RUNFILE_HIDDEN) {
		if (col_create(&c[f->nrec++], rec, "hidden", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2,
			       tail_nH, rows_per_chunk(4 * n * H, big)) < 0)
			return -1;
	}
	if (f->flags & RUNFILE_PARAMS) {
		hid_t pg = make_group(rec, "params");
		if (pg < 0)
			return -1;
		for (int i = 0; i < P_COUNT && !bad; i++) {
			const struct param_info *p = &f->m->tab[i];
			hsize_t tail[2] = { p->dims[0], p->dims[1] };
			bad |= col_create(&c[f->nrec++], pg, p->name, H5T_IEEE_F32LE,
					  H5T_NATIVE_FLOAT, p->rank, tail,
					  rows_per_chunk(4 * p->size, big));
		}
		H5Gclose(pg);
	}
	return bad ? -1 : 0;
}

static void free_runfile(struct runfile *f)
{
	for (int i = 0; i < f->nrec; i++)
		col_close(&f->rec[i]);
	col_close(&f->t_batch);
	col_close(&f->t_loss);
	col_close(&f->t_norm);
	col_close(&f->t_nonfinite);
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

struct runfile *runfile_create(const char *path, const struct run_info *info,
			       const struct model *m, int n, int flags)
{
	struct runfile *f = calloc(1, sizeof(*f));
	hid_t fapl = H5I_INVALID_HID, fcpl = H5I_INVALID_HID, model = H5I_INVALID_HID;
	hid_t train = H5I_INVALID_HID;
	hid_t rec = H5I_INVALID_HID;
	const char *what = NULL;
	int fd;

	if (!f) {
		error("out of memory");
		return NULL;
	}
	f->file = H5I_INVALID_HID;
	f->m = m;
	f->n = n;
	f->flags = flags;
	f->path = strdup(path);
	if (!f->path) {
		error("out of memory");
		free_runfile(f);
		return NULL;
	}

	/* Claim the name ourselves first, for a plain reason on failure
	 * (exists, permission, no such directory, is a directory). */
	fd = open(path, O_WRONLY | O_CREAT | (flags & RUNFILE_FORCE ? O_TRUNC : O_EXCL), 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			error("%s: already exists (use --force to overwrite it)", path);
		else
			error("%s: %s", path, strerror(errno));
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
	f->file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
	if (f->file < 0)
		goto fail;
	what = "cannot lay out the run";
	if ((model = make_group(f->file, "model")) < 0 ||
	    (train = make_group(f->file, "train")) < 0 ||
	    (rec = make_group(f->file, "record")) < 0)
		goto fail;
	if (write_attrs(f->file, model, train, info, m, n) < 0 ||
	    write_vocab(model, info->vocab, (hsize_t)m->V) < 0)
		goto fail;
	if (col_create(&f->t_batch, train, "batch", H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL,
		       TRAIN_CHUNK_ROWS) < 0 ||
	    col_create(&f->t_loss, train, "loss", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 0, NULL,
		       TRAIN_CHUNK_ROWS) < 0 ||
	    col_create(&f->t_norm, train, "grad_norm", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 0, NULL,
		       TRAIN_CHUNK_ROWS) < 0 ||
	    col_create(&f->t_nonfinite, train, "nonfinite", H5T_STD_U8LE, H5T_NATIVE_UINT8, 0,
		       NULL, TRAIN_CHUNK_ROWS) < 0)
		goto fail;
	if (create_record_columns(f, rec) < 0)
		goto fail;
	H5Gclose(rec);
	H5Gclose(train);
	H5Gclose(model);
	rec = train = model = H5I_INVALID_HID;
	what = "cannot start SWMR writing";
	if (H5Fstart_swmr_write(f->file) < 0)
		goto fail;
	H5Pclose(fapl);
	H5Pclose(fcpl);
	f->last_fsync = now_seconds();
	return f;
fail:
	error("%s: %s: %s", path, what, h5_reason());
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
	unlink(path); /* nothing of ours worth keeping: no row was written */
	return NULL;
}

struct runfile *runfile_reopen(const char *path, const struct model *m, int n, int flags,
			       int64_t train_rows, int64_t record_rows)
{
	struct runfile *f = calloc(1, sizeof(*f));
	hid_t fapl = H5I_INVALID_HID, g = H5I_INVALID_HID, pg = H5I_INVALID_HID;
	hbool_t clear = 1;
	const char *what = "cannot reopen the run for writing";
	if (!f || !(f->path = strdup(path))) {
		free(f);
		error("out of memory");
		return NULL;
	}
	f->file = H5I_INVALID_HID;
	f->m = m;
	f->n = n;
	f->flags = flags;
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
	static const char *const rec_names[R_HIDDEN] = {
		"batch", "position", "input", "target", "predicted", "loss", "itemized",
		"truncation_error", "h0",
	};
	static const hid_t *const rec_types[R_HIDDEN] = {
		&H5T_NATIVE_INT64_g, &H5T_NATIVE_INT64_g, &H5T_NATIVE_INT32_g, &H5T_NATIVE_INT32_g,
		&H5T_NATIVE_INT32_g, &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_FLOAT_g,
		&H5T_NATIVE_FLOAT_g,
	};
	if ((g = H5Gopen2(f->file, "train", H5P_DEFAULT)) < 0 ||
	    col_reopen(&f->t_batch, g, "batch", H5T_NATIVE_INT64, train_rows) < 0 ||
	    col_reopen(&f->t_loss, g, "loss", H5T_NATIVE_FLOAT, train_rows) < 0 ||
	    col_reopen(&f->t_norm, g, "grad_norm", H5T_NATIVE_FLOAT, train_rows) < 0 ||
	    col_reopen(&f->t_nonfinite, g, "nonfinite", H5T_NATIVE_UINT8, train_rows) < 0)
		goto fail;
	H5Gclose(g);
	if ((g = H5Gopen2(f->file, "record", H5P_DEFAULT)) < 0)
		goto fail;
	for (f->nrec = 0; f->nrec < R_HIDDEN; f->nrec++)
		if (col_reopen(&f->rec[f->nrec], g, rec_names[f->nrec], *rec_types[f->nrec],
			       record_rows) < 0)
			goto fail;
	if ((flags & RUNFILE_HIDDEN) &&
	    col_reopen(&f->rec[f->nrec++], g, "hidden", H5T_NATIVE_FLOAT, record_rows) < 0)
		goto fail;
	if (flags & RUNFILE_PARAMS) {
		if ((pg = H5Gopen2(g, "params", H5P_DEFAULT)) < 0)
			goto fail;
		for (int i = 0; i < P_COUNT; i++)
			if (col_reopen(&f->rec[f->nrec++], pg, m->tab[i].name, H5T_NATIVE_FLOAT,
				       record_rows) < 0)
				goto fail;
		H5Gclose(pg);
		pg = H5I_INVALID_HID;
	}
	H5Gclose(g);
	g = H5I_INVALID_HID;
	/* A killed writer may have allocated a chunk (one per dataset at most)
	 * without writing it, so the file can end where that chunk starts:
	 * the end of allocation must go past the file's end by every chunk,
	 * or new data lands outside it ("addr overflow"). This is what
	 * h5clear --increment is for. */
	what = "cannot move the end of allocation";
	hsize_t margin = 0;
	struct column *all[4 + R_PARAMS + P_COUNT] = { &f->t_batch, &f->t_loss, &f->t_norm,
						      &f->t_nonfinite };
	for (int i = 0; i < f->nrec; i++)
		all[4 + i] = &f->rec[i];
	for (int i = 0; i < 4 + f->nrec; i++)
		margin += chunk_bytes(all[i]);
	if (H5Fincrement_filesize(f->file, margin) < 0)
		goto fail;
	what = "cannot cut the run back to its checkpoint";
	for (int i = 0; i < 4 + f->nrec; i++)
		if (col_cut(all[i], i < 4 ? train_rows : record_rows) < 0)
			goto fail;
	what = "cannot start SWMR writing";
	if (H5Fstart_swmr_write(f->file) < 0)
		goto fail;
	H5Pclose(fapl);
	f->last_fsync = now_seconds();
	return f;
fail:
	error("%s: %s: %s", path, what, h5_reason());
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
	f->last_fsync = now_seconds();
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

int train_rows_alloc(struct train_rows *t, size_t cap)
{
	t->batch = malloc(cap * sizeof(int64_t));
	t->loss = malloc(cap * sizeof(float));
	t->grad_norm = malloc(cap * sizeof(float));
	t->nonfinite = malloc(cap);
	t->n = 0;
	t->cap = cap;
	if (!t->batch || !t->loss || !t->grad_norm || !t->nonfinite) {
		train_rows_free(t);
		return -1;
	}
	return 0;
}

void train_rows_free(struct train_rows *t)
{
	free(t->batch);
	free(t->loss);
	free(t->grad_norm);
	free(t->nonfinite);
	t->nonfinite = NULL;
	t->batch = NULL;
	t->loss = t->grad_norm = NULL;
	t->n = t->cap = 0;
}

void train_rows_add(struct train_rows *t, const struct batch_stats *st)
{
	t->batch[t->n] = st->batch;
	t->loss[t->n] = st->loss;
	t->grad_norm[t->n] = st->grad_norm;
	t->nonfinite[t->n] = (uint8_t)(st->nonfinite != 0);
	t->n++;
}

int runfile_write_train(struct runfile *f, const struct train_rows *t)
{
	if (!t->n)
		return 0;
	if (col_append(&f->t_batch, t->n, t->batch) < 0 ||
	    col_append(&f->t_loss, t->n, t->loss) < 0 ||
	    col_append(&f->t_norm, t->n, t->grad_norm) < 0 ||
	    col_append(&f->t_nonfinite, t->n, t->nonfinite) < 0 ||
	    H5Dflush(f->t_loss.dset) < 0 || H5Dflush(f->t_norm.dset) < 0 ||
	    H5Dflush(f->t_nonfinite.dset) < 0 || H5Dflush(f->t_batch.dset) < 0)
		return f->failed = 1, error("%s: cannot write /train: %s", f->path, h5_reason());
	maybe_fsync(f, now_seconds());
	return 0;
}

int runfile_add_record(struct runfile *f, const struct record *r)
{
	const void *rows[R_PARAMS] = {
		[R_BATCH] = &r->batch, [R_POSITION] = &r->position, [R_INPUT] = r->input,
		[R_TARGET] = r->target, [R_PREDICTED] = r->predicted, [R_LOSS] = r->loss,
		[R_ITEMIZED] = r->itemized, [R_TRUNC] = r->trunc, [R_H0] = r->h0,
	};
	int i = 0;
	for (; i < R_HIDDEN; i++)
		if (col_append(&f->rec[i], 1, rows[i]) < 0)
			goto fail;
	if (f->flags & RUNFILE_HIDDEN)
		if (col_append(&f->rec[i++], 1, r->hidden) < 0)
			goto fail;
	if (f->flags & RUNFILE_PARAMS)
		for (int p = 0; p < P_COUNT; p++, i++)
			if (col_append(&f->rec[i], 1, r->params + f->m->tab[p].offset) < 0)
				goto fail;
	for (i = 0; i < f->nrec; i++)
		if (H5Dflush(f->rec[i].dset) < 0)
			goto fail;
	return 0;
fail:
	f->failed = 1;
	return error("%s: cannot write record of batch %lld: %s", f->path,
		     (long long)r->batch, h5_reason());
}

int runfile_close(struct runfile *f)
{
	int rc = 0, failed = f->failed;
	hid_t file = f->file;
	void *handle = NULL;
	int fd = -1;

	if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle)
		fd = dup(*(int *)handle);
	free_runfile(f);
	if (H5Fclose(file) < 0) /* after a failed write, that was the message */
		rc = failed ? -1 : error("cannot close the run file: %s", h5_reason());
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			rc = error("cannot sync the run file: %s", strerror(errno));
		close(fd);
	}
	return rc;
}
