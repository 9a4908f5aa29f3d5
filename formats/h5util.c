/*
 * h5util.c - attribute helpers (see h5util.h).
 */
#include "h5util.h"

#include <stdlib.h>
#include <string.h>

void h5_setup(void)
{
	/* We close every HDF5 handle ourselves. HDF5's own clean-up at exit
	 * would try again to close a file whose close failed (a full disk)
	 * and crash: leave it out. */
	H5dont_atexit();
	/* we report HDF5 failures in our own words (the writer thread too) */
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int put_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
		      const void *value)
{
	int rc = -1;
	hid_t space = H5Screate(H5S_SCALAR), attr = H5I_INVALID_HID;
	if (space < 0)
		return -1;
	attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
	if (attr < 0)
		goto out;
	if (H5Awrite(attr, mtype, value) < 0)
		goto out;
	rc = 0;
out:
	if (attr >= 0)
		H5Aclose(attr);
	H5Sclose(space);
	return rc;
}

int h5_attr_put_str(hid_t obj, const char *name, const char *value)
{
	hid_t type = H5Tcopy(H5T_C_S1);
	int rc;
	if (type < 0)
		return -1;
	H5Tset_size(type, strlen(value) + 1);
	H5Tset_strpad(type, H5T_STR_NULLTERM);
	rc = put_scalar(obj, name, type, type, value);
	H5Tclose(type);
	return rc;
}

int h5_attr_put_i64(hid_t obj, const char *name, int64_t value)
{
	return put_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int h5_attr_put_u64(hid_t obj, const char *name, uint64_t value)
{
	return put_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}

int h5_attr_put_f64(hid_t obj, const char *name, double value)
{
	return put_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int h5_attr_set_i64(hid_t obj, const char *name, int64_t value)
{
	if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
		return -1;
	return h5_attr_put_i64(obj, name, value);
}

int h5_attr_append_line(hid_t obj, const char *name, const char *line)
{
	size_t old = 0;
	char *s;
	int rc;
	if (H5Aexists(obj, name) > 0) {
		hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), type = H5I_INVALID_HID;
		if (attr >= 0 && (type = H5Aget_type(attr)) >= 0)
			old = H5Tget_size(type);
		if (type >= 0)
			H5Tclose(type);
		if (attr >= 0)
			H5Aclose(attr);
	}
	s = malloc(old + strlen(line) + 2);
	if (!s)
		return -1;
	s[0] = '\0';
	if (old && h5_attr_get_str(obj, name, s, old + 1) < 0) {
		free(s);
		return -1;
	}
	if (*s)
		strcat(s, "\n");
	strcat(s, line);
	rc = (old && H5Adelete(obj, name) < 0) ? -1 : h5_attr_put_str(obj, name, s);
	free(s);
	return rc;
}

int h5_attr_get_str(hid_t obj, const char *name, char *buf, size_t len)
{
	int rc = -1;
	hid_t attr = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;

	buf[0] = '\0';
	H5E_BEGIN_TRY { attr = H5Aopen(obj, name, H5P_DEFAULT); } H5E_END_TRY;
	if (attr < 0)
		return -1;
	if ((ftype = H5Aget_type(attr)) < 0 || H5Tget_class(ftype) != H5T_STRING)
		goto out;
	if (H5Tis_variable_str(ftype) > 0) {
		char *s = NULL;
		mtype = H5Tcopy(H5T_C_S1);
		H5Tset_size(mtype, H5T_VARIABLE);
		if (H5Aread(attr, mtype, &s) < 0)
			goto out;
		snprintf(buf, len, "%s", s ? s : "");
		H5free_memory(s);
	} else {
		size_t sz = H5Tget_size(ftype);
		char *tmp = calloc(sz + 1, 1);
		if (!tmp)
			goto out;
		mtype = H5Tcopy(H5T_C_S1);
		H5Tset_size(mtype, sz + 1);
		H5Tset_strpad(mtype, H5T_STR_NULLTERM);
		if (H5Aread(attr, mtype, tmp) < 0) {
			free(tmp);
			goto out;
		}
		snprintf(buf, len, "%s", tmp);
		free(tmp);
	}
	rc = 0;
out:
	if (mtype >= 0)
		H5Tclose(mtype);
	if (ftype >= 0)
		H5Tclose(ftype);
	H5Aclose(attr);
	return rc;
}

static int get_scalar(hid_t obj, const char *name, hid_t mtype, void *value)
{
	int rc = -1;
	hid_t attr = H5I_INVALID_HID, space = H5I_INVALID_HID;
	H5E_BEGIN_TRY { attr = H5Aopen(obj, name, H5P_DEFAULT); } H5E_END_TRY;
	if (attr < 0)
		return -1;
	space = H5Aget_space(attr);
	if (space >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
	    H5Aread(attr, mtype, value) >= 0)
		rc = 0;
	if (space >= 0)
		H5Sclose(space);
	H5Aclose(attr);
	return rc;
}

int h5_attr_get_i64(hid_t obj, const char *name, int64_t *value)
{
	return get_scalar(obj, name, H5T_NATIVE_INT64, value);
}

int h5_attr_get_f64(hid_t obj, const char *name, double *value)
{
	return get_scalar(obj, name, H5T_NATIVE_DOUBLE, value);
}

int64_t h5_rows(hid_t dset)
{
	hsize_t dims[H5S_MAX_RANK];
	hid_t space = H5Dget_space(dset);
	int rank;
	if (space < 0)
		return -1;
	rank = H5Sget_simple_extent_dims(space, dims, NULL);
	H5Sclose(space);
	return rank >= 1 ? (int64_t)dims[0] : -1;
}

/* Reads rows [row0, row0 + count) of a dataset, as mtype, into buf. With
 * slice >= 0, only index `slice` of the second dimension (one gate of
 * itemized_gates): buf then holds (count, remaining dims), as if that
 * dimension were not there. */
int h5_read_rows(hid_t d, int64_t row0, int64_t count, int slice, hid_t mtype, void *buf)
{
	hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = { 0 };
	hid_t fs = H5Dget_space(d), ms = H5I_INVALID_HID;
	int rc = -1, rank;
	if (fs < 0)
		return -1;
	rank = H5Sget_simple_extent_dims(fs, dims, NULL);
	if (rank < 1 || (slice >= 0 && (rank < 2 || (hsize_t)slice >= dims[1])))
		goto out;
	start[0] = (hsize_t)row0;
	dims[0] = (hsize_t)count;
	if (slice >= 0) {
		start[1] = (hsize_t)slice;
		dims[1] = 1;
	}
	if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, dims, NULL) < 0 ||
	    (ms = H5Screate_simple(rank, dims, NULL)) < 0)
		goto out;
	if (H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
		rc = 0;
out:
	if (ms >= 0)
		H5Sclose(ms);
	H5Sclose(fs);
	return rc;
}
