/*
 * sampleread.c - reading /samples (see sampleread.h).
 */
#include "sampleread.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_samples_read(struct run_samples *s, const struct run *run)
{
	char path[64];
	hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
	hsize_t dims[2] = { 0 };
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (H5Lexists(run->file, SCHEMA_SAMPLES, H5P_DEFAULT) <= 0)
		return 1;
	s->count = run_rows(run, SCHEMA_SAMPLES);
	snprintf(path, sizeof(path), "%s/%s", SCHEMA_SAMPLES, SCHEMA_SAMPLES_TEXT);
	H5E_BEGIN_TRY { d = H5Dopen2(run->file, path, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0 || (sp = H5Dget_space(d)) < 0 || H5Sget_simple_extent_ndims(sp) != 2 ||
	    H5Sget_simple_extent_dims(sp, dims, NULL) < 0 || dims[1] < 1 || dims[1] > 1 << 20)
		goto bad;
	s->length = (int64_t)dims[1];
	s->batch = malloc((size_t)(s->count ? s->count : 1) * sizeof(int64_t));
	s->text = malloc((size_t)(s->count ? s->count : 1) * (size_t)s->length);
	if (!s->batch || !s->text) {
		error("out of memory for %lld samples", (long long)s->count);
		goto out;
	}
	if (s->count && h5_read_rows(d, 0, s->count, -1, H5T_NATIVE_UINT8, s->text) < 0)
		goto bad;
	H5Dclose(d);
	snprintf(path, sizeof(path), "%s/%s", SCHEMA_SAMPLES, SCHEMA_SAMPLES_BATCH);
	H5E_BEGIN_TRY { d = H5Dopen2(run->file, path, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0 || (s->count && h5_read_rows(d, 0, s->count, -1, H5T_NATIVE_INT64, s->batch) < 0))
		goto bad;
	rc = 0;
	goto out;
bad:
	error("%s: /%s is missing or damaged", run->path, path);
out:
	if (sp >= 0)
		H5Sclose(sp);
	if (d >= 0)
		H5Dclose(d);
	if (rc < 0)
		run_samples_free(s);
	return rc;
}

void run_samples_free(struct run_samples *s)
{
	free(s->batch);
	free(s->text);
	memset(s, 0, sizeof(*s));
}
