/*
 * record.c - rnnbow record: train a char-level RNN on a corpus and write
 * the itemized gradients of chosen batches to a run file (SPEC 2, 3).
 *
 * Everything that can be refused is checked before the output file is
 * created, so bad input never leaves a file behind.
 */
#include "commands.h"
#include "opts.h"
#include "progress.h"
#include "recsample.h"
#include "rectokens.h"
#include "recvalid.h"
#include "../formats/checkpoint.h"
#include "../formats/clock.h"
#include "../formats/corpus.h"
#include "../formats/msg.h"
#include "../formats/paraminit.h"
#include "../formats/runfile.h"
#include "../formats/runqueue.h"
#include "../formats/runlock.h"
#include "../formats/runpath.h"
#include "../formats/runread.h"
#include "../formats/schema.h"
#include "../formats/sha256.h"
#include "../libcore/diagrec.h"
#include "../libcore/train.h"
#include "../libcore/vocab.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: rnnbow record [OPTIONS] [CORPUS...|-] -o RUN.h5\n"
	"\n"
	"Train a character-level RNN on CORPUS (files concatenated, '-' for stdin,\n"
	"or rnnbow's own C source when none is given) and write the itemized BPTT\n"
	"gradients g[t,j] of every K-th batch to RUN.h5 (see rnnbow-record(1)).\n"
	"\n";

/* After the options in --help. */
static const char notes[] =
	"\n"
	"Defaults by depth: one layer (any cell) trains with adagrad (lr 0.1) from weights\n"
	"of std 0.01 (min-char-rnn's recipe); stacked layers with adam (lr 0.002, the\n"
	"vanilla cell 0.001) from std 1/sqrt(3H), PyTorch's init (adagrad blows them up\n"
	"or stalls them: see rnnbow-record(1)). An option given always wins; --optimizer\n"
	"alone brings its own --lr.\n"
	"\n"
	"SIGINT, SIGTERM and SIGUSR1 finish the batch, write a checkpoint, close RUN.h5\n"
	"and exit with status 75: run the same command with --resume to go on.\n";

/* Exit status of a run interrupted by a signal and checkpointed: it can be
 * resumed (EX_TEMPFAIL from sysexits.h). */
#define EXIT_RESUMABLE 75

