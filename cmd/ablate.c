/*
 * ablate.c - rnnbow ablate: for a mix of components (record --cell mix),
 * the held-out loss of the model at a record's saved parameters with
 * every component, and with each component's logits left out of the
 * average in turn (the remaining K-1 averaged): how much the mix leans on
 * each. The loss is record --valid's (libcore/valid.h): mean nats per step
 * over the first N steps of the text from a zero state, in chunks of
 * seq_len steps; the text is the run's held-out text unless --text names
 * another. Definitions: docs/ANALYSIS.md "Ablation".
 */
#include "ablatetok.h"
#include "commands.h"
#include "opts.h"
#include "../formats/batchread.h"
#include "../formats/corpus.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../formats/runinfo.h"
#include "../formats/sha256.h"
#include "../formats/table.h"
#include "../libcore/mix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow ablate [OPTIONS] --batch B RUN.h5\n"
	"\n"
	"For a mix of components (rnnbow record --cell mix): the held-out loss of the\n"
	"model at record B's saved parameters with every component, and with each\n"
	"component's logits left out of the average in turn. One row per component:\n"
	"component loss_full loss_without increase. Needs a run recorded with\n"
	"--save-params. See rnnbow-ablate(1).\n"
	"\n";

static const char *const cols[] = {
	"component", "index", "batch", "steps", "loss_full", "loss_without", "increase",
};

struct ablate_opts {
	const char *format, *component, *text;
	enum table_format fmt;
	int64_t batch, steps;
	int steps_seen;
};

/* The text to score, as bytes: --text FILE, else the run's held-out text
 * (record --valid FILE: that file; --valid-share: the corpus' tail, the
 * corpus checked against its sha256). Returns 0, or -1 after one line. */
static int load_text(struct corpus *c, size_t *skip, const struct ablate_opts *o,
		     const struct run_summary *s, const char *file)
{
	char *paths[1];
	*skip = 0;
	if (o->text) {
		paths[0] = (char *)o->text;
		return corpus_load(c, paths, 1, CORPUS_MAX_DEFAULT);
	}
	if (s->valid_every <= 0)
		return error("%s: the run has no held-out text (record --valid, --valid-share): give "
			     "--text FILE", file);
	if (strncmp(s->valid_source, "last ", 5)) { /* --valid FILE */
		paths[0] = (char *)s->valid_source;
		if (corpus_load(c, paths, 1, CORPUS_MAX_DEFAULT) < 0)
			return -1;
		if ((int64_t)c->len != s->valid_bytes) {
			corpus_free(c);
			return error("%s: its held-out text %s has %lld bytes now, %lld when recorded: "
				     "give --text FILE", file, s->valid_source, (long long)c->len,
				     (long long)s->valid_bytes);
		}
		return 0;
	}
	/* --valid-share: the last valid_bytes bytes of the corpus */
	int rc = !strcmp(s->corpus_name, DEFAULT_CORPUS_NAME) ?
		 corpus_from_memory(c, rnnbow_default_corpus, rnnbow_default_corpus_len,
				    DEFAULT_CORPUS_NAME) :
		 strchr(s->corpus_name, ' ') || !strcmp(s->corpus_name, "-") ? -2 :
		 (paths[0] = (char *)s->corpus_name, corpus_load(c, paths, 1, CORPUS_MAX_DEFAULT));
	char sha[65] = "";
	if (rc == 0)
		sha256_hex(sha, c->data, c->len);
	if (rc == -1 || rc == -2 || strcmp(sha, s->corpus_sha256) ||
	    (int64_t)c->len < s->valid_bytes) {
		if (rc == 0)
			corpus_free(c);
		return error("%s: cannot read its corpus %s as it was (its held-out text is the "
			     "corpus' tail): give --text FILE", file, s->corpus_name);
	}
	*skip = c->len - (size_t)s->valid_bytes; /* a mapped corpus is read-only */
	return 0;
}

/* The bytes as the run's token ids (its /model/vocab). Returns 0, or -1
 * after one line naming a byte the vocabulary lacks. */
static int encode(int32_t *ids, const uint8_t *data, size_t len, const struct recread *rr,
		  const char *what)
{
	int32_t id_of[256];
	for (int b = 0; b < 256; b++)
		id_of[b] = -1;
	for (int v = rr->V - 1; v >= 0; v--)
		id_of[rr->vocab[v]] = v;
	for (size_t i = 0; i < len; i++) {
		if (id_of[data[i]] < 0)
			return error("%s: byte 0x%02x at offset %zu is not in the run's vocabulary "
				     "(%d bytes)", what, data[i], i, rr->V);
		ids[i] = id_of[data[i]];
	}
	return 0;
}

/* The text to score as the run's token ids (*ids to free): bytes through
 * load_text and /model/vocab, other tokens through the run's vocabulary
 * (ablatetok.h). At least 2 (one step). Returns 0, or -1 after one line. */
