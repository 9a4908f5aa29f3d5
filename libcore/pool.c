/*
 * pool.c - the worker threads of pool.h. A job is published under the
 * mutex with a new generation number; threads take parts from an atomic
 * counter, so a thread the machine deschedules does not hold the others
 * up, and the last one to finish a part wakes the caller.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* polls before a thread sleeps: some 20 microseconds, more than the gap
 * between two steps of a small minibatch, less than a time slice */
#define SPINS 1000

/* next between jobs: above any part number, far from overflow */
#define CLOSED (1 << 30)

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct pool {
	int threads;
	pthread_t *tid;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	atomic_long gen;     /* bumped per job */
	atomic_int next;     /* next part to take */
	atomic_int left;     /* parts not finished */
	atomic_int parts;
	void (*fn)(void *, int);
	void *ctx;
	int quit;
};

/* Runs parts of the current job until none is left. */
static void take_parts(struct pool *p)
{
	for (;;) { /* parts is read after next: a late thread sees the job that
		    * its part number came from */
		int k = atomic_fetch_add(&p->next, 1);
		if (k >= atomic_load(&p->parts))
			return;
		p->fn(p->ctx, k);
		if (atomic_fetch_sub(&p->left, 1) == 1) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	long seen = 0;
	for (;;) {
		for (int i = 0; i < SPINS && atomic_load(&p->gen) == seen; i++)
			relax();
		pthread_mutex_lock(&p->mu);
		while (atomic_load(&p->gen) == seen && !p->quit)
			pthread_cond_wait(&p->work, &p->mu);
		int quit = p->quit;
		seen = atomic_load(&p->gen);
		pthread_mutex_unlock(&p->mu);
		if (quit)
			return NULL;
		take_parts(p);
	}
}

struct pool *pool_create(int threads)
{
	if (threads <= 1)
		return NULL;
	struct pool *p = calloc(1, sizeof(*p));
	if (!p || !(p->tid = calloc((size_t)threads - 1, sizeof(pthread_t)))) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (p->threads = 1; p->threads < threads; p->threads++)
		if (pthread_create(&p->tid[p->threads - 1], NULL, worker, p)) {
			pool_free(p);
			return NULL;
		}
	return p;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->threads - 1; i++)
		pthread_join(p->tid[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->tid);
	free(p);
}

int pool_threads(const struct pool *p)
{
	return p ? p->threads : 1;
}

void pool_run(struct pool *p, int parts, void (*fn)(void *ctx, int part), void *ctx)
{
	if (!p || parts <= 1) {
		for (int k = 0; k < parts; k++)
			fn(ctx, k);
		return;
	}
	pthread_mutex_lock(&p->mu);
	/* a thread still leaving the last job may take a number at any time:
	 * it gets none of this job's until the job is all set */
	atomic_store(&p->next, CLOSED);
	p->fn = fn;
	p->ctx = ctx;
	atomic_store(&p->parts, parts);
	atomic_store(&p->left, parts);
	atomic_store(&p->next, 0);
	atomic_fetch_add(&p->gen, 1);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	take_parts(p);
	for (int i = 0; i < SPINS && atomic_load(&p->left) > 0; i++)
		relax();
	pthread_mutex_lock(&p->mu);
	while (atomic_load(&p->left) > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
