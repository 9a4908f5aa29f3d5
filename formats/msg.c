/*
 * msg.c - error and warning messages, and HDF5's error stack turned into
 * our own words (HDF5's automatic printing is switched off in main).
 */
#include "msg.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *msg_prog = "rnnbow";
int msg_silent;
void (*msg_sink)(const char *msg);

static void vreport(const char *fmt, va_list ap)
{
	if (msg_sink) {
		char buf[512];
		vsnprintf(buf, sizeof(buf), fmt, ap);
		msg_sink(buf);
		return;
	}
	if (msg_silent)
		return;
	fflush(stdout);
	fprintf(stderr, "%s: ", msg_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	if (msg_silent || msg_sink)
		return;
	fprintf(stderr, "%s: warning: ", msg_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(1);
}

static char reason[256];

/* Keeps the innermost description (the first, walking upward): where a
 * system call failed, it holds the system's message. */
static herr_t take_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
	if (n == 0 && e->desc)
		snprintf(reason, sizeof(reason), "%s", e->desc);
	return 0;
}

/* Our messages are lowercase: "file too large", not "File too large". */
static const char *lowercase_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] + 'a' - 'A');
	return s;
}

const char *h5_reason(void)
{
	int e = errno; /* what the failed call left, before walking changes it */
	reason[0] = '\0';
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, NULL); /* innermost first */
	/* low-level I/O failures carry the system's message */
	char *s = strstr(reason, "error message = '");
	if (s) {
		s += strlen("error message = '");
		char *end = strchr(s, '\'');
		if (end)
			*end = '\0';
		memmove(reason, s, strlen(s) + 1);
	}
	/* a system failure HDF5 did not describe: say the system's reason */
	if (!reason[0] &&
	    (e == ENOSPC || e == EFBIG || e == EDQUOT || e == EIO || e == EROFS || e == EACCES))
		snprintf(reason, sizeof(reason), "%s", strerror(e));
	if (!reason[0])
		return "HDF5 error";
	return lowercase_first(reason);
}

const char *sys_reason(int e)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(e));
	return lowercase_first(buf);
}
