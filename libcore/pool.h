/*
 * pool.h - a small pool of worker threads for the training step (record
 * --threads T): no I/O, no allocation after pool_create.
 *
 * Work is handed out as a fixed number of parts, each writing its own
 * outputs: which thread runs a part changes nothing in the numbers, so a
 * caller that fixes its partition by the problem's shape alone (never by
 * the thread count) gets the same bytes for any T. OpenBLAS results do
 * depend on the shape of a product (measured: splitting a sgemm by rows or
 * by columns changes the last bits of some entries), which is why the
 * partition must not follow T.
 *
 * Workload: one pool_run per time step of a minibatch (thousands a second
 * at H = 128), so workers spin briefly before they sleep.
 */
#ifndef RNNBOW_POOL_H
#define RNNBOW_POOL_H

struct pool;

/* A pool of `threads` threads, the caller's included (threads - 1
 * workers). Returns NULL for threads <= 1 (pool_run then runs every part
 * on the caller's thread) and when the workers could not be started. */
struct pool *pool_create(int threads);
void pool_free(struct pool *p);
/* Threads of p (1 for NULL). */
int pool_threads(const struct pool *p);

/* Runs fn(ctx, k) for k = 0 .. parts-1, on the pool's threads, and returns
 * when all have returned. Parts must not depend on one another. */
void pool_run(struct pool *p, int parts, void (*fn)(void *ctx, int part), void *ctx);

#endif
