/*
 * runread.h - opening a run file for reading (SPEC 2): a path, or "-" for
 * a run file on stdin (read into memory: HDF5 needs random access). A run
 * that is still being written, or was killed, is opened for SWMR reading;
 * its committed row count per group is its shortest dataset's.
 */
#ifndef RNNBOW_RUNREAD_H
#define RNNBOW_RUNREAD_H

#include <hdf5.h>
#include <stdint.h>

struct run {
	hid_t file;
	const char *path;    /* as given; "-" for stdin */
	void *image;         /* the bytes of a run read from stdin */
	size_t image_size;
	int64_t format_version;
	int swmr;            /* opened for SWMR reading */
	int64_t data_end;    /* > 0: a run being written or killed, whose
			      * rows count only when their bytes lie before
			      * this file address (its size when opened) */
};

/* Opens and checks a run: an HDF5 file whose root says format="rnnbow"
 * and a format_version this program knows. Returns 0, or -1 after one
 * message "rnnbow CMD: PATH: why". */
int run_open(struct run *r, const char *path);
void run_close(struct run *r);

/* Opens a run held in memory (buf, len, from malloc; taken over and freed
 * here, also on failure). name is used in messages. Returns 0 or -1. */
int run_open_image(struct run *r, void *buf, size_t len, const char *name);

/* 1 when the bytes hold HDF5's signature where HDF5 looks for it (0, 512,
 * 1024, ...): a run file rather than a table; 0 otherwise. */
int run_image_is_hdf5(const void *buf, size_t len);

/* Reads all of stdin into a malloc'd buffer. Returns 0 or -1 (message). */
int read_all_stdin(void **buf, size_t *len);

/* Committed rows of a group: the shortest first dimension among its
 * datasets, subgroups included; 0 for an empty or missing group. For a
 * run being written or killed (data_end set), a dataset counts only its
 * leading rows whose bytes are all in the file: HDF5 reads past the end
 * of a file as zeros, and a copy of such a run may have been cut short. */
int64_t run_rows(const struct run *r, const char *group);

/* Size of the run in bytes (file size, or the stdin image's). */
int64_t run_size(const struct run *r);

/* An attribute of a group of the run ("model", "train"). Returns 0, or -1
 * without a message when the group or the attribute is missing or of
 * another type; *value is then left as it was. */
int run_attr_i64(const struct run *r, const char *group, const char *name, int64_t *value);

/* Opens dataset path of the run and checks its shape: at least rows rows,
 * each of shape tail[0..ntail). Returns the dataset, or H5I_INVALID_HID
 * after one message: `missing` when there is no such dataset (a printf
 * format given the run's path and path, e.g. "%s: no /%s"), or a shape
 * that does not match /model. */
hid_t run_open_shaped(const struct run *r, const char *path, int ntail, const hsize_t *tail,
		      int64_t rows, const char *missing);

#endif
