/*
 * summarize.c - rnnbow summarize: one row per recorded batch (max gradient
 * and where, the bytes there, loss, accuracy, k), or with --train one row
 * per training batch (with the held-out loss of the batches that have one),
 * or with --valid one row per held-out evaluation. Streams each run in
 * blocks; --top N (--top-per-run N) keeps a heap of N rows over all runs
 * (over each run), so memory stays flat either way. Definitions:
 * docs/ANALYSIS.md.
 */
#include "commands.h"
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../formats/validread.h"
#include "../libcore/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow summarize [OPTIONS] [RUN.h5...|-]\n"
	"\n"
	"One row per recorded batch: batch position max_grad max_step target\n"
	"predicted loss accuracy k_exact k_bound (and run first when several files\n"
	"are read, or with --run-column). '-' or no file reads a run from stdin.\n"
	"rnnbow-summarize(1) defines every column.\n"
	"\n";

static const char *const summary_cols[] = {
	"run", "batch", "position", "max_grad", "max_step", "target", "predicted",
	"loss", "accuracy", "k_exact", "k_bound",
};
/* valid_loss last, and only when a run read has /valid: a run without one
 * prints the columns it always did */
static const char *const train_cols[] = { "run", "batch", "loss", "grad_norm", "nonfinite",
					  "valid_loss" };
static const char *const valid_cols[] = { "run", "batch", "valid_loss", "valid_best_loss",
					  "valid_best_batch" };

/* What a summary row needs of /record. */
#define RECORD_COLS (RC_POSITION | RC_TARGET | RC_PREDICTED | RC_LOSS | RC_ITEMIZED | RC_TRUNC)

struct row {
	int run;
	int64_t batch, position;
	struct record_summary s;
	uint8_t target, predicted;
	char ttext[64], ptext[64]; /* other tokens than bytes: their escaped texts */
};

static void print_row(struct table *t, const struct row *r, char *const *files, int show_run)
{
	char b1[5], b2[5];
	if (show_run)
		table_str(t, files[r->run]);
	table_int(t, r->batch);
	table_int(t, r->position);
	table_num(t, r->s.max_grad);
	table_int(t, r->s.max_step);
	table_str(t, r->ttext[0] ? r->ttext : escape_byte(b1, r->target));
	table_str(t, r->ptext[0] ? r->ptext : escape_byte(b2, r->predicted));
	table_num(t, r->s.loss);
	table_num(t, r->s.accuracy);
	table_num(t, r->s.k_exact < 0 ? NAN : r->s.k_exact); /* nan: not finite */
	table_num(t, r->s.k_bound < 0 ? NAN : r->s.k_bound);
	table_end_row(t);
}

/* --top: a min-heap on (max_grad, then later run/batch is smaller) */
struct top {
	struct row *h;
	int64_t len, cap;
};

static int row_less(const struct row *a, const struct row *b)
{
	if (isnan(a->s.max_grad) != isnan(b->s.max_grad)) /* NaN ranks last */
		return isnan(a->s.max_grad);
	if (a->s.max_grad != b->s.max_grad)
		return a->s.max_grad < b->s.max_grad;
	if (a->run != b->run)
		return a->run > b->run;
	return a->batch > b->batch;
}

