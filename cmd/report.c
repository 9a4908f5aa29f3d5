/*
 * report.c - rnnbow report RUN.h5 -o DIR: a static HTML report, no server
 * and no network. index.html shows what the run holds and its overview,
 * horizon, k and loss figures; the bars of the N batches with the largest
 * max gradient link to a page each (the batch figure with the horizon of
 * its largest loss, the heat map of g, a table of its steps). This is the
 * paper's coordinated drill-down, made from files. view.html beside them
 * is the interactive view of every batch (rnnbow view), linked from the
 * index. With unit_flow (and --save-hidden) the index shows the units
 * figure (and the hidden states) of the batch of the largest max gradient.
 * A mix's report is one component's (--component, default the first):
 * every figure and table of g, E, k, units and diagnostics is that
 * component's, the loss, samples and records' text the mix's own.
 */
#include "commands.h"
#include "diagwalk.h"
#include "plot.h"
#include "view.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../formats/sampleread.h"
#include "../formats/unitread.h"
#include "../libcore/analysis.h"
#include "../plots/webview.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: rnnbow report [OPTIONS] RUN.h5 -o DIR\n"
	"\n"
	"Write a static HTML report of a run into DIR (created if missing): open\n"
	"DIR/index.html in a browser. The bars of the top N batches by max gradient\n"
	"link to a page per batch. See rnnbow-report(1).\n"
	"\n";

struct top_batch {
	int64_t batch;
	double max_grad;
	int max_step;
};

static const char style[] =
	"body{font-family:sans-serif;max-width:1240px;margin:1em auto;color:#222}"
	"pre{background:#f6f6f6;padding:.6em;overflow:auto}"
	".frame{position:relative;width:1200px;height:600px}"
	".frame object{position:absolute;left:0;top:0;width:1200px;height:600px}"
	".frame a.bar{position:absolute;min-width:10px;transform:translateX(-50%);"
	"outline:2px solid #de2d26;background:rgba(222,45,38,.15)}"
	".frame a.bar:hover{background:rgba(222,45,38,.45)}"
	"table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
	"tr:nth-child(even){background:#f3f6fa}td.b{font-family:monospace;text-align:center}"
	"span.x{color:#de2d26}";

/* A byte as the figures show it: space, newline and tab as visible glyphs. */
static void html_byte(FILE *out, uint8_t b)
{
	char buf[2];
	webview_html_text(out, fig_glyph(b, buf));
}

/* A token: a byte's glyph, or the text of another kind's token. */
static void html_token(FILE *out, const struct recread *rr, int32_t id)
{
	size_t len;
	if (rr->tokens.kind == TOKENS_BYTES)
		html_byte(out, recread_byte(rr, id));
	else
		webview_html_text(out, recread_text(rr, id, &len));
}

/* A sample's bytes in a <pre>: text as it is (newlines and tabs too),
 * every other byte that is not printable ASCII as a marked \xHH. */
static void html_sample(FILE *out, const uint8_t *text, int64_t len)
{
	char c[2] = { 0 };
	for (int64_t i = 0; i < len; i++) {
		uint8_t b = text[i];
		if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t') {
			c[0] = (char)b;
			webview_html_text(out, c);
		} else {
			fprintf(out, "<span class=\"x\">\\x%02x</span>", b);
		}
	}
}

/* The samples of record --sample-every under the loss curve, oldest
 * first; nothing for a run without them. Returns 0 or -1 (message). */
