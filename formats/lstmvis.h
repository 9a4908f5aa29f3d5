/*
 * lstmvis.h - a run's hidden states over a text as the file set LSTMVis
 * (Strobelt et al., github.com/HendrikStrobelt/LSTMVis) reads: one project
 * folder with lstm.yml naming
 *
 *   states.hdf5   one (N, H) float32 dataset per state and layer: h_l<l>,
 *                 and c_l<l> for LSTM (layer l 0-based in the name, 1-based
 *                 in lstm.yml, as LSTMVis counts)
 *   train.hdf5    word_ids (N) int32: the token id of each step
 *   train.dict    "TOKEN ID" a line, one per vocabulary entry, with the
 *                 bytes LSTMVis cannot show as a word remapped (<sp>, <nl>,
 *                 <tab>, <cr>, <0xNN>; see lstmvis_token); a run of words,
 *                 code points or ids: each token's text (lstmvis_word)
 *   meta.hdf5     rnnbow's per-step tracks (stepmeta.h): bar, max_grad,
 *                 k_exact, record_batch; only when the text is the run's
 *                 corpus, whose offsets the records' positions are
 *
 * Row t of every file is step t of the text: the state after reading its
 * t-th byte. These names are LSTMVis's, not the run file's (schema.c).
 * The states come from running the model forward over the text in chunks
 * (libcore/stream.h) and are written as they come: memory stays flat.
 * Datasets are contiguous and uncompressed (LSTMVis reads rows at random)
 * and carry no timestamps: the same export gives the same bytes.
 */
#ifndef RNNBOW_LSTMVIS_H
#define RNNBOW_LSTMVIS_H

#include "../libcore/model.h"
#include "../libcore/stepmeta.h"
#include "../libcore/tokens.h"

#include <stdio.h>

struct lstmvis_set {
	const char *dir;
	int force;                   /* replace an earlier export (exportdir.h) */
	const struct model *m;       /* parameters loaded */
	const int32_t *tokens;       /* (N) token ids of the text */
	int64_t N;
	const uint8_t *vocab;        /* (m->V) byte of each token id */
	const struct token_vocab *words; /* other tokens than bytes: their texts
					  (train.dict's, see lstmvis_word); NULL: bytes */
	int layer;                   /* the layer exported; -1: every layer */
	const struct step_meta *meta; /* NULL: no tracks */
	const char *name;            /* lstm.yml name and description */
	const char *description;
};

/* Writes the set. Returns 0, or -1 after one message (nothing is left
 * behind but a folder that existed before). */
int lstmvis_write(const struct lstmvis_set *s);

/* The dict token of byte b: printable ASCII but space as itself, else
 * <sp> <nl> <tab> <cr> or <0xNN>. buf holds at least 8 bytes. */
const char *lstmvis_token(char *buf, uint8_t b);

/* The dict token of a token's text s (len bytes): a one-byte text as
 * lstmvis_token; else s with each byte LSTMVis would split on or cannot
 * show (space, control bytes) as lstmvis_token names it; "<empty>" for
 * an empty text. Written to out. */
void lstmvis_word(FILE *out, const char *s, size_t len);

#endif
