/*
 * runqueue.c - the writer thread (see runqueue.h). One mutex guards the job
 * ring and the slot states; the writer drops it while it writes.
 */
#include "runqueue.h"
#include "clock.h"
#include "msg.h"
#include "../libcore/diagrec.h"

#include <hdf5.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_BLOCK_ROWS 8192
/* The writer computes E of the records (record_defer) when there is a
 * second CPU to run it on and the copies it needs stay small: at most
 * this many bytes per slot (an LSTM at n = 25, H = 100 needs 0.5 MB). */
#define DEFER_MAX_BYTES (8u << 20)
#define TRAIN_BLOCK_SECONDS 1.0
#define NJOBS (RUNQUEUE_SLOTS + 5) /* records, two train blocks, a sync, a sample, a valid row */

/* A /samples row waiting for the writer (one at a time: samples are rare). */
struct sample_buf {
	int64_t batch;
	uint8_t *text;
	size_t len;
	int queued;
};

/* A /valid row waiting for the writer (one at a time). */
struct valid_buf {
	int64_t batch;
	float loss;
	int queued;
};

struct job {
	struct valid_buf *valid;  /* a /valid row, or */
	struct record *rec;       /* a record to write, or */
	struct train_rows *train; /* a /train block, or */
	struct sample_buf *sample; /* a /samples row, or none: a sync */
};

struct runqueue {
	struct runfile *file;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake_writer; /* a job was queued, or closing */
	pthread_cond_t wake_trainer; /* a slot or train block came back */
	struct job jobs[NJOBS];     /* ring: head is the next to write */
	int head, count;
	int closing, failed;
	int train_failed;           /* /train writes failed too (writer only) */

	struct record slots[RUNQUEUE_SLOTS];
	int defer;                  /* the writer finishes the records' E */
	struct itemize_ws iw;       /* its workspace for that */
	const struct model *m;      /* with diagnostics deferred: the sizes, and */
	struct diag_work dw;        /* the writer's LAPACK workspace */
	int busy[RUNQUEUE_SLOTS];   /* handed out or queued */
	struct train_rows train[2]; /* filled by the trainer in turn */
	int train_cur;              /* the one being filled */
	int train_queued[2];
	double train_since;
	struct sample_buf sample;
	struct valid_buf valid;
};

static void *writer_main(void *arg)
{
	struct runqueue *q = arg;
	/* error stacks are per thread: report in our own words here too */
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->count && !q->closing)
			pthread_cond_wait(&q->wake_writer, &q->lock);
		if (!q->count)
			break;
		struct job j = q->jobs[q->head];
		pthread_mutex_unlock(&q->lock);

		/* After a failure, records are drained without writing; /train
		 * blocks are still written while they can be (a full disk
		 * may still take a few rows, and readers see how far
		 * training went), each group's rows being committed on their
		 * own. */
		int rc = 0;
		if (j.rec && !q->failed) /* E, off the training thread */
			record_finish(j.rec, &q->iw);
		if (j.rec && !q->failed && q->m) /* and the spectrum of W_hh */
			record_diag_finish(j.rec, q->m, &q->dw);
		if (j.rec && !q->failed)
			rc = runfile_add_record(q->file, j.rec);
		else if (j.train && !q->train_failed)
			q->train_failed = (rc = runfile_write_train(q->file, j.train)) < 0;
		else if (j.sample && !q->failed)
			rc = runfile_add_sample(q->file, j.sample->batch, j.sample->text);
		else if (j.valid && !q->failed)
			rc = runfile_add_valid(q->file, j.valid->batch, j.valid->loss);
		else if (!j.rec && !j.train && !j.sample && !j.valid && !q->failed)
			rc = runfile_sync(q->file);

		pthread_mutex_lock(&q->lock);
		q->head = (q->head + 1) % NJOBS;
		q->count--;
		if (rc < 0)
			q->failed = 1;
		if (j.rec)
			q->busy[j.rec - q->slots] = 0;
		else if (j.train)
			q->train_queued[j.train - q->train] = 0;
		else if (j.valid)
			j.valid->queued = 0;
		else if (j.sample)
			j.sample->queued = 0;
		pthread_cond_broadcast(&q->wake_trainer);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Called with the lock held; there is always room (slots + 2 blocks). */
