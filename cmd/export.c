/*
 * export.c - rnnbow export KIND: a run in the files another tool reads.
 * One kind so far, lstmvis: the hidden states of the model as it was at
 * one record (its saved parameters), run over a text, with rnnbow's own
 * per-step quantities as meta tracks (formats/lstmvis.h says what is
 * written; docs/ANALYSIS.md why).
 *
 * Here: the options, finding the text (the run's corpus unless --text),
 * turning it into token ids (bytes, or the run's words or code points)
 * and gathering the tracks; memory is the
 * text plus 24 bytes a step, the states stream to disk.
 */
#include "commands.h"
#include "opts.h"
#include "../formats/corpus.h"
#include "../formats/lstmvis.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../formats/paramread.h"
#include "../formats/schema.h"
#include "../formats/sha256.h"
#include "../formats/tokenio.h"
#include "../libcore/stepmeta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: rnnbow export KIND [OPTIONS] RUN.h5|- -o DIR\n"
	"\n"
	"KIND:\n"
	"  lstmvis    the hidden states (and LSTM cell states) of the model at\n"
	"             record --batch B, run over the text from zero state, as an\n"
	"             LSTMVis project: DIR/lstm.yml, states.hdf5, train.hdf5,\n"
	"             train.dict, and meta.hdf5 with rnnbow's per-step tracks\n"
	"             (bar, max_grad, k_exact, record_batch) when the text is the\n"
	"             run's corpus. Needs a run recorded with --save-params.\n"
	"\n"
	"DIR is created (with its parents), or must be empty; one holding an\n"
	"earlier export is replaced with --force; one holding other files is\n"
	"never written.\n"
	"\n"
	"options:\n";

static const char *const kinds[] = { "lstmvis" };

struct export_opts {
	const char *output, *text;
	int64_t layer, batch, steps;
	int layer_given;
	double eps;
	int force;
};

/* The text, and whether it is the run's corpus (whose offsets the
 * records' positions are). */
struct text {
	struct corpus c;
	int is_corpus;
};

/* A root attribute string of the run, "" when missing. */
static void root_str(const struct run *r, enum schema_attr_id id, char *buf, size_t len)
{
	buf[0] = 0;
	schema_get_str(r->file, id, buf, len);
}

/* Splits the recorded corpus_name ("a.txt b.txt": the paths joined by
 * spaces) in place into paths. Returns how many, at most max. */
static int split_names(char *name, char **paths, int max)
{
	int n = 0;
	for (char *p = strtok(name, " "); p && n < max; p = strtok(NULL, " "))
		paths[n++] = p;
	return n;
}

/* Whether content (a text's SHA-256) is the run's corpus: corpus_sha256
 * itself, or for other tokens than bytes (tv) the tokens' identity of it
 * (tokenio.h). */
static int is_run_corpus(const char *content, const char *sha, const struct token_vocab *tv)
{
	char id[65];
	if (tv->kind == TOKENS_BYTES)
		return !strcmp(content, sha);
	return tokens_identity(id, tv, content) == 0 && !strcmp(id, sha);
}

/* The run's own corpus: the built-in one, or its files as recorded
 * (relative to the current folder), checked against corpus_sha256. */
