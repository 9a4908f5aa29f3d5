/*
 * runinfo.h - what `rnnbow info` says about a run, read in one pass: the
 * root, /model and /train attributes, row counts, the recent loss, and
 * which per-layer datasets of /record are there.
 */
#ifndef RNNBOW_RUNINFO_H
#define RNNBOW_RUNINFO_H

#include "runread.h"
#include "schema.h"

#include <stddef.h>
#include <stdint.h>

/* The per-layer datasets of /record that info lists: schema.h's
 * schema_layer, in its order (see runinfo_layer_dataset for their names). */
#define RUNINFO_LAYER_DATASETS SCHEMA_LAYER_DATASETS
#define RUNINFO_MAX_LAYERS 64

struct run_summary {
	char software_version[64], created[64], command_line[4096];
	char history[16384]; /* lines: resumes and extensions, oldest first */
	char init[4096];     /* record --init: where the parameters came from, or "" */
	char corpus_name[1024], corpus_sha256[80];
	char cell[32], activation[32], optimizer[32], gate_names[64];
	char input[16];     /* "dense" for a library run of dense inputs; else "tokens" */
	int64_t input_size; /* dense: features per step */
	int64_t corpus_bytes, H, V, n, layers, gates, batches, record_every;
	int64_t batch_size, record_sequences; /* 1 when absent (one sequence) */
	double forget_bias;
	int has_forget_bias;
	int listed_layers;                       /* min(layers, RUNINFO_MAX_LAYERS) */
	unsigned layer_data[RUNINFO_MAX_LAYERS]; /* bit i: dataset i is there */
	int64_t train_rows, record_rows, first_rec, last_rec, size, loss_window;
	int64_t seed;
	double init_scale, lr, clip, recent_loss;
	int has_params, has_hidden, has_checkpoint;
	/* /samples (record --sample-every); sample_every 0: none */
	int64_t sample_every, sample_length, sample_rows, first_sample, last_sample;
	/* /valid (record --valid, --valid-share); valid_every 0: none. The
	 * last and the lowest held-out loss, with their batches */
	int64_t valid_every, valid_steps, valid_bytes, valid_rows, valid_last_batch, valid_best_batch;
	double valid_last, valid_best;
	char valid_source[1024];
	/* /train's --lr-decay; lr_decay 0: none */
	double lr_decay;
	int64_t lr_decay_after, epoch_batches;
	/* other tokens than bytes (/model tokens; "" in a byte run): the
	 * kind, the corpus' tokens, the first tokens' texts escaped */
	char tokens[16];
	int64_t corpus_tokens;
	char token_preview[256];
	/* a mix (cell "mix"): its components ("rnn,lstm,gru"), their number,
	 * and the one whose datasets layer_data lists (its name; run_summarize
	 * picks the first). cell, gates and gate_names stay the run's: "mix",
	 * 1 and "". ncomp 0 for one model. */
	char components[64], comp[16];
	int ncomp;
};

/* Fills s from an open run. Missing attributes and datasets leave their
 * fields zero or empty (layers and gates 1, recent_loss -1): info shows
 * what there is. */
void run_summarize(struct run_summary *s, const struct run *r);

/* The same with the datasets of component `component` (a name or an
 * index) of a mix listed. Returns 0, or -1 when the run is a mix without
 * such a component (nothing said; s holds the first's). */
int run_summarize_comp(struct run_summary *s, const struct run *r, const char *component);

/* The name under /record of per-layer dataset i (0 ..
 * RUNINFO_LAYER_DATASETS - 1) of layer l, e.g. "itemized_gates_l1". */
void runinfo_layer_dataset(char *buf, size_t len, int i, int l);
/* The same for component comp of a mix ("lstm.itemized_gates_l1"); comp ""
 * is runinfo_layer_dataset. */
void runinfo_comp_dataset(char *buf, size_t len, const char *comp, int i, int l);

#endif
