/*
 * h5util.h - small checked helpers around HDF5 attributes and datasets,
 * shared by the run writer and reader. Each returns 0 / a valid id on
 * success and -1 / H5I_INVALID_HID on failure, without printing: callers
 * report in their own words (see h5_reason()).
 */
#ifndef RNNBOW_H5UTIL_H
#define RNNBOW_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* HDF5 as rnnbow uses it, once before any other HDF5 call: no clean-up
 * at exit and no error stacks printed (see h5util.c). */
void h5_setup(void);

/* Scalar attributes. Strings are fixed-length, NUL-terminated ASCII: they
 * may be written before SWMR starts and read by any HDF5 tool. */
int h5_attr_put_str(hid_t obj, const char *name, const char *value);
int h5_attr_put_i64(hid_t obj, const char *name, int64_t value);
int h5_attr_put_u64(hid_t obj, const char *name, uint64_t value);
int h5_attr_put_f64(hid_t obj, const char *name, double value);

/* Replaces an attribute's value (deleted and written anew: only before
 * SWMR writing starts). */
int h5_attr_set_i64(hid_t obj, const char *name, int64_t value);
/* Adds a line to a string attribute of lines (created with the first). */
int h5_attr_append_line(hid_t obj, const char *name, const char *line);

/* Reads a string attribute (fixed or variable length) into buf. */
int h5_attr_get_str(hid_t obj, const char *name, char *buf, size_t len);
int h5_attr_get_i64(hid_t obj, const char *name, int64_t *value);
int h5_attr_get_f64(hid_t obj, const char *name, double *value);

/* Reads rows [row0, row0 + count) of dataset d, as mtype, into buf. With
 * slice >= 0, only index `slice` of the second dimension (one gate of
 * itemized_gates): buf then holds (count, remaining dims), as if that
 * dimension were not there. Returns 0 or -1. */
int h5_read_rows(hid_t d, int64_t row0, int64_t count, int slice, hid_t mtype, void *buf);

/* First dimension of a dataset; -1 on failure. */
int64_t h5_rows(hid_t dset);

#endif
