/*
 * net.c - librnnbow's network and itemization API (rnnbow.h): a libcore
 * model behind an opaque handle, parameters set by their PyTorch names,
 * and one sequence itemized by libcore's own forward, backward and
 * itemizer, the code the rnnbow binary runs.
 *
 * Workload: a client itemizes a sequence every K-th training step, with
 * n ~ 25..512; the cache and workspace are sized for the last n and kept,
 * so a loop with a fixed n allocates once.
 */
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RNNBOW_VERSION
#define RNNBOW_VERSION "0"
#endif

static _Thread_local char errbuf[256];

/* Records why the current call fails; returns -1. */
int lib_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -1;
}

RNNBOW_API const char *rnnbow_version(void)
{
	return RNNBOW_VERSION;
}

RNNBOW_API const char *rnnbow_errmsg(void)
{
	return errbuf;
}

/* "rnn_tanh" etc. to the libcore kinds; -1 on an unknown name. */
static int parse_cell(const char *s, enum cell_kind *cell, enum act_kind *act)
{
	*act = ACT_TANH;
	if (!strncmp(s, "rnn_", 4) && act_parse(s + 4, act) == 0) {
		*cell = CELL_RNN;
		return 0;
	}
	if (!strcmp(s, "lstm") || !strcmp(s, "gru"))
		return cell_parse(s, cell);
	return -1;
}

static int size_ok(const char *what, int v, int max)
{
	if (v >= 1 && v <= max)
		return 0;
	return lib_fail("rnnbow_net_new: %s %d: must be 1..%d", what, v, max);
}

RNNBOW_API rnnbow_net *rnnbow_net_new(const char *cell, int input_size, int hidden_size,
				      int num_layers, int output_size)
{
	enum cell_kind ck;
	enum act_kind ak;

	if (!cell || parse_cell(cell, &ck, &ak) < 0) {
		lib_fail("rnnbow_net_new: cell %s%s%s: must be rnn_tanh, rnn_relu, rnn_sigmoid, "
		     "lstm or gru", cell ? "'" : "", cell ? cell : "NULL", cell ? "'" : "");
		return NULL;
	}
	if (size_ok("input_size", input_size, LIB_MAX_SIZE) < 0 ||
	    size_ok("hidden_size", hidden_size, LIB_MAX_SIZE) < 0 ||
	    size_ok("num_layers", num_layers, MAX_LAYERS) < 0 ||
	    size_ok("output_size", output_size, LIB_MAX_SIZE) < 0)
		return NULL;
	rnnbow_net *net = calloc(1, sizeof(*net));
	if (!net || model_init_io(&net->m, ck, ak, num_layers, hidden_size, input_size,
				  output_size) < 0) {
		free(net);
		lib_fail("rnnbow_net_new: out of memory");
		return NULL;
	}
	net->grads = malloc(net->m.nparams * sizeof(float));
	net->zeros = calloc((size_t)num_layers * hidden_size, sizeof(float));
	if (!net->grads || !net->zeros) {
		rnnbow_net_free(net);
		lib_fail("rnnbow_net_new: out of memory");
		return NULL;
	}
	return net;
}

/* Drops the itemizer's buffers (sized for net->wn). */
static void net_unsize_itemizer(rnnbow_net *net)
{
	if (net->wn)
		itemize_ws_free(&net->w);
	free(net->g);
	free(net->E);
	net->g = net->E = NULL;
	net->wn = 0;
}

/* Drops every buffer sized for a number of steps. */
static void net_unsize(rnnbow_net *net)
{
	if (net->n)
		rnn_cache_free(&net->c);
	net->n = 0;
	net_unsize_itemizer(net);
}

RNNBOW_API void rnnbow_net_free(rnnbow_net *net)
{
	if (!net)
		return;
	net_unsize(net);
	free(net->grads);
	free(net->zeros);
	model_free(&net->m);
	free(net);
}

/* The table index of parameter `name` that holds exactly count floats,
 * or -1 with the reason in rnnbow_errmsg() (fn names the caller). */
static int find_param(const rnnbow_net *net, const char *fn, const char *name,
		      const void *data, size_t count)
{
	if (!net || !name || !data)
		return lib_fail("%s: %s is NULL", fn, !net ? "net" : !name ? "name" : "data");
	for (int i = 0; i < net->m.ntab; i++) {
		const struct param_info *p = &net->m.tab[i];
		if (strcmp(p->name, name))
			continue;
		if (count != p->size)
			return lib_fail("%s: %s: %zu floats given, its shape (%zu, %zu) holds %zu",
					fn, name, count, p->dims[0], p->dims[1], p->size);
		return i;
	}
	return lib_fail("%s: %s: no such parameter in this %d-layer %s network", fn, name,
			net->m.L, cell_name(net->m.cell));
}