static void enqueue(struct runqueue *q, struct record *rec, struct train_rows *train)
{
	struct job *j = &q->jobs[(q->head + q->count) % NJOBS];
	j->rec = rec;
	j->train = train;
	j->sample = NULL;
	j->valid = NULL;
	q->count++;
	pthread_cond_signal(&q->wake_writer);
}

static void free_queue(struct runqueue *q)
{
	for (int i = 0; i < RUNQUEUE_SLOTS; i++)
		record_free(&q->slots[i]);
	if (q->defer)
		itemize_ws_free(&q->iw);
	diag_work_free(&q->dw);
	train_rows_free(&q->train[0]);
	train_rows_free(&q->train[1]);
	free(q->sample.text);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->wake_writer);
	pthread_cond_destroy(&q->wake_trainer);
	free(q);
}

struct runqueue *runqueue_start(struct runfile *f, const struct trainer *tr,
				int with_params, int with_hidden)
{
	struct runqueue *q = calloc(1, sizeof(*q));
	sigset_t all, old;
	int bad = 0;

	if (!q) {
		error("out of memory");
		return NULL;
	}
	q->file = f;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake_writer, NULL);
	pthread_cond_init(&q->wake_trainer, NULL);
	cpu_set_t cpus;
	int cpus2 = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 1;
	q->defer = cpus2 && itemize_defer_bytes(tr->cfg.n, &tr->m) <= DEFER_MAX_BYTES &&
		   tr->S == 1 && /* a minibatch's S > 1 itemization has no deferred E */
		   !tr->mix;     /* nor a mix's (each component itemized on the spot) */
	int spec = tr->diag && cpus2 && !tr->mix; /* the spectrum of W_hh, off the training
						      thread too (a mix's: on it) */
	for (int i = 0; tr->mix && i < RUNQUEUE_SLOTS; i++) {
		bad |= mix_record_alloc(&q->slots[i], &tr->mix->mx, tr->cfg.n, tr->S, with_params,
					with_hidden) < 0;
		/* each component's diagnostics, its spectrum on the spot */
		for (int k = 0; !bad && tr->diag && k < tr->mix->mx.K; k++)
			bad |= record_alloc_diag(&q->slots[i].comp[k], &tr->mix->mx.comp[k], 1, 0);
	}
	for (int i = 0; !tr->mix && i < RUNQUEUE_SLOTS; i++)
		bad |= record_alloc_seq(&q->slots[i], &tr->m, tr->cfg.n, tr->S, with_params,
					with_hidden) ||
		       (q->defer && record_defer(&q->slots[i], tr)) ||
		       (tr->diag && record_alloc_diag(&q->slots[i], &tr->m, 1, spec));
	if (spec && !bad) {
		q->m = &tr->m;
		bad |= diag_work_init(&q->dw, tr->m.H) < 0;
	}
	if (q->defer)
		bad |= itemize_errors_ws_init(&q->iw, tr->cfg.n, &tr->m);
	bad |= train_rows_alloc(&q->train[0], TRAIN_BLOCK_ROWS);
	bad |= train_rows_alloc(&q->train[1], TRAIN_BLOCK_ROWS);
	if (bad) {
		error("out of memory for the record buffers");
		free_queue(q);
		return NULL;
	}
	q->train_since = monotonic_seconds();
	/* signals go to the training thread, which decides when to stop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&q->thread, NULL, writer_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		error("cannot start the writer thread: %s", strerror(rc));
		free_queue(q);
		return NULL;
	}
	return q;
}

struct record *runqueue_slot(struct runqueue *q)
{
	struct record *r = NULL;
	pthread_mutex_lock(&q->lock);
	while (!q->failed) {
		for (int i = 0; i < RUNQUEUE_SLOTS && !r; i++)
			if (!q->busy[i]) {
				q->busy[i] = 1;
				r = &q->slots[i];
			}
		if (r)
			break;
		pthread_cond_wait(&q->wake_trainer, &q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

int runqueue_push_record(struct runqueue *q, struct record *r)
{
	pthread_mutex_lock(&q->lock);
	int failed = q->failed;
	if (!failed)
		enqueue(q, r, NULL);
	else
		q->busy[r - q->slots] = 0;
	pthread_mutex_unlock(&q->lock);
	return failed ? -1 : 0;
}

/* Queues the block being filled and switches to the other one, waiting
 * until the writer has given that one back. */
