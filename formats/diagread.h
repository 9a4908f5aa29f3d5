/*
 * diagread.h - reading the diagnostics of one layer (/record/diag, SPEC 2
 * "Added in this round"; docs/FORMAT.md) in blocks of rows, beside a
 * recread of the same run: the caller reads rows [first, first + count) of
 * both. Every dataset's shape is checked against /model; a run recorded
 * without diagnostics is refused with one message naming what is missing.
 *
 * Workload: one block per recread block; a row is 3A + 2B floats and H
 * bytes (dead units, relu only), small beside g.
 */
#ifndef RNNBOW_DIAGREAD_H
#define RNNBOW_DIAGREAD_H

#include "runread.h"

#include <stddef.h>
#include <stdint.h>

#define DIAGREAD_MAX_ACTS 5
enum { DR_SAT, DR_GAMMA, DR_GAMMA_MAX, DR_RHO, DR_SIGMA_MAX, DR_DEAD, DR_COLS };

struct diagread {
	const struct run *run;
	int layer, H, G;
	int A, B;            /* activations; blocks of W_hh (1, or 1 + G) */
	char act_names[DIAGREAD_MAX_ACTS][16]; /* from the group's `activations` */
	int has_dead;        /* /record/diag/dead: a relu cell */
	char comp[16];       /* a mix: the component read (its datasets' prefix), else "" */
	size_t cap;
	hid_t dset[DR_COLS];
	char path[DR_COLS][64];
	float *sat, *gamma, *gamma_max; /* (cap, A) */
	float *rho, *sigma_max;         /* (cap, B): whole W_hh, then each gate */
	uint8_t *dead;                  /* (cap, H), NULL without has_dead */
};

/* Opens layer `layer`'s diagnostics of a run of H units and G gates (as
 * recread read /model), cap rows per block. A relu cell (relu 1) must have
 * the dead units. Returns 0, or -1 after one message "rnnbow CMD: PATH:
 * why" (a run without diagnostics: "no /record/diag/saturated (recorded
 * without diagnostics)"). */
int diagread_open(struct diagread *d, const struct run *run, int layer, int H, int G, int relu,
		  size_t cap);

/* The same for component comp of a mix (recread's comp; components: its
 * /model components), whose datasets carry its prefix
 * ("/record/diag/lstm.saturated") and whose activations are its list of
 * the group's; comp NULL or "": diagread_open. */
int diagread_open_comp(struct diagread *d, const struct run *run, int layer, int H, int G,
		       int relu, size_t cap, const char *comp, const char *components);

/* 1 when the run has diagnostics at all (its /record/diag group). */
int diagread_present(const struct run *run);

/* Reads rows [row0, row0 + count), count <= cap. Returns 0 or -1 (message). */
int diagread_rows(struct diagread *d, int64_t row0, int64_t count);

void diagread_close(struct diagread *d);

/* /train/clip_share of a run, or NULL path: checks it is there. Returns
 * 0, or -1 after a message naming it. */
int diagread_check_clip(const struct run *run);

#endif
