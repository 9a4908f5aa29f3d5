/*
 * run.c - librnnbow's run-file writer (rnnbow.h): the writer `rnnbow
 * record` uses (formats/runfile_write.c, its /record columns from
 * formats/schema.c), fed from a client's training loop, so a client's
 * run has the same groups, datasets and attributes as the binary's.
 *
 * What differs from `rnnbow record`, all in docs/FORMAT.md: /model
 * input ("tokens" or "dense") and input_size; a dense run's
 * /record/input holds -1 (no token id); /record/position holds -1 (the
 * library knows no corpus offset); /record/diag has no dead (the fired
 * flags need every training batch, which the library does not see) and
 * /train/clip_share is NaN (nor does it see the clipping). The library prints nothing: the
 * formats/ messages go to rnnbow_errmsg() (msg_sink), and HDF5's own
 * error printing is off only during our calls (H5E_BEGIN_TRY), so a
 * client's HDF5 settings stay its own.
 */
#include "internal.h"

#include "../formats/msg.h"
#include "../formats/runfile.h"
#include "../formats/runlock.h"
#include "../formats/schema.h"
#include "../libcore/diagrec.h"

#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef RNNBOW_VERSION
#define RNNBOW_VERSION "0"
#endif

/* /train rows buffered between writes */
#define TRAIN_BLOCK 4096
/* what formats/recread.c reads: /model/vocab holds one byte per id */
#define MAX_OUTPUTS 256

enum opt_type { O_STR, O_I64, O_U64, O_F64, O_FLAG };

struct rnnbow_run_options {
	char *input, *corpus_name, *corpus_sha256, *command_line, *optimizer;
	int64_t corpus_bytes, batches, record_every, overwrite, params, hidden;
	uint64_t seed;
	double init_scale, forget_bias, learning_rate, clip;
	uint8_t vocab[MAX_OUTPUTS];
	size_t nvocab;  /* 0: id i is byte i */
};

#define OFF(f) offsetof(struct rnnbow_run_options, f)
static const struct {
	const char *name;
	enum opt_type type;
	size_t off;
} opt_table[] = {
	{ "input", O_STR, OFF(input) },
	{ "overwrite", O_FLAG, OFF(overwrite) },
	{ "params", O_FLAG, OFF(params) },
	{ "hidden", O_FLAG, OFF(hidden) },
	{ "corpus_name", O_STR, OFF(corpus_name) },
	{ "corpus_sha256", O_STR, OFF(corpus_sha256) },
	{ "corpus_bytes", O_I64, OFF(corpus_bytes) },
	{ "command_line", O_STR, OFF(command_line) },
	{ "seed", O_U64, OFF(seed) },
	{ "init_scale", O_F64, OFF(init_scale) },
	{ "forget_bias", O_F64, OFF(forget_bias) },
	{ "optimizer", O_STR, OFF(optimizer) },
	{ "learning_rate", O_F64, OFF(learning_rate) },
	{ "clip", O_F64, OFF(clip) },
	{ "batches", O_I64, OFF(batches) },
	{ "record_every", O_I64, OFF(record_every) },
};

struct rnnbow_run {
	rnnbow_net *net;
	int n, dense;
	struct runfile *f;
	struct runlock lock;
	struct record rec;
	struct diag_work dw; /* the spectrum of /record/diag */
	struct train_rows train;
	int32_t *no_tokens; /* (n) -1: a dense run's /record/input */
	rnnbow_run *next;   /* the process's open runs */
};

/* The runs this process has open: its POSIX lock keeps other processes
 * off a run, not this one (and closing a second descriptor of the lock
 * file would drop the first run's lock), so a path is checked here too. */
static rnnbow_run *open_runs;

/* The API call being made, for the formats/ messages msg_sink gets. */
static _Thread_local const char *cur_fn = "librnnbow";

static void sink(const char *msg)
{
	lib_fail("%s: %s", cur_fn, msg);
}

RNNBOW_API rnnbow_run_options *rnnbow_run_options_new(void)
{
	rnnbow_run_options *o = calloc(1, sizeof(*o));
	if (!o) {
		lib_fail("rnnbow_run_options_new: out of memory");
		return NULL;
	}
	return o;
}

