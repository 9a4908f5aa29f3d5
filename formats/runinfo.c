/*
 * runinfo.c - a run summarized for `rnnbow info` (see runinfo.h).
 */
#include "runinfo.h"
#include "h5util.h"
#include "table.h"
#include "tokenio.h"
#include "validread.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Rows [row, row + count) of the dataset at path, as mtype; quiet: info
 * shows what there is. */
static int read_rows(hid_t file, const char *path, int64_t row, int64_t count, hid_t mtype,
		     void *out)
{
	hid_t d = H5I_INVALID_HID;
	int rc = -1;
	H5E_BEGIN_TRY {
		d = H5Dopen2(file, path, H5P_DEFAULT);
		if (d >= 0) {
			rc = h5_read_rows(d, row, count, -1, mtype, out);
			H5Dclose(d);
		}
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
	schema_layer_name(buf, len, schema_layer[i].name, l);
}

void runinfo_comp_dataset(char *buf, size_t len, const char *comp, int i, int l)
{
	schema_comp_layer_name(buf, len, comp, schema_layer[i].name, l);
}

/* Which per-layer datasets the run holds: a vanilla run has itemized,
 * truncation_error and h0 of layer 0; gated cells and layers add more. */
static void find_layer_data(struct run_summary *s, hid_t f)
{
	char path[80];
	s->listed_layers = s->layers < 1 ? 1 : s->layers > RUNINFO_MAX_LAYERS ?
			   RUNINFO_MAX_LAYERS : (int)s->layers;
	for (int l = 0; l < s->listed_layers; l++)
		for (int i = 0; i < RUNINFO_LAYER_DATASETS; i++) {
			schema_rec_path_comp(path, sizeof(path), &schema_layer[i], s->comp, l);
			if (exists(f, path))
				s->layer_data[l] |= 1u << i;
		}
}

/* What /model says, as info shows it: a run of `rnnbow record` names no
 * input (its inputs are token ids). */
static void summarize_model(struct run_summary *s, hid_t g)
{
	struct run_model rm;
	run_model_read(&rm, g);
	snprintf(s->cell, sizeof(s->cell), "%s", rm.cell);
	snprintf(s->input, sizeof(s->input), "%s", rm.has_input ? rm.input : "tokens");
	s->input_size = rm.input_size;
	snprintf(s->activation, sizeof(s->activation), "%s", rm.activation);
	s->H = rm.H;
	s->V = rm.V;
	s->n = rm.n;
	s->layers = rm.layers;
	s->gates = rm.gates;
	snprintf(s->gate_names, sizeof(s->gate_names), "%s", rm.gate_names);
	s->has_forget_bias = rm.has_forget_bias;
	s->forget_bias = rm.forget_bias;
	s->init_scale = rm.init_scale;
	snprintf(s->components, sizeof(s->components), "%s", rm.components);
	s->ncomp = rm.ncomp;
	if (rm.ncomp && run_model_component(&rm, NULL) >= 0)
		snprintf(s->comp, sizeof(s->comp), "%s", rm.comp_name);
}

/* /samples: its attributes, committed rows, first and last batch. */
static void summarize_samples(struct run_summary *s, const struct run *r)
{
	char path[80];
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(r->file, SCHEMA_SAMPLES, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return;
	schema_get_i64(g, A_SAMPLE_EVERY, &s->sample_every);
	schema_get_i64(g, A_SAMPLE_LENGTH, &s->sample_length);
	H5Gclose(g);
	s->sample_rows = run_rows(r, SCHEMA_SAMPLES);
	snprintf(path, sizeof(path), "%s/%s", SCHEMA_SAMPLES, SCHEMA_SAMPLES_BATCH);
	if (s->sample_rows > 0) {
		read_rows(r->file, path, 0, 1, H5T_NATIVE_INT64, &s->first_sample);
		read_rows(r->file, path, s->sample_rows - 1, 1, H5T_NATIVE_INT64, &s->last_sample);
	}
}

/* /valid: its attributes, committed rows, the last and the best loss. */
static void summarize_valid(struct run_summary *s, const struct run *r)
{
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(r->file, SCHEMA_VALID, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return;
	schema_get_i64(g, A_VALID_EVERY, &s->valid_every);
	schema_get_i64(g, A_VALID_STEPS, &s->valid_steps);
	schema_get_i64(g, A_VALID_BYTES, &s->valid_bytes);
	schema_get_str(g, A_VALID_SOURCE, s->valid_source, sizeof(s->valid_source));
	H5Gclose(g);
	struct valid_rows v;
	if (valid_rows_read(&v, r) < 0 || v.n == 0)
		return;
	int64_t best = -1;
	for (int64_t i = 0; i < v.n; i++) /* the first of equal lows; NaN never */
		if (v.loss[i] == v.loss[i] && (best < 0 || v.loss[i] < v.loss[best]))
			best = i;
	s->valid_rows = v.n;
	s->valid_last = v.loss[v.n - 1];
	s->valid_last_batch = v.batch[v.n - 1];
	s->valid_best = best < 0 ? NAN : v.loss[best];
	s->valid_best_batch = best < 0 ? -1 : v.batch[best];
	valid_rows_free(&v);
}

int run_summarize_comp(struct run_summary *s, const struct run *r, const char *component)
{
	run_summarize(s, r);
	if (!s->ncomp || !component)
		return 0;
	int count, k = names_in_list(s->components, component, &count);
	if (k < 0)
		return -1;
	const char *p = s->components;
	for (int i = 0; i < k; i++)
		p += strcspn(p, ",") + 1;
	snprintf(s->comp, sizeof(s->comp), "%.*s", (int)strcspn(p, ","), p);
	memset(s->layer_data, 0, sizeof(s->layer_data));
	s->has_hidden = 0;
	find_layer_data(s, r->file);
	s->has_hidden = (s->layer_data[0] >> L_HIDDEN) & 1;
	return 0;
}

/* /model tokens: the kind and the first tokens of the vocabulary. */
static void summarize_tokens(struct run_summary *s, const struct run *r)
{
	struct token_vocab tv;
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY { g = H5Gopen2(r->file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return;
	int has = schema_get_str(g, A_TOKENS, s->tokens, sizeof(s->tokens)) == 0;
	H5Gclose(g);
	if (!has)
		return;
	schema_get_i64(r->file, A_CORPUS_TOKENS, &s->corpus_tokens);
	if (tokens_read(&tv, r->file, r->path, (int)s->V) < 0)
		return;
	size_t k = 0, cap = sizeof(s->token_preview);
	for (int i = 0; i < tv.V && i < 12; i++) {
		char one[64];
		escape_text(one, sizeof(one), tv.text[i], tv.len[i]);
		if (k + strlen(one) + 5 >= cap)
			break;
		k += (size_t)snprintf(s->token_preview + k, cap - k, "%s%s", i ? " " : "", one);
	}
	if (tv.V > 12 && k + 5 < cap)
		snprintf(s->token_preview + k, cap - k, " ...");
	tokens_free(&tv);
}

void run_summarize(struct run_summary *s, const struct run *r)
{
	hid_t f = r->file, g;
	memset(s, 0, sizeof(*s));
	s->layers = 1; /* what a run without these attributes has */
	s->gates = 1;
	schema_get_str(f, A_SOFTWARE_VERSION, s->software_version, sizeof(s->software_version));
	schema_get_str(f, A_CREATED_UTC, s->created, sizeof(s->created));
	schema_get_str(f, A_COMMAND_LINE, s->command_line, sizeof(s->command_line));
	schema_get_str(f, A_HISTORY, s->history, sizeof(s->history));
	schema_get_str(f, A_INIT, s->init, sizeof(s->init));
	schema_get_str(f, A_CORPUS_NAME, s->corpus_name, sizeof(s->corpus_name));
	schema_get_str(f, A_CORPUS_SHA256, s->corpus_sha256, sizeof(s->corpus_sha256));
	schema_get_i64(f, A_CORPUS_BYTES, &s->corpus_bytes);
	schema_get_i64(f, A_SEED, &s->seed);
	H5E_BEGIN_TRY {
		if ((g = H5Gopen2(f, SCHEMA_MODEL, H5P_DEFAULT)) >= 0) {
			summarize_model(s, g);
			H5Gclose(g);
		}
		if ((g = H5Gopen2(f, SCHEMA_TRAIN, H5P_DEFAULT)) >= 0) {
			schema_get_str(g, A_OPTIMIZER, s->optimizer, sizeof(s->optimizer));
			schema_get_f64(g, A_LEARNING_RATE, &s->lr);
			schema_get_f64(g, A_CLIP, &s->clip);
			schema_get_i64(g, A_BATCHES, &s->batches);
			schema_get_i64(g, A_RECORD_EVERY, &s->record_every);
			s->batch_size = s->record_sequences = 1;
			schema_get_i64(g, A_BATCH_SIZE, &s->batch_size);
			schema_get_i64(g, A_RECORD_SEQUENCES, &s->record_sequences);
			schema_get_f64(g, A_LR_DECAY, &s->lr_decay);
			schema_get_i64(g, A_LR_DECAY_AFTER, &s->lr_decay_after);
			schema_get_i64(g, A_EPOCH_BATCHES, &s->epoch_batches);
			H5Gclose(g);
		}
	} H5E_END_TRY;
	summarize_tokens(s, r);
	s->train_rows = run_rows(r, SCHEMA_TRAIN);
	s->record_rows = run_rows(r, SCHEMA_RECORD);
	s->recent_loss = -1;
	char path[80];
	schema_train_path(path, sizeof(path), TRAIN_LOSS);
	if (s->train_rows > 0) { /* mean of the last (up to) 1000 batches */
		float l[1000];
		int64_t k = s->train_rows < 1000 ? s->train_rows : 1000, finite = 0;
		if (read_rows(f, path, s->train_rows - k, k, H5T_NATIVE_FLOAT, l) == 0) {
			/* a batch whose loss is NaN or inf (it blew up, and was
			 * skipped) says nothing of the loss: one would make the
			 * mean NaN */
			double sum = 0;
			for (int64_t i = 0; i < k; i++)
				if (isfinite(l[i])) {
					sum += l[i];
					finite++;
				}
			if (finite) {
				s->recent_loss = sum / (double)finite;
				s->loss_window = finite;
			}
		}
	}
	if (s->record_rows > 0) {
		schema_rec_path(path, sizeof(path), &schema_record_once[R_BATCH], 0);
		read_rows(f, path, 0, 1, H5T_NATIVE_INT64, &s->first_rec);
		read_rows(f, path, s->record_rows - 1, 1, H5T_NATIVE_INT64, &s->last_rec);
	}
	s->has_params = exists(f, SCHEMA_RECORD "/" SCHEMA_PARAMS);
	schema_rec_path_comp(path, sizeof(path), &schema_layer[L_HIDDEN], s->comp, 0);
	s->has_hidden = exists(f, path);
	find_layer_data(s, f);
	summarize_samples(s, r);
	summarize_valid(s, r);
	s->size = run_size(r);
	char ck[4096];
	snprintf(ck, sizeof(ck), "%s.ckpt", r->path);
	s->has_checkpoint = strcmp(r->path, "-") && access(ck, F_OK) == 0;
}
