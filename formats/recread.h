/*
 * recread.h - streaming the records of a run in blocks of rows, so that
 * memory stays flat whatever the number of records. Only the columns asked
 * for are read; every dataset's shape is checked against /model first, so
 * a damaged or foreign file is refused with a message, never misread.
 *
 * The itemized gradients and truncation errors read can be those of any
 * layer, and of one gate's block of the recurrent matrix (docs/FORMAT.md,
 * "Gated cells and stacked layers"): a gate is read as a hyperslab of
 * itemized_gates, so the block arrays have the same shape either way.
 */
#ifndef RNNBOW_RECREAD_H
#define RNNBOW_RECREAD_H

#include "runread.h"
#include "schema.h"
#include "../libcore/tokens.h"

enum recread_columns {
	RC_BATCH = 1 << 0,     /* always read */
	RC_POSITION = 1 << 1,
	RC_TARGET = 1 << 2,
	RC_PREDICTED = 1 << 3,
	RC_LOSS = 1 << 4,
	RC_ITEMIZED = 1 << 5,
	RC_TRUNC = 1 << 6,
};

/* Which g and E to read: layer `layer`'s whole recurrent matrix (gate
 * NULL), or the block of the gate of that name. */
struct rec_source {
	int64_t layer;       /* 0-based */
	const char *gate;    /* a name from /model gate_names, or NULL */
	int layer_given;     /* the user named the layer: labels say it */
	int64_t sequence;    /* a minibatch record's sequence whose position,
				target, predicted and loss are read (default 0) */
	/* a mix (docs/FORMAT.md "Components"): the component whose g and E
	 * are read, a name or an index (NULL: the first), when mix_ok; a
	 * reader without mix_ok is refused a mix's g and E in one line */
	const char *component;
	int mix_ok;
};

#define RECREAD_PATH 48

struct recread {
	const struct run *run;
	int n, H, V;
	int layers, G;       /* /model layers and gates (1 when absent: vanilla) */
	int layer, gate;     /* the source read; gate -1: the whole matrix */
	int S;               /* /train record_sequences: g sums S sequences; the
				per-sequence columns (position, target, predicted,
				loss) are read for one of them, */
	int sequence;        /* src's sequence (0 by default) */
	char cell[16];       /* /model cell ("" when absent: rnn) */
	char activation[32]; /* /model activation, "" when absent */
	char gate_names[64]; /* /model gate_names: "" or e.g. "i,f,g,o" */
	char comp[16];       /* a mix: the component read (its datasets' prefix), else "" */
	int ncomp;           /* a mix: its components; 0 for one model */
	char components[64]; /* a mix: /model components, "rnn,lstm,gru" */
	uint8_t vocab[256];  /* a byte run's bytes ('?' in a run of other tokens) */
	struct token_vocab tokens; /* every run's token texts (tokenio.h) */
	int64_t rows;        /* committed records */
	int64_t next;        /* first row of the next block */
	int64_t first;       /* first row of the current block */
	size_t cap;          /* rows per block */
	unsigned cols;
	hid_t dset[7];
	char path[7][RECREAD_PATH]; /* dataset of each column, without '/' */
	/* the current block, row-major */
	int64_t *batch;      /* (cap) */
	int64_t *position;   /* (cap) */
	int32_t *target;     /* (cap, n) */
	int32_t *predicted;  /* (cap, n) */
	float *loss;         /* (cap, n) */
	float *itemized;     /* (cap, n, n) */
	float *trunc;        /* (cap, n) */
};

/* Opens the columns asked for, of layer 0's whole matrix. Returns 0, or
 * -1 after one message "rnnbow CMD: PATH: why". */
int recread_open(struct recread *rr, const struct run *run, unsigned cols);

/* The same for the layer and gate of src (NULL: layer 0, whole matrix).
 * A layer beyond the run's, or a gate its cell does not have, is refused
 * with a message that says what the run has. */
int recread_open_source(struct recread *rr, const struct run *run, unsigned cols,
			const struct rec_source *src);

/* "layer 1, gate f", "layer 1", "gate f" or "" for src, into buf; layer
 * 0 is named only when given. */
void rec_source_name(char *buf, size_t len, const struct rec_source *src);

/* Reads the next block into the arrays; returns its row count, 0 at the
 * end, -1 on a read error (message printed). */
int64_t recread_next(struct recread *rr);

/* Reads the one record whose training batch is `batch` into row 0 of the
 * block. Returns 0, 1 when no such record exists, -1 on error. */
int recread_find(struct recread *rr, int64_t batch);

void recread_close(struct recread *rr);

/* The byte of token id, or '?' (outside the vocabulary, or other tokens). */
uint8_t recread_byte(const struct recread *rr, int32_t id);
/* The text of token id ("?" outside the vocabulary), *len its bytes. */
const char *recread_text(const struct recread *rr, int32_t id, size_t *len);

/* /train in blocks: batch, loss, grad_norm, nonfinite, clip_share. A run
 * without /train/nonfinite (another writer's: SPEC §2 does not have it)
 * gets the flag from the values: 1 where loss or grad_norm is NaN or
 * infinite; one without /train/clip_share (older runs) gets NaN there
 * and has_clip_share 0. */
struct trainread {
	const struct run *run;
	int64_t rows, next;
	size_t cap;
	hid_t dset[TRAIN_COLS];  /* schema_train's */
	int64_t *batch;
	float *loss, *grad_norm;
	uint8_t *nonfinite;
	float *clip_share;
	int has_clip_share;
};

int trainread_open(struct trainread *tr, const struct run *run);
int64_t trainread_next(struct trainread *tr);
void trainread_close(struct trainread *tr);

#endif
