/*
 * runread.c - open and check run files (see runread.h).
 */
#include "runread.h"
#include "h5util.h"
#include "msg.h"
#include "runfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int read_all_stdin(void **buf, size_t *len)
{
	size_t cap = 1 << 20;
	char *p = malloc(cap);
	*len = 0;
	if (!p)
		return error("-: out of memory");
	for (;;) {
		if (*len == cap) {
			char *q = realloc(p, cap *= 2);
			if (!q) {
				free(p);
				return error("-: out of memory");
			}
			p = q;
		}
		size_t got = fread(p + *len, 1, cap - *len, stdin);
		*len += got;
		if (!got)
			break;
	}
	if (ferror(stdin)) {
		free(p);
		return error("-: cannot read stdin: %s", strerror(errno));
	}
	*buf = p;
	return 0;
}

static int read_stdin(struct run *r)
{
	return read_all_stdin(&r->image, &r->image_size);
}

/* Opens the stdin bytes with the in-memory (core) driver, which copies
 * them; ours are freed at once. (H5LTopen_file_image avoids the copy but
 * leaks its bookkeeping in HDF5 1.10.) The core driver cannot open a run
 * still flagged as being written (live or killed): such a run must be
 * read by path, or cleared with h5clear first. */
static int open_image(struct run *r)
{
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0)
		return -1;
	if (H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ||
	    H5Pset_file_image(fapl, r->image, r->image_size) < 0) {
		H5Pclose(fapl);
		return -1;
	}
	free(r->image);
	r->image = NULL;
	H5E_BEGIN_TRY {
		r->file = H5Fopen("stdin", H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
		if (r->file >= 0)
			r->swmr = 1;
		else
			r->file = H5Fopen("stdin", H5F_ACC_RDONLY, fapl);
	} H5E_END_TRY;
	H5Pclose(fapl);
	return r->file >= 0 ? 0 : -1;
}

/* A finished run opens plainly, and a damaged one then fails at once. A
 * run still flagged as being written (live, or killed) refuses a plain
 * open; it is opened for SWMR reading, with few metadata read attempts:
 * SWMR retries a failed checksum with back-off (100 times by default),
 * which made damaged files take minutes to refuse. */
static int open_path(struct run *r, const char *path)
{
	H5E_BEGIN_TRY { r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
	if (r->file >= 0)
		return 0;
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0)
		return -1;
	H5Pset_metadata_read_attempts(fapl, 8);
	H5E_BEGIN_TRY {
		r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
		if (r->file < 0) {
			/* A run whose disk filled up (or that was cut short) can
			 * record an end of file beyond the bytes it got to write:
			 * read what is there, as h5clear does, instead of refusing
			 * it. Rows past the end fail to read, with a message. */
			hbool_t skip = 1;
			if (H5Pexist(fapl, "skip_eof_check") > 0 &&
			    H5Pset(fapl, "skip_eof_check", &skip) >= 0) {
				r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
				if (r->file < 0)
					r->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ,
							  fapl);
			}
		}
	} H5E_END_TRY;
	H5Pclose(fapl);
	if (r->file < 0)
		return -1;
	r->swmr = 1;
	return 0;
}

static int check_run(struct run *r)
{
	char fmt[64];
	if (h5_attr_get_str(r->file, "format", fmt, sizeof(fmt)) < 0 ||
	    strcmp(fmt, RUNFILE_FORMAT))
		return error("%s: an HDF5 file, but not an rnnbow run (no format=\"rnnbow\")",
			     r->path);
	if (h5_attr_get_i64(r->file, "format_version", &r->format_version) < 0)
		return error("%s: run without a format_version", r->path);
	if (r->format_version != RUNFILE_FORMAT_VERSION)
		return error("%s: run format version %lld is not one this rnnbow reads (%d); "
			     "use a matching rnnbow", r->path, (long long)r->format_version,
			     RUNFILE_FORMAT_VERSION);
	return 0;
}

int run_open(struct run *r, const char *path)
{
	struct stat st;
	memset(r, 0, sizeof(*r));
	r->file = H5I_INVALID_HID;
	r->path = path;

	if (!strcmp(path, "-")) {
		if (read_stdin(r) < 0)
			goto fail;
		return run_open_image(r, r->image, r->image_size, "-");
	} else {
		if (stat(path, &st) < 0)
			return error("%s: %s", path, strerror(errno));
		if (S_ISDIR(st.st_mode))
			return error("%s: is a directory, not a run file", path);
		if (!S_ISREG(st.st_mode)) /* a FIFO or device would block or mislead */
			return error("%s: not a regular file (pipe a run through '-' instead)", path);
		htri_t is;
		H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } H5E_END_TRY;
		if (is <= 0) {
			FILE *f = fopen(path, "rb");
			if (!f)
				return error("%s: %s", path, strerror(errno));
			fclose(f);
			return error("%s: not an HDF5 file (or a damaged one)", path);
		}
		if (open_path(r, path) < 0)
			return error("%s: cannot open it (truncated or damaged?): %s", path,
				     h5_reason());
	}
	if (check_run(r) < 0)
		goto fail;
	return 0;
fail:
	run_close(r);
	return -1;
}

int run_open_image(struct run *r, void *buf, size_t len, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->file = H5I_INVALID_HID;
	r->path = name;
	r->image = buf;
	r->image_size = len;
	if (len < 8 || memcmp(buf, "\211HDF\r\n\032\n", 8)) {
		run_close(r);
		return error("%s: not an HDF5 file", name);
	}
	if (open_image(r) < 0) {
		error("%s: cannot open this HDF5 image (a live or killed run? read it by path, "
		      "or run h5clear -s --increment on it first)", name);
		run_close(r);
		return -1;
	}
	if (check_run(r) < 0) {
		run_close(r);
		return -1;
	}
	return 0;
}

void run_close(struct run *r)
{
	if (r->file >= 0)
		H5Fclose(r->file);
	r->file = H5I_INVALID_HID;
	free(r->image);
	r->image = NULL;
}

struct rows_walk {
	int64_t min;
	int any;
};

static herr_t visit_rows(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
	struct rows_walk *w = data;
	if (info->type != H5O_TYPE_DATASET)
		return 0;
	/* a dataset opened now sees the latest extent of a SWMR run; no
	 * H5Drefresh: in HDF5 1.10.8 it breaks later chunked reads of the
	 * same dataset ("can't insert duplicate key" in the chunk map) */
	hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
	if (d < 0)
		return 0;
	int64_t rows = h5_rows(d);
	H5Dclose(d);
	if (rows >= 0 && (!w->any || rows < w->min)) {
		w->min = rows;
		w->any = 1;
	}
	return 0;
}

int64_t run_rows(const struct run *r, const char *group)
{
	struct rows_walk w = { 0, 0 };
	hid_t g = H5I_INVALID_HID;
	H5E_BEGIN_TRY {
		g = H5Gopen2(r->file, group, H5P_DEFAULT);
		if (g >= 0)
			H5Ovisit2(g, H5_INDEX_NAME, H5_ITER_NATIVE, visit_rows, &w, H5O_INFO_BASIC);
	} H5E_END_TRY;
	if (g >= 0)
		H5Gclose(g);
	return w.any ? w.min : 0;
}

int64_t run_size(const struct run *r)
{
	struct stat st;
	if (r->image_size)
		return (int64_t)r->image_size;
	return stat(r->path, &st) == 0 ? (int64_t)st.st_size : -1;
}
