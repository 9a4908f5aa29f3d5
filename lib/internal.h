/*
 * internal.h - what lib/'s files share and a client never sees: the
 * network behind the opaque handle, the thread-local failure message and
 * one itemization into caller-chosen arrays. No name here starts with
 * rnnbow_: the static archive keeps only those global (see the Makefile).
 */
#ifndef RNNBOW_LIB_INTERNAL_H
#define RNNBOW_LIB_INTERNAL_H

#include "rnnbow.h"

#include "../libcore/itemize.h"
#include "../libcore/model.h"
#include "../libcore/rnn.h"

/* Sizes beyond these overflow the int dimensions of libcore and BLAS. */
#define LIB_MAX_SIZE (1 << 24)
#define LIB_MAX_STEPS (1 << 16)

struct rnnbow_net {
	struct model m;
	float *grads;         /* (nparams) the last backward's: rnnbow_net_grad reads it */
	float *zeros;         /* (L, H) h0 and c0 when the caller gives none */
	int n;                /* steps the cache is sized for, 0: none */
	struct rnn_cache c;   /* the last sequence's forward pass: pred, losses, hs */
	int wn;               /* steps the itemizer's buffers are sized for, 0: none;
				 apart from n, so forward and gradient calls never
				 hold the itemizer's n(n+1)/2 GH deltas */
	struct itemize_ws w;
	float *g, *E;         /* (L, n, n), (L, n) when the caller wants none */
};

/* Sets rnnbow_errmsg() to the formatted message; returns -1. */
int lib_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Forward, backward and itemization of one sequence into out (its g and E
 * may be NULL: the network's own buffers then); fn names the API call in
 * messages. The forward pass stays in net->c until the next call. */
int lib_net_itemize(rnnbow_net *net, const char *fn, int n, const float *x,
		    const int32_t *tokens, const int32_t *targets, const float *h0,
		    const float *c0, struct itemized *out);

#endif
