/*
 * info.c - rnnbow info: what a run holds, in words for a person, or as one
 * JSON object for scripts.
 */
#include "commands.h"
#include "opts.h"
#include "../formats/h5util.h"
#include "../formats/json.h"
#include "../formats/msg.h"
#include "../formats/runread.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: rnnbow info [--format text|json] RUN.h5|-\n"
	"\n"
	"Say what a run file holds: model (cell, layers, gates), corpus, training,\n"
	"records and the datasets of each layer, size.\n"
	"A run still being written is read as it stands (committed rows).\n"
	"\n"
	"  --format F   text (default) or json (one object, for scripts)\n"
	"  -h, --help   show this help\n";

/* The per-layer datasets of /record that info lists, in this order, with
 * the suffix _l<l> above layer 0 (docs/FORMAT.md). */
static const char *const layer_datasets[] = {
	"itemized", "truncation_error", "itemized_gates", "truncation_error_gates",
	"h0", "c0", "hidden", "cell",
};
#define NLAYER_DATASETS 8
#define MAX_LISTED_LAYERS 64

struct run_summary {
	char software_version[64], created[64], command_line[4096];
	char history[16384]; /* lines: resumes and extensions, oldest first */
	char corpus_name[1024], corpus_sha256[80];
	char cell[32], activation[32], optimizer[32], gate_names[64];
	int64_t corpus_bytes, H, V, n, layers, gates, batches, record_every;
	double forget_bias;
	int has_forget_bias;
	int listed_layers;                      /* min(layers, MAX_LISTED_LAYERS) */
	unsigned layer_data[MAX_LISTED_LAYERS]; /* bit i: layer_datasets[i] is there */
	int64_t train_rows, record_rows, first_rec, last_rec, size, loss_window;
	int64_t seed;
	double init_scale, lr, clip, recent_loss;
	int has_params, has_hidden, has_checkpoint;
};

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

/* "record/itemized_gates_l1" for dataset i of layer l, into buf. */
static void layer_dataset(char *buf, size_t len, int i, int l)
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
	s->listed_layers = s->layers < 1 ? 1 : s->layers > MAX_LISTED_LAYERS ?
			   MAX_LISTED_LAYERS : (int)s->layers;
	for (int l = 0; l < s->listed_layers; l++)
		for (int i = 0; i < NLAYER_DATASETS; i++) {
			layer_dataset(name, sizeof(name), i, l);
			snprintf(path, sizeof(path), "record/%s", name);
			if (exists(f, path))
				s->layer_data[l] |= 1u << i;
		}
}

static void summarize_run(struct run_summary *s, const struct run *r)
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

/* What follows the cell's name: "tanh" for a vanilla cell, "gates
 * i,f,g,o; forget bias 1" for LSTM, "gates r,z,n" for GRU. */
static void cell_detail(char *buf, size_t len, const struct run_summary *s)
{
	if (!s->gate_names[0]) {
		snprintf(buf, len, "%s", s->activation);
		return;
	}
	snprintf(buf, len, "gates %s", s->gate_names);
	if (s->has_forget_bias)
		snprintf(buf + strlen(buf), len - strlen(buf), "; forget bias %g", s->forget_bias);
}

/* One line per layer: the datasets of /record it has. */
static void print_layer_data(FILE *out, const struct run_summary *s)
{
	char name[64];
	for (int l = 0; l < s->listed_layers; l++) {
		fprintf(out, "layer %d:%s", l, l < 10 ? " " : "");
		for (int i = 0, first = 1; i < NLAYER_DATASETS; i++) {
			if (!(s->layer_data[l] & (1u << i)))
				continue;
			layer_dataset(name, sizeof(name), i, l);
			fprintf(out, "%s%s", first ? "" : ", ", name);
			first = 0;
		}
		fprintf(out, "%s\n", s->layer_data[l] ? "" : "(no datasets)");
	}
	if (s->layers > s->listed_layers)
		fprintf(out, "         (and %lld more layers)\n",
			(long long)(s->layers - s->listed_layers));
}

static void print_text(FILE *out, const struct run_summary *s, const char *path)
{
	char detail[128];
	cell_detail(detail, sizeof(detail), s);
	fprintf(out, "%s: rnnbow run, format 1, written by rnnbow %s on %s\n", path,
	       s->software_version, s->created);
	fprintf(out, "model:   %s (%s), hidden %lld, %lld layer%s, vocab %lld bytes, seq-len %lld, "
	       "init-scale %g\n", s->cell, detail, (long long)s->H, (long long)s->layers,
	       s->layers == 1 ? "" : "s", (long long)s->V, (long long)s->n, s->init_scale);
	fprintf(out, "corpus:  %s, %lld bytes, sha256 %.16s...\n", s->corpus_name,
	       (long long)s->corpus_bytes, s->corpus_sha256);
	fprintf(out, "train:   %s, lr %g, clip %g, seed %lld: %lld of %lld batches%s\n",
		s->optimizer, s->lr, s->clip, (long long)s->seed, (long long)s->train_rows,
		(long long)s->batches,
		s->train_rows >= s->batches ? "" :
		s->has_checkpoint ? " (stopped with a checkpoint: --resume goes on)" :
				    " (stopped early, or still running)");
	if (s->recent_loss >= 0)
		fprintf(out, "         loss %.4f nats per step (mean of the last %lld batches)\n",
		       s->recent_loss, (long long)s->loss_window);
	if (s->record_every == 0)
		fprintf(out, "record:  none (--record-every 0)\n");
	else if (s->record_rows == 0)
		fprintf(out, "record:  every %lld batches, no records yet\n", (long long)s->record_every);
	else
		fprintf(out, "record:  every %lld batches: %lld record%s (batches %lld to %lld)%s%s\n",
		       (long long)s->record_every, (long long)s->record_rows,
		       s->record_rows == 1 ? "" : "s", (long long)s->first_rec, (long long)s->last_rec,
		       s->has_params ? ", with parameters" : "",
		       s->has_hidden ? ", with hidden states" : "");
	print_layer_data(out, s);
	if (s->size >= 0)
		fprintf(out, "size:    %.1f MiB (%lld bytes)\n", s->size / 1048576.0, (long long)s->size);
	fprintf(out, "command: %s\n", s->command_line);
	for (const char *h = s->history, *label = "history: "; *h; label = "         ") {
		size_t len = strcspn(h, "\n");
		fprintf(out, "%s%.*s\n", label, (int)len, h);
		h += len + (h[len] == '\n');
	}
}

