/*
 * runread.c - open and check run files (see runread.h).
 */
#include "runread.h"
#include "h5util.h"
#include "msg.h"
#include "runfile.h"
#include "schema.h"

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

/* What a file's HDF5 superblock says about the file as a whole. */
struct superblock {
	int64_t at;       /* offset of the signature (a user block can precede it) */
	int version;
	int complete;     /* the whole superblock is in the file */
	int64_t base;     /* base address: file addresses count from here */
	uint64_t eof;     /* end of file the library recorded (a file offset) */
	unsigned flags;   /* consistency flags: a writer had the file open */
};

#define SB_WRITE_ACCESS 0x01u /* also set, with 0x04, by a SWMR writer */

static const uint8_t hdf5_signature[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };

static uint64_t get_le(const uint8_t *p, int size)
{
	uint64_t v = 0;
	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Parses the superblock in buf (len bytes from its signature). Versions 0
 * and 1 keep their consistency flags in 4 bytes among fixed fields, 2 and
 * 3 in one byte; both then list the base address, one other address and
 * the end-of-file address (HDF5 file format specification, "Superblock"). */
static void superblock_parse(struct superblock *sb, const uint8_t *buf, size_t len)
{
	size_t addrs, flags_at, flags_len;
	int osize;
	sb->version = buf[8];
	if (sb->version <= 1) {
		if (len < 24)
			return;
		osize = buf[13];
		addrs = sb->version == 0 ? 24 : 28;
		flags_at = 20;
		flags_len = 4;
	} else {
		if (len < 12)
			return;
		osize = buf[9];
		addrs = 12;
		flags_at = 11;
		flags_len = 1;
	}
	if ((osize != 2 && osize != 4 && osize != 8) || len < addrs + 3 * (size_t)osize)
		return;
	sb->flags = (unsigned)get_le(buf + flags_at, (int)flags_len);
	sb->base = (int64_t)get_le(buf + addrs, osize);
	sb->eof = get_le(buf + addrs + 2 * (size_t)osize, osize);
	sb->complete = 1;
}

/* Finds the superblock in the first len bytes of data (a file's head or a
 * whole image): at 0, 512, 1024, 2048, ... as HDF5 looks for it. Returns
 * 1 with sb filled (complete 0 when the file ends inside it), 0 when the
 * signature is nowhere, -1 when the data end inside the signature itself. */
static int superblock_find(struct superblock *sb, const uint8_t *data, size_t len)
{
	memset(sb, 0, sizeof(*sb));
	for (size_t at = 0; at < len; at = at ? at * 2 : 512) {
		size_t have = len - at;
		if (have < 8)
			return !memcmp(data + at, hdf5_signature, have) ? -1 : 0;
		if (memcmp(data + at, hdf5_signature, 8))
			continue;
		sb->at = (int64_t)at;
		superblock_parse(sb, data + at, have);
		return 1;
	}
	return 0;
}

int run_image_is_hdf5(const void *buf, size_t len)
{
	struct superblock sb;
	return superblock_find(&sb, buf, len) == 1;
}

/* Reads the superblock of the file at path (see superblock_find). The
 * head read is capped: HDF5 looks no further than the file's size, and
 * user blocks are rarely large. */
static int superblock_read(struct superblock *sb, const char *path, int64_t size)
{
	size_t len = size < (1 << 20) ? (size_t)size : (size_t)1 << 20;
	uint8_t *head = malloc(len ? len : 1);
	FILE *f = fopen(path, "rb");
	int found = -2;
	memset(sb, 0, sizeof(*sb));
	if (!head)
		errno = ENOMEM;
	else if (f && fread(head, 1, len, f) == len)
		found = superblock_find(sb, head, len);
	else if (f && !ferror(f))
		errno = EIO; /* shorter than a moment ago: a file being cut */
	if (f)
		fclose(f);
	free(head);
	return found;
}

/* The file is shorter than the end its superblock records, and no writer
 * has it open: a copy or download cut short. (A run still being written,
 * or killed, records an end that can run ahead of its bytes, or lag
 * behind them; its rows are checked one by one instead, see run_rows.) */
static int cut_short(const struct superblock *sb, int64_t size)
{
	return sb->complete && !(sb->flags & SB_WRITE_ACCESS) && (uint64_t)size < sb->eof;
}

/* Says why a file with the HDF5 signature cannot be read as one: cut
 * short (with its sizes), or damaged. Returns -1. */
static int refuse_hdf5(const char *path, const struct superblock *sb, int found, int64_t size)
{
	if (found < 0 || !sb->complete)
		return error("%s: truncated: %lld bytes, cut inside the HDF5 superblock", path,
			     (long long)size);
	if (cut_short(sb, size))
		return error("%s: truncated: %lld of %llu bytes", path, (long long)size,
			     (unsigned long long)sb->eof);
	if (sb->flags & SB_WRITE_ACCESS)
		return error("%s: cannot open it (a run being written or killed, and damaged or "
			     "truncated: %lld bytes): %s", path, (long long)size, h5_reason());
	return error("%s: damaged: cannot open it (all its %lld bytes are there): %s", path,
		     (long long)size, h5_reason());
}

/* A finished run opens plainly, and a damaged one then fails at once. A
 * run still flagged as being written (live, or killed) refuses a plain
 * open; it is opened for SWMR reading, with few metadata read attempts:
 * SWMR retries a failed checksum with back-off (100 times by default),
 * which made damaged files take minutes to refuse. HDF5 then skips its
 * end-of-file check, so run_rows proves each row is in the file.
 *
 * Never HDF5's "skip_eof_check" (h5clear's way in): a read past the end
 * of the file then returns zeros, which readers printed as data. */
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
	} H5E_END_TRY;
	H5Pclose(fapl);
	if (r->file < 0)
		return -1;
	r->swmr = 1;
	return 0;
}

