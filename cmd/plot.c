/*
 * plot.c - rnnbow plot KIND: the paper's views as gnuplot figures (png,
 * svg with hover text, pdf), the same bytes for the same input. Here: the
 * options and their checks, the figure's size and its default title;
 * plot_data.c reads the run (or, for `horizon`, also the TSV of `rnnbow
 * horizon` on stdin) and reduces it to what the figure shows.
 */
#include "commands.h"
#include "plot.h"
#include "readers.h"
#include "../formats/msg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: rnnbow plot KIND [OPTIONS] RUN.h5|- -o FIG.png|FIG.svg|FIG.pdf\n"
	"\n"
	"KIND:\n"
	"  overview   max gradient per recorded batch (an envelope when they\n"
	"             outnumber the pixels); --mark B highlights a batch\n"
	"  batch      one batch (--batch B or --top 1): true over predicted bytes,\n"
	"             bars per step stacked by lag; --loss t adds that loss's horizon\n"
	"  horizon    decay curve with its p10-p90 band; several runs overlay; reads\n"
	"             rnnbow horizon's TSV on stdin too\n"
	"  k          k over training (k_exact from E, k_bound from g) at --eps\n"
	"  heatmap    g[t,j] of one batch (--batch B or --top 1), log colour scale\n"
	"  loss       training loss and gradient norm over all batches\n"
	"  trace      gradient tracing: the paths of every entry of weight_hh (of\n"
	"             --layer L, of --gate's block) in batch --batch B on the\n"
	"             unrolled grid, line width by paths; needs --save-params;\n"
	"             --shares: each component's share of the paths, record by\n"
	"             record over training (--from/--to)\n"
	"  diagnose   one layer's diagnostics over training (--layer L): saturation\n"
	"             per activation, dead relu units, rho, sigma_max and lambda of\n"
	"             W_hh against 1, clip share, k (see rnnbow-diagnose(1))\n"
	"  units      one batch's unit_flow (--batch B or --top 1), units x lag,\n"
	"             units sorted by reach (see rnnbow units)\n"
	"  hidden     one batch's hidden states (--batch B or --top 1), units x\n"
	"             steps under its text; runs recorded with --save-hidden\n"
	"\n"
	"options:\n";


const char *const plot_kind_names[PLOT_KINDS] = { "overview", "batch", "horizon", "k", "heatmap",
						  "loss", "trace", "diagnose", "units", "hidden" };

/* --- the command ------------------------------------------------------ */

void plot_opts_init(struct plot_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->font = "DejaVu Sans";
	o->batch = o->loss = o->mark = -1;
	o->lags = 4;
	read_opts_init(&o->r);
}

/* Figure sizes: on screen (pixels at 96 per inch), a paper's column and
 * a page. Without a height the kind sets it, as a ratio of the width: a
 * column's figure is taller for its width, its text being larger. */
enum size_class { SZ_SCREEN, SZ_COLUMN, SZ_PAGE, SZ_INCHES };
static const double height_ratio[3][PLOT_KINDS] = {
	/* overview batch horizon k    heatmap loss  trace diagnose units hidden */
	{ 0.5,      0.542, 0.5,   0.5,  0.75,   0.5,  0.6,  0.9,     0.75, 0.6 },  /* screen */
	{ 0.68,     0.85,  0.8,   0.68, 1.0,    0.85, 1.0,  1.6,     1.0,  0.85 }, /* column */
	{ 0.45,     0.55,  0.5,   0.45, 0.78,   0.6,  0.6,  1.0,     0.78, 0.6 },  /* page */
};

struct fig_size {
	double w, h; /* inches; h 0: from the kind */
	double dpi;  /* PNG pixels per inch */
	double pt;   /* text size unless --font gives one */
	enum size_class cls;
};

/* Parses --size S (NULL: the format's default) into z. Returns 0, or -1
 * when S is none of column, page, WxH (inches, 1 to 50) and W,H (pixels,
 * 100 to 20000). */
