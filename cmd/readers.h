/*
 * readers.h - what the reading commands (summarize, horizon) share: the
 * batch window, the common options, and the `run` column that appears when
 * several files are read (or summarize --run-column asks for it).
 */
#ifndef RNNBOW_READERS_H
#define RNNBOW_READERS_H

#include "opts.h"
#include "../formats/recread.h"
#include "../formats/table.h"

#include <stdint.h>

struct read_opts {
	const char *format;
	enum table_format fmt;
	int64_t from, to;     /* window of training batches, inclusive */
	double eps;
	double loss_share;
	struct rec_source src; /* --layer, --gate: which g and E are read */
};

/* Default: every batch, TSV, eps 0.1, loss share 1, layer 0's whole
 * recurrent matrix. */
void read_opts_init(struct read_opts *o);

/* Checks the values parsed into o (format name, window, eps); exits 2 with
 * the usage on a bad one. */
void read_opts_check(struct read_opts *o, const char *usage);

/* Refuses (exit 2) an empty --gate; whether a run has the layer and gate
 * is checked per file when it is opened (recread_open_source). */
void read_source_check(const struct rec_source *src, const char *usage);

static inline int in_window(const struct read_opts *o, int64_t batch)
{
	return batch >= o->from && batch <= o->to;
}

/* The option table entries every reader takes, to splice into its own. */
#define READ_OPTS(o)                                                              \
	{ "format", 0, OPT_STRING, &(o).format, .arg = "F",                       \
	  .help = "tsv (default), csv or json (one object per line)" },           \
	{ "from", 0, OPT_INT, &(o).from, 0, 9.2e18, .arg = "B",                   \
	  .help = "only records of training batch B or later" },                  \
	{ "to", 0, OPT_INT, &(o).to, 0, 9.2e18, .arg = "B",                       \
	  .help = "only records of training batch B or earlier" },                \
	{ "eps", 0, OPT_FLOAT, &(o).eps, 0, 1e30, .arg = "X",                     \
	  .help = "tolerated relative error for k_exact, k_bound (default 0.1)" }, \
	{ "loss-share", 0, OPT_FLOAT, &(o).loss_share, 1e-9, 1, .arg = "X",       \
	  .help = "share of losses k_bound must cover (default 1)" },             \
	READ_SOURCE_OPTS(o, GATE_HELP)

/* --layer L and --gate NAME, also taken by plot (whose --gate says more:
 * gate_help). */
#define GATE_HELP                                                 \
	"g and E of one gate's block of the recurrent matrix\n"    \
	"(lstm: i f g o; gru: r z n; default: the whole matrix)"
#define READ_SOURCE_OPTS(o, gate_help)                                          \
	{ "layer", 0, OPT_INT, &(o).src.layer, 0, 1023, &(o).src.layer_given,   \
	  .arg = "L", .help = "g and E of layer L (0-based, default 0)" },        \
	{ "gate", 0, OPT_STRING, &(o).src.gate, .arg = "NAME", .help = gate_help }, \
	{ "sequence", 0, OPT_INT, &(o).src.sequence, 0, 65535, .arg = "S",      \
	  .help = "a minibatch run's itemized sequence S whose position,\n"      \
		  "targets and losses are shown (default 0)" },                  \
	{ "component", 0, OPT_STRING, &(o).src.component, .arg = "C",           \
	  .help = "a mix's component whose g and E are read: a name\n"         \
		  "(rnn, lstm0, ...) or an index (default: the first)" }

/* Column names with "run" in front when it is shown (several runs, or
 * summarize --run-column): returns names or names + 1 (names[0] must be
 * "run"). */
static inline const char *const *with_run(const char *const *names, int show_run, int *ncols)
{
	if (show_run)
		return names;
	(*ncols)--;
	return names + 1;
}

/* The files a reader reads: argv's nfiles, or stdin ("-") alone when none
 * is given (*nfiles then 1). Refuses (exit 2) '-' given twice, and stdin
 * that is a terminal: a run file has to come from somewhere. */
char **reader_inputs(char **argv, int *nfiles, const char *usage);

/* Opens every file but stdin and its /record columns of the layer and
 * gate of src, so that a bad file (or a layer or gate a run does not
 * have) is reported before any row is printed. Returns 0 or -1 (message). */
int precheck_runs(char *const *files, int nfiles, unsigned cols, const struct rec_source *src);

struct decay;
/* Streams the records of rr in o's window into a new decay accumulator.
 * Returns 0, or -1 after a message (d is then freed). Needs RC_ITEMIZED. */
int read_decay(struct decay *d, struct recread *rr, const struct read_opts *o);

#endif
