/*
 * schema.h - every name of a run file in one place (docs/FORMAT.md, "Where
 * names live"): its groups, the /model, /train and root attributes, the
 * /train columns and the /record datasets, each with its element type,
 * its row shape and what makes it present. The writer (runfile_write.c),
 * resume (runfile_reopen), the readers (recread.c, runinfo.c) and the plot
 * legends walk these tables; adding a dataset is one entry here plus the
 * code that fills it. Layer l >= 1 of a per-layer dataset carries the
 * suffix _l<l>: schema_layer_name is the one place that rule lives.
 */
#ifndef RNNBOW_SCHEMA_H
#define RNNBOW_SCHEMA_H

#include "../libcore/train.h"

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Groups, from the root; params and vocab lie under record and model. */
#define SCHEMA_MODEL "model"
#define SCHEMA_TRAIN "train"
#define SCHEMA_RECORD "record"
#define SCHEMA_PARAMS "params"
#define SCHEMA_VOCAB "vocab"
/* (V) variable-length UTF-8 strings: the text of each token id, in place
 * of vocab in a run of other tokens than bytes (/model attribute tokens) */
#define SCHEMA_VOCAB_TEXT "vocab_text"
/* /samples (record --sample-every): text the model wrote as it trained */
#define SCHEMA_SAMPLES "samples"
#define SCHEMA_SAMPLES_BATCH "batch" /* (S) int64: the training batch sampled */
#define SCHEMA_SAMPLES_TEXT "text"   /* (S, N) uint8: N bytes, fixed-size rows */
#define SCHEMA_DIAG "diag"     /* under record: the diagnostics */
/* /valid (record --valid, --valid-share): the held-out loss as it trained */
#define SCHEMA_VALID "valid"
#define SCHEMA_VALID_BATCH "batch" /* (V) int64: the batch whose parameters were evaluated */
#define SCHEMA_VALID_LOSS "loss"   /* (V) float32: mean nats per held-out step */

/* Element types: little-endian in the file, native in memory. */
enum schema_type { ST_I64, ST_U64, ST_I32, ST_F32, ST_F64, ST_U8, ST_STR };

hid_t schema_ftype(enum schema_type t);
hid_t schema_mtype(enum schema_type t);
size_t schema_elem(enum schema_type t);

/* base for layer 0, base_l<l> above: "itemized_gates_l1". */
void schema_layer_name(char *buf, size_t len, const char *base, int layer);

/* ---- attributes ---- */

enum schema_attr_id {
	/* root */
	A_FORMAT, A_FORMAT_VERSION, A_SOFTWARE_VERSION, A_COMMAND_LINE, A_CREATED_UTC,
	A_HISTORY, A_SEED, A_CORPUS_NAME, A_CORPUS_BYTES, A_CORPUS_SHA256,
	/* /model */
	A_CELL, A_ACTIVATION, A_HIDDEN_SIZE, A_LAYERS, A_GATES, A_GATE_NAMES, A_FORGET_BIAS,
	A_VOCAB_SIZE, A_SEQ_LEN, A_INIT_SCALE, A_INPUT, A_INPUT_SIZE,
	/* /train */
	A_OPTIMIZER, A_LEARNING_RATE, A_CLIP, A_BATCHES, A_RECORD_EVERY,
	/* /samples */
	A_SAMPLE_EVERY, A_SAMPLE_LENGTH, A_SAMPLE_TEMPERATURE,
	A_BATCH_SIZE, A_RECORD_SEQUENCES, /* minibatch runs (B > 1) only */
	/* /record/diag (written with the group, not by write_attrs) */
	A_DIAG_ACTIVATIONS,
	/* /valid */
	A_VALID_EVERY, A_VALID_STEPS, A_VALID_SOURCE, A_VALID_BYTES,
	/* /train, --lr-decay */
	A_LR_DECAY, A_LR_DECAY_AFTER, A_EPOCH_BATCHES,
	/* root, --init */
	A_INIT,
	/* /model tokens and root corpus_tokens: runs of other tokens than bytes */
	A_TOKENS, A_CORPUS_TOKENS,
	/* /model, a mix (--cell mix or a list): its components' names */
	A_COMPONENTS,
	SCHEMA_ATTRS
};

struct schema_attr {
	const char *group; /* "" for the root */
	const char *name;
	enum schema_type type;
	const char *when;  /* NULL: always written; else when (for docs and readers) */
};

extern const struct schema_attr schema_attrs[SCHEMA_ATTRS];

