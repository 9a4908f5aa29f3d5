/*
 * runlock.c - the writer's lock of a run (see runlock.h).
 */
#include "runlock.h"
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The PID of the process holding fd's lock: what fcntl says, or else what
 * the holder wrote into the file (a lock held over NFS, or from another
 * PID namespace, reports no usable PID); 0 when neither tells. */
static long holder_pid(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char buf[32];
	ssize_t got;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		return (long)fl.l_pid;
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	return strtol(buf, NULL, 10);
}

/* Writes our PID into the lock file, for holder_pid of others. */
static void write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return; /* the PID is a courtesy: the lock is what counts */
}

/* 1 when fd is still the file at path (a releasing holder may have
 * removed it between our open and our lock: then we locked nothing). */
static int still_there(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int runlock_take(struct runlock *lk, const char *run_path)
{
	size_t len = strlen(run_path) + sizeof(".lock");
	lk->fd = -1;
	lk->path = malloc(len);
	if (!lk->path)
		return error("out of memory");
	snprintf(lk->path, len, "%s.lock", run_path);
	int attempt;
	for (attempt = 0; attempt < 16; attempt++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666);
		if (fd < 0) {
			error("%s: cannot make its lock file %s: %s", run_path, lk->path,
			      strerror(errno));
			break;
		}
		if (fcntl(fd, F_SETLK, &fl) < 0) {
			int e = errno;
			if (e == EACCES || e == EAGAIN) {
				long pid = holder_pid(fd);
				close(fd);
				if (pid > 0)
					error("%s: is being written by another rnnbow (PID %ld); wait for it "
					      "to end or stop it first", run_path, pid);
				else
					error("%s: is being written by another rnnbow (its PID is unknown: "
					      "see %s); wait for it to end or stop it first", run_path,
					      lk->path);
				break;
			}
			if (e != ENOLCK && e != EOPNOTSUPP && e != ENOSYS && e != EINVAL) {
				close(fd);
				error("%s: cannot lock %s: %s", run_path, lk->path, strerror(e));
				break;
			}
			/* a file system without locks: do not make it unusable */
			warning("%s: cannot lock %s (%s); make sure no other rnnbow writes this run",
				run_path, lk->path, strerror(e));
		} else if (!still_there(fd, lk->path)) {
			close(fd);
			continue;
		}
		write_pid(fd);
		lk->fd = fd;
		return 0;
	}
	if (attempt == 16)
		error("%s: cannot lock %s: it keeps being replaced", run_path, lk->path);
	free(lk->path);
	lk->path = NULL;
	return -1;
}

void runlock_release(struct runlock *lk)
{
	if (lk->fd >= 0) {
		unlink(lk->path); /* while still held: see still_there */
		close(lk->fd);
	}
	lk->fd = -1;
	free(lk->path);
	lk->path = NULL;
}