static int size_of(const char *s, enum fig_format fmt, struct fig_size *z)
{
	char *end;
	memset(z, 0, sizeof(*z));
	if (!s && fmt != FIG_PDF) { /* PNG and SVG for a screen, 1200 pixels */
		*z = (struct fig_size){ 12.5, 0, 96, 10, SZ_SCREEN };
		return 0;
	}
	if (!s) /* a PDF is made for print */
		s = "page";
	if (!strcmp(s, "column") || !strcmp(s, "page")) {
		z->cls = s[0] == 'c' ? SZ_COLUMN : SZ_PAGE;
		z->w = z->cls == SZ_COLUMN ? 3.3 : 7.0;
		z->pt = z->cls == SZ_COLUMN ? 8 : 9;
		z->dpi = 300;
		return 0;
	}
	double a = strtod(s, &end), b;
	if (*end == ',') { /* pixels */
		b = strtod(end + 1, &end);
		if (*end || a < 100 || a > 20000 || b < 100 || b > 20000 || a != floor(a) ||
		    b != floor(b))
			return -1;
		*z = (struct fig_size){ a / 96, b / 96, 96, 10, SZ_SCREEN };
		return 0;
	}
	if (*end != 'x' || end == s)
		return -1;
	b = strtod(end + 1, &end);
	if (!strcmp(end, "in"))
		end += 2;
	if (*end || !(a >= 1 && a <= 50 && b >= 1 && b <= 50))
		return -1;
	/* text for its width: 8 pt in a column, 9 pt on a page, 10 beyond */
	*z = (struct fig_size){ a, b, 300, a <= 4 ? 8 : a <= 8 ? 9 : 10, SZ_INCHES };
	return 0;
}

/* The option table: fills o, leaves KIND and the files in argv[0..return). */
static int parse_options(int argc, char **argv, struct plot_opts *o)
{
	const struct opt opts[] = {
		{ "output", 'o', OPT_STRING, &o->output, .arg = "FIG",
		  .help = "the figure; its extension picks the format (required)" },
		{ "batch", 0, OPT_INT, &o->batch, 0, 9.2e18, .arg = "B",
		  .help = "the recorded batch to show (batch, heatmap, units, hidden)" },
		{ "top", 0, OPT_INT, &o->top, 1, 1, .arg = "1",
		  .help = "the recorded batch with the largest max_grad" },
		{ "loss", 0, OPT_INT, &o->loss, 0, 1e9, .arg = "t",
		  .help = "batch: highlight loss t and draw its horizon" },
		{ "lags", 0, OPT_INT, &o->lags, 1, 32, .arg = "K",
		  .help = "batch: lag layers before the \"rest\" layer (default 4)" },
		{ "shares", 0, OPT_FLAG, &o->shares,
		  .help = "trace: the component shares of every record over\n"
			  "training, instead of one batch's paths" },
		{ "mark", 0, OPT_INT, &o->mark, 0, 9.2e18, .arg = "B",
		  .help = "overview: highlight training batch B" },
		{ "eps", 0, OPT_FLOAT, &o->r.eps, 0, 1e30, .arg = "X",
		  .help = "k, units: tolerated relative error (default 0.1);\n"
			  "units: reach where flow falls below X of lag 0" },
		{ "from", 0, OPT_INT, &o->r.from, 0, 9.2e18, .arg = "B",
		  .help = "horizon, k, overview, loss, diagnose, trace --shares:\n"
			  "only training batch B or later" },
		{ "to", 0, OPT_INT, &o->r.to, 0, 9.2e18, .arg = "B",
		  .help = "horizon, k, overview, loss, diagnose, trace --shares:\n"
			  "only training batch B or earlier" },
		READ_SOURCE_OPTS(o->r, GATE_HELP ";\nhorizon: --gate all draws one curve per gate"),
		{ "size", 0, OPT_STRING, &o->size, .arg = "S",
		  .help = "column (3.3 in wide, 8 pt text), page (7 in wide,\n"
			  "9 pt), WxH in inches (e.g. 3.3x2.5) or W,H in pixels\n"
			  "(96 per inch); default: page for PDF, 1200 pixels\n"
			  "wide for PNG and SVG; height from the kind when not\n"
			  "given; PNG of inch sizes at 300 dpi" },
		{ "yscale", 0, OPT_STRING, &o->yscale, .arg = "S",
		  .help = "overview: auto (default: log when the bars span more\n"
			  "than 3 decades), log or linear" },
		{ "font", 0, OPT_STRING, &o->font, .arg = "F",
		  .help = "font name and size in points at the figure's size\n"
			  "(default \"DejaVu Sans\", 10 pt; see --size)" },
		{ "title", 0, OPT_STRING, &o->title, .arg = "T",
		  .help = "the title (default: kind and run; none for sizes in\n"
			  "inches, where a paper's caption is the title)" },
		{ "no-title", 0, OPT_FLAG, &o->no_title, .help = "no title" },
		{ "keep-script", 0, OPT_STRING, &o->keep, .arg = "DIR",
		  .help = "also write DIR/FIG.gp, which re-renders the figure" },
		OPT_END,
	};
	return opts_parse(argc, argv, opts, usage);
}

