/*
 * runlock.h - one writer per run: an exclusive lock on RUN.h5.lock, taken
 * by `record` before it touches the run or its checkpoint and held until
 * it exits, so that a second `record --resume` or `--force` onto a run
 * being written is refused at once instead of corrupting it.
 *
 * Why a file of its own: HDF5 locks the run file itself with flock, but
 * drops that lock once SWMR writing starts (so readers can open it) and
 * not at all under HDF5_USE_FILE_LOCKING=FALSE; and a POSIX lock on the
 * run file would be dropped whenever HDF5 closes any descriptor of it.
 * The lock file holds the writer's PID as text and is removed when the
 * lock is released; one left by a killed writer is stale (nobody holds
 * its lock) and is simply taken over. POSIX (fcntl) locks are used, which
 * NFS also honours; where the file system has no locks at all, record
 * warns and goes on unlocked.
 */
#ifndef RNNBOW_RUNLOCK_H
#define RNNBOW_RUNLOCK_H

struct runlock {
	int fd;     /* -1 when not held */
	char *path; /* RUN.h5.lock */
};

/* Takes the lock of the run at run_path. Returns 0, or -1 after one
 * message: "RUN: is being written by another rnnbow (PID N); ..." or the
 * system's reason the lock file cannot be made. */
int runlock_take(struct runlock *lk, const char *run_path);

/* Removes the lock file and releases the lock; a lock not held is left
 * alone. */
void runlock_release(struct runlock *lk);

#endif