RNNBOW_API void rnnbow_run_options_free(rnnbow_run_options *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++)
		if (opt_table[i].type == O_STR)
			free(*(char **)((char *)o + opt_table[i].off));
	free(o);
}

/* Parses value as the option's type into *slot; -1 when it does not parse. */
static int parse_value(enum opt_type type, const char *value, void *slot)
{
	char *end = NULL;
	errno = 0;
	switch (type) {
	case O_STR: {
		char *s = strdup(value);
		if (!s)
			return -1;
		free(*(char **)slot);
		*(char **)slot = s;
		return 0;
	}
	case O_FLAG:
		if (strcmp(value, "0") && strcmp(value, "1"))
			return -1;
		*(int64_t *)slot = value[0] == '1';
		return 0;
	case O_I64: {
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end || v < 0)
			return -1;
		*(int64_t *)slot = v;
		return 0;
	}
	case O_U64: {
		unsigned long long v = strtoull(value, &end, 10);
		if (errno || end == value || *end || !isdigit((unsigned char)value[0]))
			return -1;
		*(uint64_t *)slot = v;
		return 0;
	}
	default: {
		double v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v))
			return -1;
		*(double *)slot = v;
		return 0;
	}
	}
}

RNNBOW_API int rnnbow_run_options_set(rnnbow_run_options *o, const char *name,
				      const char *value)
{
	if (!o || !name || !value)
		return lib_fail("rnnbow_run_options_set: %s is NULL",
				!o ? "opt" : !name ? "name" : "value");
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		if (strcmp(opt_table[i].name, name))
			continue;
		if (!strcmp(name, "input") && strcmp(value, "tokens") && strcmp(value, "dense"))
			return lib_fail("rnnbow_run_options_set: input '%s': must be tokens or dense",
					value);
		if (parse_value(opt_table[i].type, value, (char *)o + opt_table[i].off) < 0)
			return lib_fail("rnnbow_run_options_set: %s '%s': not %s", name, value,
					opt_table[i].type == O_FLAG ? "0 or 1" :
					opt_table[i].type == O_F64 ? "a finite number" :
					opt_table[i].type == O_STR ? "storable (out of memory)" :
					"a whole number >= 0");
		return 0;
	}
	return lib_fail("rnnbow_run_options_set: %s: no such option", name);
}

RNNBOW_API int rnnbow_run_options_set_vocab(rnnbow_run_options *o, const uint8_t *vocab,
					    size_t count)
{
	if (!o || !vocab)
		return lib_fail("rnnbow_run_options_set_vocab: %s is NULL", !o ? "opt" : "vocab");
	if (count < 1 || count > MAX_OUTPUTS)
		return lib_fail("rnnbow_run_options_set_vocab: %zu bytes: must be 1..%d", count,
				MAX_OUTPUTS);
	memcpy(o->vocab, vocab, count);
	o->nvocab = count;
	return 0;
}

/* 1 when path holds a run of ours (root attribute format = "rnnbow"). */
static int is_run(const char *path)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0)
		return 0;
	int ok = schema_is_run(f);
	H5Fclose(f);
	return ok;
}

