/*
 * lstmvis.c - the LSTMVis file set of a run (see lstmvis.h): the folder
 * rule in exportdir.c, the forward pass in libcore/stream.c; here the
 * HDF5 files, the dictionary and lstm.yml.
 */
#include "lstmvis.h"
#include "exportdir.h"
#include "msg.h"
#include "../libcore/stream.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The set, in commit order: lstm.yml, which makes it a project, last. */
enum { F_STATES, F_WORDS, F_DICT, F_META, F_YML, F_COUNT };
static const char *const file_names[F_COUNT] = {
	"states.hdf5", "train.hdf5", "train.dict", "meta.hdf5", "lstm.yml",
};

/* Steps per chunk of the forward pass: states of 256 steps at H = 512
 * are 0.5 MB a layer. */
#define CHUNK 256

const char *lstmvis_token(char *buf, uint8_t b)
{
	static const char *const named[] = { ['\t'] = "<tab>", ['\n'] = "<nl>", ['\r'] = "<cr>",
					      [' '] = "<sp>" };
	if (b < sizeof(named) / sizeof(named[0]) && named[b])
		snprintf(buf, 8, "%s", named[b]);
	else if (b > ' ' && b < 0x7f)
		snprintf(buf, 8, "%c", b);
	else
		snprintf(buf, 8, "<0x%02x>", b);
	return buf;
}

void lstmvis_word(FILE *out, const char *s, size_t len)
{
	char buf[8];
	if (len == 0) {
		fputs("<empty>", out);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)s[i];
		if (len == 1 || b <= ' ' || b == 0x7f)
			fputs(lstmvis_token(buf, b), out);
		else
			fputc(b, out);
	}
}

/* ---- HDF5 ---- */

/* A new file without timestamps, or H5I_INVALID_HID after a message. */
static hid_t create_file(const char *path)
{
	hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), f = H5I_INVALID_HID;
	if (fcpl >= 0 && H5Pset_obj_track_times(fcpl, 0) >= 0)
		f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
	if (fcpl >= 0)
		H5Pclose(fcpl);
	if (f < 0)
		error("%s: cannot create: %s", path, h5_reason());
	return f;
}

/* A contiguous dataset of rank 1 (cols 0) or 2, or H5I_INVALID_HID after
 * a message. */
static hid_t create_dset(hid_t f, const char *path, const char *name, hid_t type, int64_t rows,
			 int64_t cols)
{
	hsize_t dims[2] = { (hsize_t)rows, (hsize_t)cols };
	hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d = H5I_INVALID_HID;
	if (space >= 0 && dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0)
		d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	if (d < 0)
		error("%s: cannot create %s: %s", path, name, h5_reason());
	return d;
}

/* Rows [row0, row0 + rows) of a (N, cols) dataset (cols 0: rank 1). */
static int write_rows(hid_t d, hid_t mtype, int64_t row0, int64_t rows, int64_t cols,
		      const void *buf)
{
	hsize_t start[2] = { (hsize_t)row0, 0 }, count[2] = { (hsize_t)rows, (hsize_t)cols };
	int rank = cols ? 2 : 1, rc = -1;
	hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, count, NULL);
	if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
	    H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
		rc = 0;
	if (ms >= 0)
		H5Sclose(ms);
	if (fs >= 0)
		H5Sclose(fs);
	return rc;
}

/* Closes f; -1 after a message when the close (the last writes) failed. */
static int close_file(hid_t f, const char *path, int rc)
{
	if (f >= 0 && H5Fclose(f) < 0 && rc == 0)
		return error("%s: cannot write: %s", path, h5_reason());
	return rc;
}

/* ---- the states ---- */

static int layer_wanted(const struct lstmvis_set *s, int l)
{
	return s->layer < 0 || s->layer == l;
}

/* The dataset names of a layer's states: h, and c for LSTM. */
static void state_name(char *buf, size_t len, char kind, int l)
{
	snprintf(buf, len, "%c_l%d", kind, l);
}

