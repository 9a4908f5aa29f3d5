/*
 * commands.h - the subcommands, one file each, dispatched from cmd/main.c.
 * Each returns the process exit status.
 */
#ifndef RNNBOW_COMMANDS_H
#define RNNBOW_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_summarize(int argc, char **argv);
int cmd_horizon(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_units(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_ablate(int argc, char **argv);

#include <stddef.h>
#include <stdio.h>

/* The built-in corpus (build/default_corpus.c: libcore's own source) and
 * the corpus_name a run trained on it records. */
extern const unsigned char rnnbow_default_corpus[];
extern const size_t rnnbow_default_corpus_len;
#define DEFAULT_CORPUS_NAME "builtin:libcore"

/* info's text about a run, for other commands. Returns 0 or -1 (message). */
int info_describe(FILE *out, const char *path, const char *component);

#endif