static int load_run_corpus(struct text *t, const struct run *r, const struct token_vocab *tv)
{
	char name[4096], sha[80], got[65], *paths[64];
	root_str(r, A_CORPUS_NAME, name, sizeof(name));
	root_str(r, A_CORPUS_SHA256, sha, sizeof(sha));
	if (!name[0] || !strcmp(name, "-") || !sha[0])
		return error("%s: the run's corpus %s: give the text with --text FILE", r->path,
			     !name[0] || !sha[0] ? "is not named in the file" : "was read from stdin");
	if (!strcmp(name, DEFAULT_CORPUS_NAME)) {
		if (corpus_from_memory(&t->c, rnnbow_default_corpus, rnnbow_default_corpus_len,
				       DEFAULT_CORPUS_NAME) < 0)
			return error("out of memory for the corpus");
	} else {
		char names[4096];
		snprintf(names, sizeof(names), "%s", name);
		int n = split_names(names, paths, 64);
		for (int i = 0; i < n; i++)
			if (access(paths[i], R_OK) < 0)
				return error("%s: the run's corpus '%s' cannot be read from here (%s): "
					     "give the text with --text FILE", r->path, paths[i],
					     sys_reason(errno));
		if (corpus_load(&t->c, paths, n, CORPUS_MAX_DEFAULT) < 0)
			return -1;
	}
	sha256_hex(got, t->c.data, t->c.len);
	if (!is_run_corpus(got, sha, tv)) {
		corpus_free(&t->c);
		return error("%s: the run's corpus '%s' is not the one it trained on (its SHA-256 "
			     "differs): give the text with --text FILE", r->path, name);
	}
	t->is_corpus = 1;
	return 0;
}

/* --text FILE; it counts as the corpus when its SHA-256 is the run's. */
static int load_text(struct text *t, const struct run *r, const char *file,
		     const struct token_vocab *tv)
{
	char sha[80], got[65];
	char *paths[1] = { (char *)file };
	memset(t, 0, sizeof(*t));
	if (!file)
		return load_run_corpus(t, r, tv);
	if (corpus_load(&t->c, paths, 1, CORPUS_MAX_DEFAULT) < 0)
		return -1;
	root_str(r, A_CORPUS_SHA256, sha, sizeof(sha));
	sha256_hex(got, t->c.data, t->c.len);
	t->is_corpus = is_run_corpus(got, sha, tv);
	return 0;
}

/* A run of code points or words: the ids of the text's first N tokens
 * (*N: at most it, then how many), with the run's vocabulary as record
 * tokenized its corpus (an unknown word is <unk>; a code point the run
 * lacks is refused). Returns NULL after a message. */
static int32_t *tokenize_other(const struct text *t, int64_t *N, const struct token_vocab *tv,
			       const char *name)
{
	size_t bad = 0, len;
	int64_t count = tokens_count(tv->kind, t->c.data, t->c.len, &bad);
	int32_t *tok = NULL;
	if (count < 0)
		error("%s: byte %zu (0x%02x) is not valid UTF-8", name, bad, t->c.data[bad]);
	else if (count == 0)
		error("%s: the text has no tokens", name);
	else if (!(tok = malloc((size_t)count * sizeof(int32_t))))
		error("out of memory for %lld tokens", (long long)count);
	if (!tok)
		return NULL;
	len = tokens_encode(tv, tok, t->c.data, t->c.len);
	*N = *N < (int64_t)len ? *N : (int64_t)len;
	for (int64_t i = 0; i < *N; i++)
		if (tok[i] < 0) {
			error("%s: its code point %lld (from 0) is not one of the run's %d", name,
			      (long long)i, tv->V);
			free(tok);
			return NULL;
		}
	return tok;
}

/* A run of --token-ids: its ids as recorded (the text is ids, not text). */
static int32_t *load_run_ids(int64_t *N, const struct run *r, const struct token_vocab *tv,
			     const char *text)
{
	char name[4096], sha[80], content[65];
	struct token_vocab own = { 0 };
	int32_t *ids = NULL;
	size_t len = 0;
	if (text) {
		error("%s: a run of token ids: --text is text, it has no ids (export reads the "
		      "run's own ids)", r->path);
		return NULL;
	}
	root_str(r, A_CORPUS_NAME, name, sizeof(name));
	root_str(r, A_CORPUS_SHA256, sha, sizeof(sha));
	int rc = token_ids_load(name, NULL, &ids, &len, &own, content);
	tokens_free(&own);
	if (rc < 0)
		return NULL;
	if (!is_run_corpus(content, sha, tv) || len == 0) {
		free(ids);
		error("%s: its token ids %s are not the ones it trained on", r->path, name);
		return NULL;
	}
	*N = *N < (int64_t)len ? *N : (int64_t)len;
	return ids;
}