/* ,"gate_names":["i","f","g","o"] ([] for a vanilla cell) */
static void print_json_gate_names(const char *names)
{
	char name[64];
	printf(",\"gate_names\":[");
	for (const char *p = names; *p;) {
		size_t w = strcspn(p, ",");
		snprintf(name, sizeof(name), "%.*s", (int)w, p);
		if (p != names)
			putchar(',');
		json_string(stdout, name);
		p += w + (p[w] == ',');
	}
	putchar(']');
}

/* ,"layer_datasets":[["itemized",...],["itemized_l1",...]]: the datasets
 * of /record each layer has (names relative to /record). */
static void print_json_layer_data(const struct run_summary *s)
{
	char name[64];
	printf(",\"layer_datasets\":[");
	for (int l = 0; l < s->listed_layers; l++) {
		printf("%s[", l ? "," : "");
		for (int i = 0, first = 1; i < NLAYER_DATASETS; i++) {
			if (!(s->layer_data[l] & (1u << i)))
				continue;
			layer_dataset(name, sizeof(name), i, l);
			if (!first)
				putchar(',');
			json_string(stdout, name);
			first = 0;
		}
		putchar(']');
	}
	putchar(']');
}

static void print_json(const struct run_summary *s, const char *path)
{
#define JS(key, v) (printf(",\"%s\":", key), json_string(stdout, v))
#define JI(key, v) printf(",\"%s\":%lld", key, (long long)(v))
#define JF(key, v) printf(",\"%s\":%.9g", key, (double)(v))
	printf("{\"path\":");
	json_string(stdout, path);
	JI("format_version", 1);
	JS("software_version", s->software_version);
	JS("created_utc", s->created);
	JS("command_line", s->command_line);
	printf(",\"history\":[");
	for (const char *h = s->history; *h;) {
		size_t len = strcspn(h, "\n");
		char line[sizeof(s->history)];
		snprintf(line, sizeof(line), "%.*s", (int)len, h);
		if (h != s->history)
			putchar(',');
		json_string(stdout, line);
		h += len + (h[len] == '\n');
	}
	putchar(']');
	JS("corpus_name", s->corpus_name);
	JI("corpus_bytes", s->corpus_bytes);
	JS("corpus_sha256", s->corpus_sha256);
	JI("seed", s->seed);
	JS("cell", s->cell);
	JS("activation", s->activation);
	JI("hidden_size", s->H);
	JI("layers", s->layers);
	JI("vocab_size", s->V);
	JI("seq_len", s->n);
	JF("init_scale", s->init_scale);
	JI("gates", s->gates);
	print_json_gate_names(s->gate_names);
	if (s->has_forget_bias)
		JF("forget_bias", s->forget_bias);
	JS("optimizer", s->optimizer);
	JF("learning_rate", s->lr);
	JF("clip", s->clip);
	JI("batches", s->batches);
	JI("batches_trained", s->train_rows);
	if (s->recent_loss >= 0) {
		JF("recent_loss", s->recent_loss);
		JI("recent_loss_batches", s->loss_window);
	}
	JI("record_every", s->record_every);
	JI("records", s->record_rows);
	if (s->record_rows > 0) {
		JI("first_record_batch", s->first_rec);
		JI("last_record_batch", s->last_rec);
	}
	print_json_layer_data(s);
	printf(",\"params_saved\":%s,\"hidden_saved\":%s,\"checkpoint\":%s",
	       s->has_params ? "true" : "false", s->has_hidden ? "true" : "false",
	       s->has_checkpoint ? "true" : "false");
	JI("size_bytes", s->size);
	printf("}\n");
#undef JS
#undef JI
#undef JF
}

int cmd_info(int argc, char **argv)
{
	const char *format = "text";
	const struct opt opts[] = {
		{ "format", 0, OPT_STRING, &format },
		OPT_END,
	};
	int nargs = opts_parse(argc, argv, opts, usage);
	int json = !strcmp(format, "json");
	if (!json && strcmp(format, "text"))
		usage_error(usage, "--format: expected text or json, got '%s'", format);
	if (nargs != 1)
		usage_error(usage, nargs ? "one run file at a time" : "no run file given");

	struct run r;
	struct run_summary s;
	if (run_open(&r, argv[0]) < 0)
		return 1;
	summarize_run(&s, &r);
	if (json)
		print_json(&s, argv[0]);
	else
		print_text(stdout, &s, argv[0]);
	run_close(&r);
	return 0;
}

int info_describe(FILE *out, const char *path)
{
	struct run r;
	struct run_summary s;
	if (run_open(&r, path) < 0)
		return -1;
	summarize_run(&s, &r);
	print_text(out, &s, path);
	run_close(&r);
	return 0;
}