/* Opens the run file at path (size bytes) after reading its superblock
 * ourselves, so a file cut short is named as such, with its sizes, before
 * HDF5 reads anything. Returns 0, or -1 after one message. */
static int open_checked_path(struct run *r, const char *path, int64_t size)
{
	struct superblock sb;
	int found = superblock_read(&sb, path, size);
	if (found == -2)
		return error("%s: %s", path, strerror(errno));
	if (found == 0)
		return error("%s: not an HDF5 file (%s)", path, size ? "or a damaged one" : "empty");
	if (found < 0 || !sb.complete || cut_short(&sb, size) || open_path(r, path) < 0)
		return refuse_hdf5(path, &sb, found, size);
	if (r->swmr)
		r->data_end = size - sb.base;
	return 0;
}

static int check_run(struct run *r)
{
	if (!schema_is_run(r->file))
		return error("%s: an HDF5 file, but not an rnnbow run (no format=\"rnnbow\")",
			     r->path);
	if (schema_get_i64(r->file, A_FORMAT_VERSION, &r->format_version) < 0)
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
		if (open_checked_path(r, path, (int64_t)st.st_size) < 0)
			return -1;
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
	struct superblock sb;
	int found = superblock_find(&sb, buf, len);
	if (found == 0) {
		run_close(r);
		return error("%s: not an HDF5 file%s", name, len ? "" : " (empty)");
	}
	if (found < 0 || !sb.complete || cut_short(&sb, (int64_t)len)) {
		run_close(r);
		return refuse_hdf5(name, &sb, found, (int64_t)len);
	}
	if (open_image(r) < 0) {
		if (sb.flags & SB_WRITE_ACCESS)
			error("%s: cannot open this HDF5 image (a live or killed run? read it by "
			      "path, or run h5clear -s --increment on it first)", name);
		else
			refuse_hdf5(name, &sb, found, (int64_t)len);
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
	haddr_t end;  /* data_end of the run, or HADDR_UNDEF: no proof needed */
};

/* Bytes of one row of d (an element times the trailing dimensions). */
static hsize_t row_bytes(hid_t d, int rank, const hsize_t *dims)
{
	hid_t t = H5Dget_type(d);
	hsize_t b = t >= 0 ? H5Tget_size(t) : 0;
	if (t >= 0)
		H5Tclose(t);
	for (int i = 1; i < rank; i++)
		b *= dims[i];
	return b;
}

/* Leading rows of the chunk at `origin` whose bytes lie before end: an
 * unfiltered chunk holding whole rows stores row k at addr + k * row
 * bytes, and the writer writes rows in place one by one, so the rows of a
 * killed run's last chunk count up to the first one missing. A chunk that
 * is filtered, or splits rows, counts only when all of it is there. An
 * unallocated chunk (it would read as fill values) holds none. */
static hsize_t chunk_rows_present(hid_t d, const hsize_t *origin, hsize_t rows, hsize_t rowb,
				  int whole_rows, int filtered, haddr_t end)
{
	unsigned mask;
	haddr_t addr = HADDR_UNDEF;
	hsize_t size = 0;
	if (H5Dget_chunk_info_by_coord(d, origin, &mask, &addr, &size) < 0 ||
	    addr == HADDR_UNDEF || addr > end)
		return 0;
	if (addr + size <= end)
		return rows;
	if (filtered || !whole_rows || !rowb)
		return 0;
	hsize_t have = (end - addr) / rowb;
	return have < rows ? have : rows;
}

/* Leading rows of the band of chunks starting at row r0 (want rows) all
 * of whose bytes lie before end: the least over the band's chunks across
 * the trailing dimensions; see chunk_rows_present. */
static hsize_t band_rows_present(hid_t d, int rank, const hsize_t *dims, const hsize_t *cdims,
				 hsize_t r0, hsize_t want, hsize_t rowb, int whole_rows,
				 int filtered, haddr_t end)
{
	hsize_t origin[H5S_MAX_RANK] = { r0 }, least = want;
	for (;;) {
		hsize_t have = chunk_rows_present(d, origin, want, rowb, whole_rows, filtered, end);
		least = have < least ? have : least;
		int i = rank - 1;
		for (; i >= 1; i--) {
			origin[i] += cdims[i];
			if (origin[i] < dims[i])
				break;
			origin[i] = 0;
		}
		if (i < 1 || least == 0)
			return least;
	}
}

/* Leading rows of a chunked dataset (rank, dims, chunk dims cdims) all of
 * whose bytes lie before end. Only a run's tail can be missing: its writer
 * appends row by row and HDF5 allocates each new chunk past the last (SWMR
 * never reuses space), so the bands are asked from the last one back and
 * the first whole band ends the search: a killed run of 10^5 one-row
 * chunks costs a few lookups, not 10^5 per dataset. */
static int64_t chunked_rows_present(hid_t d, hid_t dcpl, int rank, const hsize_t *dims,
				    haddr_t end)
{
	hsize_t cdims[H5S_MAX_RANK];
	if (H5Pget_chunk(dcpl, rank, cdims) != rank || cdims[0] == 0)
		return 0;
	int whole_rows = 1, filtered = H5Pget_nfilters(dcpl) != 0;
	for (int i = 1; i < rank; i++)
		whole_rows &= cdims[i] >= dims[i];
	hsize_t rowb = row_bytes(d, rank, dims), after = 0; /* rows present of the band after */
	for (hsize_t band = (dims[0] + cdims[0] - 1) / cdims[0]; band-- > 0;) {
		hsize_t r0 = band * cdims[0];
		hsize_t want = dims[0] - r0 < cdims[0] ? dims[0] - r0 : cdims[0];
		hsize_t have = band_rows_present(d, rank, dims, cdims, r0, want, rowb, whole_rows,
						 filtered, end);
		if (have == want)
			return (int64_t)(r0 + want + after);
		after = have;
	}
	return (int64_t)after; /* the first band's leading rows */
}

/* Leading rows of d whose bytes all lie before end. Compact data sits in
 * the object header, which HDF5 has read (and checksummed) already. */
static int64_t rows_present(hid_t d, int64_t rows, haddr_t end)
{
	hsize_t dims[H5S_MAX_RANK];
	hid_t dcpl = H5Dget_create_plist(d), s = H5Dget_space(d);
	int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
	int64_t have = 0;
	if (dcpl >= 0 && rank >= 1) {
		dims[0] = (hsize_t)rows;
		switch (H5Pget_layout(dcpl)) {
		case H5D_COMPACT:
			have = rows;
			break;
		case H5D_CONTIGUOUS: {
			haddr_t addr = H5Dget_offset(d);
			hsize_t need = row_bytes(d, rank, dims) * dims[0];
			have = need == 0 || (addr != HADDR_UNDEF && addr <= end && need <= end - addr) ?
			       rows : 0;
			break;
		}
		case H5D_CHUNKED:
			have = chunked_rows_present(d, dcpl, rank, dims, end);
			break;
		default:
			break;
		}
	}
	if (s >= 0)
		H5Sclose(s);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	return have;
}

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
	if (rows > 0 && w->end != HADDR_UNDEF)
		rows = rows_present(d, rows, w->end);
	H5Dclose(d);
	if (rows >= 0 && (!w->any || rows < w->min)) {
		w->min = rows;
		w->any = 1;
	}
	return 0;
}

