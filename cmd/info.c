/*
 * info.c - rnnbow info: what a run holds, in words for a person, or as one
 * JSON object for scripts.
 */
#include "commands.h"
#include "opts.h"
#include "../formats/json.h"
#include "../formats/msg.h"
#include "../formats/runinfo.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow info [--format text|json] [--component C] RUN.h5|-\n"
	"\n"
	"Say what a run file holds: model (cell, layers, gates), corpus, training,\n"
	"records and the datasets of each layer, size.\n"
	"A run still being written is read as it stands (committed rows).\n"
	"\n";

/* What follows the cell's name: "tanh" for a vanilla cell, "gates
 * i,f,g,o; forget bias 1" for LSTM, "gates r,z,n" for GRU. */
static void cell_detail(char *buf, size_t len, const struct run_summary *s)
{
	if (!s->gate_names[0] || s->ncomp) {
		snprintf(buf, len, "%s", s->activation);
		return;
	}
	snprintf(buf, len, "gates %s", s->gate_names);
	if (s->has_forget_bias)
		snprintf(buf + strlen(buf), len - strlen(buf), "; forget bias %g", s->forget_bias);
}

/* Whether layer dataset i lies under /record/diag. */
static int is_diag(int i)
{
	return i >= L_DIAG_SATURATED && i <= L_DIAG_DEAD;
}

/* The diagnostics every layer has (/record/diag), on a line of their
 * own: a run without them (older, or --no-diagnostics) has no such line. */
static void print_diag_data(FILE *out, const struct run_summary *s)
{
	if (!(s->layer_data[0] & (1u << L_DIAG_SATURATED)))
		return;
	fprintf(out, "diag:    ");
	for (int i = L_DIAG_SATURATED, first = 1; i <= L_DIAG_DEAD; i++)
		if (s->layer_data[0] & (1u << i)) {
			fprintf(out, "%s%s", first ? "" : ", ",
				schema_layer[i].name + strlen(SCHEMA_DIAG "/"));
			first = 0;
		}
	fprintf(out, " of every layer (/record/diag)\n");
}

/* One line per layer: the datasets of /record it has (the diagnostics
 * aside: print_diag_data). */
static void print_layer_data(FILE *out, const struct run_summary *s)
{
	char name[64];
	for (int l = 0; l < s->listed_layers; l++) {
		fprintf(out, "layer %d:%s", l, l < 10 ? " " : "");
		for (int i = 0, first = 1; i < RUNINFO_LAYER_DATASETS; i++) {
			if (!(s->layer_data[l] & (1u << i)) || is_diag(i))
				continue;
			runinfo_comp_dataset(name, sizeof(name), s->comp, i, l);
			fprintf(out, "%s%s", first ? "" : ", ", name);
			first = 0;
		}
		fprintf(out, "%s\n", s->layer_data[l] ? "" : "(no datasets)");
	}
	if (s->layers > s->listed_layers)
		fprintf(out, "         (and %lld more layers)\n",
			(long long)(s->layers - s->listed_layers));
}

/* A mix: its components, and whose datasets the layer lines list. */
static void print_components(FILE *out, const struct run_summary *s)
{
	fprintf(out, "mix:     %d components, logits averaged: ", s->ncomp);
	for (const char *p = s->components; *p;) {
		size_t w = strcspn(p, ",");
		fprintf(out, "%s%.*s", p == s->components ? "" : ", ", (int)w, p);
		p += w + (p[w] == ',');
	}
	/* diagnostics: per component since they were recorded for a mix */
	fprintf(out, "; layers below: %s's (--component)%s\n", s->comp,
		s->layer_data[0] & (1u << L_DIAG_SATURATED) ? "" : "; no diagnostics");
}

