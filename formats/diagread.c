/*
 * diagread.c - block reader of /record/diag (see diagread.h).
 */
#include "diagread.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"

#include <stdlib.h>
#include <string.h>

/* The schema entry of each column. */
static const int diag_entry[DR_COLS] = { L_DIAG_SATURATED, L_DIAG_GAMMA, L_DIAG_GAMMA_MAX,
					 L_DIAG_RHO, L_DIAG_SIGMA_MAX, L_DIAG_DEAD };

#define DIAG_GROUP SCHEMA_RECORD "/" SCHEMA_DIAG

/* Whether path exists; H5Lexists wants every group on the way to exist. */
static int link_exists(const struct run *run, const char *path)
{
	char part[64];
	for (const char *p = path;; p++)
		if (*p == '/' || !*p) {
			htri_t e = 0;
			snprintf(part, sizeof(part), "%.*s", (int)(p - path), path);
			H5E_BEGIN_TRY { e = H5Lexists(run->file, part, H5P_DEFAULT); } H5E_END_TRY;
			if (e <= 0)
				return 0;
			if (!*p)
				return 1;
		}
}

int diagread_present(const struct run *run)
{
	return link_exists(run, DIAG_GROUP);
}

/* Index of comp in the comma-separated components, or -1. */
static int comp_index(const char *components, const char *comp)
{
	size_t want = strlen(comp);
	int k = 0;
	for (const char *p = components; *p; k++) {
		size_t w = strcspn(p, ",");
		if (w == want && !strncmp(p, comp, w))
			return k;
		p += w + (p[w] == ',');
	}
	return -1;
}

/* The group's `activations` ("tanh", "i,f,g,o,tanh_c"; a mix's, one list
 * per component separated by ';') into act_names: d->comp's list; their
 * count must be A. */
static int read_acts(struct diagread *d, const char *components)
{
	char list[128];
	hid_t g = H5I_INVALID_HID;
	int rc = -1;
	H5E_BEGIN_TRY { g = H5Gopen2(d->run->file, DIAG_GROUP, H5P_DEFAULT); } H5E_END_TRY;
	if (g < 0)
		return error("%s: no /%s (recorded without diagnostics)", d->run->path, DIAG_GROUP);
	if (schema_get_str(g, A_DIAG_ACTIVATIONS, list, sizeof(list)) < 0) {
		error("%s: /%s has no attribute %s", d->run->path, DIAG_GROUP,
		      schema_attrs[A_DIAG_ACTIVATIONS].name);
		goto out;
	}
	const char *p = list;
	if (d->comp[0]) {
		int c = comp_index(components, d->comp);
		for (int i = 0; i < c && p; i++)
			if ((p = strchr(p, ';')))
				p++;
		if (c < 0 || !p) {
			error("%s: /%s %s \"%s\" has no list for component %s", d->run->path,
			      DIAG_GROUP, schema_attrs[A_DIAG_ACTIVATIONS].name, list, d->comp);
			goto out;
		}
	}
	int k = 0;
	for (; *p && *p != ';' && k < DIAGREAD_MAX_ACTS; k++) {
		size_t w = strcspn(p, ",;");
		snprintf(d->act_names[k], sizeof(d->act_names[k]), "%.*s", (int)w, p);
		p += w + (p[w] == ',');
	}
	if (k != d->A) {
		error("%s: /%s %s \"%s\" does not name %d activations", d->run->path, DIAG_GROUP,
		      schema_attrs[A_DIAG_ACTIVATIONS].name, list, d->A);
		goto out;
	}
	rc = 0;
out:
	H5Gclose(g);
	return rc;
}

int diagread_open(struct diagread *d, const struct run *run, int layer, int H, int G, int relu,
		  size_t cap)
{
	return diagread_open_comp(d, run, layer, H, G, relu, cap, NULL, NULL);
}

int diagread_open_comp(struct diagread *d, const struct run *run, int layer, int H, int G,
		       int relu, size_t cap, const char *comp, const char *components)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < DR_COLS; i++)
		d->dset[i] = H5I_INVALID_HID;
	d->run = run;
	d->layer = layer;
	d->H = H;
	d->G = G;
	d->A = schema_diag_acts(G);
	d->B = schema_diag_blocks(G);
	d->cap = cap;
	snprintf(d->comp, sizeof(d->comp), "%s", comp ? comp : "");
	if (read_acts(d, components ? components : "") < 0)
		return -1;
	int64_t rows = run_rows(run, SCHEMA_RECORD);
	for (int i = 0; i < DR_COLS; i++) {
		hsize_t tail[3];
		const struct schema_rec *e = &schema_layer[diag_entry[i]];
		int rank = schema_rec_tail(e, tail, 1, H, G);
		schema_rec_path_comp(d->path[i], sizeof(d->path[i]), e, d->comp, layer);
		if (i == DR_DEAD && !(d->has_dead = relu && link_exists(run, d->path[i])))
			continue; /* a relu run may be recorded without them */
		d->dset[i] = run_open_shaped(run, d->path[i], rank, tail, rows,
					     "%s: no /%s (recorded without diagnostics)");
		if (d->dset[i] < 0) {
			diagread_close(d);
			return -1;
		}
	}
	size_t a = cap * (size_t)d->A, b = cap * (size_t)d->B;
	d->sat = malloc(a * sizeof(float));
	d->gamma = malloc(a * sizeof(float));
	d->gamma_max = malloc(a * sizeof(float));
	d->rho = malloc(b * sizeof(float));
	d->sigma_max = malloc(b * sizeof(float));
	d->dead = d->has_dead ? malloc(cap * (size_t)H) : NULL;
	if (!d->sat || !d->gamma || !d->gamma_max || !d->rho || !d->sigma_max ||
	    (d->has_dead && !d->dead)) {
		diagread_close(d);
		return error("%s: out of memory", run->path);
	}
	return 0;
}

int diagread_rows(struct diagread *d, int64_t row0, int64_t count)
{
	void *bufs[DR_COLS] = { d->sat, d->gamma, d->gamma_max, d->rho, d->sigma_max, d->dead };
	for (int i = 0; i < DR_COLS; i++) {
		if (d->dset[i] < 0)
			continue;
		hid_t mt = schema_mtype(schema_layer[diag_entry[i]].type);
		if (h5_read_rows(d->dset[i], row0, count, -1, mt, bufs[i]) < 0)
			return error("%s: cannot read /%s rows %lld..%lld: %s", d->run->path,
				     d->path[i], (long long)row0, (long long)(row0 + count - 1),
				     h5_reason());
	}
	return 0;
}

void diagread_close(struct diagread *d)
{
	for (int i = 0; i < DR_COLS; i++)
		if (d->dset[i] >= 0)
			H5Dclose(d->dset[i]);
	free(d->sat);
	free(d->gamma);
	free(d->gamma_max);
	free(d->rho);
	free(d->sigma_max);
	free(d->dead);
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < DR_COLS; i++)
		d->dset[i] = H5I_INVALID_HID;
}

int diagread_check_clip(const struct run *run)
{
	char path[64];
	schema_train_path(path, sizeof(path), TRAIN_CLIP_SHARE);
	return link_exists(run, path) ? 0 :
	       error("%s: no /%s (recorded without diagnostics)", run->path, path);
}
