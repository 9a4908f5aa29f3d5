/*
 * runinfo.c - a run summarized for `rnnbow info` (see runinfo.h).
 */
#include "runinfo.h"
#include "h5util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The per-layer datasets of /record that info lists, in this order, with
 * the suffix _l<l> above layer 0 (docs/FORMAT.md). */
static const char *const layer_datasets[] = {
	"itemized", "truncation_error", "itemized_gates", "truncation_error_gates",
	"h0", "c0", "hidden", "cell",
};
_Static_assert(sizeof(layer_datasets) / sizeof(layer_datasets[0]) == RUNINFO_LAYER_DATASETS,
	       "runinfo.h counts the per-layer datasets");

/* Rows [row, row + count) of a 1-D dataset, as mtype. */
static int read_rows(hid_t file, const char *path, int64_t row, hsize_t count, hid_t mtype,
		     void *out)
{
	hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
	hsize_t start = (hsize_t)row;
	int rc = -1;
	H5E_BEGIN_TRY {
		d = H5Dopen2(file, path, H5P_DEFAULT);
		if (d >= 0 && (fs = H5Dget_space(d)) >= 0 &&
		    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0 &&
		    (ms = H5Screate_simple(1, &count, NULL)) >= 0 &&
		    H5Dread(d, mtype, ms, fs, H5P_DEFAULT, out) >= 0)
			rc = 0;
		if (ms >= 0)
			H5Sclose(ms);
		if (fs >= 0)
			H5Sclose(fs);
		if (d >= 0)
			H5Dclose(d);
	} H5E_END_TRY;
	return rc;
}

static int exists(hid_t file, const char *path)
{
	htri_t e;
	H5E_BEGIN_TRY { e = H5Lexists(file, path, H5P_DEFAULT); } H5E_END_TRY;
	return e > 0;
}

void runinfo_layer_dataset(char *buf, size_t len, int i, int l)
{
	if (l)
		snprintf(buf, len, "%s_l%d", layer_datasets[i], l);
	else
		snprintf(buf, len, "%s", layer_datasets[i]);
}

/* Which per-layer datasets the run holds: a vanilla run has itemized,
 * truncation_error and h0 of layer 0; gated cells and layers add more. */
static void find_layer_data(struct run_summary *s, hid_t f)
{
	char name[64], path[80];
	s->listed_layers = s->layers < 1 ? 1 : s->layers > RUNINFO_MAX_LAYERS ?
			   RUNINFO_MAX_LAYERS : (int)s->layers;
	for (int l = 0; l < s->listed_layers; l++)
		for (int i = 0; i < RUNINFO_LAYER_DATASETS; i++) {
			runinfo_layer_dataset(name, sizeof(name), i, l);
			snprintf(path, sizeof(path), "record/%s", name);
			if (exists(f, path))
				s->layer_data[l] |= 1u << i;
		}
}

void run_summarize(struct run_summary *s, const struct run *r)
{
	hid_t f = r->file, g;
	memset(s, 0, sizeof(*s));
	s->layers = 1; /* what a run without these attributes has */
	s->gates = 1;
	h5_attr_get_str(f, "software_version", s->software_version, sizeof(s->software_version));
	h5_attr_get_str(f, "created_utc", s->created, sizeof(s->created));
	h5_attr_get_str(f, "command_line", s->command_line, sizeof(s->command_line));
	h5_attr_get_str(f, "history", s->history, sizeof(s->history));
	h5_attr_get_str(f, "corpus_name", s->corpus_name, sizeof(s->corpus_name));
	h5_attr_get_str(f, "corpus_sha256", s->corpus_sha256, sizeof(s->corpus_sha256));
	h5_attr_get_i64(f, "corpus_bytes", &s->corpus_bytes);
	h5_attr_get_i64(f, "seed", &s->seed);
	H5E_BEGIN_TRY {
		if ((g = H5Gopen2(f, "model", H5P_DEFAULT)) >= 0) {
			h5_attr_get_str(g, "cell", s->cell, sizeof(s->cell));
			if (h5_attr_get_str(g, "input", s->input, sizeof(s->input)) < 0)
				snprintf(s->input, sizeof(s->input), "tokens"); /* record's */
			h5_attr_get_i64(g, "input_size", &s->input_size);
			h5_attr_get_str(g, "activation", s->activation, sizeof(s->activation));
			h5_attr_get_i64(g, "hidden_size", &s->H);
			h5_attr_get_i64(g, "vocab_size", &s->V);
			h5_attr_get_i64(g, "seq_len", &s->n);
			h5_attr_get_i64(g, "layers", &s->layers);
			h5_attr_get_i64(g, "gates", &s->gates);
			h5_attr_get_str(g, "gate_names", s->gate_names, sizeof(s->gate_names));
			s->has_forget_bias = h5_attr_get_f64(g, "forget_bias", &s->forget_bias) == 0;
			h5_attr_get_f64(g, "init_scale", &s->init_scale);
			H5Gclose(g);
		}
		if ((g = H5Gopen2(f, "train", H5P_DEFAULT)) >= 0) {
			h5_attr_get_str(g, "optimizer", s->optimizer, sizeof(s->optimizer));
			h5_attr_get_f64(g, "learning_rate", &s->lr);
			h5_attr_get_f64(g, "clip", &s->clip);
			h5_attr_get_i64(g, "batches", &s->batches);
			h5_attr_get_i64(g, "record_every", &s->record_every);
			H5Gclose(g);
		}
	} H5E_END_TRY;
	s->train_rows = run_rows(r, "train");
	s->record_rows = run_rows(r, "record");
	s->recent_loss = -1;
	if (s->train_rows > 0) { /* mean of the last (up to) 1000 batches */
		float l[1000];
		hsize_t k = s->train_rows < 1000 ? (hsize_t)s->train_rows : 1000;
		if (read_rows(f, "train/loss", s->train_rows - (int64_t)k, k, H5T_NATIVE_FLOAT, l) == 0) {
			double sum = 0;
			for (hsize_t i = 0; i < k; i++)
				sum += l[i];
			s->recent_loss = sum / (double)k;
			s->loss_window = (int64_t)k;
		}
	}
	if (s->record_rows > 0) {
		read_rows(f, "record/batch", 0, 1, H5T_NATIVE_INT64, &s->first_rec);
		read_rows(f, "record/batch", s->record_rows - 1, 1, H5T_NATIVE_INT64, &s->last_rec);
	}
	s->has_params = exists(f, "record/params");
	s->has_hidden = exists(f, "record/hidden");
	find_layer_data(s, f);
	s->size = run_size(r);
	char ck[4096];
	snprintf(ck, sizeof(ck), "%s.ckpt", r->path);
	s->has_checkpoint = strcmp(r->path, "-") && access(ck, F_OK) == 0;
}
