/*
 * ablatetok.h - the text rnnbow ablate scores, for a run of other tokens
 * than bytes (record --tokens utf8|words, --token-ids): tokenized with the
 * run's own vocabulary (docs/FORMAT.md "Tokens", docs/ANALYSIS.md
 * "Ablation"), as record tokenized its corpus and held-out text.
 */
#ifndef RNNBOW_ABLATETOK_H
#define RNNBOW_ABLATETOK_H

#include "../formats/runinfo.h"
#include "../libcore/tokens.h"

#include <stddef.h>
#include <stdint.h>

/* The ids of --text FILE (text: NULL for none), else of the run's held-out
 * text: record --valid FILE's file, or --valid-share's last valid_bytes
 * tokens of the corpus (checked against the run's corpus_sha256). A words
 * run's unknown word is <unk>; a code point the vocabulary lacks is
 * refused. *ids is to free. Returns 0, or -1 after one line. */
int ablate_token_ids(int32_t **ids, size_t *len, const char *text, const struct run_summary *s,
		     const struct token_vocab *tv, const char *file);

#endif
