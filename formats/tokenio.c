/*
 * tokenio.c - token vocabularies in files (see tokenio.h).
 */
#include "tokenio.h"
#include "h5util.h"
#include "msg.h"
#include "schema.h"
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tokens_other(const struct run_info *info)
{
	return info->tokens && info->tokens->kind != TOKENS_BYTES;
}

/* A variable-length UTF-8 string type (to close). */
static hid_t vlen_utf8(void)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
		H5Tclose(t);
		return H5I_INVALID_HID;
	}
	return t;
}

int tokens_write(hid_t model, const struct token_vocab *tv)
{
	hsize_t V = (hsize_t)tv->V;
	hid_t space = H5Screate_simple(1, &V, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t type = vlen_utf8(), d = H5I_INVALID_HID;
	int rc = -1;
	if (space < 0 || dcpl < 0 || type < 0)
		goto out;
	H5Pset_obj_track_times(dcpl, 0); /* same run, same bytes */
	d = H5Dcreate2(model, SCHEMA_VOCAB_TEXT, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tv->text) >= 0)
		rc = 0;
out:
	if (d >= 0)
		H5Dclose(d);
	if (type >= 0)
		H5Tclose(type);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	return rc;
}

/* /model/vocab: V bytes. */
static int read_bytes(struct token_vocab *tv, hid_t model, const char *path, int V)
{
	uint8_t bytes[256];
	hid_t d = H5I_INVALID_HID;
	if (V < 1 || V > 256)
		return error("%s: /model vocab_size %d is out of range (a byte vocabulary has "
			     "1..256)", path, V);
	H5E_BEGIN_TRY { d = H5Dopen2(model, SCHEMA_VOCAB, H5P_DEFAULT); } H5E_END_TRY;
	int rc = d < 0 || h5_rows(d) < V ||
		 h5_read_rows(d, 0, V, -1, H5T_NATIVE_UINT8, bytes) < 0;
	if (d >= 0)
		H5Dclose(d);
	if (rc)
		return error("%s: not a complete run: cannot read /%s/%s of %d bytes", path,
			     SCHEMA_MODEL, SCHEMA_VOCAB, V);
	if (tokens_from_bytes(tv, bytes, V) < 0)
		return error("out of memory");
	return 0;
}

/* /model/vocab_text: V strings. */
static int read_text(struct token_vocab *tv, hid_t model, const char *path, int V,
		     enum token_kind kind)
{
	hid_t d = H5I_INVALID_HID, type = vlen_utf8(), space = H5I_INVALID_HID;
	char **text = calloc((size_t)V, sizeof(char *));
	uint32_t *len = malloc((size_t)V * sizeof(uint32_t));
	int rc = -1, read = 0;
	if (!text || !len || type < 0) {
		error("out of memory for a vocabulary of %d tokens", V);
		goto out;
	}
	H5E_BEGIN_TRY { d = H5Dopen2(model, SCHEMA_VOCAB_TEXT, H5P_DEFAULT); } H5E_END_TRY;
	if (d < 0 || h5_rows(d) != V || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0) {
		error("%s: not a complete run: cannot read /%s/%s of %d tokens", path, SCHEMA_MODEL,
		      SCHEMA_VOCAB_TEXT, V);
		goto out;
	}
	read = 1;
	for (int i = 0; i < V; i++) {
		len[i] = text[i] ? (uint32_t)strlen(text[i]) : 0;
		/* a C string cannot hold U+0000: its empty text in a utf8 run */
		if (kind == TOKENS_UTF8 && len[i] == 0)
			len[i] = 1;
	}
	static char nul[1];
	for (int i = 0; i < V; i++)
		if (!text[i])
			text[i] = nul;
	rc = tokens_set(tv, kind, V, text, len);
	for (int i = 0; i < V; i++)
		if (text[i] == nul)
			text[i] = NULL;
	if (rc < 0)
		error("out of memory for a vocabulary of %d tokens", V);
out:
	if (read && (space = H5Dget_space(d)) >= 0) {
		H5Dvlen_reclaim(type, space, H5P_DEFAULT, text);
		H5Sclose(space);
	}
	if (d >= 0)
		H5Dclose(d);
	if (type >= 0)
		H5Tclose(type);
	free(text);
	free(len);
	return rc;
}

