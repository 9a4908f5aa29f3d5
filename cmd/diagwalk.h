/*
 * diagwalk.h - one run's diagnostics, record by record and layer by layer,
 * joined with /train at the record's batch and k_exact from the layer's E
 * (docs/ANALYSIS.md, "diagnose"): what `diagnose`, `plot diagnose` and
 * `report` read. Each row goes to a callback and into the verdicts
 * (libcore/verdict.h), with every training batch in the window.
 *
 * Workload: streams the records in recread's blocks (only E and the
 * diagnostics are read, never g) and /train once.
 */
#ifndef RNNBOW_DIAGWALK_H
#define RNNBOW_DIAGWALK_H

#include "readers.h"
#include "../formats/diagread.h"
#include "../libcore/verdict.h"

#include <stdint.h>

/* One record and layer. */
struct diag_row {
	int64_t batch;
	int layer, H, G;
	int A;                                  /* activations */
	const char (*act_names)[16];            /* (A) */
	const char *gate_names[DIAGREAD_MAX_ACTS]; /* (G) when gated: the first G acts */
	double act_sat[DIAGREAD_MAX_ACTS], act_gamma[DIAGREAD_MAX_ACTS];
	double act_gamma_max[DIAGREAD_MAX_ACTS];
	double saturated, gamma, gamma_max;     /* over every activation */
	int relu, has_dead;
	double dead;                            /* count; NaN: not a relu cell */
	double rho, sigma_max;                  /* the whole W_hh */
	double gate_rho[DIAGREAD_MAX_ACTS], gate_sigma[DIAGREAD_MAX_ACTS]; /* (G) */
	double lambda;
	double clip_share, grad_norm;           /* /train at the batch; NaN: none or not finite */
	int k_exact;                            /* -1: not finite */
};

/* One training batch in the window. */
struct diag_batch {
	int64_t batch;
	double grad_norm, clip_share;
	int nonfinite;
};

struct diag_walk_cb {
	int (*row)(void *ctx, const struct diag_row *r);       /* NULL: none; <0 stops */
	int (*batch)(void *ctx, const struct diag_batch *b);   /* NULL: none */
	void *ctx;
};

/* A run's activations, for column names: the first G are the gates. */
struct diag_names {
	int A, G;
	char act[DIAGREAD_MAX_ACTS][16];
};

/* Checks that run has diagnostics for what o asks (its layers, /train's
 * clip shares) and fills names (when not NULL). Returns 0, or -1 after
 * one message. */
int diag_walk_check(const struct run *run, const struct read_opts *o, int all_layers,
		    struct diag_names *names);

/* Walks run: every record in o's window, its layers (all of them, or
 * o->src.layer when all_layers is 0), rows to cb->row and into v (when
 * not NULL); every training batch in the window to cb->batch and v.
 * Returns 0, or -1 after a message. */
int diag_walk(const struct run *run, const struct read_opts *o, int all_layers,
	      const struct diag_walk_cb *cb, struct verdict_acc *v);

#endif
