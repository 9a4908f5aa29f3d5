/*
 * runqueue.h - a writer thread in front of a run file, so that recording
 * overlaps training: the training thread fills record slots and /train
 * blocks and queues them; the writer thread makes every HDF5 call (HDF5 is
 * not thread-safe, so after runqueue_start nothing else may touch the
 * run file) in the order they were queued, which keeps the bytes of a run
 * the same as a single-threaded writer's. With a second CPU, the writer
 * also computes the records' truncation errors E (a quarter of the
 * itemizer's work; itemize_split in libcore/itemize.h), from copies the
 * training thread makes, so that they overlap training; the numbers are
 * the same either way.
 *
 * Workload: up to thousands of records and one /train block a second. A
 * record counts as committed once the writer has flushed it; a record
 * still queued when the process is killed is lost, and the queue holds at
 * most RUNQUEUE_SLOTS records, so that is all a SIGKILL can take.
 */
#ifndef RNNBOW_RUNQUEUE_H
#define RNNBOW_RUNQUEUE_H

#include "runfile.h"

#define RUNQUEUE_SLOTS 4

struct runqueue;

/* Starts the writer thread on f, with RUNQUEUE_SLOTS record buffers sized
 * for tr (params and hidden as flags say). On failure prints why, closes
 * nothing and returns NULL: the caller still owns f. */
struct runqueue *runqueue_start(struct runfile *f, const struct trainer *tr,
				int with_params, int with_hidden);

/* A free record slot to fill, waiting while all are queued. NULL when the
 * writer has failed (it printed why). */
struct record *runqueue_slot(struct runqueue *q);

/* Queues a filled slot. Returns 0, or -1 when the writer has failed. */
int runqueue_push_record(struct runqueue *q, struct record *r);

/* Buffers one /train row; queues the block when it is full or a second has
 * passed since the last one. Returns 0, or -1 when the writer has failed. */
int runqueue_push_train(struct runqueue *q, const struct batch_stats *st);

/* Queues a /samples row (len bytes of text, copied), waiting while the
 * one before is still queued. Returns 0, or -1 when the writer has failed
 * or memory ran out. */
int runqueue_push_sample(struct runqueue *q, int64_t batch, const uint8_t *text, size_t len);

/* Queues a /valid row, waiting while the one before is still queued.
 * Returns 0, or -1 when the writer has failed. */
int runqueue_push_valid(struct runqueue *q, int64_t batch, float loss);

/* Writes everything queued, including the /train rows buffered so far,
 * then flushes and fsyncs the file, and returns when that is done: the
 * point a checkpoint may be written. Returns 0, or -1 when writing failed. */
int runqueue_sync(struct runqueue *q);

/* Queues the last /train rows, waits for the writer to write everything,
 * closes the run file and frees q. Returns 0, or -1 if anything failed. */
int runqueue_finish(struct runqueue *q);

#endif