RNNBOW_API int rnnbow_net_set(rnnbow_net *net, const char *name, const float *data,
			      size_t count)
{
	const int i = find_param(net, "rnnbow_net_set", name, data, count);
	if (i < 0)
		return -1;
	/* A NaN or infinite weight would only show up later as NaN losses and
	 * gradients, far from its cause: refuse it here. */
	for (size_t k = 0; k < count; k++)
		if (!isfinite(data[k]))
			return lib_fail("rnnbow_net_set: %s: entry %zu is %g, not a finite number",
					name, k, (double)data[k]);
	const struct param_info *p = &net->m.tab[i];
	float *dst = model_slot(&net->m, net->m.params, i);
	if (!p->transposed) {
		memcpy(dst, data, count * sizeof(float));
		return 0;
	}
	/* layer 0's weight_ih: PyTorch's (GH, In) kept as (In, GH) */
	const size_t rows = p->dims[0], cols = p->dims[1];
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			dst[c * rows + r] = data[r * cols + c];
	return 0;
}

/* Sizes the forward cache for n steps (kept from the last call when n is
 * the same). */
static int net_size(rnnbow_net *net, int n)
{
	if (net->n == n)
		return 0;
	if (net->n)
		rnn_cache_free(&net->c);
	net->n = 0;
	if (rnn_cache_init(&net->c, n, &net->m) < 0)
		return -1;
	net->n = n;
	return 0;
}

/* Sizes the itemizer's workspace and default outputs for n steps: only
 * itemizing needs them (n(n+1)/2 x GH deltas per layer). */
static int net_size_itemizer(rnnbow_net *net, int n)
{
	if (net->wn == n)
		return 0;
	net_unsize_itemizer(net);
	if (itemize_ws_init(&net->w, n, &net->m) < 0)
		return -1;
	net->wn = n;
	size_t L = (size_t)net->m.L, N = (size_t)n;
	net->g = malloc(L * N * N * sizeof(float));
	net->E = malloc(L * N * sizeof(float));
	if (!net->g || !net->E) {
		net_unsize_itemizer(net);
		return -1;
	}
	return 0;
}

/* The checks every itemize call makes; -1 with the message set. */
static int check_sequence(const rnnbow_net *net, const char *fn, int n, const float *x,
			  const int32_t *tokens, const int32_t *targets)
{
	if (!net)
		return lib_fail("%s: net is NULL", fn);
	if (n < 1 || n > LIB_MAX_STEPS)
		return lib_fail("%s: n %d: must be 1..%d", fn, n, LIB_MAX_STEPS);
	if (!x && !tokens)
		return lib_fail("%s: x and tokens are both NULL: give dense inputs or token ids", fn);
	if (!targets)
		return lib_fail("%s: targets is NULL", fn);
	for (int t = 0; !x && t < n; t++)
		if (tokens[t] < 0 || tokens[t] >= net->m.In)
			return lib_fail("%s: tokens[%d] = %d: must be 0..%d (input_size - 1)", fn, t,
				    (int)tokens[t], net->m.In - 1);
	for (int t = 0; t < n; t++)
		if (targets[t] < 0 || targets[t] >= net->m.V)
			return lib_fail("%s: targets[%d] = %d: must be 0..%d (output_size - 1)", fn, t,
				    (int)targets[t], net->m.V - 1);
	return 0;
}

static int forward(rnnbow_net *net, const char *fn, int n, const float *x,
		   const int32_t *tokens, const int32_t *targets, const float *h0,
		   const float *c0, float *losses, float *hn, float *cn, int grads);

/* One code path for both calls: forward and backward (which fills what the
 * itemizer reads), then itemize into out. */
int lib_net_itemize(rnnbow_net *net, const char *fn, int n, const float *x,
		    const int32_t *tokens, const int32_t *targets, const float *h0,
		    const float *c0, struct itemized *out)
{
	if (forward(net, fn, n, x, tokens, targets, h0, c0, NULL, NULL, NULL, 1) < 0)
		return -1;
	if (net_size_itemizer(net, n) < 0)
		return lib_fail("%s: out of memory for %d steps", fn, n);
	if (!out->g)
		out->g = net->g;
	if (!out->E)
		out->E = net->E;
	itemize(out, &net->w, &net->c, &net->m);
	return 0;
}

RNNBOW_API int rnnbow_itemize(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			      const int32_t *targets, const float *h0, const float *c0,
			      float *g, float *E)
{
	if (!g || !E)
		return lib_fail("rnnbow_itemize: %s is NULL", !g ? "g" : "E");
	struct itemized out = { .g = g, .E = E };
	return lib_net_itemize(net, "rnnbow_itemize", n, x, tokens, targets, h0, c0, &out);
}

