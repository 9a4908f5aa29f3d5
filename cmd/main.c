/*
 * main.c - the rnnbow program: git-style subcommands from one table.
 */
#include "commands.h"
#include "opts.h"
#include "../formats/h5util.h"
#include "../formats/msg.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "record", cmd_record, "train a char-level RNN and record itemized gradients" },
	{ "summarize", cmd_summarize, "one row per recorded batch: max gradient, loss, k" },
	{ "horizon", cmd_horizon, "how gradient decays with lag, and the truncation horizon k" },
	{ "plot", cmd_plot, "the paper's views as gnuplot figures (png, svg, pdf)" },
	{ "report", cmd_report, "a static HTML report of a run, with a page per top batch" },
	{ "view", cmd_view, "the paper's interactive interface as one offline HTML file" },
	{ "info", cmd_info, "what a run file holds, in words" },
	{ "units", cmd_units, "hidden units ranked by how far back their gradient reaches" },
	{ "trace", cmd_trace, "gradient tracing: the path of each entry's gradient, hop by hop" },
	{ "export", cmd_export, "a run's hidden states for other tools (LSTMVis)" },
	{ NULL, NULL, NULL },
};

static void print_usage(FILE *out)
{
	fprintf(out, "usage: rnnbow COMMAND [OPTIONS] [ARGS]\n\n"
		     "rnnbow shows how a recurrent network learns: it itemizes every BPTT\n"
		     "gradient by the time step whose loss caused it.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'rnnbow help COMMAND' or 'rnnbow COMMAND --help' for a command's options;\n"
		     "'man rnnbow-COMMAND' for its manual.\n");
}

static const struct command *find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* A name that is no command: one line, with the nearest commands if any
 * are close ("recrod" -> record). Returns 2, the usage error status. */
static int unknown_command(const char *name)
{
	struct suggest s;
	char hint[256];
	suggest_init(&s, name, strlen(name));
	for (const struct command *c = commands; c->name; c++)
		suggest_add(&s, c->name);
	error("unknown command '%s'%s; see 'rnnbow --help'", name,
	      suggest_text(&s, "", hint, sizeof(hint)));
	return 2;
}

static int run(const struct command *c, int argc, char **argv)
{
	static char prog[64];
	snprintf(prog, sizeof(prog), "rnnbow %s", c->name);
	msg_prog = prog;
	int rc = c->fn(argc, argv);
	if (finish_stdout() && !rc)
		rc = 1;
	return rc;
}

int main(int argc, char **argv)
{
	/* model-sized products are slower on two threads than on one */
	openblas_set_num_threads(1);
	h5_setup();

	if (argc < 2) {
		char names[256];
		size_t used = 0;
		for (const struct command *c = commands; c->name && used < sizeof(names); c++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 c == commands ? "" : ", ", c->name);
		error("no command given (%s); see 'rnnbow --help'", names);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		print_usage(stdout);
		return finish_stdout();
	}
	if (!strcmp(name, "--version")) {
		printf("rnnbow %s\n", RNNBOW_VERSION);
		return finish_stdout();
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			print_usage(stdout);
			return finish_stdout();
		}
		const struct command *c = find(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		char *args[] = { argv[2], "--help", NULL };
		return run(c, 2, args);
	}
	const struct command *c = find(name);
	if (!c)
		return unknown_command(name);
	return run(c, argc - 1, argv + 1);
}
