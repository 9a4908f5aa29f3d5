/*
 * view.c - rnnbow view RUN.h5... -o VIEW.html: the paper's interactive
 * interface (its Figure 5) as one HTML file that opens from disk with no
 * server and no network: the overview of max gradient per batch (hover
 * previews a batch, click selects it), the batch's true bytes over its
 * predictions, its bars stacked by lag (hover a segment: every segment of
 * that loss lights up) and the loss's horizon below, a decay-curve panel,
 * a layer and gate selector, several runs on one batch axis.
 *
 * Here: the options and the reading. Each run is streamed once for its
 * records (bytes, losses) and once per source (layer, gate) for g and E,
 * a block at a time (recread_next), and written out as it goes: memory is
 * the block, the overview's bins (plots/envelope.h, the binning of `plot
 * overview`) and the decay histograms, whatever the number of records.
 * The page's script, style and markup are plots/view.{js,css,html},
 * embedded at build time; plots/webview.h says how the data are encoded.
 */
#include "commands.h"
#include "opts.h"
#include "view.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../libcore/analysis.h"
#include "../plots/envelope.h"
#include "../plots/webview.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* plots/view.{css,js,html}, embedded by the Makefile (tools/embed.c) */
extern const unsigned char rnnbow_view_css[], rnnbow_view_js[], rnnbow_view_html[];

static const char usage[] =
	"usage: rnnbow view [OPTIONS] RUN.h5... -o VIEW.html\n"
	"\n"
	"Write the paper's interactive interface for runs as one HTML file, data\n"
	"included, that opens from disk in a browser (no server, no network): the\n"
	"overview of max gradient per batch (hover previews, click selects), the\n"
	"batch's bytes and its bars stacked by lag, the horizon of the hovered\n"
	"loss, the decay curve; arrow keys move between batches and losses.\n"
	"Several runs share one batch axis. See rnnbow-view(1).\n"
	"\n";

/* bins of the overview: about one per 2 pixels of a wide screen's lane */
#define VIEW_BINS 800

void view_opts_init(struct view_opts *o)
{
	*o = (struct view_opts){ .from = 0, .to = INT64_MAX, .every = 0, .max_records = 20000,
				 .lags = 5, .eps = 0.1 };
}

/* Which rows of a run the page holds: those in the window, every K-th. */
struct pick {
	int64_t from, to, every, seen;
};

static int pick_row(struct pick *p, int64_t batch)
{
	if (batch < p->from || batch > p->to)
		return 0;
	return p->seen++ % p->every == 0;
}

/* Counts the rows in the window (reading /record/batch only) and sets
 * the step: every, or the least that keeps to max_records. */
static int count_window(const struct run *run, const struct view_opts *o, int64_t *rows,
			struct pick *p, int64_t *kept)
{
	struct recread rr;
	int64_t got, in = 0;
	if (recread_open(&rr, run, 0) < 0)
		return -1;
	*rows = rr.rows;
	while ((got = recread_next(&rr)) > 0)
		for (int64_t i = 0; i < got; i++)
			in += rr.batch[i] >= o->from && rr.batch[i] <= o->to;
	recread_close(&rr);
	if (got < 0)
		return -1;
	if (in == 0)
		return error("%s: no records%s", run->path,
			     o->from > 0 || o->to < INT64_MAX ? " in --from/--to" : "");
	*p = (struct pick){ .from = o->from, .to = o->to, .every = o->every };
	if (!p->every)
		p->every = o->max_records > 0 && in > o->max_records ?
			   (in + o->max_records - 1) / o->max_records : 1;
	if (!o->every && p->every > 1)
		warning("%s: %lld records: one in %lld is in the view (--every, --max-records)",
			run->path, (long long)in, (long long)p->every);
	*kept = (in + p->every - 1) / p->every;
	return 0;
}

/* What the page says of a run's model. */
struct shape {
	char cell[16], activation[32], gate_names[64];
	int n, H, layers, G;
	const char *tokens;  /* a run of other tokens than bytes: its kind, else NULL */
	char comp[16], components[64]; /* a mix: the component shown, and all; else "" */
};

