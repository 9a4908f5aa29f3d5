/*
 * runfile.h - writing a run file (SPEC 2, format version 1): HDF5, one file
 * per run, every growing dataset chunked and extendable, written under
 * single-writer/multiple-reader (SWMR) mode so that a reader can follow a
 * run while it trains and a killed run keeps every row it had flushed.
 *
 * Workload: /train gets one row per training batch (thousands per second),
 * written in blocks the caller buffers; /record gets one row per recorded
 * batch, written and flushed at once. Chunk layout and the measurements
 * behind it: docs/FORMAT.md. Not thread-safe (neither is HDF5): one thread
 * makes every call, see runqueue.h.
 */
#ifndef RNNBOW_RUNFILE_H
#define RNNBOW_RUNFILE_H

#include "../libcore/tokens.h"
#include "../libcore/train.h"

#define RUNFILE_FORMAT "rnnbow"
#define RUNFILE_FORMAT_VERSION 1

/* What the root, /model and /train attributes say about a run. */
struct run_info {
	const char *software_version;
	const char *command_line;
	const char *created_utc;    /* ISO 8601, e.g. 2026-11-23T18:15:40Z */
	uint64_t seed;
	const char *corpus_name;
	int64_t corpus_bytes;
	const char *corpus_sha256;
	const char *activation;
	double forget_bias;         /* LSTM only */
	const uint8_t *vocab;       /* (V) byte value of each token id */
	double init_scale;
	const char *optimizer;
	double learning_rate;
	double clip;
	int64_t batches;            /* planned */
	int64_t record_every;
	int64_t batch_size;         /* B; 0 or 1: one sequence, no attribute */
	int64_t record_sequences;   /* S itemized (written with batch_size) */
	/* librnnbow: what layer 0 reads, "tokens" or "dense", and how many
	 * inputs; NULL writes neither attribute (a file of `rnnbow record`,
	 * whose inputs are the vocabulary's token ids) */
	const char *input;
	int64_t input_size;
	/* record --sample-every: /samples holds text drawn at batches 0, K,
	 * 2K, ... (K = sample_every, 0: no /samples), sample_length bytes each */
	int64_t sample_every, sample_length;
	/* record --valid, --valid-share: /valid holds the held-out loss of
	 * batches 0, K, 2K, ... (K = valid_every, 0: no /valid), over the
	 * first valid_steps steps of valid_source (valid_bytes long) */
	int64_t valid_every, valid_steps, valid_bytes;
	const char *valid_source;
	/* record --lr-decay X --lr-decay-after N (lr_decay 0: not given);
	 * epoch_batches: the batches of one pass over the training text */
	double lr_decay;
	int64_t lr_decay_after, epoch_batches;
	/* record --init: where the parameters started ("PATH" or "PATH:B"),
	 * NULL: drawn at random */
	const char *init;
	/* record --tokens, --token-ids: what the ids stand for (NULL or kind
	 * bytes: /model/vocab of `vocab`, as ever), and the corpus' length in
	 * tokens */
	const struct token_vocab *tokens;
	int64_t corpus_tokens;
};

enum runfile_flags {
	RUNFILE_FORCE = 1,       /* replace an existing run (the caller checked it is one) */
	RUNFILE_PARAMS = 2,      /* /record/params/NAME */
	RUNFILE_HIDDEN = 4,      /* /record/hidden (and cell, per layer) */
	RUNFILE_LIBRARY = 8,     /* librnnbow writes: messages give no command-line advice */
	RUNFILE_DIAG = 16,       /* /record/diag (attr activations; saturated ... sigma_max) */
	RUNFILE_DEAD = 32,       /* with RUNFILE_DIAG: /record/diag/dead of relu cells */
	RUNFILE_NO_UNIT_FLOW = 64, /* without /record/unit_flow (record --no-unit-flow) */
};
/* A minibatch run itemizing S > 1 sequences: flags | RUNFILE_SEQUENCES(S)
 * gives the per-sequence /record datasets their sequence axis. */
#define RUNFILE_SEQUENCES(S) ((S) > 1 ? (int)(S) << 8 : 0)

struct runfile;

/* Creates path with every group, attribute and dataset, then starts SWMR
 * writing. Refuses an existing file unless RUNFILE_FORCE; with it, the
 * new run is laid out as PATH.new and renamed over path only once SWMR
 * writing has started, so a failure leaves the old file as it was. The
 * caller holds the run's lock (runlock.h). On failure prints
 * "rnnbow CMD: PATH: why", removes what it created and returns NULL. */
struct runfile *runfile_create(const char *path, const struct run_info *info,
			       const struct model *m, int n, int flags);

/* Reopens a run to go on writing it after an interruption (a clean close
 * or a SIGKILL): clears the writer flag a killed run leaves, moves the
 * end-of-allocation to the end of the file (a killed run's superblock
 * may lag what was written, and new data must not land on old), cuts
 * /train to train_rows rows and /record to record_rows rows (what the
 * checkpoint had committed), sets /train's planned batches to planned
 * (raised when a run is extended), adds the line history to the root's
 * "history" attribute, and starts SWMR writing again. Returns NULL
 * after a message if the file does not fit (fewer rows, other columns). */
struct runfile *runfile_reopen(const char *path, const struct model *m, int n, int flags,
			       int64_t train_rows, int64_t record_rows, int64_t planned,
			       const char *history);

/* Flushes everything and fsyncs the file: what a checkpoint relies on. */
int runfile_sync(struct runfile *f);

/* A block of /train rows, buffered by the caller: one (cap) array per
 * column of schema.h's schema_train (batch int64, loss and grad_norm
 * float, nonfinite uint8 1: NaN or Inf, no update, clip_share float), filled by
 * train_rows_add. */
#define RUNFILE_TRAIN_COLS 5
struct train_rows {
	void *col[RUNFILE_TRAIN_COLS];
	size_t n, cap;
};

int train_rows_alloc(struct train_rows *t, size_t cap); /* 0 or -1 */
void train_rows_free(struct train_rows *t);
void train_rows_add(struct train_rows *t, const struct batch_stats *st); /* n < cap */

/* Appends the rows to /train and flushes them. Returns 0 or -1 (message
 * printed). */
int runfile_write_train(struct runfile *f, const struct train_rows *t);

/* Appends one /record row to every /record dataset and flushes each, so
 * the row is committed when this returns 0. Returns -1 on failure. */
int runfile_add_record(struct runfile *f, const struct record *r);

/* Appends one /samples row (text: the length the run was created with)
 * and flushes it. Returns 0 or -1 (message printed). */
int runfile_add_sample(struct runfile *f, int64_t batch, const uint8_t *text);

/* Appends one /valid row and flushes it. Returns 0 or -1 (message
 * printed). */
int runfile_add_valid(struct runfile *f, int64_t batch, float loss);

/* Closes the file and fsyncs it. Returns 0 or -1; the file is closed and
 * f freed either way. */
int runfile_close(struct runfile *f);

#endif
