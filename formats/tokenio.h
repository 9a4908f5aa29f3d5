/*
 * tokenio.h - token vocabularies in files (docs/FORMAT.md, "Tokens"): the
 * run's /model attribute tokens and /model/vocab_text, written with the
 * run before SWMR starts and read by every reader; record --token-ids'
 * integer dataset and --token-vocab's file of one token per line; and the
 * digest that ties a run to its tokens.
 *
 * Workload: once per run or reader; a token-id dataset may hold hundreds
 * of millions of ids (read whole, checked in one pass).
 */
#ifndef RNNBOW_TOKENIO_H
#define RNNBOW_TOKENIO_H

#include "runfile.h"
#include "../libcore/tokens.h"

#include <hdf5.h>

/* Whether info's run has other tokens than bytes. */
int tokens_other(const struct run_info *info);

/* /model/vocab_text of tv (the attribute tokens is schema_attrs'). Returns
 * 0 or -1 (the caller says what failed). */
int tokens_write(hid_t model, const struct token_vocab *tv);

/* The vocabulary of an open run: /model vocab_text when /model has the
 * attribute tokens, else the bytes of /model/vocab (V of them). Returns 0,
 * or -1 after one message "rnnbow CMD: PATH: why". */
int tokens_read(struct token_vocab *tv, hid_t file, const char *path, int V);

/* record --token-ids FILE.h5:/PATH [--token-vocab VOCAB]: the ids, and the
 * vocabulary (VOCAB's lines, or the ids 0..max in decimal). Refuses with
 * one message a missing file or dataset, a dataset that is not of
 * integers or not one-dimensional, an id below 0 or not below the
 * vocabulary size. *content gets the SHA-256 of the ids (int32, little
 * endian). Returns 0, or -1 (nothing to free). */
int token_ids_load(const char *spec, const char *vocab_file, int32_t **ids, size_t *len,
		   struct token_vocab *tv, char content[65]);

/* The run's identity (corpus_sha256) for other tokens than bytes: the
 * SHA-256 of "rnnbow tokens KIND\n", the source's SHA-256 (content), "\n"
 * and every token's text as a 4-byte little-endian length and its bytes.
 * Returns 0 or -1 (out of memory, said). */
int tokens_identity(char out[65], const struct token_vocab *tv, const char content[65]);

#endif