RNNBOW_API int rnnbow_itemize_gates(rnnbow_net *net, int n, const float *x,
				    const int32_t *tokens, const int32_t *targets,
				    const float *h0, const float *c0, float *g, float *E,
				    float *gq, float *Eq)
{
	if (!gq || !Eq)
		return lib_fail("rnnbow_itemize_gates: %s is NULL", !gq ? "gq" : "Eq");
	struct itemized out = { .g = g, .E = E, .gq = gq, .Eq = Eq };
	return lib_net_itemize(net, "rnnbow_itemize_gates", n, x, tokens, targets, h0, c0, &out);
}

RNNBOW_API int rnnbow_unit_flow(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
				const int32_t *targets, const float *h0, const float *c0,
				float *unit_flow)
{
	if (!unit_flow)
		return lib_fail("rnnbow_unit_flow: unit_flow is NULL");
	struct itemized out = { .uf = unit_flow }; /* g and E: the net's own buffers */
	return lib_net_itemize(net, "rnnbow_unit_flow", n, x, tokens, targets, h0, c0, &out);
}

/* The forward pass (and with grads the backward one into net->grads)
 * and what the caller asked of it. */
static int forward(rnnbow_net *net, const char *fn, int n, const float *x,
		   const int32_t *tokens, const int32_t *targets, const float *h0,
		   const float *c0, float *losses, float *hn, float *cn, int grads)
{
	if (check_sequence(net, fn, n, x, tokens, targets) < 0)
		return -1;
	if (net_size(net, n) < 0)
		return lib_fail("%s: out of memory for %d steps", fn, n);
	h0 = h0 ? h0 : net->zeros;
	c0 = c0 ? c0 : net->zeros;
	if (x)
		rnn_forward_dense(&net->c, x, targets, h0, c0, &net->m);
	else
		rnn_forward(&net->c, tokens, targets, h0, c0, &net->m);
	if (grads) {
		memset(net->grads, 0, net->m.nparams * sizeof(float));
		if (x)
			rnn_backward_dense(net->grads, &net->c, x, targets, &net->m);
		else
			rnn_backward(net->grads, &net->c, tokens, targets, &net->m);
	}
	const size_t H = (size_t)net->m.H;
	if (losses)
		memcpy(losses, net->c.losses, (size_t)n * sizeof(float));
	for (int l = 0; l < net->m.L; l++) {
		const struct layer_cache *lc = &net->c.ly[l];
		if (hn)
			memcpy(hn + l * H, lc->hs + (size_t)n * H, H * sizeof(float));
		if (cn && lc->cs)
			memcpy(cn + l * H, lc->cs + (size_t)n * H, H * sizeof(float));
	}
	return 0;
}

RNNBOW_API int rnnbow_forward(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			      const int32_t *targets, const float *h0, const float *c0,
			      float *losses, float *hn, float *cn)
{
	return forward(net, "rnnbow_forward", n, x, tokens, targets, h0, c0, losses, hn, cn, 0);
}

RNNBOW_API int rnnbow_gradient(rnnbow_net *net, int n, const float *x, const int32_t *tokens,
			       const int32_t *targets, const float *h0, const float *c0,
			       float *losses, float *hn, float *cn)
{
	return forward(net, "rnnbow_gradient", n, x, tokens, targets, h0, c0, losses, hn, cn,
		       1);
}

/* Copies parameter `name` of src (net->m.params or net->grads) out in
 * PyTorch's layout. */
static int get_param(const rnnbow_net *net, const char *fn, const float *src,
		     const char *name, float *data, size_t count)
{
	const int i = find_param(net, fn, name, data, count);
	if (i < 0)
		return -1;
	const struct param_info *p = &net->m.tab[i];
	const float *a = src + p->offset;
	if (!p->transposed) {
		memcpy(data, a, count * sizeof(float));
		return 0;
	}
	const size_t rows = p->dims[0], cols = p->dims[1]; /* kept (cols, rows) */
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			data[r * cols + c] = a[c * rows + r];
	return 0;
}

RNNBOW_API int rnnbow_net_get(const rnnbow_net *net, const char *name, float *data,
			      size_t count)
{
	return get_param(net, "rnnbow_net_get", net ? net->m.params : NULL, name, data, count);
}

RNNBOW_API int rnnbow_net_grad(const rnnbow_net *net, const char *name, float *data,
			       size_t count)
{
	return get_param(net, "rnnbow_net_grad", net ? net->grads : NULL, name, data, count);
}
