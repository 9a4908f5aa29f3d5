/*
 * views.h - the paper's views as gnuplot scripts, from data the caller has
 * already read and binned (no file access here). Each writes the body of a
 * figure (figure.h); the caller renders it.
 */
#ifndef RNNBOW_VIEWS_H
#define RNNBOW_VIEWS_H

#include "figure.h"

#include <stdint.h>

/* Max gradient per recorded batch: one bar per record (with hover text in
 * SVG), or an envelope (min, median, max per bin) when binned. */
struct overview {
	int64_t n;            /* bars or bins */
	int binned;
	const double *x;      /* (n) batch, or a bin's mean batch */
	const double *y;      /* (n) max_grad, or a bin's median */
	const double *lo, *hi; /* (n) a bin's min and max, when binned */
	const int *step;      /* (n) max_step, bars only */
	int64_t records;
	int has_mark;
	double mark_x, mark_y;
	int framed;             /* fixed margins and x range, for links */
	int log;                /* a log y axis */
	double xmin, xmax, ymin, ymax; /* the frame; y always drawn over [ymin, ymax] */
};
void view_overview(struct figure *f, const struct overview *o);

/* One recorded batch: true bytes over predicted bytes, bars per step
 * stacked by lag (darkest = own loss), and with loss >= 0 that loss's
 * horizon highlighted and drawn below. */
struct batch_view {
	int n, lags;               /* steps; lag layers before "rest" */
	int64_t batch, position;
	const float *g;            /* (n, n) */
	const uint8_t *target;     /* (n) bytes */
	const uint8_t *predicted;  /* (n) bytes */
	/* a run of other tokens than bytes: (n) texts shown instead of the
	 * bytes (words as labels; NULL: bytes) */
	const char *const *target_text, *const *predicted_text;
	int loss;                  /* a step t, or -1 */
};
void view_batch(struct figure *f, const struct batch_view *b);

/* Decay curves of one or more runs: median with its p10-p90 band, log y. */
struct decay_curve {
	const char *label;
	int n;
	const double *median, *p10, *p90; /* (n) NaN where a lag has no values */
};
void view_horizon(struct figure *f, const struct decay_curve *c, int ncurves);

/* k over training: k_exact and k_bound per record (or bin means). */
struct k_series {
	int64_t n;
	const double *x, *k_exact, *k_bound;
	double eps;
	int binned;
};
void view_k(struct figure *f, const struct k_series *k);

/* g[t,j] of one batch as an image, log10 colour scale, t down, j across. */
void view_heatmap(struct figure *f, const float *g, int n, int64_t batch);

/* Training loss and pre-clip gradient norm over all batches (bin means). */
struct loss_series {
	int64_t n;
	const double *x, *loss, *grad_norm;
	int binned;
	/* the held-out loss (/valid), drawn beside the loss with a key; vn 0: none */
	int64_t vn;
	const double *vx, *vloss;
};
void view_loss(struct figure *f, const struct loss_series *l);

/* The gradient flow of one record's units by lag (plot units): F (n, H)
 * as log10 F[d,u] / F[0,u], one row per unit in the order of unit[] (the
 * furthest reach first), each unit's reach marked, and the record's k. */
struct units_view {
	int n, H, layer;
	int64_t batch;
	const float *flow; /* (n, H) F[d,u] */
	const int *unit;   /* (H) units, top row first */
	const int *reach;  /* (H) reach of unit[i] (0: none, n: past the batch) */
	int k;             /* k_exact of the layer, -1: none */
	double eps;
};
void view_units(struct figure *f, const struct units_view *v);

/* One record's hidden states (plot hidden): h (n, H) as units (rows) x
 * steps (columns), diverging colours around 0, the input bytes below. */
struct hidden_view {
	int n, H, layer;
	int64_t batch;
	const float *h;       /* (n, H) h_t */
	const uint8_t *text;  /* (n) the input bytes x_t */
	const char *what;     /* the cell, for the note: "lstm", "rnn tanh" */
	/* a run of other tokens than bytes: (n) x_t's texts, shown instead of
	 * text (words cut to a fixed width; NULL: bytes) */
	const char *const *tokens;
};
void view_hidden(struct figure *f, const struct hidden_view *v);
/* Gradient tracing's paths of one batch on the unrolled grid: rows are
 * vertex kinds (bottom to top), columns steps; an edge per (from, to)
 * cell pair with the number of paths along it, and where paths start. */
struct trace_view {
	int n, rows;
	const char *const *row_names;  /* (rows) */
	int nedges;
	const int *t0, *r0, *t1, *r1;  /* (nedges) from (step, row) to (step, row) */
	const int64_t *count;          /* (nedges) paths along the edge */
	int nstarts;
	const int *st, *sr;            /* (nstarts) first vertices */
	const int64_t *scount;         /* (nstarts) paths starting there */
	int64_t paths, batch;
	const char *param;
};
void view_trace(struct figure *f, const struct trace_view *v);

/* Gradient tracing over training (plot trace --shares): per record, the
 * share of the traced paths that go through each component, one line a
 * component. */
struct trace_shares_view {
	int64_t nrec;
	const int64_t *batch;          /* (nrec) the records' training batches */
	int ncomp;
	const char *const *names;      /* (ncomp) "gate_f", "l1 cell_path", ... */
	const double *share;           /* (ncomp, nrec) */
	int64_t paths;                 /* paths per record */
	const char *param;
};
void view_trace_shares(struct figure *f, const struct trace_shares_view *v);

#endif