/* An attribute's value; the field of its type counts. */
struct schema_value {
	const char *s;
	int64_t i;
	uint64_t u;
	double f;
};

/* Write or read attribute id on obj (its group, opened by the caller).
 * Same returns as h5util.h's h5_attr_* (0 or -1, no message). */
int schema_put(hid_t obj, enum schema_attr_id id, const struct schema_value *v);
int schema_get_str(hid_t obj, enum schema_attr_id id, char *buf, size_t len);
int schema_get_i64(hid_t obj, enum schema_attr_id id, int64_t *value);
int schema_get_f64(hid_t obj, enum schema_attr_id id, double *value);

/* 1 when the open file's root says format = "rnnbow" (RUNFILE_FORMAT):
 * a run of ours, of whatever version. */
int schema_is_run(hid_t file);

/* What /model says, read in one place. A missing attribute leaves its
 * field as run_model_read found it: strings "", numbers 0, layers and
 * gates 1 (what a file from before gated cells and layers means);
 * has_* say which optional ones were there. */
struct run_model {
	char cell[32], activation[32], gate_names[64], input[16];
	int64_t H, V, n, layers, gates, input_size;
	double forget_bias, init_scale;
	int has_cell, has_forget_bias, has_input;
	int bad; /* seq_len, hidden_size or vocab_size missing */
	/* a mix (cell "mix"): its components, e.g. "rnn,lstm,gru" (names:
	 * the cell's, with a rank when a kind repeats: "rnn0,rnn1"), their
	 * number; 0 and "" for one model */
	char components[64];
	int ncomp;
	int comp;           /* run_model_component's pick, or -1 */
	char comp_name[16]; /* its name: the prefix of its datasets */
};

/* Reads the attributes of the open /model group g. */
void run_model_read(struct run_model *rm, hid_t g);

/* Picks component `want` of a mix (a name, or an index; NULL: the first)
 * and makes rm describe it: cell, gates and gate_names become the
 * component's. Returns its index, or -1 when the run has no such
 * component (nothing said; rm unchanged). */
int run_model_component(struct run_model *rm, const char *want);

/* "rnnbow CMD: PATH: a mix of components (rnn, lstm, gru): not supported
 * by this command yet (...)" as one message for a reader that does not
 * read mixes (components: /model's); returns -1. */
int schema_refuse_mix(const char *path, const char *components);

/* ---- /train: one row per training batch ---- */

enum { TRAIN_BATCH, TRAIN_LOSS, TRAIN_GRAD_NORM, TRAIN_NONFINITE, TRAIN_CLIP_SHARE, TRAIN_COLS };

struct schema_train_col {
	const char *name;
	enum schema_type type;
	int optional; /* readers do without it (SPEC 2 lacks it) */
};

extern const struct schema_train_col schema_train[TRAIN_COLS];

/* "train/NAME" of column i. */
void schema_train_path(char *buf, size_t len, int i);

/* ---- /record: one row per recorded batch ---- */

/* Where a record's row of a dataset comes from (struct record). */
enum rec_src {
	SRC_BATCH, SRC_POSITION, SRC_INPUT, SRC_TARGET, SRC_PREDICTED, SRC_LOSS,
	SRC_G, SRC_E, SRC_GQ, SRC_EQ, SRC_H0, SRC_C0, SRC_HIDDEN, SRC_CELL, SRC_PARAM,
	SRC_SAT, SRC_GAMMA, SRC_GAMMA_MAX, SRC_RHO, SRC_SIGMA_MAX, SRC_DEAD, SRC_UNIT_FLOW,
};

/* A row's dimensions, by symbol: n (seq_len), H (hidden_size), G (gates),
 * A (the cell's activations, schema_diag_acts), B (the blocks of W_hh
 * whose spectrum is kept, schema_diag_blocks). */
enum rec_dim { DIM_END, DIM_N, DIM_H, DIM_G, DIM_A, DIM_B };

/* A and B of a cell of G gates (the cells have 1, 4 and 3): the vanilla
 * cell 1 and 1; LSTM i,f,g,o,tanh_c and W_hh + 4 gate blocks; GRU r,z,n
 * and W_hh + 3 gate blocks (libcore/diag.h, diagrec.h). */
int schema_diag_acts(int G);
int schema_diag_blocks(int G);

/* What makes a dataset present: its cell, the writer's flags. */
enum rec_when { W_ALWAYS, W_GATED, W_LSTM, W_HIDDEN, W_HIDDEN_LSTM, W_DIAG, W_DIAG_DEAD,
		W_UNIT_FLOW };