/* 1 when a run of this process holds the lock file of path. */
static int written_here(const char *path)
{
	char lock[4096];
	struct stat a, b;
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if (stat(lock, &a) < 0)
		return 0;
	for (const rnnbow_run *r = open_runs; r; r = r->next)
		if (r->lock.fd >= 0 && fstat(r->lock.fd, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 1;
	return 0;
}

/* Refuses what the options cannot make for this network. */
static int check_create(const char *path, const rnnbow_net *net, int n,
			const rnnbow_run_options *o, int dense)
{
	struct stat st;
	if (!path || !net)
		return lib_fail("rnnbow_run_create: %s is NULL", !path ? "path" : "net");
	if (n < 1 || n > LIB_MAX_STEPS)
		return lib_fail("rnnbow_run_create: seq_len %d: must be 1..%d", n, LIB_MAX_STEPS);
	if (net->m.V > MAX_OUTPUTS)
		return lib_fail("rnnbow_run_create: output_size %d: a run file holds at most %d "
				"output ids (one byte each in /model/vocab)", net->m.V, MAX_OUTPUTS);
	if (o->nvocab && o->nvocab != (size_t)net->m.V)
		return lib_fail("rnnbow_run_create: the vocabulary has %zu bytes, the network "
				"%d outputs", o->nvocab, net->m.V);
	if (!dense && net->m.In > MAX_OUTPUTS)
		return lib_fail("rnnbow_run_create: input_size %d: token inputs are ids < %d; "
				"give dense inputs (option input=dense)", net->m.In, MAX_OUTPUTS);
	if (written_here(path))
		return lib_fail("rnnbow_run_create: %s: is being written by another run of this "
				"process (close it first)", path);
	if (stat(path, &st) == 0) {
		if (!o->overwrite)
			return lib_fail("rnnbow_run_create: %s: already exists (option overwrite=1 "
					"replaces a run)", path);
		if (!is_run(path))
			return lib_fail("rnnbow_run_create: %s: exists and is not an rnnbow run: "
					"not overwritten", path);
	}
	return 0;
}

static void run_free(rnnbow_run *run)
{
	record_free(&run->rec);
	diag_work_free(&run->dw);
	train_rows_free(&run->train);
	free(run->no_tokens);
	free(run);
}

/* The buffers of a run: a record shaped as the trainer's and the /train
 * block. */
static int run_alloc(rnnbow_run *run, int params, int hidden)
{
	if (record_alloc(&run->rec, &run->net->m, run->n, params, hidden) < 0 ||
	    record_alloc_diag(&run->rec, &run->net->m, 0, 0) < 0 ||
	    diag_work_init(&run->dw, run->net->m.H) < 0)
		return -1;
	if (train_rows_alloc(&run->train, TRAIN_BLOCK) < 0)
		return -1;
	run->no_tokens = malloc((size_t)run->n * sizeof(int32_t));
	if (!run->no_tokens)
		return -1;
	for (int t = 0; t < run->n; t++)
		run->no_tokens[t] = -1;
	return 0;
}

static rnnbow_run *run_create(const char *path, rnnbow_net *net, int n,
			      const rnnbow_run_options *opt)
{
	static const rnnbow_run_options defaults;
	const rnnbow_run_options *o = opt ? opt : &defaults;
	const int dense = o->input && !strcmp(o->input, "dense");
	uint8_t vocab[MAX_OUTPUTS];
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	if (check_create(path, net, n, o, dense) < 0)
		return NULL;
	rnnbow_run *run = calloc(1, sizeof(*run));
	if (!run) {
		lib_fail("rnnbow_run_create: out of memory");
		return NULL;
	}
	run->net = net;
	run->n = n;
	run->dense = dense;
	run->lock.fd = -1;
	if (run_alloc(run, (int)o->params, (int)o->hidden) < 0) {
		run_free(run);
		lib_fail("rnnbow_run_create: out of memory");
		return NULL;
	}
	for (int i = 0; i < net->m.V; i++)
		vocab[i] = o->nvocab ? o->vocab[i] : (uint8_t)i;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	struct run_info info = {
		.software_version = RNNBOW_VERSION " (librnnbow)",
		.command_line = o->command_line ? o->command_line : "librnnbow",
		.created_utc = created,
		.seed = o->seed,
		.corpus_name = o->corpus_name ? o->corpus_name : "",
		.corpus_bytes = o->corpus_bytes,
		.corpus_sha256 = o->corpus_sha256 ? o->corpus_sha256 : "",
		.activation = act_name(net->m.act),
		.forget_bias = o->forget_bias,
		.vocab = vocab,
		.init_scale = o->init_scale,
		.optimizer = o->optimizer ? o->optimizer : "unknown",
		.learning_rate = o->learning_rate,
		.clip = o->clip,
		.batches = o->batches,
		.record_every = o->record_every,
		.input = dense ? "dense" : "tokens",
		.input_size = net->m.In,
	};
	if (runlock_take(&run->lock, path) < 0) {
		run_free(run);
		return NULL;
	}
	int flags = RUNFILE_LIBRARY | RUNFILE_DIAG | (o->overwrite ? RUNFILE_FORCE : 0) |
		    (o->params ? RUNFILE_PARAMS : 0) | (o->hidden ? RUNFILE_HIDDEN : 0);
	run->f = runfile_create(path, &info, &net->m, n, flags);
	if (!run->f) {
		runlock_release(&run->lock);
		run_free(run);
		return NULL;
	}
	run->next = open_runs;
	open_runs = run;
	return run;
}

RNNBOW_API rnnbow_run *rnnbow_run_create(const char *path, rnnbow_net *net, int seq_len,
					 const rnnbow_run_options *opt)
{
	rnnbow_run *run = NULL;
	cur_fn = "rnnbow_run_create";
	msg_sink = sink;
	H5E_BEGIN_TRY { run = run_create(path, net, seq_len, opt); } H5E_END_TRY;
	return run;
}

/* Copies what the network's last forward pass left into the record. */
static void fill_record(rnnbow_run *run, int64_t batch, const int32_t *tokens,
			const int32_t *targets)
{
	run->rec.batch = batch;
	run->rec.position = -1;
	record_fill(&run->rec, &run->net->c, &run->net->m, run->dense ? run->no_tokens : tokens,
		    targets);
	record_diag_fill(&run->rec, &run->net->c, &run->net->m, &run->dw);
}

/* The buffered /train rows to the file. */
static int flush_train(rnnbow_run *run)
{
	int rc = runfile_write_train(run->f, &run->train);
	run->train.n = 0;
	return rc;
}

static int run_record(rnnbow_run *run, int64_t batch, const float *x, const int32_t *tokens,
		      const int32_t *targets, const float *h0, const float *c0)
{
	if (!run)
		return lib_fail("rnnbow_run_record: run is NULL");
	if (run->dense && !x)
		return lib_fail("rnnbow_run_record: x is NULL: this run's inputs are dense");
	if (!run->dense && (x || !tokens))
		return lib_fail("rnnbow_run_record: this run's inputs are token ids: give tokens "
				"and x NULL (or create it with option input=dense)");
	struct itemized out = run->rec.it;
	if (lib_net_itemize(run->net, "rnnbow_run_record", run->n, x, tokens, targets, h0, c0,
			    &out) < 0)
		return -1;
	fill_record(run, batch, tokens, targets);
	if (flush_train(run) < 0)
		return -1;
	return runfile_add_record(run->f, &run->rec);
}

RNNBOW_API int rnnbow_run_record(rnnbow_run *run, int64_t batch, const float *x,
				 const int32_t *tokens, const int32_t *targets,
				 const float *h0, const float *c0)
{
	int rc = -1;
	cur_fn = "rnnbow_run_record";
	msg_sink = sink;
	H5E_BEGIN_TRY { rc = run_record(run, batch, x, tokens, targets, h0, c0); } H5E_END_TRY;
	return rc;
}

RNNBOW_API int rnnbow_run_train(rnnbow_run *run, int64_t batch, float loss, float grad_norm)
{
	int rc = 0;
	if (!run)
		return lib_fail("rnnbow_run_train: run is NULL");
	struct batch_stats st = { .batch = batch, .loss = loss, .grad_norm = grad_norm,
				  .nonfinite = !isfinite(loss) || !isfinite(grad_norm),
				  .clip_share = NAN /* the client clips, unseen */ };
	train_rows_add(&run->train, &st);
	if (run->train.n == run->train.cap) {
		cur_fn = "rnnbow_run_train";
		msg_sink = sink;
		H5E_BEGIN_TRY { rc = flush_train(run); } H5E_END_TRY;
	}
	return rc;
}

static int run_close(rnnbow_run *run)
{
	for (rnnbow_run **p = &open_runs; *p; p = &(*p)->next)
		if (*p == run) {
			*p = run->next;
			break;
		}
	int rc = flush_train(run);
	if (runfile_close(run->f) < 0)
		rc = -1;
	runlock_release(&run->lock);
	run_free(run);
	return rc;
}

RNNBOW_API int rnnbow_run_close(rnnbow_run *run)
{
	int rc = 0;
	if (!run)
		return 0;
	cur_fn = "rnnbow_run_close";
	msg_sink = sink;
	H5E_BEGIN_TRY { rc = run_close(run); } H5E_END_TRY;
	return rc;
}
