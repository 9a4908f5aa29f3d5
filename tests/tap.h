/*
 * tap.h - the smallest test harness: each check prints "ok - what" or
 * "not ok - what" (TAP style) and tests/run.sh counts the lines. main()
 * returns tap_done(), non-zero when anything failed.
 */
#ifndef RNNBOW_TAP_H
#define RNNBOW_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_failed, tap_passed;

static int tap_check(int ok, const char *fmt, ...)
{
	va_list ap;
	printf(ok ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		tap_passed++;
	else
		tap_failed++;
	return ok;
}

static int tap_done(void)
{
	printf("# %d passed, %d failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
