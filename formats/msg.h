/*
 * msg.h - messages on stderr in one shape: "rnnbow CMD: subject: why",
 * lowercase, no full stop. error() returns -1 so callers can goto out;
 * die() only at the top level of a command.
 */
#ifndef RNNBOW_MSG_H
#define RNNBOW_MSG_H

/* "rnnbow" or "rnnbow record": set by the dispatcher before a command runs. */
extern const char *msg_prog;
/* Set by the fuzzer: error() and warning() print nothing. */
extern int msg_silent;
/* Set by librnnbow, which prints nothing: error() hands its message
 * ("subject: why") to msg_sink instead, and warning() is dropped. */
extern void (*msg_sink)(const char *msg);

int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The reason behind the last failed HDF5 call, in a few words (the system
 * error when there was one, e.g. "No space left on device"). */
const char *h5_reason(void);

/* strerror(e) as our messages put it (lowercase first letter); the buffer
 * is reused by the next call. */
const char *sys_reason(int e);

#endif