/* A mix: the component's cell and gates (the page's sources), read
 * before anything is written, so that --component nosuch is refused
 * first. One model: nothing to do. Returns 0 or -1 (message). */
static int pick_component(const struct run *run, const struct rec_source *src, struct shape *m)
{
	struct recread rr;
	if (recread_open_source(&rr, run, RC_ITEMIZED, src) < 0)
		return -1;
	if (rr.ncomp) {
		snprintf(m->comp, sizeof(m->comp), "%s", rr.comp);
		snprintf(m->components, sizeof(m->components), "%s", rr.components);
		memcpy(m->cell, rr.cell, sizeof(m->cell));
		memcpy(m->gate_names, rr.gate_names, sizeof(m->gate_names));
		m->G = rr.G;
		m->layers = rr.layers;
	}
	recread_close(&rr);
	return 0;
}

/* A run of other tokens: the text of every id the page's records use, as
 * #tok-r (JSON: id -> text), so that the page holds what it shows, not a
 * vocabulary of up to 2^24 words. */
static void write_token_texts(FILE *out, int r, const struct recread *rr, const uint8_t *used)
{
	int first = 1;
	fprintf(out, "<script type=\"application/json\" id=\"tok-%d\">{", r);
	for (int v = 0; v < rr->V; v++) {
		if (!(used[v >> 3] & (1u << (v & 7))))
			continue;
		size_t len;
		fprintf(out, "%s\"%d\":", first ? "" : ",", v);
		webview_json_str(out, recread_text(rr, v, &len));
		first = 0;
	}
	fprintf(out, "}</script>\n");
}

/* Step t's true or predicted token of a record: a run of bytes' byte, or
 * another run's id (int32, little-endian; used marks it). */
static void put_token(struct b64 *b, const struct recread *rr, int32_t y, uint8_t *used)
{
	if (!used) {
		uint8_t c = recread_byte(rr, y);
		b64_put(b, &c, 1);
		return;
	}
	if (y >= 0 && y < rr->V)
		used[y >> 3] |= (uint8_t)(1u << (y & 7));
	uint8_t le[4] = { (uint8_t)y, (uint8_t)(y >> 8), (uint8_t)(y >> 16), (uint8_t)(y >> 24) };
	b64_put(b, le, 4);
}

/* The records' own data, a row each: batch and corpus offset (float64),
 * true and predicted bytes (n each; other tokens: int32 ids and #tok-r),
 * losses L_t (n logq codes). */