/* The token ids of the first N bytes of the text. Returns NULL after a
 * message when a byte is not in the vocabulary (or out of memory). */
static int32_t *tokenize(const struct text *t, int64_t N, const struct run_params *p,
			 const char *name)
{
	int32_t id[256];
	for (int b = 0; b < 256; b++)
		id[b] = -1;
	for (int v = 0; v < p->m.V; v++)
		id[p->vocab[v]] = v;
	int32_t *tok = malloc((size_t)N * sizeof(int32_t));
	if (!tok) {
		error("out of memory for %lld steps", (long long)N);
		return NULL;
	}
	for (int64_t i = 0; i < N; i++) {
		tok[i] = id[t->c.data[i]];
		if (tok[i] < 0) {
			error("%s: byte 0x%02x at offset %lld is not in the run's vocabulary", name,
			      t->c.data[i], (long long)i);
			free(tok);
			return NULL;
		}
	}
	return tok;
}

/* The tracks of layer `layer` from every record of the run. */
static int gather_meta(struct step_meta *sm, const struct run *r, const struct run_params *p,
		       int64_t N, int layer, double eps)
{
	struct rec_source src = { .layer = layer, .layer_given = 1 };
	struct recread rr;
	int64_t got;
	if (recread_open_source(&rr, r, RC_POSITION | RC_ITEMIZED | RC_TRUNC, &src) < 0)
		return -1;
	if (step_meta_init(sm, N, rr.n, p->batch, eps) < 0) {
		recread_close(&rr);
		return error("out of memory for the meta tracks of %lld steps", (long long)N);
	}
	const size_t n = (size_t)rr.n;
	while ((got = recread_next(&rr)) > 0)
		for (int64_t i = 0; i < got; i++)
			step_meta_add(sm, rr.batch[i], rr.position[i], rr.itemized + i * n * n,
				      rr.trunc + i * n);
	recread_close(&rr);
	if (got < 0)
		step_meta_free(sm);
	return got < 0 ? -1 : 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int export_lstmvis(const char *run_path, const struct export_opts *o)
{
	struct run run;
	struct run_params p;
	struct text t = { 0 };
	struct step_meta sm = { 0 };
	int32_t *tok = NULL;
	int rc = 1, have_params = 0, have_meta = 0;
	char name[512], desc[1024];

	if (run_open(&run, run_path) < 0)
		return 1;
	if (run_params_read_one(&p, &run, o->batch) < 0)
		goto out;
	have_params = 1;
	if (o->layer >= p.m.L) {
		error("%s: has no layer %lld (its layers: 0..%d)", run_path, (long long)o->layer,
		      p.m.L - 1);
		goto out;
	}
	const int bytes = p.tokens.kind == TOKENS_BYTES;
	int64_t N = o->steps;
	if (p.tokens.kind == TOKENS_IDS) {
		if (!(tok = load_run_ids(&N, &run, &p.tokens, o->text)))
			goto out;
		t.is_corpus = 1;
	} else {
		if (load_text(&t, &run, o->text, &p.tokens) < 0)
			goto out;
		if (t.c.len == 0) {
			error("%s: the text is empty", o->text ? o->text : run_path);
			goto out;
		}
		if (bytes && N > (int64_t)t.c.len)
			N = (int64_t)t.c.len;
		if (!(tok = bytes ? tokenize(&t, N, &p, o->text ? o->text : t.c.name) :
			    tokenize_other(&t, &N, &p.tokens, o->text ? o->text : t.c.name)))
			goto out;
	}
	if (!t.is_corpus)
		warning("%s: not the run's corpus: no meta tracks (the records' positions are "
			"offsets into the corpus)", o->text);
	int meta_layer = o->layer_given ? (int)o->layer : 0;
	if (t.is_corpus) {
		if (gather_meta(&sm, &run, &p, N, meta_layer, o->eps) < 0)
			goto out;
		have_meta = 1;
	}
	snprintf(name, sizeof(name), "%s at batch %lld", base_name(run_path), (long long)p.batch);
	snprintf(desc, sizeof(desc),
		 "rnnbow run %s: %s cell, %d layer%s of %d units, the parameters of recorded batch "
		 "%lld, run from zero state over the first %lld %s of %s%s", run_path,
		 cell_name(p.m.cell), p.m.L, p.m.L > 1 ? "s" : "", p.m.H, (long long)p.batch,
		 (long long)N, bytes ? "bytes" : p.tokens.kind == TOKENS_WORDS ? "words" :
		 p.tokens.kind == TOKENS_UTF8 ? "code points" : "token ids",
		 o->text ? o->text : t.c.name ? t.c.name : "its token ids",
		 have_meta ? meta_layer ? "; meta tracks of that layer's W_hh" :
			     "; meta tracks of layer 0's W_hh" : "");
	struct lstmvis_set set = {
		.dir = o->output, .force = o->force, .m = &p.m, .tokens = tok, .N = N,
		.vocab = p.vocab, .words = bytes ? NULL : &p.tokens, .layer = o->layer_given ? (int)o->layer : -1,
		.meta = have_meta ? &sm : NULL, .name = name, .description = desc,
	};
	if (lstmvis_write(&set) == 0)
		rc = 0;
out:
	free(tok);
	if (have_meta)
		step_meta_free(&sm);
	if (t.c.data)
		corpus_free(&t.c);
	if (have_params)
		run_params_free(&p);
	run_close(&run);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o = { .batch = -1, .steps = 100000, .eps = 0.1 };
	const struct opt opts[] = {
		{ "output", 'o', OPT_STRING, &o.output, .arg = "DIR",
		  .help = "the folder to write (required; see above)" },
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18, .arg = "B",
		  .help = "the recorded batch whose saved parameters run\n"
			  "(default: the last record)" },
		{ "layer", 0, OPT_INT, &o.layer, 0, 1023, &o.layer_given, .arg = "L",
		  .help = "only layer L's states (0-based; default every\n"
			  "layer), and the meta tracks of L (default 0)" },
		{ "text", 0, OPT_STRING, &o.text, .arg = "FILE",
		  .help = "run over FILE (default: the run's corpus, found by\n"
			  "its recorded name and checked by its SHA-256)" },
		{ "steps", 0, OPT_INT, &o.steps, 1, 9.2e18, .arg = "N",
		  .help = "the first N bytes (tokens) of the text (default\n"
			  "100000)" },
		{ "eps", 0, OPT_FLOAT, &o.eps, 0, 1e30, .arg = "X",
		  .help = "tolerated relative error of the k_exact track\n(default 0.1)" },
		{ "force", 'f', OPT_FLAG, &o.force,
		  .help = "replace an earlier export in DIR" },
		OPT_END,
	};
	int nargs = opts_parse(argc, argv, opts, usage);
	if (nargs < 1)
		usage_error(usage, "no KIND given (lstmvis)");
	if (strcmp(argv[0], kinds[0])) {
		struct suggest s;
		char hint[256];
		suggest_init(&s, argv[0], strlen(argv[0]));
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			suggest_add(&s, kinds[i]);
		usage_error(usage, "unknown KIND '%s'%s", argv[0],
			    suggest_text(&s, "", hint, sizeof(hint)));
	}
	if (nargs != 2)
		usage_error(usage, nargs < 2 ? "no run file given" : "one run file at a time");
	if (!o.output || !o.output[0])
		usage_error(usage, "-o DIR is required");
	return export_lstmvis(argv[1], &o);
}