static void print_text(FILE *out, const struct run_summary *s, const char *path)
{
	char detail[128];
	cell_detail(detail, sizeof(detail), s);
	fprintf(out, "%s: rnnbow run, format 1, written by rnnbow %s on %s\n", path,
	       s->software_version, s->created);
	const char *unit = !*s->tokens ? "bytes" : !strcmp(s->tokens, "utf8") ? "code points" :
			   !strcmp(s->tokens, "words") ? "words" : "ids";
	fprintf(out, "model:   %s (%s), hidden %lld, %lld layer%s, vocab %lld %s, seq-len %lld, "
	       "init-scale %g\n", s->cell, detail, (long long)s->H, (long long)s->layers,
	       s->layers == 1 ? "" : "s", (long long)s->V, unit, (long long)s->n, s->init_scale);
	if (*s->tokens)
		fprintf(out, "tokens:  %s, %lld in the corpus: %s\n", s->tokens,
			(long long)s->corpus_tokens, s->token_preview);
	fprintf(out, "corpus:  %s, %lld bytes, sha256 %.16s...\n", s->corpus_name,
	       (long long)s->corpus_bytes, s->corpus_sha256);
	if (s->ncomp)
		print_components(out, s);
	if (!strcmp(s->input, "dense"))
		fprintf(out, "input:   dense, %lld features per step (no token ids)\n",
			(long long)s->input_size);
	fprintf(out, "train:   %s, lr %g, clip %g, seed %lld: %lld of %lld batches%s\n",
		s->optimizer, s->lr, s->clip, (long long)s->seed, (long long)s->train_rows,
		(long long)s->batches,
		s->train_rows >= s->batches ? "" :
		s->has_checkpoint ? " (stopped with a checkpoint: --resume goes on)" :
				    " (stopped early, or still running)");
	if (s->recent_loss >= 0)
		fprintf(out, "         loss %.4f nats per step (mean of the last %lld batches)\n",
		       s->recent_loss, (long long)s->loss_window);
	if (s->lr_decay > 0)
		fprintf(out, "         lr x %g every epoch (%lld batches) from batch %lld on\n",
			s->lr_decay, (long long)s->epoch_batches, (long long)s->lr_decay_after);
	if (s->batch_size > 1)
		fprintf(out, "batch:   %lld sequences; records itemize the first %lld together "
			"(readers show one's text and loss: --sequence)\n", (long long)s->batch_size,
			(long long)s->record_sequences);
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
	if (s->sample_every > 0 && s->sample_rows)
		fprintf(out, "samples: every %lld batches, %lld bytes: %lld sample%s (batches %lld to "
			"%lld)\n", (long long)s->sample_every, (long long)s->sample_length,
			(long long)s->sample_rows, s->sample_rows == 1 ? "" : "s",
			(long long)s->first_sample, (long long)s->last_sample);
	else if (s->sample_every > 0)
		fprintf(out, "samples: every %lld batches, %lld bytes: no samples yet\n",
			(long long)s->sample_every, (long long)s->sample_length);
	if (s->valid_every > 0 && s->valid_rows)
		fprintf(out, "valid:   every %lld batches, %lld steps of %s: last %.4f (batch %lld), "
			"best %.4f (batch %lld)\n", (long long)s->valid_every,
			(long long)s->valid_steps, s->valid_source, s->valid_last,
			(long long)s->valid_last_batch, s->valid_best, (long long)s->valid_best_batch);
	else if (s->valid_every > 0)
		fprintf(out, "valid:   every %lld batches, %lld steps of %s: no rows yet\n",
			(long long)s->valid_every, (long long)s->valid_steps, s->valid_source);
	print_diag_data(out, s);
	if (s->size >= 0)
		fprintf(out, "size:    %.1f MiB (%lld bytes)\n", s->size / 1048576.0, (long long)s->size);
	if (*s->init)
		fprintf(out, "init:    parameters from %s (record --init)\n", s->init);
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
		for (int i = 0, first = 1; i < RUNINFO_LAYER_DATASETS; i++) {
			if (!(s->layer_data[l] & (1u << i)) || is_diag(i))
				continue;
			runinfo_comp_dataset(name, sizeof(name), s->comp, i, l);
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
	if (*s->init)
		JS("init", s->init);
	JS("corpus_name", s->corpus_name);
	JI("corpus_bytes", s->corpus_bytes);
	JS("corpus_sha256", s->corpus_sha256);
	JI("seed", s->seed);
	JS("cell", s->cell);
	JS("input", s->input);
	if (!strcmp(s->input, "dense"))
		JI("input_size", s->input_size);
	JS("activation", s->activation);
	JI("hidden_size", s->H);
	JI("layers", s->layers);
	JI("vocab_size", s->V);
	if (*s->tokens) { /* a run of other tokens than bytes */
		JS("tokens", s->tokens);
		JI("corpus_tokens", s->corpus_tokens);
		JS("token_preview", s->token_preview);
	}
	JI("seq_len", s->n);
	JF("init_scale", s->init_scale);
	JI("gates", s->gates);
	print_json_gate_names(s->gate_names);
	if (s->ncomp) { /* "components":["rnn","lstm","gru"],"component":"rnn" */
		printf(",\"components\":[");
		for (const char *p = s->components; *p;) {
			char name[16];
			size_t w = strcspn(p, ",");
			snprintf(name, sizeof(name), "%.*s", (int)w, p);
			if (p != s->components)
				putchar(',');
			json_string(stdout, name);
			p += w + (p[w] == ',');
		}
		putchar(']');
		JS("component", s->comp);
	}
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
	if (s->batch_size > 1) {
		JI("batch_size", s->batch_size);
		JI("record_sequences", s->record_sequences);
	}
	JI("records", s->record_rows);
	if (s->record_rows > 0) {
		JI("first_record_batch", s->first_rec);
		JI("last_record_batch", s->last_rec);
	}
	print_json_layer_data(s);
	if (s->sample_every > 0) {
		JI("sample_every", s->sample_every);
		JI("sample_length", s->sample_length);
		JI("samples", s->sample_rows);
	}
	if (s->lr_decay > 0) {
		JF("lr_decay", s->lr_decay);
		JI("lr_decay_after", s->lr_decay_after);
		JI("epoch_batches", s->epoch_batches);
	}
	if (s->valid_every > 0) {
		JI("valid_every", s->valid_every);
		JI("valid_steps", s->valid_steps);
		JS("valid_source", s->valid_source);
		JI("valid_rows", s->valid_rows);
		if (s->valid_rows > 0) {
			JF("valid_last_loss", s->valid_last);
			JI("valid_last_batch", s->valid_last_batch);
			JF("valid_best_loss", s->valid_best);
			JI("valid_best_batch", s->valid_best_batch);
		}
	}
	printf(",\"diagnostics\":[");
	for (int i = L_DIAG_SATURATED, first = 1; i <= L_DIAG_DEAD; i++)
		if (s->layer_data[0] & (1u << i)) {
			if (!first)
				putchar(',');
			json_string(stdout, schema_layer[i].name + strlen(SCHEMA_DIAG "/"));
			first = 0;
		}
	putchar(']');
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
	const char *format = "text", *component = NULL;
	const struct opt opts[] = {
		{ "format", 0, OPT_STRING, &format, .arg = "F",
		  .help = "text (default) or json (one object, for scripts)" },
		{ "component", 0, OPT_STRING, &component, .arg = "C",
		  .help = "a mix: list the datasets of component C (a name\n"
			  "or an index; default: the first)" },
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
	if (run_summarize_comp(&s, &r, component) < 0) {
		error("%s: no component '%s' (the run has %s)", argv[0], component, s.components);
		run_close(&r);
		return 1;
	}
	if (json)
		print_json(&s, argv[0]);
	else
		print_text(stdout, &s, argv[0]);
	run_close(&r);
	return 0;
}

int info_describe(FILE *out, const char *path, const char *component)
{
	struct run r;
	struct run_summary s;
	if (run_open(&r, path) < 0)
		return -1;
	if (run_summarize_comp(&s, &r, component) < 0) {
		run_close(&r);
		return error("%s: no component '%s' (the run has %s)", path, component,
			     s.components);
	}
	print_text(out, &s, path);
	run_close(&r);
	return 0;
}