static int write_records(FILE *out, const struct run *run, int r, int64_t rows, struct pick p,
			 struct shape *m)
{
	struct recread rr;
	struct b64 b;
	char id[32];
	int64_t got;
	if (recread_open(&rr, run, RC_POSITION | RC_TARGET | RC_PREDICTED | RC_LOSS) < 0)
		return -1;
	rr.rows = rows < rr.rows ? rows : rr.rows; /* a run still written grows */
	const int n = rr.n;
	uint8_t *used = NULL;
	if (rr.tokens.kind != TOKENS_BYTES && !(used = calloc((size_t)rr.V / 8 + 1, 1))) {
		recread_close(&rr);
		return error("out of memory");
	}
	snprintf(id, sizeof(id), "rec-%d", r);
	b64_begin(&b, out, id);
	while ((got = recread_next(&rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!pick_row(&p, rr.batch[i]))
				continue;
			b64_f64(&b, (double)rr.batch[i]);
			b64_f64(&b, (double)rr.position[i]);
			for (int s = 0; s < 2; s++)
				for (int t = 0; t < n; t++) {
					int32_t y = (s ? rr.predicted : rr.target)[(size_t)i * n + t];
					put_token(&b, &rr, y, used);
				}
			for (int t = 0; t < n; t++)
				b64_u16(&b, webview_logq(rr.loss[(size_t)i * n + t]));
		}
	b64_end(&b);
	*m = (struct shape){ .n = n, .H = rr.H, .layers = rr.layers, .G = rr.G,
			     .tokens = used ? tokens_kind_name(rr.tokens.kind) : NULL };
	if (used)
		write_token_texts(out, r, &rr, used);
	free(used);
	memcpy(m->cell, rr.cell, sizeof(m->cell));
	memcpy(m->activation, rr.activation, sizeof(m->activation));
	memcpy(m->gate_names, rr.gate_names, sizeof(m->gate_names));
	recread_close(&rr);
	return got < 0 ? -1 : 0;
}

/* The overview's bins and the run's decay curve of one source, as JSON. */
static void write_overview(FILE *out, const char *id, const struct envelope *e,
			   const struct decay *d, int n)
{
	double top = 0, *q = malloc((size_t)n * sizeof(double));
	for (int64_t i = 0; i < e->nb; i++)
		top = fmax(top, e->hi[i]);
	fprintf(out, "<script type=\"application/json\" id=\"%s\">{\"binned\":%d,\"per\":%lld,"
		     "\"log\":%d,\"x\":", id, e->binned, (long long)e->per,
		e->nb ? envelope_wants_log(e->y, e->nb, top) : 0);
	webview_json_nums(out, e->x, e->nb);
	fprintf(out, ",\"y\":");
	webview_json_nums(out, e->y, e->nb);
	fprintf(out, ",\"lo\":");
	webview_json_nums(out, e->lo, e->nb);
	fprintf(out, ",\"hi\":");
	webview_json_nums(out, e->hi, e->nb);
	fprintf(out, ",\"top\":[");
	for (int64_t i = 0; i < e->nb; i++)
		fprintf(out, "%s%lld", i ? "," : "", (long long)e->top[i]);
	fprintf(out, "]");
	static const char *const names[3] = { "median", "p10", "p90" };
	static const double at[3] = { 0.5, 0.1, 0.9 };
	for (int c = 0; c < 3 && q; c++) {
		for (int lag = 0; lag < n; lag++)
			q[lag] = decay_quantile(d, lag, at[c]);
		fprintf(out, ",\"%s\":", names[c]);
		webview_json_nums(out, q, n);
	}
	fprintf(out, "}</script>\n");
	free(q);
}

/* g of one source, a row per record: g[t,j] for j <= t (n(n+1)/2 logq
 * codes, row by row), then k_exact and k_bound (65535: none); and its
 * overview and decay curve. */
static int write_source(FILE *out, const struct run *run, int r, int s, int64_t rows,
			int64_t kept, struct pick p, const struct rec_source *src,
			const struct view_opts *o)
{
	struct recread rr;
	struct envelope e;
	struct decay d;
	struct b64 b;
	char id[32];
	int64_t got = -1;
	int rc = -1;
	if (recread_open_source(&rr, run, RC_ITEMIZED | RC_TRUNC, src) < 0)
		return -1;
	rr.rows = rows < rr.rows ? rows : rr.rows;
	const int n = rr.n;
	int *counts = malloc((size_t)n * sizeof(int));
	int ok_e = envelope_init(&e, kept, VIEW_BINS) == 0, ok_d = decay_init(&d, n) == 0;
	if (!counts || !ok_e || !ok_d) {
		error("out of memory");
		goto out;
	}
	snprintf(id, sizeof(id), "g-%d-%d", r, s);
	b64_begin(&b, out, id);
	while ((got = recread_next(&rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!pick_row(&p, rr.batch[i]))
				continue;
			const float *g = rr.itemized + (size_t)i * n * n;
			for (int t = 0; t < n; t++)
				for (int j = 0; j <= t; j++)
					b64_u16(&b, webview_logq(g[(size_t)t * n + j]));
			int ke = k_exact(rr.trunc + (size_t)i * n, n, o->eps);
			int kb = k_from_g(g, n, o->eps, 1.0, counts);
			b64_u16(&b, ke < 0 ? 65535 : (uint16_t)ke);
			b64_u16(&b, kb < 0 ? 65535 : (uint16_t)kb);
			int at;
			double mg = max_gradient(g, n, &at);
			if (!isnan(mg))
				envelope_add(&e, rr.batch[i], mg, at);
			if (decay_add(&d, g) < 0) {
				got = -1;
				error("out of memory");
				break;
			}
		}
	b64_end(&b);
	envelope_finish(&e);
	if (got == 0) {
		snprintf(id, sizeof(id), "ov-%d-%d", r, s);
		write_overview(out, id, &e, &d, n);
		rc = 0;
	}
out:
	if (ok_d)
		decay_free(&d);
	envelope_free(&e);
	free(counts);
	recread_close(&rr);
	return rc;
}

/* The run's description and its sources (layer, then each gate). */
static void write_run_meta(FILE *out, const char *file, int r, const struct shape *m,
			   int64_t rows, int64_t kept, int64_t every)
{
	fprintf(out, "<script type=\"application/json\" id=\"run-%d\">{\"name\":", r);
	webview_json_str(out, file);
	fprintf(out, ",\"cell\":");
	webview_json_str(out, m->cell);
	fprintf(out, ",\"activation\":");
	webview_json_str(out, m->activation);
	fprintf(out, ",\"gates\":");
	webview_json_str(out, m->G > 1 ? m->gate_names : "");
	if (m->tokens) {
		fprintf(out, ",\"tokens\":");
		webview_json_str(out, m->tokens);
	}
	if (*m->comp) { /* a mix: the component shown, of which */
		fprintf(out, ",\"component\":");
		webview_json_str(out, m->comp);
		fprintf(out, ",\"components\":");
		webview_json_str(out, m->components);
	}
	fprintf(out, ",\"n\":%d,\"H\":%d,\"layers\":%d,\"G\":%d,\"rows\":%lld,\"records\":%lld,"
		     "\"every\":%lld}</script>\n", m->n, m->H, m->layers, m->G, (long long)rows,
		(long long)kept, (long long)every);
}

/* The gate names of a run, split: up to 16 of 8 bytes. */
static int split_gates(const char *names, char out[16][8])
{
	int k = 0;
	for (const char *p = names; *p && k < 16;) {
		size_t w = strcspn(p, ",");
		snprintf(out[k++], 8, "%.*s", (int)(w < 7 ? w : 7), p);
		p += w + (p[w] == ',');
	}
	return k;
}

static int view_run(FILE *out, const char *file, int r, const struct view_opts *o)
{
	struct run run;
	struct shape m, mc = { .G = 0 };
	struct pick p;
	int64_t rows = 0, kept = 0;
	int rc = -1;
	const struct rec_source whole = { .component = o->component, .mix_ok = 1 };
	if (run_open(&run, file) < 0)
		return -1;
	if (pick_component(&run, &whole, &mc) < 0 || count_window(&run, o, &rows, &p, &kept) < 0 ||
	    write_records(out, &run, r, rows, p, &m) < 0)
		goto out;
	if (*mc.comp) { /* a mix: its component's cell, gates and layers */
		memcpy(m.comp, mc.comp, sizeof(m.comp));
		memcpy(m.components, mc.components, sizeof(m.components));
		memcpy(m.cell, mc.cell, sizeof(m.cell));
		memcpy(m.gate_names, mc.gate_names, sizeof(m.gate_names));
		m.G = mc.G;
		m.layers = mc.layers;
	}
	write_run_meta(out, file, r, &m, rows, kept, p.every);
	char gates[16][8];
	int ng = m.G > 1 ? split_gates(m.gate_names, gates) : 0, s = 0;
	for (int layer = 0; layer < m.layers; layer++)
		for (int q = -1; q < ng; q++) {
			struct rec_source src = { .layer = layer, .gate = q < 0 ? NULL : gates[q],
						  .layer_given = 1, .component = o->component,
						  .mix_ok = 1 };
			if (write_source(out, &run, r, s++, rows, kept, p, &src, o) < 0)
				goto out;
		}
	rc = 0;
out:
	run_close(&run);
	return rc;
}

static int write_page(FILE *out, char *const *files, int nfiles, const struct view_opts *o)
{
	fprintf(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width\">\n<title>rnnbow view:");
	for (int i = 0; i < nfiles; i++) {
		fputc(' ', out);
		webview_html_text(out, files[i]);
	}
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n%s", (const char *)rnnbow_view_css,
		(const char *)rnnbow_view_html);
	fprintf(out, "<script type=\"application/json\" id=\"view-meta\">{\"runs\":%d,\"lags\":%lld,"
		     "\"eps\":%.9g,\"version\":\"%s\",\"logq\":{\"lo\":%g,\"span\":%g,\"steps\":%g}}"
		     "</script>\n", nfiles, (long long)o->lags, o->eps, RNNBOW_VERSION, LOGQ_LO,
		LOGQ_SPAN, LOGQ_STEPS);
	for (int i = 0; i < nfiles; i++)
		if (view_run(out, files[i], i, o) < 0)
			return -1;
	fprintf(out, "<script>\n%s</script>\n</body></html>\n", (const char *)rnnbow_view_js);
	return 0;
}

int view_write(const char *output, char *const *files, int nfiles, const struct view_opts *o)
{
	if (!strcmp(output, "-"))
		return write_page(stdout, files, nfiles, o);
	size_t len = strlen(output) + 5;
	char *tmp = malloc(len);
	if (!tmp)
		return error("out of memory");
	snprintf(tmp, len, "%s.tmp", output);
	FILE *out = fopen(tmp, "w");
	int rc = -1;
	if (!out) {
		error("%s: %s", tmp, strerror(errno));
		goto done;
	}
	rc = write_page(out, files, nfiles, o);
	if (ferror(out) && rc == 0)
		rc = error("%s: %s", tmp, strerror(errno));
	if (fclose(out) != 0 && rc == 0)
		rc = error("%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, output) < 0)
		rc = error("%s: %s", output, strerror(errno));
	if (rc < 0)
		unlink(tmp);
done:
	free(tmp);
	return rc;
}

int cmd_view(int argc, char **argv)
{
	struct view_opts o;
	const char *output = NULL;
	view_opts_init(&o);
	const struct opt opts[] = {
		{ "output", 'o', OPT_STRING, &output, .arg = "VIEW.html",
		  .help = "the page to write (required; '-': stdout)" },
		{ "from", 0, OPT_INT, &o.from, 0, 9.2e18, .arg = "B",
		  .help = "only records of training batch B or later" },
		{ "to", 0, OPT_INT, &o.to, 0, 9.2e18, .arg = "B",
		  .help = "only records of training batch B or earlier" },
		{ "every", 0, OPT_INT, &o.every, 1, 9.2e18, .arg = "K",
		  .help = "every K-th record of the window (default 1, or what\n"
			  "keeps a run to --max-records)" },
		{ "max-records", 0, OPT_INT, &o.max_records, 0, 9.2e18, .arg = "N",
		  .help = "without --every: at most N records a run (default\n"
			  "20000; 0: all)" },
		{ "lags", 0, OPT_INT, &o.lags, 1, 64, .arg = "N",
		  .help = "lags with a colour of their own, then \"rest\" (default 5)" },
		{ "eps", 0, OPT_FLOAT, &o.eps, 0, 1e30, .arg = "X",
		  .help = "tolerated relative error for k_exact, k_bound (default 0.1)" },
		{ "component", 0, OPT_STRING, &o.component, .arg = "C",
		  .help = "a mix's component whose g and E are shown: a name\n"
			  "(rnn, lstm0, ...) or an index (default: the first)" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	if (!output)
		usage_error(usage, "no output file: give -o VIEW.html");
	if (nfiles == 0)
		usage_error(usage, "no run file given");
	if (o.from > o.to)
		usage_error(usage, "--from %lld is after --to %lld", (long long)o.from,
			    (long long)o.to);
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(argv[i], "-"))
			usage_error(usage, "a view reads each run several times: give files, not '-'");
	return view_write(output, argv, nfiles, &o) < 0 ? 1 : 0;
}