static int hand_over_train(struct runqueue *q)
{
	pthread_mutex_lock(&q->lock);
	int cur = q->train_cur, next = 1 - cur;
	q->train_queued[cur] = 1;
	enqueue(q, NULL, &q->train[cur]);
	/* the writer gives every block back, after a failure too: it may
	 * still be writing this one */
	while (q->train_queued[next])
		pthread_cond_wait(&q->wake_trainer, &q->lock);
	int failed = q->failed;
	pthread_mutex_unlock(&q->lock);
	q->train[next].n = 0;
	q->train_cur = next;
	q->train_since = monotonic_seconds();
	return failed ? -1 : 0;
}

int runqueue_push_train(struct runqueue *q, const struct batch_stats *st)
{
	struct train_rows *t = &q->train[q->train_cur];
	train_rows_add(t, st);
	/* the clock is read every 64 rows only: it costs more than a row */
	if (t->n == t->cap || ((t->n & 63) == 0 && monotonic_seconds() - q->train_since >= TRAIN_BLOCK_SECONDS))
		return hand_over_train(q);
	return 0;
}

int runqueue_push_sample(struct runqueue *q, int64_t batch, const uint8_t *text, size_t len)
{
	pthread_mutex_lock(&q->lock);
	while (q->sample.queued && !q->failed)
		pthread_cond_wait(&q->wake_trainer, &q->lock);
	int failed = q->failed;
	pthread_mutex_unlock(&q->lock);
	if (failed)
		return -1;
	/* the writer is done with the buffer: ours until queued */
	if (len > q->sample.len) {
		uint8_t *t = realloc(q->sample.text, len);
		if (!t)
			return error("out of memory for a sample of %zu bytes", len);
		q->sample.text = t;
		q->sample.len = len;
	}
	memcpy(q->sample.text, text, len);
	q->sample.batch = batch;
	pthread_mutex_lock(&q->lock);
	q->sample.queued = 1;
	enqueue(q, NULL, NULL);
	q->jobs[(q->head + q->count - 1) % NJOBS].sample = &q->sample;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int runqueue_push_valid(struct runqueue *q, int64_t batch, float loss)
{
	pthread_mutex_lock(&q->lock);
	while (q->valid.queued && !q->failed)
		pthread_cond_wait(&q->wake_trainer, &q->lock);
	int failed = q->failed;
	if (!failed) {
		q->valid.batch = batch;
		q->valid.loss = loss;
		q->valid.queued = 1;
		enqueue(q, NULL, NULL);
		q->jobs[(q->head + q->count - 1) % NJOBS].valid = &q->valid;
	}
	pthread_mutex_unlock(&q->lock);
	return failed ? -1 : 0;
}

int runqueue_sync(struct runqueue *q)
{
	if (q->train[q->train_cur].n && hand_over_train(q) < 0)
		return -1;
	pthread_mutex_lock(&q->lock);
	enqueue(q, NULL, NULL);
	while (q->count && !q->failed)
		pthread_cond_wait(&q->wake_trainer, &q->lock);
	int failed = q->failed;
	pthread_mutex_unlock(&q->lock);
	return failed ? -1 : 0;
}

int runqueue_finish(struct runqueue *q)
{
	if (q->train[q->train_cur].n)
		hand_over_train(q);
	pthread_mutex_lock(&q->lock);
	q->closing = 1;
	pthread_cond_signal(&q->wake_writer);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	int rc = q->failed ? -1 : 0;
	if (runfile_close(q->file) < 0)
		rc = -1;
	free_queue(q);
	return rc;
}