int64_t run_rows(const struct run *r, const char *group)
{
	struct rows_walk w = { 0, 0, r->data_end > 0 ? (haddr_t)r->data_end : HADDR_UNDEF };
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

/* A group of the run, or H5I_INVALID_HID (quietly) when it is missing. */
static hid_t open_group(const struct run *r, const char *group)
{
	hid_t g;
	H5E_BEGIN_TRY { g = H5Gopen2(r->file, group, H5P_DEFAULT); } H5E_END_TRY;
	return g;
}

int run_attr_i64(const struct run *r, const char *group, const char *name, int64_t *value)
{
	hid_t g = open_group(r, group);
	int rc = g >= 0 ? h5_attr_get_i64(g, name, value) : -1;
	if (g >= 0)
		H5Gclose(g);
	return rc;
}

hid_t run_open_shaped(const struct run *r, const char *path, int ntail, const hsize_t *tail,
		      int64_t rows, const char *missing)
{
	hsize_t dims[H5S_MAX_RANK];
	hid_t d = H5I_INVALID_HID, s = H5I_INVALID_HID;
	int rank = -1;
	H5E_BEGIN_TRY {
		d = H5Dopen2(r->file, path, H5P_DEFAULT);
		if (d >= 0 && (s = H5Dget_space(d)) >= 0)
			rank = H5Sget_simple_extent_dims(s, dims, NULL);
	} H5E_END_TRY;
	if (s >= 0)
		H5Sclose(s);
	if (d < 0) {
		error(missing, r->path, path);
		return H5I_INVALID_HID;
	}
	int ok = rank == 1 + ntail && (int64_t)dims[0] >= rows;
	for (int i = 0; ok && i < ntail; i++)
		ok = dims[1 + i] == tail[i];
	if (!ok) {
		error("%s: /%s has a shape that does not match /model", r->path, path);
		H5Dclose(d);
		return H5I_INVALID_HID;
	}
	return d;
}
