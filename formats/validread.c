/*
 * validread.c - /valid of a run (see validread.h).
 */
#include "validread.h"
#include "h5util.h"
#include "schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_col(const struct run *r, const char *name, int64_t n, hid_t mtype, void *out)
{
	char path[64];
	hid_t d = H5I_INVALID_HID;
	int rc = -1;
	snprintf(path, sizeof(path), "%s/%s", SCHEMA_VALID, name);
	H5E_BEGIN_TRY {
		d = H5Dopen2(r->file, path, H5P_DEFAULT);
		if (d >= 0) {
			rc = h5_read_rows(d, 0, n, -1, mtype, out);
			H5Dclose(d);
		}
	} H5E_END_TRY;
	return rc;
}

int valid_rows_read(struct valid_rows *v, const struct run *r)
{
	memset(v, 0, sizeof(*v));
	int64_t n = run_rows(r, SCHEMA_VALID);
	if (n <= 0)
		return 0;
	v->batch = malloc((size_t)n * sizeof(*v->batch));
	v->loss = malloc((size_t)n * sizeof(*v->loss));
	if (!v->batch || !v->loss || read_col(r, SCHEMA_VALID_BATCH, n, H5T_NATIVE_INT64, v->batch) < 0 ||
	    read_col(r, SCHEMA_VALID_LOSS, n, H5T_NATIVE_FLOAT, v->loss) < 0) {
		valid_rows_free(v);
		return -1;
	}
	v->n = n;
	return 0;
}

void valid_rows_free(struct valid_rows *v)
{
	free(v->batch);
	free(v->loss);
	memset(v, 0, sizeof(*v));
}

float valid_rows_at(const struct valid_rows *v, int64_t batch)
{
	int64_t lo = 0, hi = v->n; /* binary search: one lookup per /train row */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (v->batch[mid] < batch)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && v->batch[lo] == batch ? v->loss[lo] : NAN;
}