static void sift_down(struct row *h, int64_t len, int64_t i)
{
	for (;;) {
		int64_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < len && row_less(&h[l], &h[m]))
			m = l;
		if (r < len && row_less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct row tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static void top_push(struct top *tp, const struct row *r)
{
	if (tp->len < tp->cap) {
		int64_t i = tp->len++;
		tp->h[i] = *r;
		while (i > 0 && row_less(&tp->h[i], &tp->h[(i - 1) / 2])) {
			struct row tmp = tp->h[i];
			tp->h[i] = tp->h[(i - 1) / 2];
			tp->h[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
	} else if (row_less(&tp->h[0], r)) {
		tp->h[0] = *r;
		sift_down(tp->h, tp->len, 0);
	}
}

static int by_rank_desc(const void *a, const void *b)
{
	return row_less(b, a) ? -1 : row_less(a, b) ? 1 : 0;
}

/* Prints the heap's rows, largest first, and empties it. */
static void print_top(struct table *t, struct top *tp, char *const *files, int show_run)
{
	qsort(tp->h, (size_t)tp->len, sizeof(struct row), by_rank_desc);
	for (int64_t i = 0; i < tp->len; i++)
		print_row(t, &tp->h[i], files, show_run);
	tp->len = 0;
}

/* A run of other tokens than bytes: the texts of ids ty and py, escaped
 * (a long word cut to fit; "" would read as a byte run's, so "\\0"). */
static void token_texts(struct row *r, const struct recread *rr, int32_t ty, int32_t py)
{
	size_t len;
	const char *s = recread_text(rr, ty, &len);
	escape_text(r->ttext, sizeof(r->ttext), s, len);
	s = recread_text(rr, py, &len);
	escape_text(r->ptext, sizeof(r->ptext), s, len);
	if (!r->ttext[0])
		strcpy(r->ttext, "\\0");
	if (!r->ptext[0])
		strcpy(r->ptext, "\\0");
}

/* Streams one run's records; prints rows or feeds the heap. */
static int summarize_run(struct table *t, int run_index, char *const *files, int show_run,
			 const struct read_opts *o, struct top *tp)
{
	struct run run;
	struct recread rr;
	int rc = -1;
	if (run_open(&run, files[run_index]) < 0)
		return -1;
	if (recread_open_source(&rr, &run, RECORD_COLS, &o->src) < 0)
		goto out_run;
	int *counts = malloc((size_t)rr.n * sizeof(int));
	if (!counts) {
		error("out of memory");
		goto out;
	}
	const int n = rr.n;
	int64_t got;
	while ((got = recread_next(&rr)) > 0) {
		for (int64_t i = 0; i < got; i++) {
			if (!in_window(o, rr.batch[i]))
				continue;
			struct row r = { .run = run_index, .batch = rr.batch[i],
					 .position = rr.position[i] };
			size_t off = (size_t)i * n;
			summarize_record(&r.s, rr.itemized + off * n, rr.trunc + off, rr.loss + off,
					 rr.target + off, rr.predicted + off, n, o->eps,
					 o->loss_share, counts);
			int32_t ty = rr.target[off + r.s.max_step], py = rr.predicted[off + r.s.max_step];
			r.target = recread_byte(&rr, ty);
			r.predicted = recread_byte(&rr, py);
			if (rr.tokens.kind != TOKENS_BYTES)
				token_texts(&r, &rr, ty, py);
			if (tp)
				top_push(tp, &r);
			else
				print_row(t, &r, files, show_run);
		}
	}
	free(counts);
	rc = got < 0 ? -1 : 0;
out:
	recread_close(&rr);
out_run:
	run_close(&run);
	return rc;
}

/* One row per /train row in the window. A batch that was not finite made
 * no update and its loss and grad_norm are overflow (nan, inf, or a huge
 * finite number): they print nan, and nonfinite says why. With v (some
 * run read has /valid), valid_loss: v's loss at that batch, else nan. */
static int train_run(struct table *t, struct run *run, const char *file, int show_run,
		     const struct read_opts *o, const struct valid_rows *v)
{
	struct trainread tr;
	int64_t got;
	if (trainread_open(&tr, run) < 0)
		return -1;
	while ((got = trainread_next(&tr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!in_window(o, tr.batch[i]))
				continue;
			int bad = tr.nonfinite[i] != 0;
			if (show_run)
				table_str(t, file);
			table_int(t, tr.batch[i]);
			table_num(t, bad ? NAN : tr.loss[i]);
			table_num(t, bad ? NAN : tr.grad_norm[i]);
			table_int(t, bad);
			if (v)
				table_num(t, valid_rows_at(v, tr.batch[i]));
			table_end_row(t);
		}
	trainread_close(&tr);
	return got < 0 ? -1 : 0;
}

/* --valid: one row per /valid row in the window, with the lowest held-out
 * loss up to it (NaN losses never count as the best; before a finite one,
 * nan and nan). The last row holds the last and the best. */
static void valid_run(struct table *t, const struct valid_rows *v, const char *file,
		      int show_run, const struct read_opts *o)
{
	double best = NAN;
	int64_t best_batch = -1;
	for (int64_t i = 0; i < v->n; i++) {
		if (!in_window(o, v->batch[i]))
			continue;
		if (!isnan(v->loss[i]) && !(v->loss[i] >= best)) {
			best = v->loss[i];
			best_batch = v->batch[i];
		}
		if (show_run)
			table_str(t, file);
		table_int(t, v->batch[i]);
		table_num(t, v->loss[i]);
		table_num(t, best);
		if (best_batch < 0)
			table_num(t, NAN);
		else
			table_int(t, best_batch);
		table_end_row(t);
	}
}

/* Reads every run's /valid before the first row is printed: whether
 * valid_loss is a column depends on all of them. Stdin's run stays open in
 * *in (*in_open: it can be read once only); the others are closed and
 * opened again one at a time for their rows, so that any number of runs
 * needs two open files at most. need_valid (--valid): a run without /valid
 * is an error. Returns 0 (*any: some run has /valid), or -1 after a
 * message. */
static int scan_valid(struct valid_rows *v, char *const *files, int nfiles, int need_valid,
		      struct run *in, int *in_open, int *any)
{
	*any = 0;
	for (int i = 0; i < nfiles; i++) {
		struct run r, *rp = strcmp(files[i], "-") ? &r : in;
		if (run_open(rp, files[i]) < 0)
			return -1;
		*in_open |= rp == in;
		int rc = 0;
		if (valid_rows_read(&v[i], rp) < 0)
			rc = error("%s: cannot read /valid", files[i]);
		else if (need_valid && v[i].n == 0)
			rc = error("%s: no held-out loss (/valid); record the run with --valid FILE "
				   "or --valid-share X", files[i]);
		if (rp == &r)
			run_close(&r);
		if (rc < 0)
			return -1;
		*any |= v[i].n > 0;
	}
	return 0;
}

/* --train or --valid over every run: 0, or -1 after a message. */
static int curve_runs(char *const *files, int nfiles, int valid, int show_run,
		      const struct read_opts *o)
{
	struct valid_rows *v = calloc((size_t)nfiles, sizeof(*v));
	struct run in;
	int any, in_open = 0, rc = -1;
	if (!v) {
		error("out of memory");
		goto out;
	}
	if (scan_valid(v, files, nfiles, valid, &in, &in_open, &any) < 0)
		goto out;
	struct table t;
	int ncols = valid ? 5 : 5 + any;
	const char *const *names = with_run(valid ? valid_cols : train_cols, show_run, &ncols);
	table_begin(&t, stdout, o->fmt, names, ncols);
	rc = 0;
	for (int i = 0; i < nfiles && !rc; i++) {
		const struct valid_rows *vi = any ? &v[i] : NULL;
		struct run r;
		if (valid) {
			valid_run(&t, &v[i], files[i], show_run, o);
		} else if (!strcmp(files[i], "-")) {
			rc = train_run(&t, &in, files[i], show_run, o, vi);
		} else if ((rc = run_open(&r, files[i])) == 0) {
			rc = train_run(&t, &r, files[i], show_run, o, vi);
			run_close(&r);
		}
	}
	if (!rc)
		table_finish(&t);
out:
	if (in_open)
		run_close(&in);
	for (int i = 0; v && i < nfiles; i++)
		valid_rows_free(&v[i]);
	free(v);
	return rc;
}

int cmd_summarize(int argc, char **argv)
{
	struct read_opts o;
	int64_t top_n = 0, top_per_run = 0;
	int train = 0, valid = 0, run_column = 0;
	read_opts_init(&o);
	const struct opt opts[] = {
		READ_OPTS(o),
		{ "top", 0, OPT_INT, &top_n, 1, 1e9, .arg = "N",
		  .help = "the N rows with the largest max_grad of all runs together,\n"
			  "largest first" },
		{ "top-per-run", 0, OPT_INT, &top_per_run, 1, 1e9, .arg = "N",
		  .help = "the N rows with the largest max_grad of each run, largest\n"
			  "first, runs in the order given" },
		{ "train", 0, OPT_FLAG, &train,
		  .help = "one row per training batch instead: batch loss grad_norm\n"
			  "nonfinite (loss and grad_norm nan where nonfinite is 1),\n"
			  "and valid_loss when a run has a held-out loss (nan on\n"
			  "batches without one)" },
		{ "valid", 0, OPT_FLAG, &valid,
		  .help = "one row per held-out loss evaluation instead: batch\n"
			  "valid_loss valid_best_loss valid_best_batch (the lowest\n"
			  "so far: the last row has the last and the best)" },
		{ "run-column", 0, OPT_FLAG, &run_column,
		  .help = "the run column first even for one file, so that scripts\n"
			  "find every column at the same place for one run or many" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	read_opts_check(&o, usage);
	char **files = reader_inputs(argv, &nfiles, usage);
	if ((train || valid) && (top_n || top_per_run))
		usage_error(usage, "--top%s applies to records, not to --%s",
			    top_n ? "" : "-per-run", train ? "train" : "valid");
	if (train && valid)
		usage_error(usage, "--train (every training batch) or --valid (every held-out "
				   "loss): one of them");
	if (top_n && top_per_run)
		usage_error(usage, "--top (over all runs) or --top-per-run (each run): one of them");

	int show_run = nfiles > 1 || run_column;
	if (train || valid)
		return curve_runs(files, nfiles, valid, show_run, &o) < 0 ? 1 : 0;

	struct table t;
	int ncols = 11;
	const char *const *names = with_run(summary_cols, show_run, &ncols);
	int64_t heap = top_n ? top_n : top_per_run;
	struct top tp = { NULL, 0, heap };
	if (heap && !(tp.h = malloc((size_t)heap * sizeof(struct row))))
		return error("out of memory for --top %lld", (long long)heap), 1;

	if (precheck_runs(files, nfiles, RECORD_COLS, &o.src) < 0) {
		free(tp.h);
		return 1;
	}
	table_begin(&t, stdout, o.fmt, names, ncols);
	int rc = 0;
	for (int i = 0; i < nfiles && !rc; i++) {
		rc = summarize_run(&t, i, files, show_run, &o, heap ? &tp : NULL);
		if (!rc && top_per_run)
			print_top(&t, &tp, files, show_run);
	}
	if (!rc && top_n)
		print_top(&t, &tp, files, show_run);
	free(tp.h);
	if (!rc)
		table_finish(&t);
	return rc ? 1 : 0;
}
