/*
 * diagrec.h - the diagnostics of a record (SPEC 1, docs/FORMAT.md
 * "Diagnostics"): what diag.h computes, put into a struct record for the
 * run writer, and the per-batch fired flags of relu units the trainer
 * keeps between records.
 *
 * Workload: record_diag_fill once per record (saturation: one pass over
 * the batch's gates; spectrum: LAPACK, O(G H^3) per layer); the fired
 * flags one pass over h per training batch, relu cells only.
 */
#ifndef RNNBOW_DIAGREC_H
#define RNNBOW_DIAGREC_H

#include "train.h"

/* Entries of rho and sigma_max per layer: 1 (W_hh) for the vanilla cell,
 * 1 + G for gated cells (the whole (GH, H) W_hh, then each gate's H x H
 * block in W_hh's order). The whole matrix of a gated cell is not square:
 * its rho is NaN (no spectral radius), its sigma_max the largest singular
 * value of the whole matrix. */
int diag_blocks(const struct model *m);

/* Adds the diagnostics arrays to a record from record_alloc; dead too
 * when with_dead and the cell is relu; with defer, a copy of every
 * layer's W_hh, so that the spectrum (the costly part, O(G H^3) per layer)
 * is left to record_diag_finish on another thread. Returns 0, or -1 when
 * out of memory (record_free frees what there is). */
int record_alloc_diag(struct record *r, const struct model *m, int with_dead, int defer);

/* Fills rho and sigma_max of a record whose spectrum was deferred (its
 * whh copy), with workspace w (diag_work_init for m->H; one per thread);
 * m gives the sizes only. Does nothing for a record not pending. The
 * numbers are those record_diag_fill would have given. */
void record_diag_finish(struct record *r, const struct model *m, struct diag_work *w);

/* Fills r's sat, gamma, gamma_max, rho and sigma_max of every layer from
 * the batch that rnn_forward left in c and the weights of m (as they were
 * when the gradient was taken), with workspace w (diag_work_init for
 * m->H); a record with a whh copy gets W_hh copied and spec_pending set
 * instead of rho and sigma_max. Does nothing when r has no diagnostics
 * arrays. */
void record_diag_fill(struct record *r, const struct rnn_cache *c, const struct model *m,
		      struct diag_work *w);

/* Turns tr's diagnostics on: the LAPACK workspace and, for the relu cell,
 * the fired flags (zero); a mix's, for each relu component, one after
 * another in component order. Returns 0, or -1 when out of memory. */
int trainer_diag_init(struct trainer *tr);
void trainer_diag_free(struct trainer *tr);

/* Bytes of tr->fired (the checkpoint keeps them): L H per relu model or
 * relu component of a mix; 0 when there is none. */
size_t trainer_fired_len(const struct trainer *tr);

/* After a training batch's forward: ORs its firing into tr->fired; when
 * rec has diagnostics arrays, fills them (record_diag_fill) and rec->dead
 * from the flags, which then start over (the next window begins with the
 * next batch). A mix: each component as one model, into rec->comp[k]
 * (the spectrum is never deferred there). Does nothing when tr->diag is
 * off. */
void trainer_diag_batch(struct trainer *tr, struct record *rec);

#endif