static int samples_section(FILE *out, const char *run)
{
	struct run r;
	struct run_samples s;
	if (run_open(&r, run) < 0)
		return -1;
	int rc = run_samples_read(&s, &r);
	run_close(&r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	fprintf(out, "<h2>What the model wrote as it trained</h2>\n<p>%lld samples of %lld bytes "
		     "(record --sample-every), each drawn before its batch's update, with no "
		     "prime, at temperature 1; bytes that are not printable ASCII are shown as "
		     "<span class=\"x\">\\xHH</span>.</p>\n", (long long)s.count,
		(long long)s.length);
	for (int64_t i = 0; i < s.count; i++) {
		fprintf(out, "<h3>batch %lld</h3>\n<pre>", (long long)s.batch[i]);
		html_sample(out, s.text + i * s.length, s.length);
		fprintf(out, "</pre>\n");
	}
	run_samples_free(&s);
	return 0;
}

/* Whether name is a file this command writes. */
static int ours(const char *name)
{
	static const char *const fixed[] = { "index.html", "overview.svg", "horizon.svg",
					     "horizon-gates.svg", "k.svg", "loss.svg", "view.html",
					     "diagnose.svg", "units.svg", "hidden.svg" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(name, fixed[i]))
			return 1;
	long long b;
	char tail[8];
	return (sscanf(name, "batch-%lld.%7s", &b, tail) == 2 ||
		sscanf(name, "heatmap-%lld.%7s", &b, tail) == 2) &&
	       (!strcmp(tail, "html") || !strcmp(tail, "svg"));
}

/* --force: the old report goes first (index.html before the rest), so a
 * failure leaves no index pointing at a mix of old and new pages. */
static int clear_report(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/index.html", dir);
	if (unlink(path) < 0 && errno != ENOENT)
		return error("%s: %s", path, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (ours(e->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	return 0;
}

static void page_head(FILE *out, const char *title)
{
	fprintf(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<title>");
	webview_html_text(out, title);
	fprintf(out, "</title><style>%s</style></head>\n<body>\n<h1>", style);
	webview_html_text(out, title);
	fprintf(out, "</h1>\n");
}

/* The N records with the largest max_grad, largest first. */
static int find_top(struct recread *rr, struct top_batch *top, int want, int *have)
{
	const int n = rr->n;
	int64_t got;
	*have = 0;
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			struct top_batch c = { .batch = rr->batch[i] };
			c.max_grad = max_gradient(rr->itemized + (size_t)i * n * n, n, &c.max_step);
			if (isnan(c.max_grad)) /* not finite: not a top batch */
				continue;
			int at = *have < want ? (*have)++ : want;
			while (at > 0 && top[at - 1].max_grad < c.max_grad) {
				if (at < want)
					top[at] = top[at - 1];
				at--;
			}
			if (at < want)
				top[at] = c;
		}
	return got < 0 ? -1 : 0;
}

/* The component the report is of (--component; NULL: a mix's first),
 * and its label for headings ("" for one model). */
struct report_of {
	const char *component;
	char label[128];
};

static int figure(const struct report_of *of, enum kind kind, const char *run, const char *dir,
		  const char *name, int64_t batch, int64_t loss, const char *gate,
		  struct plot_opts *keep)
{
	struct plot_opts o;
	char path[4096];
	char *files[1] = { (char *)run };
	plot_opts_init(&o);
	o.kind = kind;
	o.r.src.gate = gate; /* NULL: the whole matrix; "all": one curve per gate */
	o.r.src.component = of->component;
	o.fmt = FIG_SVG;
	o.batch = batch;
	o.loss = loss;
	o.framed = kind == K_OVERVIEW;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o.output = path;
	int rc = plot_make(&o, files, 1);
	if (keep)
		*keep = o;
	return rc;
}

/* One page per top batch: its figures and a table of its steps. */
static int batch_page(const struct report_of *of, struct recread *rr, const char *run,
		      const char *dir, const struct top_batch *tb, int rank, int count,
		      const struct top_batch *all)
{
	const int n = rr->n;
	char name[64], path[4096];
	if (recread_find(rr, tb->batch) != 0)
		return error("%s: batch %lld vanished while reading", run, (long long)tb->batch);
	int worst = 0; /* the step with the largest loss: show its horizon */
	for (int t = 1; t < n; t++)
		if (rr->loss[t] > rr->loss[worst])
			worst = t;
	snprintf(name, sizeof(name), "batch-%lld.svg", (long long)tb->batch);
	if (figure(of, K_BATCH, run, dir, name, tb->batch, worst, NULL, NULL) < 0)
		return -1;
	snprintf(name, sizeof(name), "heatmap-%lld.svg", (long long)tb->batch);
	if (figure(of, K_HEATMAP, run, dir, name, tb->batch, -1, NULL, NULL) < 0)
		return -1;
	/* the figures read the file again: reload the record */
	if (recread_find(rr, tb->batch) != 0)
		return error("%s: batch %lld vanished while reading", run, (long long)tb->batch);

	snprintf(path, sizeof(path), "%s/batch-%lld.html", dir, (long long)tb->batch);
	FILE *out = fopen(path, "w");
	if (!out)
		return error("%s: %s", path, strerror(errno));
	char title[128];
	snprintf(title, sizeof(title), "batch %lld (rank %d by max gradient)%s%s",
		 (long long)tb->batch, rank + 1, *of->label ? ", " : "", of->label);
	page_head(out, title);
	fprintf(out, "<p><a href=\"index.html\">back to the run</a>");
	if (rank > 0)
		fprintf(out, " &middot; <a href=\"batch-%lld.html\">rank %d</a>",
			(long long)all[rank - 1].batch, rank);
	if (rank + 1 < count)
		fprintf(out, " &middot; <a href=\"batch-%lld.html\">rank %d</a>",
			(long long)all[rank + 1].batch, rank + 2);
	fprintf(out, "</p>\n<p>Corpus offset %lld. Max gradient %.4g at step %d. The largest loss "
		     "is at step %d (%.3f nats): its horizon g[%d,j] is drawn below the bars.</p>\n",
		(long long)rr->position[0], tb->max_grad, tb->max_step, worst, rr->loss[worst], worst);
	fprintf(out, "<object data=\"batch-%lld.svg\" type=\"image/svg+xml\" width=\"1200\" "
		     "height=\"800\"></object>\n<h2>g[t,j]</h2>\n<object data=\"heatmap-%lld.svg\" "
		     "type=\"image/svg+xml\" width=\"1200\" height=\"900\"></object>\n",
		(long long)tb->batch, (long long)tb->batch);
	fprintf(out, "<h2>Steps</h2>\n<table>\n<tr><th>step j</th><th>true</th><th>predicted</th>"
		     "<th>loss L_j</th><th>bar[j]</th><th>g[%d,j]</th></tr>\n", worst);
	for (int j = 0; j < n; j++) {
		double bar = 0;
		for (int t = j; t < n; t++)
			bar += rr->itemized[(size_t)t * n + j];
		int32_t ty = rr->target[j], py = rr->predicted[j];
		fprintf(out, "<tr><td>%d</td><td class=\"b\">", j);
		html_token(out, rr, ty);
		fprintf(out, "</td><td class=\"b\">");
		html_token(out, rr, py);
		fprintf(out, "</td><td>%.4f</td><td>%.4g</td><td>%.4g</td></tr>\n", rr->loss[j], bar,
			j <= worst ? rr->itemized[(size_t)worst * n + j] : 0.0);
	}
	fprintf(out, "</table>\n</body></html>\n");
	if (fclose(out) != 0)
		return error("%s: %s", path, strerror(errno));
	return 0;
}

/* The verdicts of diagnose --overall and its figure, or why there are
 * none (a run recorded without diagnostics). */
static void diagnostics_section(FILE *out, const struct verdict *vs)
{
	fprintf(out, "<h2>Diagnostics</h2>\n");
	if (!vs) {
		fprintf(out, "<p>Not recorded: the run has no /record/diag (recorded with "
			     "--no-diagnostics, or by an older rnnbow).</p>\n");
		return;
	}
	fprintf(out, "<p>rnnbow diagnose --overall at the default thresholds "
		     "(rnnbow-diagnose(1)).</p>\n<table>\n<tr><th>check</th><th>verdict</th>"
		     "<th>value</th><th>threshold</th><th>first batch</th><th>last batch</th>"
		     "<th style=\"text-align:left\">evidence</th></tr>\n");
	for (int i = 0; i < CHECKS; i++) {
		const struct verdict *v = &vs[i];
		fprintf(out, "<tr><td>%s</td><td style=\"color:%s\"><b>%s</b></td><td>%.4g</td>"
			     "<td>%.4g</td>", check_names[i], v->flagged ? "#a50f15" : "#006d2c",
			v->flagged ? "flagged" : "ok", v->value, v->threshold);
		for (int e = 0; e < 2; e++) {
			int64_t b = e ? v->last_batch : v->first_batch;
			if (b >= 0)
				fprintf(out, "<td>%lld</td>", (long long)b);
			else
				fprintf(out, "<td></td>");
		}
		fprintf(out, "<td style=\"text-align:left\">");
		webview_html_text(out, v->evidence);
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table>\n<object data=\"diagnose.svg\" type=\"image/svg+xml\" "
		     "width=\"1200\" height=\"1080\"></object>\n");
}

/* The verdicts of run, into vs. Returns 1 when the run has no
 * diagnostics, 0, or -1 after a message. */
static int run_verdicts(const char *path, const char *component, struct verdict *vs)
{
	struct run r;
	struct read_opts o;
	struct diag_walk_cb cb = { NULL, NULL, NULL };
	struct verdict_thresholds th;
	int rc = -1;
	read_opts_init(&o);
	o.src.component = component; /* a mix: the component's diagnostics */
	verdict_thresholds_default(&th);
	if (run_open(&r, path) < 0)
		return -1;
	if (!diagread_present(&r)) {
		run_close(&r);
		return 1;
	}
	struct verdict_acc *v = verdict_new(&th);
	if (!v)
		error("out of memory");
	else if (diag_walk(&r, &o, 1, &cb, v) == 0)
		rc = verdict_finish(v, vs) < 0 ? error("out of memory") : 0;
	verdict_free(v);
	run_close(&r);
	return rc;
}

/* The units figure (UR_FLOW in units) and the hidden states (UR_HIDDEN)
 * of one batch, when the run has them. */
static void units_section(FILE *out, unsigned units, int64_t batch)
{
	if (units & UR_FLOW)
		fprintf(out, "<h2>Hidden units by lag, batch %lld</h2>\n<p>The batch of the largest "
			     "max gradient: each unit's share of the gradient flow at each lag, the "
			     "units sorted by how far back it reaches (rnnbow units, rnnbow plot "
			     "units).</p>\n<object data=\"units.svg\" type=\"image/svg+xml\" "
			     "width=\"1200\" height=\"600\"></object>\n", (long long)batch);
	if (units & UR_HIDDEN)
		fprintf(out, "<h2>Hidden states, batch %lld</h2>\n<p>h_t of every unit over the "
			     "batch's text, LSTMVis's pattern view (rnnbow plot hidden).</p>\n"
			     "<object data=\"hidden.svg\" type=\"image/svg+xml\" width=\"1200\" "
			     "height=\"600\"></object>\n", (long long)batch);
}

static int index_page(const struct report_of *of, const char *run, const char *dir,
		      const struct top_batch *top, int count,
		      const struct plot_opts *ov, int gated, const struct verdict *vs,
		      unsigned units)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/index.html", dir);
	FILE *out = fopen(path, "w");
	if (!out)
		return error("%s: %s", path, strerror(errno));
	char title[1024];
	snprintf(title, sizeof(title), "rnnbow report: %s%s%s", run, *of->label ? ", " : "",
		 of->label);
	page_head(out, title);
	if (*of->label) {
		fprintf(out, "<p>A mix: every figure and table of gradients, horizons, units and "
			     "diagnostics below is ");
		webview_html_text(out, of->label);
		fprintf(out, " (rnnbow report --component); the loss, the records' text and "
			     "the samples are the mix's own.</p>\n");
	}
	char *info = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&info, &len);
	if (mem && info_describe(mem, run, of->component) == 0) {
		fclose(mem);
		fprintf(out, "<pre>");
		webview_html_text(out, info);
		fprintf(out, "</pre>\n");
	} else if (mem) {
		fclose(mem);
	}
	free(info);
	fprintf(out, "<p><a href=\"view.html\">The interactive view</a>: every recorded batch, "
		     "its bars stacked by lag and the horizon of each loss, by hover and arrow keys "
		     "(rnnbow view).</p>\n");
	fprintf(out, "<h2>Max gradient per recorded batch</h2>\n<p>The %d batches with the largest "
		     "max gradient are framed in red: click one for its page.</p>\n"
		     "<div class=\"frame\"><object data=\"overview.svg\" type=\"image/svg+xml\">"
		     "</object>\n", count);
	double span = ov->frame_xmax - ov->frame_xmin;
	for (int i = 0; i < count && span > 0; i++) {
		double left = FRAME_LEFT + (top[i].batch - ov->frame_xmin) / span *
						   (FRAME_RIGHT - FRAME_LEFT);
		double height = plot_frame_height(ov, top[i].max_grad) * (FRAME_TOP - FRAME_BOTTOM);
		fprintf(out, "<a class=\"bar\" href=\"batch-%lld.html\" title=\"batch %lld: max "
			     "gradient %.4g\" style=\"left:%.3f%%;bottom:%.3f%%;height:%.3f%%\"></a>\n",
			(long long)top[i].batch, (long long)top[i].batch, top[i].max_grad,
			100 * left, 100 * FRAME_BOTTOM, 100 * height);
	}
	fprintf(out, "</div>\n<table>\n<tr><th>rank</th><th>batch</th><th>max gradient</th>"
		     "<th>at step</th></tr>\n");
	for (int i = 0; i < count; i++)
		fprintf(out, "<tr><td>%d</td><td><a href=\"batch-%lld.html\">%lld</a></td>"
			     "<td>%.4g</td><td>%d</td></tr>\n", i + 1, (long long)top[i].batch,
			(long long)top[i].batch, top[i].max_grad, top[i].max_step);
	fprintf(out, "</table>\n");
	static const struct { const char *title, *file; int gated_only; } figs[] = {
		{ "Gradient decay with lag", "horizon.svg", 0 },
		{ "Gradient decay with lag, gate by gate", "horizon-gates.svg", 1 },
		{ "Truncation horizon k", "k.svg", 0 },
		{ "Training loss and gradient norm", "loss.svg", 0 },
	};
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++)
		if (gated || !figs[i].gated_only)
			fprintf(out, "<h2>%s</h2>\n<object data=\"%s\" type=\"image/svg+xml\" "
				     "width=\"1200\" height=\"600\"></object>\n", figs[i].title,
				figs[i].file);
	units_section(out, units, top[0].batch);
	if (samples_section(out, run) < 0) {
		fclose(out);
		return -1;
	}
	diagnostics_section(out, vs);
	fprintf(out, "<p>Made by rnnbow %s. The figures are SVG with hover text; the tables "
		     "behind them: rnnbow summarize, rnnbow horizon, rnnbow diagnose.</p>\n</body></html>\n",
		RNNBOW_VERSION);
	if (fclose(out) != 0)
		return error("%s: %s", path, strerror(errno));
	return 0;
}

int cmd_report(int argc, char **argv)
{
	const char *dir = NULL;
	int64_t ntop = 10;
	int force = 0;
	struct report_of of = { NULL, "" };
	const struct opt opts[] = {
		{ "output", 'o', OPT_STRING, &dir, .arg = "DIR",
		  .help = "where the report goes (required)" },
		{ "top", 0, OPT_INT, &ntop, 1, 1000, .arg = "N",
		  .help = "batches that get a page (default 10)" },
		{ "force", 0, OPT_FLAG, &force, .help = "replace a report already in DIR" },
		{ "component", 0, OPT_STRING, &of.component, .arg = "C",
		  .help = "a mix's component the report is of: a name\n"
			  "(rnn, lstm0, ...) or an index (default: the first)" },
		OPT_END,
	};
	int nargs = opts_parse(argc, argv, opts, usage);
	if (!dir)
		usage_error(usage, "no output folder: give -o DIR");
	if (nargs != 1)
		usage_error(usage, nargs ? "one run at a time" : "no run file given");
	const char *run = argv[0];
	if (!strcmp(run, "-"))
		usage_error(usage, "a report reads its run several times: give a file, not '-'");

	char path[4096], *dirbuf = strdup(dir);
	struct stat st;
	if (!dirbuf)
		return error("out of memory"), 1;
	for (size_t l = strlen(dirbuf); l > 1 && dirbuf[l - 1] == '/'; l--)
		dirbuf[l - 1] = '\0'; /* "rs/" -> "rs" */
	dir = dirbuf;
	snprintf(path, sizeof(path), "%s/index.html", dir);
	if (!force && stat(path, &st) == 0) {
		error("%s: holds a report already (use --force to replace it)", dir);
		free(dirbuf);
		return 1;
	}

	/* read and check the run before the folder is touched */
	struct run r;
	struct recread rr;
	struct top_batch *top = calloc((size_t)ntop, sizeof(*top));
	int count = 0, rc = 1, created = 0;
	if (!top) {
		free(dirbuf);
		return error("out of memory"), 1;
	}
	if (run_open(&r, run) < 0) {
		free(top);
		free(dirbuf);
		return 1;
	}
	const struct rec_source src = { .component = of.component, .mix_ok = 1 };
	if (recread_open_source(&rr, &r, RC_ITEMIZED | RC_POSITION | RC_TARGET | RC_PREDICTED |
						 RC_LOSS, &src) < 0)
		goto out_run;
	if (rr.ncomp) { /* the figures name the component as given by name, the first too */
		of.component = rr.comp;
		snprintf(of.label, sizeof(of.label), "component %s of %s", rr.comp, rr.components);
	}
	if (find_top(&rr, top, (int)ntop, &count) < 0)
		goto out;
	if (count == 0) {
		error("%s: no records to report", run);
		goto out;
	}
	if (mkdir(dir, 0777) == 0)
		created = 1;
	else if (errno != EEXIST) {
		error("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error("%s: not a folder", dir);
		goto out;
	}
	if (force && clear_report(dir) < 0)
		goto out;
	struct plot_opts ov;
	if (figure(&of, K_OVERVIEW, run, dir, "overview.svg", -1, -1, NULL, &ov) < 0 ||
	    figure(&of, K_HORIZON, run, dir, "horizon.svg", -1, -1, NULL, NULL) < 0 ||
	    (rr.G > 1 && figure(&of, K_HORIZON, run, dir, "horizon-gates.svg", -1, -1, "all", NULL) < 0) ||
	    figure(&of, K_K, run, dir, "k.svg", -1, -1, NULL, NULL) < 0 ||
	    figure(&of, K_LOSS, run, dir, "loss.svg", -1, -1, NULL, NULL) < 0)
		goto out;
	struct verdict vs[CHECKS];
	int diag = run_verdicts(run, of.component, vs);
	if (diag < 0 || (diag == 0 && figure(&of, K_DIAGNOSE, run, dir, "diagnose.svg", -1, -1, NULL,
					      NULL) < 0))
		goto out;
	/* what the run has of units, silently: a run without is reported without */
	unsigned units = (unitread_present_comp(&r, UR_FLOW, rr.comp) ? UR_FLOW : 0) |
			 (unitread_present_comp(&r, UR_HIDDEN, rr.comp) ? UR_HIDDEN : 0);
	if (((units & UR_FLOW) &&
	     figure(&of, K_UNITS, run, dir, "units.svg", top[0].batch, -1, NULL, NULL) < 0) ||
	    ((units & UR_HIDDEN) &&
	     figure(&of, K_HIDDEN, run, dir, "hidden.svg", top[0].batch, -1, NULL, NULL) < 0))
		goto out;
	for (int i = 0; i < count; i++)
		if (batch_page(&of, &rr, run, dir, &top[i], i, count, top) < 0)
			goto out;
	struct view_opts vo;
	view_opts_init(&vo);
	vo.component = of.component;
	snprintf(path, sizeof(path), "%s/view.html", dir);
	if (view_write(path, (char *const *)&run, 1, &vo) < 0)
		goto out;
	if (index_page(&of, run, dir, top, count, &ov, rr.G > 1, diag == 0 ? vs : NULL, units) < 0)
		goto out;
	printf("%s/index.html\n", dir);
	rc = 0;
out:
	if (rc && created) { /* a folder we made for a report that failed */
		clear_report(dir);
		rmdir(dir);
	}
	recread_close(&rr);
out_run:
	run_close(&r);
	free(top);
	free(dirbuf);
	return rc;
}
