/*
 * unitread.c - per-unit arrays of one record at a time (see unitread.h).
 * Workload: `units` reads every record's unit_flow once (n H floats per
 * layer: a row read each), `plot` one record.
 */
#include "unitread.h"
#include "h5util.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

/* What to say when dataset i of schema_layer (-1: another) is missing:
 * why a run lacks it. */
static const char *why_missing(int i)
{
	return i == L_UNIT_FLOW ? "recorded with --no-unit-flow, or by an rnnbow before it" :
	       i == L_HIDDEN ? "record the run with --save-hidden" : "not a complete run";
}

/* Opens schema entry e of layer l and checks its shape (rows, tail). */
static hid_t open_entry(const struct unitread *u, const struct schema_rec *e, int l, int why)
{
	char path[80];
	hsize_t tail[3], dims[H5S_MAX_RANK];
	int rank = schema_rec_tail(e, tail, u->n, u->H, 1), r = -1;
	hid_t d = H5I_INVALID_HID, s = H5I_INVALID_HID;
	if (why >= 0) /* a per-layer dataset: a mix's component's */
		schema_rec_path_comp(path, sizeof(path), e, u->rr.comp, l);
	else
		schema_rec_path(path, sizeof(path), e, l);
	H5E_BEGIN_TRY {
		d = H5Dopen2(u->rr.run->file, path, H5P_DEFAULT);
		if (d >= 0 && (s = H5Dget_space(d)) >= 0)
			r = H5Sget_simple_extent_dims(s, dims, NULL);
	} H5E_END_TRY;
	if (s >= 0)
		H5Sclose(s);
	if (d < 0) {
		error("%s: no /%s (%s)", u->rr.run->path, path, why_missing(why));
		return H5I_INVALID_HID;
	}
	int ok = r == rank + 1 && (int64_t)dims[0] >= u->rows;
	for (int i = 0; ok && i < rank; i++)
		ok = dims[i + 1] == tail[i];
	if (!ok) {
		error("%s: /%s has a shape that does not match /model", u->rr.run->path, path);
		H5Dclose(d);
		return H5I_INVALID_HID;
	}
	return d;
}

int unitread_present(const struct run *run, unsigned what)
{
	return unitread_present_comp(run, what, NULL);
}

int unitread_present_comp(const struct run *run, unsigned what, const char *comp)
{
	char path[80];
	htri_t e = 0;
	schema_rec_path_comp(path, sizeof(path),
			     &schema_layer[what & UR_HIDDEN ? L_HIDDEN : L_UNIT_FLOW], comp, 0);
	H5E_BEGIN_TRY { /* H5Lexists wants the group on the way to exist */
		e = H5Lexists(run->file, SCHEMA_RECORD, H5P_DEFAULT);
		if (e > 0)
			e = H5Lexists(run->file, path, H5P_DEFAULT);
	} H5E_END_TRY;
	return e > 0;
}

/* Every record's batch, in file order. */
static int read_batches(struct unitread *u)
{
	int64_t got, at = 0;
	u->batch = malloc(((size_t)u->rows + 1) * sizeof(int64_t));
	if (!u->batch)
		return error("%s: out of memory", u->rr.run->path);
	while ((got = recread_next(&u->rr)) > 0) {
		memcpy(u->batch + at, u->rr.batch, (size_t)got * sizeof(int64_t));
		at += got;
	}
	return got < 0 ? -1 : 0;
}

int unitread_open(struct unitread *u, const struct run *run, unsigned what)
{
	return unitread_open_comp(u, run, what, NULL);
}

int unitread_open_comp(struct unitread *u, const struct run *run, unsigned what,
		       const char *component)
{
	/* E picks a mix's component (recread's --component rule) */
	const struct rec_source src = { .component = component, .mix_ok = 1 };
	memset(u, 0, sizeof(*u));
	u->input = H5I_INVALID_HID;
	if (recread_open_source(&u->rr, run, RC_BATCH | RC_TRUNC, &src) < 0)
		return -1;
	u->n = u->rr.n;
	u->H = u->rr.H;
	u->layers = u->rr.layers;
	u->rows = u->rr.rows;
	u->flow = malloc((size_t)u->layers * sizeof(hid_t));
	u->trunc = malloc((size_t)u->layers * sizeof(hid_t));
	u->hidden = malloc((size_t)u->layers * sizeof(hid_t));
	if (!u->flow || !u->trunc || !u->hidden) {
		u->layers = 0; /* no ids to close */
		unitread_close(u);
		return error("%s: out of memory", run->path);
	}
	for (int l = 0; l < u->layers; l++)
		u->flow[l] = u->trunc[l] = u->hidden[l] = H5I_INVALID_HID;
	for (int l = 0; l < u->layers; l++) {
		int bad = 0;
		if (what & UR_FLOW)
			bad |= (u->flow[l] = open_entry(u, &schema_layer[L_UNIT_FLOW], l,
							L_UNIT_FLOW)) < 0 ||
			       (u->trunc[l] = open_entry(u, &schema_layer[L_TRUNC], l, L_TRUNC)) < 0;
		if (!bad && (what & UR_HIDDEN))
			bad |= (u->hidden[l] = open_entry(u, &schema_layer[L_HIDDEN], l,
							  L_HIDDEN)) < 0;
		if (bad) {
			unitread_close(u);
			return -1;
		}
	}
	if ((what & UR_HIDDEN) &&
	    (u->input = open_entry(u, &schema_record_once[R_INPUT], 0, -1)) < 0) {
		unitread_close(u);
		return -1;
	}
	if (read_batches(u) < 0) {
		unitread_close(u);
		return -1;
	}
	return 0;
}

int64_t unitread_find(const struct unitread *u, int64_t batch)
{
	for (int64_t i = 0; i < u->rows; i++)
		if (u->batch[i] == batch)
			return i;
	return -1;
}

static int read_row(struct unitread *u, hid_t d, int64_t row, hid_t mtype, void *buf,
		    const char *what)
{
	if (h5_read_rows(d, row, 1, -1, mtype, buf) < 0)
		return error("%s: cannot read %s of record %lld: %s", u->rr.run->path, what,
			     (long long)row, h5_reason());
	return 0;
}

int unitread_flow(struct unitread *u, int64_t row, int layer, float *flow, float *E)
{
	if (read_row(u, u->flow[layer], row, H5T_NATIVE_FLOAT, flow, "unit_flow") < 0)
		return -1;
	return read_row(u, u->trunc[layer], row, H5T_NATIVE_FLOAT, E, "truncation_error");
}

int unitread_hidden(struct unitread *u, int64_t row, int layer, float *h, int32_t *input)
{
	if (read_row(u, u->hidden[layer], row, H5T_NATIVE_FLOAT, h, "hidden") < 0)
		return -1;
	return read_row(u, u->input, row, H5T_NATIVE_INT32, input, "input");
}

void unitread_close(struct unitread *u)
{
	for (int l = 0; l < u->layers; l++) {
		if (u->flow && u->flow[l] >= 0)
			H5Dclose(u->flow[l]);
		if (u->trunc && u->trunc[l] >= 0)
			H5Dclose(u->trunc[l]);
		if (u->hidden && u->hidden[l] >= 0)
			H5Dclose(u->hidden[l]);
	}
	if (u->input >= 0)
		H5Dclose(u->input);
	free(u->flow);
	free(u->trunc);
	free(u->hidden);
	free(u->batch);
	recread_close(&u->rr);
	memset(u, 0, sizeof(*u));
	u->input = H5I_INVALID_HID;
}
