/*
 * diagnose.c - rnnbow diagnose: why gradient vanishes or explodes, from
 * the diagnostics `record` keeps per record and layer (saturation, dead
 * relu units, the spectrum of W_hh) and per training batch (clip share):
 * one row per record and layer, or with --overall one verdict per check.
 * Definitions: docs/ANALYSIS.md, "diagnose".
 */
#include "commands.h"
#include "diagwalk.h"
#include "../formats/msg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow diagnose [OPTIONS] [RUN.h5...|-]\n"
	"\n"
	"One row per recorded batch and layer: batch layer saturated gamma gamma_max\n"
	"dead rho sigma_max lambda clip_share grad_norm k_exact (gated cells add\n"
	"saturated_<act> per activation, rho_<gate> and sigma_max_<gate> per gate;\n"
	"run first when several files are read). --overall: one verdict per check\n"
	"(saturation dead_units exploding vanishing clipping), ok or flagged.\n"
	"rnnbow-diagnose(1) defines every column and check.\n"
	"\n";

static const char *const base_cols[] = {
	"run", "batch", "layer", "saturated", "gamma", "gamma_max", "dead", "rho", "sigma_max",
	"lambda", "clip_share", "grad_norm", "k_exact",
};
#define NBASE 13
static const char *const overall_cols[] = { "run", "check", "verdict", "value", "threshold",
					    "first_batch", "last_batch", "evidence" };

/* The extra columns of gated cells, the union over the runs read. */
#define MAX_EXTRA 64
struct columns {
	const char *names[NBASE + MAX_EXTRA];
	char extra[MAX_EXTRA][32];
	int nextra;
};

static void add_extra(struct columns *c, const char *prefix, const char *name)
{
	char col[32];
	snprintf(col, sizeof(col), "%s_%s", prefix, name);
	for (int i = 0; i < c->nextra; i++)
		if (!strcmp(c->extra[i], col))
			return;
	if (c->nextra < MAX_EXTRA)
		snprintf(c->extra[c->nextra++], sizeof(c->extra[0]), "%s", col);
}

static void add_names(struct columns *c, const struct diag_names *dn)
{
	if (dn->G < 2)
		return;
	for (int a = 0; a < dn->A; a++)
		add_extra(c, "saturated", dn->act[a]);
	for (int q = 0; q < dn->G; q++)
		add_extra(c, "rho", dn->act[q]);
	for (int q = 0; q < dn->G; q++)
		add_extra(c, "sigma_max", dn->act[q]);
}

/* The value of extra column col for row r: NaN when its cell lacks it. */
static double extra_value(const char *col, const struct diag_row *r)
{
	if (r->G < 2)
		return NAN;
	for (int a = 0; a < r->A; a++) {
		char name[32];
		snprintf(name, sizeof(name), "saturated_%s", r->act_names[a]);
		if (!strcmp(col, name))
			return r->act_sat[a];
		if (a >= r->G)
			continue;
		snprintf(name, sizeof(name), "rho_%s", r->act_names[a]);
		if (!strcmp(col, name))
			return r->gate_rho[a];
		snprintf(name, sizeof(name), "sigma_max_%s", r->act_names[a]);
		if (!strcmp(col, name))
			return r->gate_sigma[a];
	}
	return NAN;
}

struct print_ctx {
	struct table *t;
	const char *run;
	int show_run;
	const struct columns *cols;
};

static int print_row(void *ctx, const struct diag_row *r)
{
	struct print_ctx *p = ctx;
	struct table *t = p->t;
	if (p->show_run)
		table_str(t, p->run);
	table_int(t, r->batch);
	table_int(t, r->layer);
	table_num(t, r->saturated);
	table_num(t, r->gamma);
	table_num(t, r->gamma_max);
	table_num(t, r->dead);
	table_num(t, r->rho);
	table_num(t, r->sigma_max);
	table_num(t, r->lambda);
	table_num(t, r->clip_share);
	table_num(t, r->grad_norm);
	table_num(t, r->k_exact < 0 ? NAN : r->k_exact);
	for (int i = 0; i < p->cols->nextra; i++)
		table_num(t, extra_value(p->cols->extra[i], r));
	table_end_row(t);
	return 0;
}

static void print_verdicts(struct table *t, const char *run, int show_run,
			   const struct verdict *vs)
{
	for (int i = 0; i < CHECKS; i++) {
		const struct verdict *v = &vs[i];
		if (show_run)
			table_str(t, run);
		table_str(t, check_names[i]);
		table_str(t, v->flagged ? "flagged" : "ok");
		table_num(t, v->value);
		table_num(t, v->threshold);
		table_num(t, v->first_batch < 0 ? NAN : (double)v->first_batch);
		table_num(t, v->last_batch < 0 ? NAN : (double)v->last_batch);
		table_str(t, v->evidence);
		table_end_row(t);
	}
}

/* --fail-on CHECK,...: the checks named into fail[]; exit 2 on a name
 * that is no check, with the list. */
static void parse_fail_on(const char *list, int *fail)
{
	char names[128];
	int len = 0;
	for (int i = 0; i < CHECKS; i++)
		len += snprintf(names + len, sizeof(names) - (size_t)len, "%s%s", i ? ", " : "",
				check_names[i]);
	for (const char *p = list; *p;) {
		size_t w = strcspn(p, ",");
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)w, p);
		if (!strcmp(name, "all"))
			for (int i = 0; i < CHECKS; i++)
				fail[i] = 1;
		else if (check_find(name) >= 0)
			fail[check_find(name)] = 1;
		else
			usage_error(usage, "--fail-on: unknown check '%s' (the checks: %s, or all)",
				    name, names);
		p += w + (p[w] == ',');
	}
}

