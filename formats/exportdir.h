/*
 * exportdir.h - the folder an export writes its file set into, under one
 * rule that never clobbers a user's files:
 *
 *   - a folder that does not exist is created, with its missing parents
 *     (LSTMVis reads a data folder of project folders: -o data/run);
 *   - an empty folder is used;
 *   - a folder holding only files of an earlier export of the same kind
 *     (the set's names, and their .part files) is refused unless force,
 *     which replaces that export;
 *   - a folder holding any other file is refused, force or not.
 *
 * Files are written as NAME.part and renamed into place only when all are
 * written; the file that makes the set visible to its reader (LSTMVis's
 * lstm.yml) is removed first and renamed last, so a failed or killed
 * export never looks complete, and a failed one is removed.
 */
#ifndef RNNBOW_EXPORTDIR_H
#define RNNBOW_EXPORTDIR_H

#include <stddef.h>

#define EXPORTDIR_MAX 16

struct export_dir {
	const char *dir;
	const char *const *names; /* (n) the set's files; names[n-1] makes it visible */
	int n;
	size_t created;           /* > 0: the folder was made here, with its
				     parents from the one this many bytes long */
	int written[EXPORTDIR_MAX]; /* part i was opened for writing */
};

/* Checks dir against the rule above and creates it if missing. Returns 0,
 * or -1 after one message "rnnbow CMD: DIR: why". */
int export_dir_open(struct export_dir *d, const char *dir, const char *const *names, int n,
		    int force);

/* DIR/NAME.part of file i into buf, marked as written. */
const char *export_dir_part(struct export_dir *d, int i, char *buf, size_t len);

/* Renames every written part into place (removing a file of the earlier
 * export that this one did not write), the visible one last. Returns 0,
 * or -1 after a message (the parts are then removed). */
int export_dir_commit(struct export_dir *d);

/* Removes the parts written, and the folders made here. */
void export_dir_abort(struct export_dir *d);

#endif