static int text_ids(int32_t **ids, size_t *len, const struct ablate_opts *o,
		    const struct run_summary *s, const struct recread *rr, const char *file)
{
	const char *what = o->text ? o->text : s->valid_source;
	struct corpus c = { 0 };
	size_t skip;
	int rc = -1;
	*ids = NULL;
	if (rr->tokens.kind != TOKENS_BYTES) {
		if (ablate_token_ids(ids, len, o->text, s, &rr->tokens, file) < 0)
			return -1;
	} else {
		if (load_text(&c, &skip, o, s, file) < 0)
			return -1;
		*len = c.len - skip;
		if (*len >= 2 && !(*ids = malloc(*len * sizeof(int32_t))))
			rc = error("out of memory");
		else if (*len < 2 || encode(*ids, c.data + skip, *len, rr, what) == 0)
			rc = 0;
		corpus_free(&c);
		if (rc < 0)
			return -1;
	}
	if (*len < 2)
		return error("%s: the text has %zu %s; it needs at least 2 (one step)",
			     o->text ? o->text : file, *len,
			     rr->tokens.kind == TOKENS_BYTES ? "bytes" : "tokens");
	return 0;
}

/* Evaluates and prints one row per component (or --component's). */
static int ablate(struct table *t, struct batchread *b, const int32_t *ids, size_t len,
		  const struct ablate_opts *o, int64_t default_steps, const char *file)
{
	const struct mix *mx = b->mx;
	int64_t row = batchread_row(b, o->batch);
	if (row < 0)
		return error("%s: batch %lld was not recorded (see rnnbow summarize %s)", file,
			     (long long)o->batch, file);
	int only = o->component ? mix_find(mx, o->component) : -1;
	if (o->component && only < 0)
		return error("%s: no component '%s' (see rnnbow info %s)", file, o->component, file);
	if (batchread_load(b, row) < 0)
		return -1;
	int64_t limit = o->steps_seen ? o->steps : default_steps;
	size_t steps = len - 1;
	if (limit > 0 && (size_t)limit < steps)
		steps = (size_t)limit;
	double sums[MIX_MAX + 1];
	if (mix_eval_sums(mx, ids, steps, b->n, sums) < 0)
		return error("out of memory");
	const double full = sums[0] / (double)steps;
	for (int k = 0; k < mx->K; k++) {
		if (only >= 0 && k != only)
			continue;
		double without = sums[1 + k] / (double)steps;
		table_str(t, mx->name[k]);
		table_int(t, k);
		table_int(t, o->batch);
		table_int(t, (int64_t)steps);
		table_num(t, full);
		table_num(t, without);
		table_num(t, without - full);
		table_end_row(t);
	}
	return 0;
}

/* The run's text, encoded, and the rows. */
static int ablate_run(struct run *run, const struct ablate_opts *o, const char *file)
{
	struct run_summary s;
	struct recread rr;
	struct batchread b;
	struct table t;
	int32_t *ids = NULL;
	int rc = -1;
	run_summarize(&s, run);
	if (recread_open(&rr, run, RC_BATCH) < 0)
		return -1;
	if (!rr.ncomp) {
		recread_close(&rr);
		return error("%s: not a mix of components: nothing to leave out (record one with "
			     "--cell mix)", file);
	}
	if (batchread_open(&b, run) < 0) {
		recread_close(&rr);
		return -1;
	}
	size_t len = 0;
	if (text_ids(&ids, &len, o, &s, &rr, file) == 0) {
		table_begin(&t, stdout, o->fmt, cols, 7);
		rc = ablate(&t, &b, ids, len, o, o->text ? 0 : s.valid_steps, file);
		if (!rc)
			table_finish(&t);
	}
	free(ids);
	batchread_close(&b);
	recread_close(&rr);
	return rc;
}

int cmd_ablate(int argc, char **argv)
{
	struct ablate_opts o = { .format = "tsv", .batch = -1 };
	const struct opt opts[] = {
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18, .arg = "B",
		  .help = "the recorded training batch whose parameters are\n"
			  "evaluated (required)" },
		{ "component", 0, OPT_STRING, &o.component, .arg = "C",
		  .help = "only the row of component C (a name or an index;\n"
			  "default: every component)" },
		{ "text", 0, OPT_STRING, &o.text, .arg = "FILE",
		  .help = "score FILE (tokenized as the run's corpus was) instead\n"
			  "of the run's held-out text (required when it has none)" },
		{ "steps", 0, OPT_INT, &o.steps, 0, 1e15, &o.steps_seen, .arg = "N",
		  .help = "the first N steps of the text (default: the run's\n"
			  "--valid-steps for its held-out text, else all; 0: all)" },
		{ "format", 0, OPT_STRING, &o.format, .arg = "F",
		  .help = "tsv (default), csv or json (one object per line)" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	if (table_format_parse(o.format, &o.fmt))
		usage_error(usage, "--format: expected tsv, csv or json, got '%s'", o.format);
	if (nfiles != 1)
		usage_error(usage, nfiles ? "one run file at a time" : "no run file given");
	if (o.batch < 0)
		usage_error(usage, "--batch B is required (the record whose parameters are evaluated)");
	if (o.component && !o.component[0])
		usage_error(usage, "--component: expected a component's name or index");
	struct run run;
	if (run_open(&run, argv[0]) < 0)
		return 1;
	int rc = ablate_run(&run, &o, argv[0]);
	run_close(&run);
	return rc ? 1 : 0;
}
