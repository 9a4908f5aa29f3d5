/*
 * runpath.h - what `record -o PATH` may do to PATH. A run file is only
 * ever written where nothing is, or over an rnnbow run (or an empty file)
 * when the user said --force or --resume; anything else that is there - a
 * device, a FIFO, a directory, a text file, the corpus itself - is
 * refused whatever the options, so that no user file is ever destroyed.
 */
#ifndef RNNBOW_RUNPATH_H
#define RNNBOW_RUNPATH_H

enum runpath_kind {
	RUNPATH_ABSENT, /* nothing at path */
	RUNPATH_EMPTY,  /* an empty regular file */
	RUNPATH_RUN,    /* a regular file that is an rnnbow run */
};

/* Refuses (-1, one message) a path that exists and is not a regular file;
 * 0 otherwise. Only a stat: safe before the run's lock is taken. */
int runpath_check_type(const char *path);

/* Looks at path (following a symbolic link) and at the corpus inputs
 * (paths as given, "-" for stdin). Returns the kind, or -1 after one
 * message when path is something record must not write: not a regular
 * file, a file that is not a run (or cannot be read as one), or the same
 * file as one of the inputs. Touches nothing. */
int runpath_check(const char *path, char *const *inputs, int ninputs);

#endif
