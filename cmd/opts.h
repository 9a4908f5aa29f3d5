/*
 * opts.h - one option table per command, parsed in one place: --name VALUE,
 * --name=VALUE, a short letter where given, "--" ends options and "-" alone
 * is an argument (stdin). Numbers are checked whole and in range.
 * --help prints the usage on stdout and exits 0: the command's own text
 * (what it does), then one line per option made from the table, as git's
 * parse-options does, so that no option goes undocumented. Misuse prints
 * one error line (with the nearest option for a typo, and "see 'rnnbow CMD
 * --help'") on stderr and exits 2.
 */
#ifndef RNNBOW_OPTS_H
#define RNNBOW_OPTS_H

#include <stddef.h>
#include <stdint.h>

/* OPT_GROUP and OPT_NOTES are text of the help, not options. */
enum opt_type { OPT_FLAG, OPT_INT, OPT_FLOAT, OPT_STRING, OPT_GROUP_TEXT, OPT_NOTES_TEXT };

struct opt {
	const char *name;   /* long name without "--"; NULL for text */
	char short_name;    /* 0 if none */
	enum opt_type type;
	void *value;        /* int*, int64_t*, double*, const char** */
	double min, max;    /* accepted range for numbers (inclusive) */
	int *seen;          /* set to 1 when given, if not NULL */
	const char *arg;    /* the value's name in --help ("N", "RUN.h5"); NULL: none */
	const char *help;   /* what it does, for --help; a '\n' starts a line
			     * indented to the column of help; NULL: not shown
			     * (a test fails: every option is documented) */
};

/* A heading printed above the options that follow it in --help. */
#define OPT_GROUP(heading) { .type = OPT_GROUP_TEXT, .help = (heading) }
/* Text printed after the options (and -h, --help) in --help, as is. */
#define OPT_NOTES(text) { .type = OPT_NOTES_TEXT, .help = (text) }
#define OPT_END { 0 }

/* Parses argv[1..argc) against opts. Leaves the positional arguments in
 * argv[0..return value) (argv[0] is overwritten). Exits on misuse (2), on
 * --help (0: usage, then the options from the table, on stdout) and on
 * --completion-helper (0: every option of the table, "--name" or "-c" one
 * a line, like git's --git-completion-helper: for shell completion and for
 * the test that each is documented). OPT_INT values are int64_t. */
int opts_parse(int argc, char **argv, const struct opt *opts, const char *usage);

/* Prints "rnnbow CMD: why; see 'rnnbow CMD --help'" on stderr, exits 2.
 * The usage itself is not printed (--help does that). */
_Noreturn void usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Suggestions for a mistyped name, like git's "did you mean": add every
 * valid name; those within a small edit distance (a swap of neighbours
 * counts 1) or that start with the word are kept, the nearest only. */
#define SUGGEST_MAX 3
struct suggest {
	const char *word;
	size_t len;
	int best;
	int n;
	const char *names[SUGGEST_MAX];
};

void suggest_init(struct suggest *s, const char *word, size_t len);
void suggest_add(struct suggest *s, const char *name);
/* " (did you mean --a or --b?)" with dashes before each name, or "" when
 * no name is close. Returns buf. */
const char *suggest_text(const struct suggest *s, const char *dashes, char *buf, size_t size);

/* Checks stdout once at exit: a full disk or a closed pipe is an error.
 * Returns 0 or 1 (message printed). */
int finish_stdout(void);

#endif
