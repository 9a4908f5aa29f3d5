/*
 * plot.h - making one figure of a run, for `rnnbow plot` and for the pages
 * of `rnnbow report`.
 */
#ifndef RNNBOW_PLOT_H
#define RNNBOW_PLOT_H

#include "readers.h"
#include "../plots/figure.h"

#include <stdint.h>
#include <string.h>

enum kind { K_OVERVIEW, K_BATCH, K_HORIZON, K_K, K_HEATMAP, K_LOSS, K_TRACE, K_DIAGNOSE, K_UNITS,
	    K_HIDDEN, KINDS };
#define PLOT_KINDS KINDS

struct plot_opts {
	enum kind kind;
	enum fig_format fmt;
	const char *output, *font, *title, *keep, *size, *yscale;
	int64_t batch, top, loss, lags, mark;
	int no_title;
	int shares;                  /* trace: the component shares over training */
	double width_in, height_in, dpi; /* set from --size by plot_make */
	int framed;                  /* overview: fixed margins, frame reported */
	double frame_xmin, frame_xmax, frame_ymin, frame_ymax; /* set by an overview */
	int frame_log;               /* ... and whether its y axis is logarithmic */
	struct read_opts r;
};

/* The KIND names, in enum kind's order. */
extern const char *const plot_kind_names[PLOT_KINDS];

/* --gate all (plot horizon): one curve per gate of each run. */
static inline int gate_all(const struct rec_source *src)
{
	return src->gate && !strcmp(src->gate, "all");
}

/* Defaults: the options of `rnnbow plot` with none given. */
void plot_opts_init(struct plot_opts *o);

/* Draws o->kind of files into o->output. Returns 0, or -1 after one
 * message; a failed figure leaves nothing behind. */
int plot_make(struct plot_opts *o, char **files, int nfiles);

/* Reads files (runs; "-" stdin: a run, or for horizon rnnbow horizon's
 * TSV) and draws o->kind of them into f (plot_data.c). Returns 0, or -1
 * after one message. */
int plot_render(struct figure *f, char **files, int nfiles, struct plot_opts *o);

/* Loads the record to show (--batch B, or --top 1: the largest max_grad)
 * into row 0 of rr, opened with RC_ITEMIZED. Returns 0, or -1 after one
 * message (not recorded, no records). */
int plot_pick_record(struct recread *rr, const struct plot_opts *o);

/* plot units and plot hidden of one run (plot_units.c). Returns 0, or -1
 * after one message. */
struct run;
int plot_units(struct figure *f, const struct run *run, const struct plot_opts *o);

/* The height of value v in an overview's frame, as a fraction of the
 * plot area (0 at its bottom, 1 at its top), on its linear or log axis. */
double plot_frame_height(const struct plot_opts *o, double v);

/* plot trace (plot_trace.c): the gradient-tracing paths of batch o->batch
 * from every entry of weight_hh of layer o->r.src.layer (of one gate's
 * block with --gate). Returns 0, or -1 after one message. */
int plot_trace(struct figure *f, struct run *run, const struct plot_opts *o);
/* plot trace --shares (plot_trace.c): per record in --from/--to, the share
 * of those paths through each component. 0, or -1 after one message. */
int plot_trace_shares(struct figure *f, struct run *run, const struct plot_opts *o);

/* With framed set, the overview's plot area spans these fractions of the
 * figure (left, right, bottom, top), so a page can lay links over bars. */
#define FRAME_LEFT 0.08
#define FRAME_RIGHT 0.97
#define FRAME_BOTTOM 0.12
#define FRAME_TOP 0.90

/* Bins of about the figure's width (one per 2 pixels), for reducers. */
int64_t plot_max_bins(const struct plot_opts *o);

struct run;
/* plot diagnose (plot_diag.c): one layer's diagnostics over training. */
int plot_diagnose(struct figure *f, const struct run *run, const struct plot_opts *o);

#endif
