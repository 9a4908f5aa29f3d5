/*
 * paraminit.h - `record --init FILE`: the starting parameters of a run
 * taken from a file instead of drawn at random. FILE is a run file
 * (RUN.h5: its last record's /record/params; RUN.h5:B: the record of
 * training batch B, both through paramread.h) or an HDF5 file of
 * PyTorch-named tensors at its root (weight_ih_l0, ..., weight_out,
 * bias_out: model.h's names, shapes and row-major layout).
 *
 * Workload: once per run, before the run file is created: reads every
 * parameter once.
 */
#ifndef RNNBOW_PARAMINIT_H
#define RNNBOW_PARAMINIT_H

#include "../libcore/model.h"
#include "../libcore/tokens.h"

#include <stdint.h>

/* Loads FILE's parameters into m->params (m already has the run's shape;
 * tv: the run's text of each token id, kind and texts checked against a
 * run file's). Refuses, with one line naming the parameter: a missing one, a
 * shape other than m's (both shapes), a non-finite value; a run file's
 * other vocabulary. On success `desc` gets what the file records as its
 * start ("PATH" or "PATH:B", B the record's batch) and sha the sha256 of
 * the loaded block (the checkpoint's fingerprint). Returns 0, or -1 (m's
 * parameters are then undefined). */
int param_init_load(struct model *m, const struct token_vocab *tv, const char *file, char *desc,
		    size_t desclen, char sha[65]);

#endif