static int write_states(const struct lstmvis_set *s, const char *path)
{
	const struct model *m = s->m;
	const int lstm = m->cell == CELL_LSTM;
	hid_t f = create_file(path), dh[MAX_LAYERS], dc[MAX_LAYERS];
	struct rnn_stream st;
	char name[32];
	int rc = -1, have_stream = 0;

	for (int l = 0; l < m->L; l++)
		dh[l] = dc[l] = H5I_INVALID_HID;
	if (f < 0)
		return -1;
	for (int l = 0; l < m->L; l++) {
		if (!layer_wanted(s, l))
			continue;
		state_name(name, sizeof(name), 'h', l);
		if ((dh[l] = create_dset(f, path, name, H5T_IEEE_F32LE, s->N, m->H)) < 0)
			goto out;
		state_name(name, sizeof(name), 'c', l);
		if (lstm && (dc[l] = create_dset(f, path, name, H5T_IEEE_F32LE, s->N, m->H)) < 0)
			goto out;
	}
	if (rnn_stream_init(&st, m, s->N < CHUNK ? (int)s->N : CHUNK) < 0) {
		error("out of memory for the forward pass");
		goto out;
	}
	have_stream = 1;
	for (int64_t t0 = 0; t0 < s->N; t0 += st.cap) {
		int count = s->N - t0 < st.cap ? (int)(s->N - t0) : st.cap;
		/* targets: the next step's token (the last step's own) */
		const int32_t *y = t0 + count < s->N ? s->tokens + t0 + 1 : NULL;
		if (rnn_stream_run(&st, s->tokens + t0, y, count, m) < 0) {
			error("out of memory for the forward pass");
			goto out;
		}
		for (int l = 0; l < m->L; l++) {
			if (!layer_wanted(s, l))
				continue;
			if (write_rows(dh[l], H5T_NATIVE_FLOAT, t0, count, m->H,
				       rnn_stream_hidden(&st, l, m)) < 0 ||
			    (lstm && write_rows(dc[l], H5T_NATIVE_FLOAT, t0, count, m->H,
						rnn_stream_cell(&st, l, m)) < 0)) {
				error("%s: cannot write steps %lld..%lld: %s", path, (long long)t0,
				      (long long)(t0 + count - 1), h5_reason());
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (have_stream)
		rnn_stream_free(&st);
	for (int l = 0; l < m->L; l++) {
		if (dh[l] >= 0)
			H5Dclose(dh[l]);
		if (dc[l] >= 0)
			H5Dclose(dc[l]);
	}
	return close_file(f, path, rc);
}

/* ---- word ids, dictionary, tracks ---- */

static int write_one(hid_t f, const char *path, const char *name, hid_t ftype, hid_t mtype,
		     int64_t N, const void *data)
{
	hid_t d = create_dset(f, path, name, ftype, N, 0);
	int rc = d < 0 ? -1 : write_rows(d, mtype, 0, N, 0, data);
	if (d >= 0 && rc < 0)
		error("%s: cannot write %s: %s", path, name, h5_reason());
	if (d >= 0)
		H5Dclose(d);
	return rc;
}

static int write_words(const struct lstmvis_set *s, const char *path)
{
	hid_t f = create_file(path);
	if (f < 0)
		return -1;
	int rc = write_one(f, path, "word_ids", H5T_STD_I32LE, H5T_NATIVE_INT32, s->N, s->tokens);
	return close_file(f, path, rc);
}

static int write_dict(const struct lstmvis_set *s, const char *path)
{
	FILE *out = fopen(path, "w");
	char tok[8];
	if (!out)
		return error("%s: %s", path, sys_reason(errno));
	for (int v = 0; v < s->m->V; v++) {
		if (s->words)
			lstmvis_word(out, s->words->text[v], s->words->len[v]);
		else
			fputs(lstmvis_token(tok, s->vocab[v]), out);
		fprintf(out, " %d\n", v);
	}
	int bad = ferror(out);
	if (fclose(out) != 0 || bad)
		return error("%s: cannot write: %s", path, sys_reason(errno));
	return 0;
}

static int write_meta(const struct lstmvis_set *s, const char *path)
{
	const struct step_meta *t = s->meta;
	hid_t f = create_file(path);
	if (f < 0)
		return -1;
	int rc = write_one(f, path, "bar", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, s->N, t->bar);
	if (!rc)
		rc = write_one(f, path, "max_grad", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, s->N, t->max_grad);
	if (!rc)
		rc = write_one(f, path, "k_exact", H5T_STD_I32LE, H5T_NATIVE_INT32, s->N, t->k_exact);
	if (!rc)
		rc = write_one(f, path, "record_batch", H5T_STD_I64LE, H5T_NATIVE_INT64, s->N, t->batch);
	return close_file(f, path, rc);
}

/* ---- lstm.yml ---- */

/* A YAML double-quoted scalar: \ and " escaped, other bytes outside
 * printable ASCII as \xNN. */
static void yaml_str(FILE *out, const char *str)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < ' ' || *p >= 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* A number YAML 1.1 (PyYAML) reads as a float: a dot and a signed
 * exponent (range bounds are whole numbers or three digits). */
static void yaml_float(FILE *out, double v)
{
	fprintf(out, "%.2e", v);
}

/* How LSTMVis should show a state (docs/chapter/config_states.md): h of
 * every cell but relu lies in [-1, 1] (sigmoid: [0, 1]) and is shown as
 * is; relu's h (>= 0) and the LSTM's c (any real) go through LSTMVis's
 * tanh, which maps them into its range. */
static void yaml_state(FILE *out, const struct model *m, char kind, int l)
{
	const int lstm = m->cell == CELL_LSTM;
	const char *type = lstm && kind == 'h' ? "output" : "state";
	int squash = kind == 'c' || (m->cell == CELL_RNN && m->act == ACT_RELU);
	int unsigned_ = m->cell == CELL_RNN && m->act != ACT_TANH;
	fprintf(out, "    - {type: %s, layer: %d, path: %c_l%d, transform: %s%s}\n", type, l + 1,
		kind, l, squash ? "tanh" : "none", unsigned_ ? ", unsigned: true" : "");
}

/* The top of a track's colour range: its largest value rounded up to
 * three digits (strictly above it, whatever the printing rounds), 1 for
 * a track of zeros. */
static double track_max(const float *v, int64_t N)
{
	double mx = 0.0;
	for (int64_t i = 0; i < N; i++)
		mx = v[i] > mx ? v[i] : mx;
	if (!(mx > 0.0))
		return 1.0;
	double unit = pow(10.0, floor(log10(mx)) - 2);
	return (floor(mx / unit) + 1) * unit;
}

static void yaml_track(FILE *out, const char *name, double lo, double hi, const char *what)
{
	fprintf(out, "  %s: # %s\n    file: meta\n    path: %s\n    vis:\n      type: scalar\n"
		     "      range: [", name, what, name);
	yaml_float(out, lo);
	fputs(", ", out);
	yaml_float(out, hi);
	fputs("]\n", out);
}

static void yaml_meta(FILE *out, const struct lstmvis_set *s)
{
	const struct step_meta *t = s->meta;
	int64_t last = 0;
	for (int64_t i = 0; i < s->N; i++)
		last = t->batch[i] > last ? t->batch[i] : last;
	fputs("\nmeta: # rnnbow's quantities at each step, from the record covering it "
	      "(0 where none does)\n", out);
	yaml_track(out, "bar", 0.0, track_max(t->bar, s->N),
		   "itemized gradient reaching this step, summed over losses");
	yaml_track(out, "max_grad", 0.0, track_max(t->max_grad, s->N),
		   "the covering batch's max gradient");
	yaml_track(out, "k_exact", 0.0, t->n > 1 ? t->n - 1 : 1, "the covering batch's k_exact");
	yaml_track(out, "record_batch", -1.0, last > 0 ? (double)last : 1.0,
		   "training batch of the covering record, -1: none");
}

static int write_yml(const struct lstmvis_set *s, const char *path)
{
	const struct model *m = s->m;
	FILE *out = fopen(path, "w");
	if (!out)
		return error("%s: %s", path, sys_reason(errno));
	fputs("# written by rnnbow export lstmvis\nname: ", out);
	yaml_str(out, s->name);
	fputs("\ndescription: ", out);
	yaml_str(out, s->description);
	fputs("\n\nfiles:\n  states: states.hdf5\n  train: train.hdf5\n  words: train.dict\n", out);
	if (s->meta)
		fputs("  meta: meta.hdf5\n", out);
	fputs("\nword_sequence:\n  file: train\n  path: word_ids\n  dict_file: words\n"
	      "\nstates:\n  file: states\n  types:\n", out);
	for (int l = 0; l < m->L; l++) {
		if (!layer_wanted(s, l))
			continue;
		if (m->cell == CELL_LSTM)
			yaml_state(out, m, 'c', l);
		yaml_state(out, m, 'h', l);
	}
	if (s->meta)
		yaml_meta(out, s);
	int bad = ferror(out);
	if (fclose(out) != 0 || bad)
		return error("%s: cannot write: %s", path, sys_reason(errno));
	return 0;
}

/* ---- the set ---- */

int lstmvis_write(const struct lstmvis_set *s)
{
	int (*const writers[F_COUNT])(const struct lstmvis_set *, const char *) = {
		write_states, write_words, write_dict, write_meta, write_yml,
	};
	struct export_dir d;
	char path[4096];
	if (export_dir_open(&d, s->dir, file_names, F_COUNT, s->force) < 0)
		return -1;
	for (int i = 0; i < F_COUNT; i++) {
		if (i == F_META && !s->meta)
			continue;
		if (writers[i](s, export_dir_part(&d, i, path, sizeof(path))) < 0) {
			export_dir_abort(&d);
			return -1;
		}
	}
	return export_dir_commit(&d);
}