/* The kinds that show one record (--batch B or --top 1). */
static int one_record(enum kind k)
{
	return k == K_BATCH || k == K_HEATMAP || k == K_UNITS || k == K_HIDDEN;
}

/* Refuses (usage error, exit 2) what cannot make a figure, before any
 * work: sets o->kind from KIND (argv[0]) and o->fmt from -o. */
static void check_options(struct plot_opts *o, char **argv, int nargs)
{
	if (nargs < 1)
		usage_error(usage, "no KIND given (overview, batch, horizon, k, heatmap, loss, trace, "
			    "diagnose, units, hidden)");
	int kind = -1;
	for (int i = 0; i < PLOT_KINDS; i++)
		if (!strcmp(argv[0], plot_kind_names[i]))
			kind = i;
	if (kind < 0)
		usage_error(usage, "unknown KIND '%s' (overview, batch, horizon, k, heatmap, loss, "
			    "trace, diagnose, units, hidden)", argv[0]);
	o->kind = (enum kind)kind;
	char **files = argv + 1;
	int nfiles = nargs - 1;
	if (!o->output)
		usage_error(usage, "no output file: give -o FIG.png, FIG.svg or FIG.pdf");
	enum fig_format fmt;
	if (fig_format_of(o->output, &fmt) < 0)
		usage_error(usage, "%s: unknown extension (use .png, .svg or .pdf)", o->output);
	if (nfiles < 1)
		usage_error(usage, "no run file given (use - for stdin)");
	if (nfiles > 1 && o->kind != K_HORIZON)
		usage_error(usage, "%s shows one run; only horizon overlays several", argv[0]);
	for (int i = 0, dashes = 0; i < nfiles; i++)
		if (!strcmp(files[i], "-") && ++dashes > 1)
			usage_error(usage, "stdin ('-') can be read once only");
	if (one_record(o->kind) && (o->batch < 0) == !o->top)
		usage_error(usage, "%s needs --batch B or --top 1 (one of them)", argv[0]);
	if (o->shares && o->kind != K_TRACE)
		usage_error(usage, "--shares goes with plot trace");
	if (o->shares && o->batch >= 0)
		usage_error(usage, "trace --shares draws every record (choose them with --from/--to), "
			    "not --batch");
	if (o->kind == K_TRACE && o->batch < 0 && !o->shares)
		usage_error(usage, "trace needs --batch B (or --shares)");
	if (o->kind == K_TRACE && o->top)
		usage_error(usage, "trace shows --batch B (--top ranks by itemized gradients)");
	if (o->loss >= 0 && o->kind != K_BATCH)
		usage_error(usage, "--loss goes with plot batch");
	if (o->r.from > o->r.to)
		usage_error(usage, "--from is after --to");
	read_source_check(&o->r.src, usage);
	if (o->kind == K_LOSS && (o->r.src.layer_given || o->r.src.gate))
		usage_error(usage, "--layer and --gate choose itemized gradients; loss shows /train");
	if (o->kind == K_DIAGNOSE && o->r.src.gate)
		usage_error(usage, "--gate chooses itemized gradients; diagnose shows every gate");
	if ((o->kind == K_UNITS || o->kind == K_HIDDEN) && o->r.src.gate)
		usage_error(usage, "--gate chooses itemized gradients; %s shows whole units "
			    "(--layer L chooses the layer)", argv[0]);
	if (gate_all(&o->r.src) && o->kind != K_HORIZON)
		usage_error(usage, "--gate all overlays every gate's decay curve: plot horizon only");
	o->fmt = fmt;
	struct fig_size z;
	if (o->size && size_of(o->size, fmt, &z) < 0)
		usage_error(usage, "--size: expected column, page, WxH in inches (1 to 50) or W,H "
			    "in pixels (100 to 20000), got '%s'", o->size);
	if (o->yscale && strcmp(o->yscale, "auto") && strcmp(o->yscale, "log") &&
	    strcmp(o->yscale, "linear"))
		usage_error(usage, "--yscale: expected auto, log or linear, got '%s'", o->yscale);
	if (o->yscale && o->kind != K_OVERVIEW)
		usage_error(usage, "--yscale goes with plot overview (the other kinds have "
			    "fixed scales)");
}

