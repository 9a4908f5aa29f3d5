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
	"Say what a run file holds: model, corpus, training, records, size.\n"
	"A run still being written is read as it stands (committed rows).\n"
	"\n"
	"  --format F   text (default) or json (one object, for scripts)\n"
	"  -h, --help   show this help\n";

struct run_summary {
	char software_version[64], created[64], command_line[4096];
	char corpus_name[1024], corpus_sha256[80];
	char cell[32], activation[32], optimizer[32];
	int64_t corpus_bytes, H, V, n, layers, batches, record_every;
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

static void summarize_run(struct run_summary *s, const struct run *r)
{
	hid_t f = r->file, g;
	memset(s, 0, sizeof(*s));
	h5_attr_get_str(f, "software_version", s->software_version, sizeof(s->software_version));
	h5_attr_get_str(f, "created_utc", s->created, sizeof(s->created));
	h5_attr_get_str(f, "command_line", s->command_line, sizeof(s->command_line));
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
	s->size = run_size(r);
	char ck[4096];
	snprintf(ck, sizeof(ck), "%s.ckpt", r->path);
	s->has_checkpoint = strcmp(r->path, "-") && access(ck, F_OK) == 0;
}

static void print_text(FILE *out, const struct run_summary *s, const char *path)
{
	fprintf(out, "%s: rnnbow run, format 1, written by rnnbow %s on %s\n", path,
	       s->software_version, s->created);
	fprintf(out, "model:   %s (%s), hidden %lld, %lld layer%s, vocab %lld bytes, seq-len %lld, "
	       "init-scale %g\n", s->cell, s->activation, (long long)s->H, (long long)s->layers,
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
	if (s->size >= 0)
		fprintf(out, "size:    %.1f MiB (%lld bytes)\n", s->size / 1048576.0, (long long)s->size);
	fprintf(out, "command: %s\n", s->command_line);
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