struct diagnose_opts {
	struct read_opts r;
	int overall, run_column;
	const char *fail_on;
	struct verdict_thresholds th;
};

static int parse(int argc, char **argv, struct diagnose_opts *o)
{
	read_opts_init(&o->r);
	verdict_thresholds_default(&o->th);
	double *t = o->th.t;
	const struct opt opts[] = {
		{ "format", 0, OPT_STRING, &o->r.format, .arg = "F",
		  .help = "tsv (default), csv or json (one object per line)" },
		{ "from", 0, OPT_INT, &o->r.from, 0, 9.2e18, .arg = "B",
		  .help = "only records and training batches of batch B or later" },
		{ "to", 0, OPT_INT, &o->r.to, 0, 9.2e18, .arg = "B",
		  .help = "only records and training batches of batch B or earlier" },
		{ "layer", 0, OPT_INT, &o->r.src.layer, 0, 1023, &o->r.src.layer_given,
		  .arg = "L", .help = "layer L only (0-based; default: every layer)" },
		{ "eps", 0, OPT_FLOAT, &o->r.eps, 0, 1e30, .arg = "X",
		  .help = "tolerated relative error for k_exact (default 0.1)" },
		{ "component", 0, OPT_STRING, &o->r.src.component, .arg = "C",
		  .help = "a mix's component whose diagnostics are read: a\n"
			  "name (rnn, lstm0, ...) or an index (default: the first)" },
		{ "run-column", 0, OPT_FLAG, &o->run_column,
		  .help = "the run column first even for one file" },
		OPT_GROUP("verdicts:"),
		{ "overall", 0, OPT_FLAG, &o->overall,
		  .help = "one row per check instead: check verdict value threshold\n"
			  "first_batch last_batch evidence" },
		{ "fail-on", 0, OPT_STRING, &o->fail_on, .arg = "CHECK,...",
		  .help = "exit 3 when one of these checks (or all) is flagged\n"
			  "in a run" },
		{ "saturation", 0, OPT_FLOAT, &t[CHECK_SATURATION], 0, 1, .arg = "X",
		  .help = "flag a median saturated share above X (default 0.5)" },
		{ "dead-units", 0, OPT_FLOAT, &t[CHECK_DEAD_UNITS], 0, 1, .arg = "X",
		  .help = "flag a median dead share of relu units above X\n(default 0.5)" },
		{ "exploding", 0, OPT_FLOAT, &t[CHECK_EXPLODING], 1, 1e30, .arg = "X",
		  .help = "flag a grad_norm above X times the median, or a\n"
			  "non-finite batch (default 1000)" },
		{ "vanishing", 0, OPT_FLOAT, &t[CHECK_VANISHING], 0, 1e30, .arg = "X",
		  .help = "flag a median lambda below X (default 1)" },
		{ "clipping", 0, OPT_FLOAT, &t[CHECK_CLIPPING], 0, 1, .arg = "X",
		  .help = "flag a mean clip_share above X (default 0.01)" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	if (table_format_parse(o->r.format, &o->r.fmt))
		usage_error(usage, "--format: expected tsv, csv or json, got '%s'", o->r.format);
	if (o->r.from > o->r.to)
		usage_error(usage, "--from %lld is after --to %lld", (long long)o->r.from,
			    (long long)o->r.to);
	return nfiles;
}

int cmd_diagnose(int argc, char **argv)
{
	struct diagnose_opts o = { 0 };
	int fail[CHECKS] = { 0 };
	int nfiles = parse(argc, argv, &o);
	if (o.fail_on)
		parse_fail_on(o.fail_on, fail);
	char **files = reader_inputs(argv, &nfiles, usage);

	/* every run opened and checked before the first row */
	struct run *runs = calloc((size_t)nfiles, sizeof(*runs));
	struct columns cols = { 0 };
	int opened = 0, rc = 1, flagged = 0;
	if (!runs)
		return error("out of memory"), 1;
	for (; opened < nfiles; opened++) {
		struct diag_names dn;
		if (run_open(&runs[opened], files[opened]) < 0)
			goto out;
		if (diag_walk_check(&runs[opened], &o.r, 1, &dn) < 0) {
			opened++;
			goto out;
		}
		add_names(&cols, &dn);
	}
	int show_run = nfiles > 1 || o.run_column;
	int ncols = o.overall ? 8 : NBASE + cols.nextra;
	memcpy(cols.names, o.overall ? overall_cols : base_cols,
	       (size_t)(o.overall ? 8 : NBASE) * sizeof(char *));
	for (int i = 0; !o.overall && i < cols.nextra; i++)
		cols.names[NBASE + i] = cols.extra[i];
	struct table t;
	const char *const *names = with_run(cols.names, show_run, &ncols);
	table_begin(&t, stdout, o.r.fmt, names, ncols);
	for (int i = 0; i < nfiles; i++) {
		struct print_ctx p = { &t, files[i], show_run, &cols };
		struct diag_walk_cb cb = { o.overall ? NULL : print_row, NULL, &p };
		struct verdict_acc *v = verdict_new(&o.th);
		struct verdict vs[CHECKS];
		if (!v) {
			error("out of memory");
			goto out;
		}
		int r = diag_walk(&runs[i], &o.r, 1, &cb, v);
		if (r == 0 && verdict_finish(v, vs) < 0)
			r = error("out of memory");
		verdict_free(v);
		if (r < 0)
			goto out;
		if (o.overall)
			print_verdicts(&t, files[i], show_run, vs);
		for (int c = 0; c < CHECKS; c++)
			flagged |= fail[c] && vs[c].flagged;
	}
	table_finish(&t);
	rc = flagged ? 3 : 0;
out:
	for (int i = 0; i < opened; i++)
		run_close(&runs[i]);
	free(runs);
	return rc;
}