int tokens_read(struct token_vocab *tv, hid_t file, const char *path, int V)
{
	char kind_name[32];
	enum token_kind kind;
	hid_t model = H5I_INVALID_HID;
	int rc;
	memset(tv, 0, sizeof(*tv));
	H5E_BEGIN_TRY { model = H5Gopen2(file, SCHEMA_MODEL, H5P_DEFAULT); } H5E_END_TRY;
	if (model < 0)
		return error("%s: not a complete run: no /%s", path, SCHEMA_MODEL);
	if (schema_get_str(model, A_TOKENS, kind_name, sizeof(kind_name)) < 0)
		rc = read_bytes(tv, model, path, V);
	else if (tokens_kind_parse(kind_name, &kind) < 0 || kind == TOKENS_BYTES)
		rc = error("%s: /model tokens '%s' is not a token kind this rnnbow knows", path,
			   kind_name);
	else if (V < 1 || V > TOKENS_MAX_V)
		rc = error("%s: /model vocab_size %d is out of range", path, V);
	else
		rc = read_text(tv, model, path, V, kind);
	H5Gclose(model);
	return rc;
}

/* ---- record --token-ids ---- */

/* "FILE.h5:/PATH" split at its last ":/" into file (to free) and path. */
static int split_spec(const char *spec, char **file, const char **path)
{
	const char *at = NULL;
	for (const char *p = strstr(spec, ":/"); p; p = strstr(p + 1, ":/"))
		at = p;
	if (!at || at == spec)
		return error("--token-ids %s: expected FILE.h5:/PATH (a dataset in an HDF5 file)",
			     spec);
	*file = strndup(spec, (size_t)(at - spec));
	*path = at + 1;
	return *file ? 0 : error("out of memory");
}

/* The ids of dataset path in f: one-dimensional integers, read as int64
 * into *out (*n of them). */
static int read_ids(hid_t f, const char *spec, const char *path, int64_t **out, size_t *n)
{
	hid_t d = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID;
	int rc = -1;
	*out = NULL;
	H5E_BEGIN_TRY {
		if (H5Lexists(f, path, H5P_DEFAULT) > 0)
			d = H5Dopen2(f, path, H5P_DEFAULT);
	} H5E_END_TRY;
	if (d < 0)
		return error("--token-ids %s: no dataset %s in the file", spec, path);
	if ((type = H5Dget_type(d)) < 0 || H5Tget_class(type) != H5T_INTEGER) {
		error("--token-ids %s: not a dataset of integers (token ids are integers)", spec);
		goto out;
	}
	if ((space = H5Dget_space(d)) < 0 || H5Sget_simple_extent_ndims(space) != 1) {
		error("--token-ids %s: not one-dimensional (a corpus is one sequence of ids)", spec);
		goto out;
	}
	hsize_t dim;
	H5Sget_simple_extent_dims(space, &dim, NULL);
	*n = (size_t)dim;
	if (!(*out = malloc((*n ? *n : 1) * sizeof(int64_t)))) {
		error("out of memory for %zu token ids", *n);
		goto out;
	}
	if (*n && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
		error("--token-ids %s: cannot read it (%s)", spec, h5_reason());
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	H5Dclose(d);
	return rc;
}

/* VOCAB's lines (without their "\n", and a "\r" before it) into tv. */
static int read_vocab_file(struct token_vocab *tv, const char *file)
{
	FILE *f = fopen(file, "rb");
	char **text = NULL, *line = NULL;
	uint32_t *len = NULL;
	size_t cap = 0, lcap = 0;
	int V = 0, rc = -1;
	ssize_t got;
	if (!f)
		return error("--token-vocab %s: %s", file, strerror(errno));
	while ((got = getline(&line, &lcap, f)) >= 0) {
		if (got && line[got - 1] == '\n')
			line[--got] = '\0';
		if (got && line[got - 1] == '\r')
			line[--got] = '\0';
		if ((size_t)V == cap) {
			cap = cap ? 2 * cap : 1024;
			char **t = realloc(text, cap * sizeof(char *));
			uint32_t *l = realloc(len, cap * sizeof(uint32_t));
			if (t)
				text = t;
			if (l)
				len = l;
			if (!t || !l || V >= TOKENS_MAX_V) {
				error(V >= TOKENS_MAX_V ? "--token-vocab %s: more than %d lines"
							: "--token-vocab %s: out of memory", file,
				      TOKENS_MAX_V);
				goto out;
			}
		}
		if (!(text[V] = strdup(line))) {
			error("out of memory");
			goto out;
		}
		len[V++] = (uint32_t)got;
	}
	if (ferror(f)) {
		error("--token-vocab %s: %s", file, strerror(errno));
		goto out;
	}
	if (V == 0) {
		error("--token-vocab %s: is empty (one token a line)", file);
		goto out;
	}
	if (tokens_set(tv, TOKENS_IDS, V, text, len) < 0)
		error("out of memory");
	else
		rc = 0;
out:
	for (int i = 0; i < V; i++)
		free(text[i]);
	free(text);
	free(len);
	free(line);
	fclose(f);
	return rc;
}

/* The ids 0..V-1 as their own decimal text. */
static int decimal_vocab(struct token_vocab *tv, int V)
{
	char **text = malloc((size_t)V * sizeof(char *));
	char (*buf)[12] = malloc((size_t)V * 12);
	uint32_t *len = malloc((size_t)V * sizeof(uint32_t));
	int rc = -1;
	if (text && buf && len) {
		for (int i = 0; i < V; i++) {
			len[i] = (uint32_t)snprintf(buf[i], 12, "%d", i);
			text[i] = buf[i];
		}
		rc = tokens_set(tv, TOKENS_IDS, V, text, len);
	}
	free(text);
	free(buf);
	free(len);
	return rc < 0 ? error("out of memory for a vocabulary of %d ids", V) : 0;
}

/* Checks ids against the vocabulary (V ids, or max + 1 when V is 0) and
 * narrows them into out. Returns the vocabulary size, or -1. */
static int64_t check_ids(const char *spec, const char *vocab_file, const int64_t *in, size_t n,
			 int32_t *out, int64_t V)
{
	int64_t max = -1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] < 0) {
			error("--token-ids %s: id %lld at index %zu is negative", spec,
			      (long long)in[i], i);
			return -1;
		}
		if (V && in[i] >= V) {
			error("--token-ids %s: id %lld at index %zu is not below the vocabulary's "
			      "size %lld (the lines of --token-vocab %s)", spec, (long long)in[i], i,
			      (long long)V, vocab_file);
			return -1;
		}
		if (!V && in[i] >= TOKENS_MAX_V) {
			error("--token-ids %s: id %lld at index %zu is past the largest vocabulary "
			      "(%d ids)", spec, (long long)in[i], i, TOKENS_MAX_V);
			return -1;
		}
		max = in[i] > max ? in[i] : max;
		out[i] = (int32_t)in[i];
	}
	return V ? V : max + 1;
}