struct record_opts {
	const char *cell, *activation, *optimizer, *output, *on_nonfinite, *checkpoint_every;
	const char *max_corpus;   /* --max-corpus as given, and */
	size_t max_corpus_bytes;  /* in bytes */
	int64_t hidden, layers, seq_len, batches, record_every, seed;
	int64_t batch_size, record_sequences; /* B; S (0: not given) */
	int64_t threads;          /* --threads T; 0: not given (record_threads decides) */
	double init_scale, lr, clip, forget_bias; /* init_scale and lr: the defaults once checked */
	int lr_seen, init_scale_seen, forget_bias_seen, save_params, save_hidden, force, quiet, resume;
	int no_diagnostics, no_unit_flow;
	int64_t ckpt_batches;  /* checkpoint every this many batches, or */
	double ckpt_seconds;   /* every this many seconds (0: on signals only) */
	struct run_fingerprint fp;
	int64_t sample_every, sample_length; /* --sample-every, --sample-length */
	int sample_length_seen;
	struct recsample *samples;           /* their sampler */
	/* held-out loss (recvalid.h) and char-rnn's lr decay (libcore/valid.h) */
	const char *valid_file;
	double valid_share, lr_decay;
	int valid_share_seen, valid_every_seen, valid_steps_seen, lr_decay_seen, lr_decay_after_seen;
	int64_t valid_every, valid_steps, lr_decay_after;
	int64_t epoch;                       /* batches per epoch */
	struct recvalid *valid;
	struct rectokens tok;      /* --tokens, --token-ids (rectokens.h) */
	const char *init;          /* --init FILE, and where it started: */
	char init_desc[4200];      /* "PATH" or "PATH:B" (the root attribute init) */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* "N" batches or "Ns" seconds; returns 0 or -1. */
static int parse_every(const char *s, int64_t *batches, double *seconds)
{
	char *end;
	double v = strtod(s, &end);
	*batches = 0;
	*seconds = 0;
	if (end == s || v < 0 || v > 1e15)
		return -1;
	if (*end == 's' && end[1] == '\0')
		*seconds = v;
	else if (*end == '\0' && v == (double)(int64_t)v)
		*batches = (int64_t)v;
	else
		return -1;
	return 0;
}

/* Drains the writer, fsyncs the run, then writes the checkpoint: the run
 * file never lags a checkpoint. */
static int checkpoint(struct trainer *tr, struct runqueue *q, const struct record_opts *o)
{
	if (runqueue_sync(q) < 0)
		return -1;
	return checkpoint_write(o->output, &o->fp, tr);
}

/* argv joined by spaces, each argument quoted for a POSIX shell if needed. */
static char *command_line(int argc, char **argv)
{
	size_t len = 16;
	for (int i = 0; i < argc; i++)
		len += 4 * strlen(argv[i]) + 3;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	p += sprintf(p, "rnnbow");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		*p++ = ' ';
		if (*a && !a[strcspn(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~")]) {
			p += sprintf(p, "%s", a);
			continue;
		}
		*p++ = '\'';
		for (; *a; a++)
			p += *a == '\'' ? sprintf(p, "'\\''") : sprintf(p, "%c", *a);
		*p++ = '\'';
		*p = '\0';
	}
	return s;
}

/* ISO 8601 UTC; SOURCE_DATE_EPOCH, when set, fixes it for reproducible files. */
static void created_utc(char buf[32])
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end = NULL;
	time_t t = time(NULL);
	if (sde && *sde) {
		long long v = strtoll(sde, &end, 10);
		if (*end || v < 0)
			warning("SOURCE_DATE_EPOCH='%s' is not a count of seconds; ignored", sde);
		else
			t = (time_t)v;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int load_corpus(struct corpus *c, char **paths, int npaths, int quiet, size_t max)
{
	if (npaths == 0) {
		if (!quiet)
			fprintf(stderr, "%s: no corpus given: using the built-in corpus (%s, %zu bytes)\n",
				msg_prog, DEFAULT_CORPUS_NAME, rnnbow_default_corpus_len);
		return corpus_from_memory(c, rnnbow_default_corpus, rnnbow_default_corpus_len,
					  DEFAULT_CORPUS_NAME);
	}
	return corpus_load(c, paths, npaths, max);
}

/* Trains up to o->batches batches in all (fewer after a signal or a
 * non-finite batch with --on-nonfinite stop), recording every
 * o->record_every-th into the queue and checkpointing as o asks. Returns 0,
 * -1 when writing failed, -2 when a batch was not finite. */
static int train_loop(struct trainer *tr, struct runqueue *q, const struct record_opts *o,
		      int64_t *done, int64_t *recorded, int64_t *nonfinite)
{
	struct batch_stats st = { 0 };
	struct progress pg;
	double smooth = -1; /* min-char-rnn's smoothed loss: 0.999 old + 0.001 new */
	double last_ckpt = 0;
	int rc = 0;

	progress_start(&pg, o->quiet, o->batches, tr->batch, (int)(o->seq_len * o->batch_size));
	last_ckpt = monotonic_seconds();
	for (*done = 0; tr->batch < o->batches && !stop_signal; (*done)++) {
		int want = o->record_every > 0 && tr->batch % o->record_every == 0;
		struct record *rec = want ? runqueue_slot(q) : NULL;
		if (want && !rec) {
			rc = -1;
			break;
		}
		if (o->lr_decay_seen && lr_decays_at(tr->batch, o->epoch, o->lr_decay_after))
			tr->opt.lr *= (float)o->lr_decay;
		if (recvalid_take(o->valid, &tr->m, tr->batch, q) < 0 ||
		    recsample_take(o->samples, &tr->m, tr->batch, q) < 0) {
			rc = -1;
			break;
		}
		trainer_step(tr, &st, rec);
		if (runqueue_push_train(q, &st) < 0 || (rec && runqueue_push_record(q, rec) < 0)) {
			rc = -1;
			break;
		}
		*recorded += want;
		if (st.nonfinite) {
			(*nonfinite)++;
			if (!strcmp(o->on_nonfinite, "stop")) {
				(*done)++;
				error("batch %lld: the loss or gradient is not finite (loss %g, gradient "
				      "norm %g); stopped (--on-nonfinite skip goes on)", (long long)st.batch,
				      st.loss, st.grad_norm);
				rc = -2;
				break;
			}
			if (*nonfinite <= 10 && !o->quiet)
				warning("batch %lld: the loss or gradient is not finite; update skipped%s",
					(long long)st.batch, *nonfinite == 10 ? " (no more of these warnings)" : "");
		} else {
			smooth = smooth < 0 ? st.loss : 0.999 * smooth + 0.001 * st.loss;
		}
		progress_update(&pg, tr->batch, smooth);
		/* periodic checkpoints, so that a SIGKILL loses at most that much;
		 * the clock is read every 64 batches only */
		if (tr->batch < o->batches &&
		    ((o->ckpt_batches && tr->batch % o->ckpt_batches == 0) ||
		     (o->ckpt_seconds > 0 && ((*done) & 63) == 63 &&
		      monotonic_seconds() - last_ckpt >= o->ckpt_seconds))) {
			if (checkpoint(tr, q, o) < 0) {
				rc = -1;
				break;
			}
			last_ckpt = monotonic_seconds();
		}
	}
	double secs = progress_end(&pg);
	if (!o->quiet && rc == 0 && !stop_signal) {
		char loss[48] = "no finite loss"; /* every batch was skipped */
		if (smooth >= 0)
			snprintf(loss, sizeof(loss), "smoothed loss %.4f", smooth);
		fprintf(stderr, "%s: %lld batches (%.0fk chars/s), %lld records, %s%s\n", msg_prog,
			(long long)*done,
			secs > 0 ? (double)*done * o->seq_len * o->batch_size / secs / 1000 : 0.0,
			(long long)*recorded, loss, *nonfinite ? "; some batches not finite" : "");
	}
	return rc;
}

/* A line for the run's history: when, what, and the command that did it. */
static char *history_entry(const char *what, const char *cmdline)
{
	char when[32];
	size_t len = strlen(what) + strlen(cmdline) + 64;
	char *s = malloc(len);
	created_utc(when);
	if (s)
		snprintf(s, len, "%s %s: %s", when, what, cmdline);
	return s;
}

/* --resume of a run that exists: check it can go on, reload the state,
 * reopen the file. A complete run resumed with a larger --batches is
 * extended. Returns the run file, or NULL with *rc set (0 when the run is
 * complete already: nothing to do). */
static struct runfile *resume_run(struct trainer *tr, struct record_opts *o, int flags,
				  const char *cmdline, int *rc)
{
	int has = checkpoint_exists(o->output);
	int64_t planned = 0;
	char what[160];
	*rc = 1;
	if (has < 0)
		return NULL;
	if (!has) {
		struct run run;
		int64_t rows = -1;
		if (run_open(&run, o->output) == 0) {
			rows = run_rows(&run, SCHEMA_TRAIN);
			run_attr_i64(&run, SCHEMA_TRAIN, schema_attrs[A_BATCHES].name, &planned);
			run_close(&run);
		}
		if (rows >= 0 && rows == planned && o->batches <= planned) {
			if (!o->quiet)
				fprintf(stderr, "%s: %s is complete (%lld batches): nothing to resume\n",
					msg_prog, o->output, (long long)rows);
			*rc = 0;
		} else if (rows >= 0 && rows == planned) {
			error("%s: is complete (%lld batches) and has no checkpoint to extend it from "
			      "(%s.ckpt: runs finished by rnnbow 0.1 did not keep one)", o->output,
			      (long long)rows, o->output);
		} else {
			error("%s: no checkpoint to resume from (%s.ckpt); start again with --force",
			      o->output, o->output);
		}
		return NULL;
	}
	if (checkpoint_read(o->output, &o->fp, tr, &planned) < 0)
		return NULL;
	if (tr->batch >= o->batches) {
		if (!o->quiet)
			fprintf(stderr, "%s: %s is complete (%lld batches): nothing to resume\n",
				msg_prog, o->output, (long long)tr->batch);
		*rc = 0;
		return NULL;
	}
	int64_t records = o->record_every ? (tr->batch + o->record_every - 1) / o->record_every : 0;
	if (o->batches > planned)
		snprintf(what, sizeof(what), "extended at batch %lld from %lld to %lld batches",
			 (long long)tr->batch, (long long)planned, (long long)o->batches);
	else
		snprintf(what, sizeof(what), "resumed at batch %lld of %lld", (long long)tr->batch,
			 (long long)o->batches);
	if (!o->quiet)
		fprintf(stderr, "%s: %s: %s\n", msg_prog, o->output, what);
	char *entry = history_entry(what, cmdline);
	struct runfile *rf = entry ? runfile_reopen(o->output, &tr->m, tr->cfg.n, flags, tr->batch,
						   records, o->batches, entry)
				   : NULL;
	if (!entry)
		error("out of memory");
	free(entry);
	return rf;
}

/* The option table: fills o, leaves the corpus paths in argv[0..return). */
static int parse_options(int argc, char **argv, struct record_opts *o)
{
	const struct opt opts[] = {
		OPT_GROUP("model:"),
		{ "cell", 0, OPT_STRING, &o->cell, .arg = "C",
		  .help = "rnn (default), lstm or gru (PyTorch's equations); mix\n"
			  "(= rnn,lstm,gru) or a list such as rnn,lstm,gru: those\n"
			  "models side by side, their logits averaged" },
		{ "activation", 0, OPT_STRING, &o->activation, .arg = "A",
		  .help = "rnn cell: tanh (default), relu or sigmoid" },
		{ "forget-bias", 0, OPT_FLOAT, &o->forget_bias, -1e6, 1e6, &o->forget_bias_seen,
		  .arg = "X", .help = "lstm: initial forget gate bias (default 1)" },
		{ "hidden", 0, OPT_INT, &o->hidden, 1, 8192, .arg = "H",
		  .help = "hidden units per layer (default 100)" },
		{ "layers", 0, OPT_INT, &o->layers, 1, MAX_LAYERS, .arg = "L",
		  .help = "stacked layers (default 1)" },
		{ "seq-len", 0, OPT_INT, &o->seq_len, 1, 4096, .arg = "n",
		  .help = "steps per batch (default 25)" },
		{ "init-scale", 0, OPT_FLOAT, &o->init_scale, 0, 1e6, &o->init_scale_seen,
		  .arg = "X", .help = "std of the Gaussian weight init (default: see below)" },
		{ "init", 0, OPT_STRING, &o->init, .arg = "FILE",
		  .help = "start from saved parameters instead: a run's last\n"
			  "record (RUN.h5, --save-params), the record of batch B\n"
			  "(RUN.h5:B), or an HDF5 file of PyTorch-named tensors;\n"
			  "the optimizer state starts fresh" },
		OPT_GROUP("training:"),
		{ "batches", 0, OPT_INT, &o->batches, 1, 1e15, .arg = "N",
		  .help = "batches to train (default 10000)" },
		{ "batch-size", 0, OPT_INT, &o->batch_size, 1, 65536, .arg = "B",
		  .help = "sequences per batch, each reading its own stretch\n"
			  "of the corpus with its own state (default 1)" },
		{ "threads", 0, OPT_INT, &o->threads, 1, 256, .arg = "T",
		  .help = "threads sharing the work of each batch of a\n"
			  "--batch-size run (default 1); the same numbers for any T" },
		{ "optimizer", 0, OPT_STRING, &o->optimizer, .arg = "O",
		  .help = "adagrad, sgd or adam (default: see below)" },
		{ "lr", 0, OPT_FLOAT, &o->lr, 0, 1e6, &o->lr_seen, .arg = "X",
		  .help = "learning rate (default: adagrad 0.1, sgd 0.01, adam 0.002)" },
		{ "clip", 0, OPT_FLOAT, &o->clip, 0, 1e30, .arg = "X",
		  .help = "clip each gradient element to [-X, X] (default 5, 0: off)" },
		{ "seed", 0, OPT_INT, &o->seed, 0, 9.2e18, .arg = "S",
		  .help = "random seed of the initial weights (default 1)" },
		{ "tokens", 0, OPT_STRING, &o->tok.kind_name, .arg = "KIND",
		  .help = "what a token is: bytes (default), utf8 (code points)\n"
			  "or words (split at whitespace; --vocab-size)" },
		{ "vocab-size", 0, OPT_INT, &o->tok.vocab_size, 0, TOKENS_MAX_V,
		  &o->tok.vocab_size_seen, .arg = "N",
		  .help = "words: <unk> and the N-1 most frequent words\n"
			  "(default 10000)" },
		{ "token-ids", 0, OPT_STRING, &o->tok.token_ids, .arg = "FILE.h5:/PATH",
		  .help = "train on the integer dataset PATH of FILE.h5\n"
			  "(token ids) instead of a corpus" },
		{ "token-vocab", 0, OPT_STRING, &o->tok.token_vocab, .arg = "FILE",
		  .help = "--token-ids: the text of each id, one a line\n"
			  "(default: the ids in decimal, max id + 1 of them)" },
		{ "max-corpus", 0, OPT_STRING, &o->max_corpus, .arg = "SIZE",
		  .help = "refuse a corpus larger than SIZE (K, M, G; default 4G)" },
		{ "lr-decay", 0, OPT_FLOAT, &o->lr_decay, 0, 1e6, &o->lr_decay_seen, .arg = "X",
		  .help = "multiply the learning rate by X at the start of every\n"
			  "epoch (one pass over the training text) from batch\n"
			  "--lr-decay-after on (char-rnn's schedule; default: none)" },
		{ "lr-decay-after", 0, OPT_INT, &o->lr_decay_after, 0, 1e15, &o->lr_decay_after_seen,
		  .arg = "N", .help = "first batch --lr-decay may act on (default 0)" },
		{ "valid", 0, OPT_STRING, &o->valid_file, .arg = "FILE",
		  .help = "held-out text (the corpus' bytes only): its loss goes\n"
			  "to /valid every --valid-every batches" },
		{ "valid-share", 0, OPT_FLOAT, &o->valid_share, 0, 1, &o->valid_share_seen, .arg = "X",
		  .help = "hold out the corpus' last X (0 < X < 1): never trained\n"
			  "on, its loss goes to /valid" },
		{ "valid-every", 0, OPT_INT, &o->valid_every, 1, 1e15, &o->valid_every_seen, .arg = "K",
		  .help = "held-out loss at batches 0, K, 2K, ... (default:\n"
			  "--record-every, or 100 when not recording)" },
		{ "valid-steps", 0, OPT_INT, &o->valid_steps, 0, 1e15, &o->valid_steps_seen, .arg = "N",
		  .help = "evaluate the first N steps of the held-out text\n"
			  "(default: --valid-every times --seq-len, the steps a\n"
			  "sequence trains on in between; 0: all of it)" },
		{ "on-nonfinite", 0, OPT_STRING, &o->on_nonfinite, .arg = "A",
		  .help = "a NaN or infinite loss or gradient: stop (default) the run,\n"
			  "or skip that batch's update and go on" },
		OPT_GROUP("recording:"),
		{ "record-every", 0, OPT_INT, &o->record_every, 0, 1e15, .arg = "K",
		  .help = "itemize batches 0, K, 2K, ... (default 100, 0: none)" },
		{ "record-sequences", 0, OPT_INT, &o->record_sequences, 1, 65536, .arg = "S",
		  .help = "itemize the first S sequences of a recorded batch\n"
			  "(default 1; at most --batch-size)" },
		{ "save-params", 0, OPT_FLAG, &o->save_params,
		  .help = "store every parameter with each record" },
		{ "save-hidden", 0, OPT_FLAG, &o->save_hidden,
		  .help = "store h_t (and the lstm's c_t) of each recorded batch" },
		{ "no-unit-flow", 0, OPT_FLAG, &o->no_unit_flow,
		  .help = "do not store /record/unit_flow (n H floats per record\n"
			  "and layer: 3x a default record; rnnbow units needs it)" },
		{ "sample-every", 0, OPT_INT, &o->sample_every, 0, 1e15, .arg = "K",
		  .help = "store text drawn from the model at batches 0, K, 2K,\n"
			  "... in /samples (default 0: none)" },
		{ "sample-length", 0, OPT_INT, &o->sample_length, 1, 1 << 20, &o->sample_length_seen,
		  .arg = "N",
		  .help = "bytes per sample (default 200)" },
		{ "no-diagnostics", 0, OPT_FLAG, &o->no_diagnostics,
		  .help = "no /record/diag (saturation, spectrum of W_hh, dead\n"
			  "relu units) and no fired flags per batch" },
		OPT_GROUP("output:"),
		{ "output", 'o', OPT_STRING, &o->output, .arg = "RUN.h5",
		  .help = "the run file (required)" },
		{ "force", 0, OPT_FLAG, &o->force,
		  .help = "replace RUN.h5 if it is an rnnbow run (nothing else)" },
		{ "resume", 0, OPT_FLAG, &o->resume,
		  .help = "go on with RUN.h5 from its checkpoint (same command\n"
			  "and options); start it if it does not exist yet; a\n"
			  "larger --batches extends a complete run" },
		{ "checkpoint-every", 0, OPT_STRING, &o->checkpoint_every, .arg = "N",
		  .help = "checkpoint every N batches, or every N seconds with\n"
			  "an 's' (default 60s; 0: only on a signal, and at the\n"
			  "start and the end)" },
		{ "quiet", 0, OPT_FLAG, &o->quiet, .help = "no progress on stderr" },
		OPT_NOTES(notes),
		OPT_END,
	};
	return opts_parse(argc, argv, opts, usage);
}

/* 1 when the model (any component of a mix) has a cell of kind c. */
static int mix_has(const struct train_config *cfg, enum cell_kind c)
{
	for (int k = 0; k < cfg->ncomp; k++)
		if (cfg->comp[k] == c)
			return 1;
	return cfg->cell == c;
}

/* A mix of K components (libcore/mix.h): what it does not do yet is
 * refused in one line. */
static void check_mix(const struct record_opts *o, struct train_config *cfg, int K)
{
	cfg->ncomp = K;
}

/* Refuses what cannot run (usage error, exit 2) before anything is touched,
 * and settles what the options leave open: cfg's cell, activation and
 * optimizer, o's init scale, learning rate, checkpoint interval and corpus
 * size limit. */
static void check_options(struct record_opts *o, struct train_config *cfg, char **paths,
			  int npaths)
{
	char choices[64];
	if (!o->output)
		usage_error(usage, "no output file: give -o RUN.h5");
	if (!strcmp(o->output, "-"))
		usage_error(usage, "-o -: a run cannot go to stdout (HDF5 needs a seekable file)");
	int K = mix_parse(o->cell, cfg->comp);
	if (K < 0)
		usage_error(usage, "--cell: expected %s, mix, or a list of 2 to %d of them such as "
			    "rnn,lstm,gru, got '%s'", names_list(&cell_names, choices, sizeof(choices)),
			    MIX_MAX, o->cell);
	cfg->cell = cfg->comp[0];
	if (K >= 2)
		check_mix(o, cfg, K);
	if (act_parse(o->activation, &cfg->act))
		usage_error(usage, "--activation: expected %s, got '%s'",
			    names_list(&act_names, choices, sizeof(choices)), o->activation);
	if (!mix_has(cfg, CELL_RNN) && cfg->act != ACT_TANH)
		usage_error(usage, "--activation %s: only --cell rnn takes one (%s's are fixed)",
			    o->activation, o->cell);
	if (!mix_has(cfg, CELL_LSTM) && o->forget_bias_seen)
		usage_error(usage, "--forget-bias: only --cell lstm has a forget gate");
	/* what is not given follows the model (train_defaults); lr follows cfg.optim */
	double init_default, lr_default;
	train_defaults(mix_has(cfg, CELL_RNN) ? CELL_RNN : cfg->cell, (int)o->layers, (int)o->hidden, &cfg->optim, &lr_default,
		       &init_default);
	if (!o->init_scale_seen)
		o->init_scale = init_default;
	if (o->optimizer && optim_parse(o->optimizer, &cfg->optim))
		usage_error(usage, "--optimizer: expected %s, got '%s'",
			    names_list(&optim_names, choices, sizeof(choices)), o->optimizer);
	if (o->optimizer) /* named alone, it brings its own rate */
		lr_default = optim_default_lr(cfg->optim);
	if (strcmp(o->on_nonfinite, "stop") && strcmp(o->on_nonfinite, "skip"))
		usage_error(usage, "--on-nonfinite: expected stop or skip, got '%s'", o->on_nonfinite);
	if (o->lr_seen && !(o->lr > 0))
		usage_error(usage, "--lr: must be above 0");
	if (!o->lr_seen)
		o->lr = lr_default;
	if (parse_every(o->checkpoint_every, &o->ckpt_batches, &o->ckpt_seconds) < 0)
		usage_error(usage, "--checkpoint-every: expected N batches or Ns seconds, got '%s'",
			    o->checkpoint_every);
	if (o->resume && o->force)
		usage_error(usage, "--resume and --force contradict each other");
	if (o->sample_length_seen && !o->sample_every)
		usage_error(usage, "--sample-length goes with --sample-every K");
	if (o->record_sequences > o->batch_size)
		usage_error(usage, "--record-sequences %lld: a batch has only --batch-size %lld",
			    (long long)o->record_sequences, (long long)o->batch_size);
	if (o->valid_file && o->valid_share_seen)
		usage_error(usage, "--valid and --valid-share: give one held-out text");
	if (o->valid_share_seen && !(o->valid_share > 0 && o->valid_share < 1))
		usage_error(usage, "--valid-share: must be between 0 and 1 (exclusive), got %g",
			    o->valid_share);
	if ((o->valid_every_seen || o->valid_steps_seen) && !o->valid_file && !o->valid_share_seen)
		usage_error(usage, "--valid-every and --valid-steps go with --valid or --valid-share");
	if (!o->valid_every_seen)
		o->valid_every = o->record_every > 0 ? o->record_every : 100;
	if (!o->valid_file && !o->valid_share_seen)
		o->valid_every = 0;
	if (!o->valid_steps_seen)
		o->valid_steps = recvalid_default_steps(o->valid_every, (int)o->seq_len);
	if (o->lr_decay_seen && !(o->lr_decay > 0))
		usage_error(usage, "--lr-decay: must be above 0");
	if (o->lr_decay_after_seen && !o->lr_decay_seen)
		usage_error(usage, "--lr-decay-after goes with --lr-decay X");
	if (corpus_parse_size(o->max_corpus, &o->max_corpus_bytes) < 0)
		usage_error(usage, "--max-corpus: expected a size such as 500M or 4G, got '%s'",
			    o->max_corpus);
	for (int i = 0; i < npaths; i++)
		if (!strcmp(paths[i], "-") && npaths > 1)
			usage_error(usage, "'-' (stdin) must be the only corpus");
	rectokens_check(&o->tok, usage, npaths, o->valid_file != NULL);
}

/* Nothing is touched before the run is ours: its lock first, then what is
 * at -o (never anything but a run or an empty file). Returns the RUNPATH_
 * kind of what is there, or -1 (said why; the lock may be held: release
 * it). */
static int open_output(struct runlock *lock, const struct record_opts *o, char **paths,
		       int npaths)
{
	if (runpath_check_type(o->output) < 0 || runlock_take(lock, o->output) < 0)
		return -1;
	int kind = runpath_check(o->output, paths, npaths);
	if (kind < 0)
		return -1;
	if (kind != RUNPATH_ABSENT && !o->force && !o->resume) {
		error("%s: already exists (use --force to overwrite it, or --resume to go on with it)",
		      o->output);
		return -1;
	}
	return kind;
}

/* The corpus, read and encoded: c, v, *ids (to free) and its digest sha;
 * other tokens than bytes go to rectokens_prepare (o->tok gets them).
 * Returns 0, or -1 when it cannot be read or is too short for --seq-len
 * (said why). */
static int prepare_corpus(struct corpus *c, struct vocab *v, int32_t **ids, char sha[65],
			  struct record_opts *o, char **paths, int npaths)
{
	if (!o->tok.token_ids && load_corpus(c, paths, npaths, o->quiet, o->max_corpus_bytes) < 0)
		return -1;
	if (o->tok.kind != TOKENS_BYTES) /* rectokens.c: the corpus as other tokens */
		return rectokens_prepare(&o->tok, c, ids, sha, o->seq_len, o->batch_size);
	if (c->len == 0) {
		error("%s: corpus is empty", c->name);
		return -1;
	}
	if (c->len < (size_t)o->seq_len + 1) {
		error("%s: corpus has %zu bytes; --seq-len %lld needs at least %lld", c->name, c->len,
		      (long long)o->seq_len, (long long)o->seq_len + 1);
		return -1;
	}
	if (!trainer_fits(c->len, (int)o->seq_len, (int)o->batch_size)) {
		error("%s: corpus has %zu bytes; --batch-size %lld sequences of --seq-len %lld "
		      "need at least %lld", c->name, c->len, (long long)o->batch_size,
		      (long long)o->seq_len, (long long)o->batch_size * (o->seq_len + 1));
		return -1;
	}
	vocab_build(v, c->data, c->len);
	*ids = malloc(c->len * sizeof(int32_t));
	if (!*ids) {
		error("out of memory for a corpus of %zu bytes", c->len);
		return -1;
	}
	vocab_encode(v, *ids, c->data, c->len);
	sha256_hex(sha, c->data, c->len);
	return 0;
}

/* Whether the text left to train on after --valid-share still fits
 * --seq-len and --batch-size (said why when not). */
static int train_fits(const struct record_opts *o, size_t len)
{
	if (!o->valid_share_seen || trainer_fits(len, (int)o->seq_len, (int)o->batch_size))
		return 1;
	error("--valid-share %g: leaves %zu bytes to train on; --batch-size %lld sequences of "
	      "--seq-len %lld need at least %lld", o->valid_share, len, (long long)o->batch_size,
	      (long long)o->seq_len, (long long)o->batch_size * (o->seq_len + 1));
	return 0;
}

/* The threads of a run: --threads as given, else 1. Measured on the
 * 2-core machine this was written on, shared with other jobs (README
 * "Performance"): a second thread bought no wall-clock time there and
 * cost CPU, and a one-sequence run (the default) has no parts to share. */
static int record_threads(const struct record_opts *o)
{
	return o->threads > 0 ? (int)o->threads : 1;
}

/* Completes cfg from o and the vocabulary, builds the trainer and the run's
 * fingerprint (o->fp). Returns 0, or -1 out of memory (said why; nothing to
 * free). */
static int start_trainer(struct trainer *tr, struct train_config *cfg, struct record_opts *o,
			 int vocab_size, const int32_t *ids, size_t len, const char sha[65])
{
	cfg->layers = (int)o->layers;
	cfg->forget_bias = mix_has(cfg, CELL_LSTM) ? (float)o->forget_bias : 0.0f;
	cfg->H = (int)o->hidden;
	cfg->V = vocab_size;
	cfg->n = (int)o->seq_len;
	cfg->lr = (float)o->lr;
	cfg->clip = (float)o->clip;
	cfg->init_scale = (float)o->init_scale;
	cfg->seed = (uint64_t)o->seed;
	cfg->batch = (int)o->batch_size;
	cfg->record_sequences = (int)o->record_sequences;
	cfg->threads = record_threads(o);
	int bad = trainer_init(tr, cfg, ids, len) < 0;
	if (!bad && !o->no_diagnostics && trainer_diag_init(tr) < 0) {
		trainer_free(tr);
		bad = 1;
	}
	if (bad) {
		error("out of memory for the model (--hidden %lld, --layers %lld, --seq-len %lld)",
		      (long long)o->hidden, (long long)o->layers, (long long)o->seq_len);
		return -1;
	}
	memset(&o->fp, 0, sizeof(o->fp)); /* padding too: the checkpoint is checksummed */
	o->fp = (struct run_fingerprint){
		.cell = cfg->ncomp ? mix_code(cfg->comp, cfg->ncomp) : (int32_t)cfg->cell,
		.layers = cfg->layers, .forget_bias = cfg->forget_bias,
		.H = cfg->H, .V = cfg->V, .n = cfg->n, .act = cfg->act, .optim = cfg->optim,
		.save_params = o->save_params, .save_hidden = o->save_hidden, .lr = cfg->lr,
		.clip = cfg->clip, .init_scale = cfg->init_scale, .seed = cfg->seed,
		.batches = o->batches, .record_every = o->record_every,
		.batch_size = o->batch_size, .record_sequences = o->record_sequences,
	};
	memcpy(o->fp.corpus_sha256, sha, 65);
	if (o->sample_every) {
		o->fp.sample_every = o->sample_every;
		o->fp.sample_length = o->sample_length;
	}
	if (o->valid_every) {
		memcpy(o->fp.valid_sha256, o->valid->sha256, 65);
		o->fp.valid_every = o->valid_every;
		o->fp.valid_steps = o->valid_steps;
		o->fp.valid_share = o->valid_share_seen ? o->valid_share : 0;
	}
	if (o->lr_decay_seen) {
		o->fp.lr_decay = o->lr_decay;
		o->fp.lr_decay_after = o->lr_decay_after;
	}
	o->epoch = epoch_batches(tr->stretch, cfg->n);
	return 0;
}

/* The run file to write into: a new one (kind says what -o holds now), or
 * with --resume the existing run reopened. Returns it, or NULL with *rc set
 * (1: said why; 0: a resumed run is complete already). */
static struct runfile *open_run(struct trainer *tr, struct record_opts *o, int kind,
				const struct corpus *c, const struct vocab *v, const char *sha,
				const char *cmdline, int *rc)
{
	char created[32];
	int flags = (o->force ? RUNFILE_FORCE : 0) | (o->save_params ? RUNFILE_PARAMS : 0) |
		    (o->save_hidden ? RUNFILE_HIDDEN : 0) | RUNFILE_SEQUENCES(o->record_sequences) |
		    (o->no_diagnostics ? 0 : RUNFILE_DIAG | RUNFILE_DEAD) |
		    (o->no_unit_flow ? RUNFILE_NO_UNIT_FLOW : 0);
	*rc = 1;
	if (o->resume && kind == RUNPATH_RUN)
		return resume_run(tr, o, flags, cmdline, rc);
	created_utc(created);
	struct run_info info = {
		.software_version = RNNBOW_VERSION, .command_line = cmdline, .created_utc = created,
		.seed = tr->cfg.seed, .corpus_name = c->name, .corpus_bytes = (int64_t)c->len,
		.corpus_sha256 = sha, .activation = act_name(tr->cfg.act),
		.forget_bias = o->forget_bias, .vocab = v->bytes, .init_scale = o->init_scale,
		.optimizer = optim_name(tr->cfg.optim), .learning_rate = o->lr, .clip = o->clip,
		.batches = o->batches, .record_every = o->record_every,
		.sample_every = o->sample_every, .sample_length = o->sample_length,
		.batch_size = o->batch_size, .record_sequences = o->record_sequences,
		.valid_every = o->valid_every, .valid_steps = (int64_t)o->valid->ev.steps,
		.valid_bytes = (int64_t)o->valid->len, .valid_source = o->valid->source,
		.lr_decay = o->lr_decay_seen ? o->lr_decay : 0, .lr_decay_after = o->lr_decay_after,
		.epoch_batches = o->epoch, .init = o->init ? o->init_desc : NULL,
		.tokens = &o->tok.tv, .corpus_tokens = (int64_t)o->tok.count,
	};
	if (kind != RUNPATH_ABSENT)
		flags |= RUNFILE_FORCE; /* --force, or --resume of an empty file */
	struct runfile *rf = runfile_create(o->output, &info, &tr->m, tr->cfg.n, flags);
	if (rf && kind == RUNPATH_RUN)
		checkpoint_remove(o->output); /* the old run's: not this one's */
	return rf;
}

/* The exit status of a run that was stopped by a signal (saved: whether
 * its checkpoint was written), said on stderr. */
static int interrupted(const struct trainer *tr, const struct record_opts *o, int saved)
{
	if (saved) {
		error("interrupted by signal %d at batch %lld of %lld; checkpoint written: go on "
		      "with the same command and --resume", (int)stop_signal, (long long)tr->batch,
		      (long long)o->batches);
		return EXIT_RESUMABLE;
	}
	error("interrupted by signal %d at batch %lld of %lld; %s holds them", (int)stop_signal,
	      (long long)tr->batch, (long long)o->batches, o->output);
	return 1;
}

/* Trains into rf (closed on return, whatever happens) and returns the exit
 * status: 0, 1 (said why) or EXIT_RESUMABLE after a signal. */
static int run_training(struct trainer *tr, struct runfile *rf, const struct record_opts *o,
			int resumed)
{
	int64_t done = 0, recorded = 0, nonfinite = 0;
	struct runqueue *q = runqueue_start(rf, tr, o->save_params, o->save_hidden);
	if (!q) {
		runfile_close(rf);
		return 1;
	}
	/* a new run has a checkpoint from its first batch on, so a run that
	 * fails early (a full disk) can still be resumed */
	if (!resumed && checkpoint(tr, q, o) < 0) {
		runqueue_finish(q);
		return 1;
	}

	/* SIGINT, SIGTERM, SIGUSR1 (SLURM's warning before a time limit):
	 * finish the batch, checkpoint, close the file cleanly, exit 75 */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	int rc = train_loop(tr, q, o, &done, &recorded, &nonfinite) < 0;
	if (nonfinite && !strcmp(o->on_nonfinite, "skip") && !o->quiet)
		warning("%lld batches had a non-finite loss or gradient and were not applied "
			"(see /train/nonfinite)", (long long)nonfinite);
	int saved = 0;
	/* on a signal, and at the end: a complete run keeps its checkpoint,
	 * so that it can be extended (--resume with a larger --batches) */
	if (!rc && (stop_signal || tr->batch >= o->batches))
		saved = checkpoint(tr, q, o) == 0;
	if (runqueue_finish(q) < 0)
		rc = 1; /* the writer said why, and how to go on */
	if (stop_signal && !rc)
		rc = interrupted(tr, o, saved);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = {
		.cell = cell_name(CELL_RNN), .activation = act_name(ACT_TANH), .on_nonfinite = "stop",
		.hidden = 100, .layers = 1, .seq_len = 25, .batches = 10000, .forget_bias = 1.0,
		.record_every = 100, .seed = 1, .clip = 5, .sample_length = 200, .batch_size = 1,
		.record_sequences = 1,
		.checkpoint_every = "60s", .max_corpus = "4G", .max_corpus_bytes = CORPUS_MAX_DEFAULT,
		.tok = { .kind_name = "bytes", .vocab_size = 10000 },
	};
	/* a file size limit (ulimit -f) fails the write, reported, instead of
	 * killing the process half way through a row */
	signal(SIGXFSZ, SIG_IGN);
	/* before parsing: opts_parse reorders argv */
	char *cmdline = command_line(argc, argv);
	char **paths = argv;
	int npaths = parse_options(argc, argv, &o);
	struct train_config cfg = { 0 };
	struct corpus corpus = { 0 };
	struct vocab vocab;
	struct trainer tr;
	struct runfile *rf = NULL;
	struct runlock lock = { .fd = -1 };
	struct recsample samples = { 0 };
	struct recvalid valid = { 0 };
	int32_t *ids = NULL;
	char sha[65];
	int rc = 1, have_trainer = 0;

	check_options(&o, &cfg, paths, npaths);
	int kind = open_output(&lock, &o, paths, npaths);
	if (kind < 0 || prepare_corpus(&corpus, &vocab, &ids, sha, &o, paths, npaths) < 0)
		goto out;
	/* a resumed run goes on with its own --valid-steps unless told one */
	if (o.resume && kind == RUNPATH_RUN && o.valid_every && !o.valid_steps_seen &&
	    recvalid_resume_steps(o.output, &o.valid_steps) < 0)
		goto out;
	int other = o.tok.kind != TOKENS_BYTES; /* tokens of another kind than bytes */
	if (!other && tokens_from_bytes(&o.tok.tv, vocab.bytes, vocab.size) < 0) {
		error("out of memory");
		goto out;
	}
	/* less the held-out tail of --valid-share */
	size_t train_len = other ? o.tok.count : corpus.len;
	o.valid = &valid;
	if (recvalid_prepare(&valid, o.valid_every, o.valid_file, o.valid_share,
			     other ? NULL : corpus.data, ids, &train_len, &vocab,
			     other ? &o.tok.tv : NULL, o.max_corpus_bytes) < 0 ||
	    !train_fits(&o, train_len))
		goto out;
	if (start_trainer(&tr, &cfg, &o, other ? o.tok.tv.V : vocab.size, ids, train_len, sha) < 0)
		goto out;
	have_trainer = 1;
	/* --init before the file is made: a refused one leaves nothing */
	if (o.init && param_init_load(&tr.m, &o.tok.tv, o.init, o.init_desc,
				      sizeof(o.init_desc), o.fp.init_sha256) < 0)
		goto out;
	if (recvalid_start(&valid, &tr.m, o.valid_steps, (int)o.seq_len) < 0)
		goto out;
	if (recsample_init(&samples, &tr.m, o.sample_every, o.sample_length, cfg.seed,
			   vocab.bytes) < 0)
		goto out;
	samples.tv = other ? &o.tok.tv : NULL;
	o.samples = &samples;
	rf = open_run(&tr, &o, kind, &corpus, &vocab, sha, cmdline ? cmdline : "", &rc);
	if (rf)
		rc = run_training(&tr, rf, &o, o.resume && kind == RUNPATH_RUN);
out:
	runlock_release(&lock);
	free(cmdline);
	recsample_free(&samples);
	recvalid_free(&valid);
	if (have_trainer)
		trainer_free(&tr);
	free(ids);
	corpus_free(&corpus);
	rectokens_free(&o.tok);
	return rc;
}