/* The folder of the figure must exist: say so before any work. Returns 0,
 * or -1 after one message. */
static int check_folder(char *output)
{
	char *slash = strrchr(output, '/');
	struct stat st;
	if (!slash)
		return 0;
	*slash = '\0';
	int ok = stat(*output ? output : "/", &st) == 0 && S_ISDIR(st.st_mode);
	*slash = '/';
	return ok ? 0 : error("%s: no such folder for the figure", output);
}

int cmd_plot(int argc, char **argv)
{
	struct plot_opts o;
	plot_opts_init(&o);
	int nargs = parse_options(argc, argv, &o);
	check_options(&o, argv, nargs);
	if (check_folder((char *)o.output) < 0)
		return 1;
	if (o.keep) {
		struct stat st;
		if (stat(o.keep, &st) < 0 || !S_ISDIR(st.st_mode))
			usage_error(usage, "--keep-script %s: not a directory", o.keep);
	}

	return plot_make(&o, argv + 1, nargs - 1) < 0 ? 1 : 0;
}

/* Adds " (layer 1, gate f)" to a default title when --layer or --gate
 * chose what is shown. */
static void source_title(char *title, size_t len, const struct rec_source *src)
{
	char source[96];
	struct rec_source each = *src;
	if (gate_all(src))
		each.gate = NULL;
	rec_source_name(source, sizeof(source), &each);
	if (gate_all(src))
		snprintf(source + strlen(source), sizeof(source) - strlen(source), "%sgate by gate",
			 source[0] ? ", " : "");
	if (source[0])
		snprintf(title + strlen(title), len - strlen(title), " (%s)", source);
}

/* The title of a figure for the screen when none is given: what it shows,
 * of which run, which batch, which layer or gate. */
static void default_title(char *title, size_t len, const struct plot_opts *o, char **files,
			  int nfiles)
{
	const char *what[] = { "max gradient per recorded batch", "one batch",
			       "gradient decay with lag", "truncation horizon k", "g[t,j]",
			       "training loss", "gradient paths of weight_hh in batch", "diagnostics",
			       "unit flow of batch", "hidden states of batch" };
	if (o->kind == K_TRACE && o->shares)
		snprintf(title, len, "%s: share of the gradient paths of weight_hh through each "
			 "component", files[0]);
	else if (one_record(o->kind) || o->kind == K_TRACE)
		snprintf(title, len, "%s: %s%s", files[0], what[o->kind],
			 o->top ? " (the largest max gradient)" : "");
	else
		snprintf(title, len, "%s%s%s", what[o->kind], nfiles == 1 ? ": " : "",
			 nfiles == 1 ? files[0] : "");
	if ((one_record(o->kind) || o->kind == K_TRACE) && o->batch >= 0)
		snprintf(title + strlen(title), len - strlen(title), " %lld", (long long)o->batch);
	source_title(title, len, &o->r.src);
}

int plot_make(struct plot_opts *o, char **files, int nfiles)
{
	char title[1024];
	const char *t = o->title;
	struct fig_size z;
	if (size_of(o->size, o->fmt, &z) < 0)
		return error("--size %s: not a size", o->size);
	int may_grow = z.h == 0;
	if (z.h == 0) { /* the kind's height; a batch's loss panel adds a third */
		/* trace --shares: lines over training with a key, as k */
		enum kind hk = o->kind == K_TRACE && o->shares ? K_K : o->kind;
		double r = height_ratio[z.cls == SZ_INCHES ? SZ_PAGE : z.cls][hk];
		z.h = z.w * r * (o->kind == K_BATCH && o->loss >= 0 ? 1.23 : 1);
	}
	o->width_in = z.w;
	o->height_in = z.h;
	o->dpi = z.dpi;
	/* a paper's figure has a caption for its title: none by default */
	if (!t && !o->no_title && z.cls == SZ_SCREEN) {
		default_title(title, sizeof(title), o, files, nfiles);
		t = title;
	}
	struct figure f;
	if (fig_begin(&f, o->fmt, o->width_in, o->height_in, o->dpi, o->font, z.pt, t) < 0)
		return error("out of memory");
	f.may_grow = may_grow;
	if (plot_render(&f, files, nfiles, o) < 0) {
		fig_discard(&f);
		return -1;
	}
	return fig_render(&f, o->output, o->keep);
}
