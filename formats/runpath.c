/*
 * runpath.c - what record may do to its output path (see runpath.h).
 */
#include "runpath.h"
#include "msg.h"
#include "runfile.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_name(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISFIFO(m) ? "a FIFO" :
	       S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* 1 when the regular file at path starts with HDF5's signature. */
static int has_hdf5_signature(const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
	unsigned char buf[8];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	return got == (ssize_t)sizeof(buf) && !memcmp(buf, sig, sizeof(sig));
}

/* 1 when path opens as an HDF5 file whose root says format="rnnbow" (a
 * finished run, one being written or killed while SWMR writing, or one
 * killed while a resume was reopening it: its writer flag set without
 * SWMR's, which only a read-only open that ignores the flags gets past,
 * changing nothing); 0 otherwise. */
static int is_run(const char *path)
{
	hid_t f = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
	hbool_t ignore_flags = 1;
	if (!has_hdf5_signature(path))
		return 0;
	H5E_BEGIN_TRY {
		f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
		if (f < 0)
			f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
		if (f < 0 && (fapl = H5Pcreate(H5P_FILE_ACCESS)) >= 0 &&
		    H5Pset(fapl, "clear_status_flags", &ignore_flags) >= 0)
			f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
	} H5E_END_TRY;
	if (fapl >= 0)
		H5Pclose(fapl);
	if (f < 0)
		return 0;
	int rc = schema_is_run(f);
	H5Fclose(f);
	return rc;
}

/* stat of path: 0, 1 when nothing is there, or -1 after a message when
 * it is there and not a regular file. */
static int stat_output(const char *path, struct stat *st)
{
	if (stat(path, st) < 0) {
		if (errno == ENOENT)
			return 1; /* (a dangling link: created through) */
		return error("%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st->st_mode))
		return error("%s: is %s, not a run file; give -o the name of a new file", path,
			     type_name(st->st_mode));
	return 0;
}

int runpath_check_type(const char *path)
{
	struct stat st;
	return stat_output(path, &st) < 0 ? -1 : 0;
}

int runpath_check(const char *path, char *const *inputs, int ninputs)
{
	struct stat out, in;
	int rc = stat_output(path, &out);
	if (rc)
		return rc < 0 ? -1 : RUNPATH_ABSENT;
	for (int i = 0; i < ninputs; i++) {
		int is_stdin = !strcmp(inputs[i], "-");
		if ((is_stdin ? fstat(0, &in) : stat(inputs[i], &in)) == 0 &&
		    in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return error("%s: is also the corpus of this run (%s); give -o another file",
				     path, is_stdin ? "stdin" : inputs[i]);
	}
	if (out.st_size == 0)
		return RUNPATH_EMPTY;
	if (is_run(path))
		return RUNPATH_RUN;
	if (has_hdf5_signature(path))
		return error("%s: exists and cannot be read as an rnnbow run (damaged, or another "
			     "kind of HDF5 file); rnnbow will not overwrite it: remove it yourself "
			     "or choose another -o", path);
	return error("%s: exists and is not an rnnbow run; rnnbow will not overwrite it: "
		     "remove it yourself or choose another -o", path);
}
