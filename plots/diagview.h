/*
 * diagview.h - the figure of `rnnbow plot diagnose`: panels over training
 * that share the batch axis, from series the caller read and binned
 * (cmd/plot_diag.c): saturation per activation, dead share (relu cells),
 * rho / sigma_max / lambda of W_hh on a log axis with the line 1, the
 * share of gradient entries clipping changed, and k.
 */
#ifndef RNNBOW_DIAGVIEW_H
#define RNNBOW_DIAGVIEW_H

#include "figure.h"

#include <stdint.h>

#define DIAGVIEW_MAX 5

struct diag_series {
	int64_t nr;                  /* records (or bins of them) */
	const double *x;             /* (nr) batch, or a bin's mean batch */
	int nacts;
	const char *act_names[DIAGVIEW_MAX];
	const double *sat[DIAGVIEW_MAX];   /* (nr) per activation */
	int relu;
	const double *dead_share;    /* (nr) relu cells */
	int nblocks;                 /* 1: W_hh; gated: one per gate */
	const char *block_names[DIAGVIEW_MAX];
	const double *rho[DIAGVIEW_MAX], *sigma[DIAGVIEW_MAX]; /* (nr) per block */
	const double *lambda;        /* (nr) */
	const double *k;             /* (nr) k_exact */
	double eps;
	int64_t nb;                  /* training batches (or bins of them) */
	const double *bx, *clip;     /* (nb) batch, clip share */
	int binned, binned_b;        /* records, batches are bin means */
};

void view_diagnose(struct figure *f, const struct diag_series *s);

#endif