int token_ids_load(const char *spec, const char *vocab_file, int32_t **ids, size_t *len,
		   struct token_vocab *tv, char content[65])
{
	char *file = NULL;
	const char *path = NULL;
	int64_t *raw = NULL;
	hid_t f = H5I_INVALID_HID;
	int rc = -1;
	*ids = NULL;
	memset(tv, 0, sizeof(*tv));
	if (split_spec(spec, &file, &path) < 0)
		return -1;
	H5E_BEGIN_TRY { f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
	if (f < 0) {
		error("--token-ids %s: cannot open %s as an HDF5 file", spec, file);
		goto out;
	}
	if (read_ids(f, spec, path, &raw, len) < 0)
		goto out;
	if (*len == 0) {
		error("--token-ids %s: holds no ids", spec);
		goto out;
	}
	if (vocab_file && read_vocab_file(tv, vocab_file) < 0)
		goto out;
	if (!(*ids = malloc(*len * sizeof(int32_t)))) {
		error("out of memory for %zu token ids", *len);
		goto out;
	}
	int64_t V = check_ids(spec, vocab_file, raw, *len, *ids, vocab_file ? tv->V : 0);
	if (V < 0 || (!vocab_file && decimal_vocab(tv, (int)V) < 0))
		goto out;
	/* the ids' own digest, as little-endian int32 (the machine's order) */
	sha256_hex(content, (const uint8_t *)*ids, *len * sizeof(int32_t));
	rc = 0;
out:
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		tokens_free(tv);
	}
	if (f >= 0)
		H5Fclose(f);
	free(raw);
	free(file);
	return rc;
}

int tokens_identity(char out[65], const struct token_vocab *tv, const char content[65])
{
	size_t len = 64 + 80;
	for (int i = 0; i < tv->V; i++)
		len += 4 + tv->len[i];
	uint8_t *buf = malloc(len), *p = buf;
	if (!buf)
		return error("out of memory");
	p += sprintf((char *)p, "rnnbow tokens %s\n%s\n", tokens_kind_name(tv->kind), content);
	for (int i = 0; i < tv->V; i++) {
		uint32_t l = tv->len[i];
		for (int k = 0; k < 4; k++)
			*p++ = (uint8_t)(l >> (8 * k));
		memcpy(p, tv->text[i], l);
		p += l;
	}
	sha256_hex(out, buf, (size_t)(p - buf));
	free(buf);
	return 0;
}