struct schema_rec {
	const char *name;   /* layer 0's; _l<l> above */
	enum schema_type type;
	unsigned char dim[3]; /* the row's shape, DIM_END-terminated */
	enum rec_when when;
	int pass;           /* writing order: pass by pass, layer by layer, */
	int slot;           /* slot by slot within a layer */
	enum rec_src src;
};

/* The datasets written once per record, in file order. */
enum { R_BATCH, R_POSITION, R_INPUT, R_TARGET, R_PREDICTED, R_LOSS, SCHEMA_RECORD_ONCE };
extern const struct schema_rec schema_record_once[SCHEMA_RECORD_ONCE];

/* The datasets every layer has, in the order docs/FORMAT.md and `info`
 * list them (the file's order is pass, layer, slot). */
enum { L_ITEMIZED, L_TRUNC, L_ITEMIZED_GATES, L_TRUNC_GATES, L_H0, L_C0, L_HIDDEN, L_CELL,
       L_DIAG_SATURATED, L_DIAG_GAMMA, L_DIAG_GAMMA_MAX, L_DIAG_RHO, L_DIAG_SIGMA_MAX,
       L_DIAG_DEAD, L_UNIT_FLOW, SCHEMA_LAYER_DATASETS };
extern const struct schema_rec schema_layer[SCHEMA_LAYER_DATASETS];

/* The row shape of e for a run of these sizes, into tail; returns its rank. */
int schema_rec_tail(const struct schema_rec *e, hsize_t *tail, int n, int H, int G);

/* A minibatch run itemizing S > 1 sequences (/train record_sequences)
 * gives the per-sequence datasets (position, input, target, predicted,
 * loss, h0, c0, hidden, cell) a sequence axis after R (SPEC 2): 1 when e
 * is one of them; schema_rec_tail_seq is schema_rec_tail with that axis. */
int schema_rec_per_sequence(const struct schema_rec *e);
int schema_rec_tail_seq(const struct schema_rec *e, hsize_t *tail, int n, int H, int G, int S);

/* "record/NAME" or "record/NAME_l<l>" (layer 0 for the once datasets). */
void schema_rec_path(char *buf, size_t len, const struct schema_rec *e, int layer);

/* A mix's component datasets: the name prefixed by the component's and a
 * dot, "lstm.itemized_l1" (the layer suffix as schema_layer_name), within
 * a group its own part alone ("diag/lstm.saturated_l0"); comp
 * NULL or "" is schema_layer_name. The parameters are named the same way
 * ("lstm.weight_hh_l0", from the block's table). */
void schema_comp_layer_name(char *buf, size_t len, const char *comp, const char *base,
			    int layer);
/* schema_rec_path of component comp's dataset (NULL, "": the run's own). */
void schema_rec_path_comp(char *buf, size_t len, const struct schema_rec *e, const char *comp,
			  int layer);

/* One /record dataset of one run, as the writer makes it. */
struct reccol {
	char name[40];      /* under /record ("diag/..." in its group), or /record/params */
	int in_params;
	int in_diag;        /* under /record/diag */
	enum schema_type type;
	int tail_rank;      /* row shape */
	hsize_t tail[3];
	enum rec_src src;
	size_t offset;      /* elements into the record's array for src */
	int comp;           /* a mix: 0 the record's own (shared) array, k + 1
			       component k's (record.comp[k]) */
};

/* The /record datasets of a run of model m and length n, in file order:
 * fills cols (cap entries) and returns how many, or -1 when cap is too
 * small. with_params/with_hidden: the optional datasets; extras, of
 * RECCOLS_*: the diagnostics (RECCOLS_DIAG, | RECCOLS_DEAD with dead of
 * relu cells) and the per-unit flow (RECCOLS_UNIT_FLOW). */
enum { RECCOLS_DIAG = 1, RECCOLS_DEAD = 2, RECCOLS_UNIT_FLOW = 4 };
int reccols_build(struct reccol *cols, int cap, const struct model *m, int n,
		  int with_params, int with_hidden, unsigned extras);

/* The same for a run itemizing S sequences (reccols_build is S = 1). */
int reccols_build_seq(struct reccol *cols, int cap, const struct model *m, int n,
		      int with_params, int with_hidden, unsigned extras, int S);

/* How many entries reccols_build can need at most. */
int reccols_max(const struct model *m);

/* Bytes of one row. */
size_t reccol_row_bytes(const struct reccol *c);

/* The row of record r that column c holds. */
const void *reccol_row(const struct reccol *c, const struct record *r);

#endif
