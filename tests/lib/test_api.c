/*
 * test_api.c - librnnbow's API (rnnbow.h) as a client sees it: built by
 * tests/test_lib.sh against the installed library through pkg-config,
 * once shared and once static.
 *
 * For vanilla (tanh, relu, sigmoid), LSTM and GRU networks of several
 * sizes and 1-3 layers, parameters are drawn in PyTorch's layout and given
 * by their PyTorch names; g, E, g_q and E_q of a token sequence and of a
 * dense one are held against libcore's plain reference (itemize_ref.c, a
 * per-loss double-precision backward that stays out of the library, linked
 * here from the tree's objects: with only rnnbow_* visible in the library,
 * the two copies of libcore cannot collide). One-hot dense rows must give
 * the token results bit for bit. Then bad arguments, errmsg per thread,
 * and the run-file writer's refusals (in the directory given as argv[1]):
 * an existing file, a file that is not a run, options that do not parse,
 * inputs of the wrong kind; test_lib.sh checks that none prints a line.
 *
 * The reference model is filled from the same PyTorch-layout tensors by
 * its own transposing loop; one case gives the library layer 0's W_ih in
 * the internal (In, GH) layout to prove the comparison can fail.
 */
#include <rnnbow.h>

#include "../../libcore/itemize.h"
#include "../../libcore/rng.h"
#include "../tap.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXPECT_VERSION
#define EXPECT_VERSION "?"
#endif

struct net_case {
	const char *cell; /* the library's name */
	int In, H, L, V, n;
};

/* One network's tensors in PyTorch's layout, by name. */
struct tensors {
	int count;
	char name[4 * 3 + 2][24];
	size_t size[4 * 3 + 2];
	float *data[4 * 3 + 2];
};

static int gates_of(const char *cell)
{
	return !strcmp(cell, "lstm") ? 4 : !strcmp(cell, "gru") ? 3 : 1;
}

static void add_tensor(struct tensors *ts, struct rng *r, const char *name, size_t size,
		       double scale)
{
	int i = ts->count++;
	snprintf(ts->name[i], sizeof(ts->name[i]), "%s", name);
	ts->size[i] = size;
	ts->data[i] = malloc(size * sizeof(float));
	for (size_t k = 0; k < size; k++)
		ts->data[i][k] = (float)(scale * rng_normal(r));
}

static void draw_tensors(struct tensors *ts, const struct net_case *nc, struct rng *r)
{
	const size_t GH = (size_t)gates_of(nc->cell) * nc->H, H = (size_t)nc->H;
	char name[24];
	memset(ts, 0, sizeof(*ts));
	for (int l = 0; l < nc->L; l++) {
		size_t in = l == 0 ? (size_t)nc->In : H;
		snprintf(name, sizeof(name), "weight_ih_l%d", l);
		add_tensor(ts, r, name, GH * in, 0.6);
		snprintf(name, sizeof(name), "weight_hh_l%d", l);
		add_tensor(ts, r, name, GH * H, 0.6);
		snprintf(name, sizeof(name), "bias_ih_l%d", l);
		add_tensor(ts, r, name, GH, 0.2);
		snprintf(name, sizeof(name), "bias_hh_l%d", l);
		add_tensor(ts, r, name, GH, 0.2);
	}
	add_tensor(ts, r, "weight_out", (size_t)nc->V * H, 0.6);
	add_tensor(ts, r, "bias_out", (size_t)nc->V, 0.2);
}

static void free_tensors(struct tensors *ts)
{
	for (int i = 0; i < ts->count; i++)
		free(ts->data[i]);
}

/* The reference's model from the same tensors (its own transpose of the
 * one slot libcore keeps transposed). */
static void reference_model(struct model *m, const struct net_case *nc, const struct tensors *ts)
{
	enum cell_kind ck = CELL_RNN;
	enum act_kind ak = ACT_TANH;
	if (!strncmp(nc->cell, "rnn_", 4))
		act_parse(nc->cell + 4, &ak);
	else
		cell_parse(nc->cell, &ck);
	model_init_io(m, ck, ak, nc->L, nc->H, nc->In, nc->V);
	for (int i = 0; i < m->ntab; i++) {
		const struct param_info *p = &m->tab[i];
		float *dst = m->params + p->offset;
		for (int k = 0; k < ts->count; k++) {
			if (strcmp(ts->name[k], p->name))
				continue;
			for (size_t a = 0; a < p->dims[0]; a++)
				for (size_t b = 0; b < p->dims[1]; b++) {
					float v = ts->data[k][a * p->dims[1] + b];
					if (p->transposed)
						dst[b * p->dims[0] + a] = v;
					else
						dst[a * p->dims[1] + b] = v;
				}
		}
	}
}

/* Largest |a - b| / (atol + rtol |b|): <= 1 means close; NaN is worst. */
static double worst(const float *a, const double *b, size_t len, double atol, double rtol)
{
	double w = 0;
	for (size_t i = 0; i < len; i++) {
		double e = fabs(a[i] - b[i]) / (atol + rtol * fabs(b[i]));
		if (!(e <= w))
			w = e;
	}
	return w;
}

static double max_abs(const double *a, size_t len)
{
	double m = 0;
	for (size_t i = 0; i < len; i++)
		m = fabs(a[i]) > m ? fabs(a[i]) : m;
	return m;
}

/* What one itemization gives: the library's floats, the reference's
 * doubles. */
struct result {
	float *g, *E, *gq, *Eq, *uf;  /* uf: only where a case asks */
	double *rg, *rE, *rgq, *rEq, *ruf;
};

static void result_init(struct result *r, int L, int G, int n)
{
	size_t nn = (size_t)n * n;
	r->g = calloc(L * nn, sizeof(float));
	r->E = calloc((size_t)L * n, sizeof(float));
	r->gq = calloc(L * G * nn, sizeof(float));
	r->Eq = calloc((size_t)L * G * n, sizeof(float));
	r->rg = calloc(L * nn, sizeof(double));
	r->rE = calloc((size_t)L * n, sizeof(double));
	r->rgq = calloc(L * G * nn, sizeof(double));
	r->rEq = calloc((size_t)L * G * n, sizeof(double));
	r->uf = NULL;
	r->ruf = NULL;
}

static void result_free(struct result *r)
{
	free(r->g);
	free(r->E);
	free(r->gq);
	free(r->Eq);
	free(r->rg);
	free(r->rE);
	free(r->rgq);
	free(r->rEq);
	free(r->uf);
	free(r->ruf);
}

/* The reference's g, E, g_q, E_q of one sequence (x NULL: tokens). */
static void reference(struct result *r, const struct model *m, int n, const float *x,
		      const int32_t *tok, const int32_t *y, const float *h0, const float *c0)
{
	struct rnn_cache c;
	float *grads = calloc(m->nparams, sizeof(float));
	rnn_cache_init(&c, n, m);
	if (x) {
		rnn_forward_dense(&c, x, y, h0, c0, m);
		rnn_backward_dense(grads, &c, x, y, m);
	} else {
		rnn_forward(&c, tok, y, h0, c0, m);
		rnn_backward(grads, &c, tok, y, m);
	}
	itemize_reference(r->rg, r->rgq, r->rE, r->rEq, r->ruf, NULL, &c, m);
	rnn_cache_free(&c);
	free(grads);
}

/* Worst closeness of the library's four outputs to the reference's. */
static double compare(const struct result *r, int L, int G, int n)
{
	const size_t nn = (size_t)n * n;
	double w = 0, v;
	v = worst(r->g, r->rg, L * nn, 1e-6 * max_abs(r->rg, L * nn), 1e-4);
	w = v > w || v != v ? v : w;
	v = worst(r->E, r->rE, (size_t)L * n, 1e-5, 1e-4);
	w = v > w || v != v ? v : w;
	v = worst(r->gq, r->rgq, L * G * nn, 1e-6 * max_abs(r->rgq, L * G * nn), 1e-4);
	w = v > w || v != v ? v : w;
	v = worst(r->Eq, r->rEq, (size_t)L * G * n, 1e-5, 1e-4);
	w = v > w || v != v ? v : w;
	return w;
}

static int set_all(rnnbow_net *net, const struct tensors *ts)
{
	for (int i = 0; i < ts->count; i++)
		if (rnnbow_net_set(net, ts->name[i], ts->data[i], ts->size[i]) < 0) {
			printf("# rnnbow_net_set %s: %s\n", ts->name[i], rnnbow_errmsg());
			return -1;
		}
	return 0;
}

static void check_case(const struct net_case *nc, uint64_t seed)
{
	const int G = gates_of(nc->cell), H = nc->H, L = nc->L, In = nc->In;
	const int n = nc->n, nd = nc->n + 2; /* dense: another n, the buffers resize */
	struct rng r;
	struct tensors ts;
	struct model m;
	char label[96];

	snprintf(label, sizeof(label), "%s In=%d H=%d L=%d V=%d", nc->cell, In, H, L, nc->V);
	rng_seed(&r, seed);
	draw_tensors(&ts, nc, &r);
	reference_model(&m, nc, &ts);
	rnnbow_net *net = rnnbow_net_new(nc->cell, In, H, L, nc->V);
	if (!tap_check(net && set_all(net, &ts) == 0, "%s: built from PyTorch names", label)) {
		printf("# %s\n", rnnbow_errmsg());
		goto out;
	}
	int32_t *tok = malloc(nd * sizeof(int32_t)), *y = malloc(nd * sizeof(int32_t));
	float *h0 = malloc((size_t)L * H * sizeof(float)), *c0 = malloc((size_t)L * H * sizeof(float));
	float *x = malloc((size_t)nd * In * sizeof(float));
	float *x1h = calloc((size_t)n * In, sizeof(float));
	for (int t = 0; t < nd; t++) {
		tok[t] = (int32_t)(rng_next(&r) % (uint64_t)In);
		y[t] = (int32_t)(rng_next(&r) % (uint64_t)nc->V);
	}
	for (int t = 0; t < n; t++)
		x1h[(size_t)t * In + tok[t]] = 1.0f;
	for (size_t i = 0; i < (size_t)nd * In; i++)
		x[i] = (float)rng_normal(&r);
	for (int i = 0; i < L * H; i++) {
		h0[i] = (float)(0.5 * rng_normal(&r));
		c0[i] = (float)(0.5 * rng_normal(&r));
	}

	/* tokens */
	struct result a, b;
	result_init(&a, L, G, n);
	a.uf = calloc((size_t)L * n * H, sizeof(float));
	a.ruf = calloc((size_t)L * n * H, sizeof(double));
	int rc = rnnbow_itemize_gates(net, n, NULL, tok, y, h0, c0, a.g, a.E, a.gq, a.Eq);
	reference(&a, &m, n, NULL, tok, y, h0, c0);
	int rcu = rnnbow_unit_flow(net, n, NULL, tok, y, h0, c0, a.uf);
	double wu = worst(a.uf, a.ruf, (size_t)L * n * H,
			  1e-6 * max_abs(a.ruf, (size_t)L * n * H), 1e-4);
	tap_check(rcu == 0 && wu <= 1, "%s: rnnbow_unit_flow = reference unit_flow (worst %.3g of "
		  "the tolerance)", label, wu);
	double w = compare(&a, L, G, n);
	tap_check(rc == 0 && w <= 1, "%s: tokens, n=%d: g, E, g_q, E_q = reference (worst %.3g of "
		  "the tolerance)", label, n, w);

	/* rnnbow_itemize gives the same g and E */
	result_init(&b, L, G, n);
	rc = rnnbow_itemize(net, n, NULL, tok, y, h0, c0, b.g, b.E);
	tap_check(rc == 0 && !memcmp(a.g, b.g, (size_t)L * n * n * sizeof(float)) &&
		  !memcmp(a.E, b.E, (size_t)L * n * sizeof(float)),
		  "%s: rnnbow_itemize = rnnbow_itemize_gates's g and E", label);

	/* one-hot dense rows are the token path, bit for bit */
	rc = rnnbow_itemize_gates(net, n, x1h, NULL, y, h0, c0, b.g, b.E, b.gq, b.Eq);
	tap_check(rc == 0 && !memcmp(a.g, b.g, (size_t)L * n * n * sizeof(float)) &&
		  !memcmp(a.E, b.E, (size_t)L * n * sizeof(float)) &&
		  !memcmp(a.gq, b.gq, (size_t)L * G * n * n * sizeof(float)) &&
		  !memcmp(a.Eq, b.Eq, (size_t)L * G * n * sizeof(float)),
		  "%s: one-hot dense x = tokens, bit for bit", label);
	result_free(&b);

	/* dense inputs, another n, zero states */
	result_init(&b, L, G, nd);
	rc = rnnbow_itemize_gates(net, nd, x, tok, y, NULL, NULL, b.g, b.E, b.gq, b.Eq);
	float *zeros = calloc((size_t)L * H, sizeof(float));
	reference(&b, &m, nd, x, NULL, y, zeros, zeros);
	w = compare(&b, L, G, nd);
	tap_check(rc == 0 && w <= 1, "%s: dense x, n=%d, h0 = c0 = NULL: g, E, g_q, E_q = reference "
		  "(worst %.3g of the tolerance)", label, nd, w);
	free(zeros);
	result_free(&b);

	/* the oracle can fail: layer 0's W_ih given in the internal layout */
	if (In != G * H && L == 1) {
		float *wt = malloc(ts.size[0] * sizeof(float));
		for (int a0 = 0; a0 < G * H; a0++)
			for (int c = 0; c < In; c++)
				wt[(size_t)c * G * H + a0] = ts.data[0][(size_t)a0 * In + c];
		rnnbow_net_set(net, "weight_ih_l0", wt, ts.size[0]);
		rnnbow_itemize_gates(net, n, NULL, tok, y, h0, c0, a.g, a.E, a.gq, a.Eq);
		tap_check(compare(&a, L, G, n) > 1, "%s: weight_ih_l0 in the transposed layout is "
			  "told apart", label);
		free(wt);
	}
	result_free(&a);
	free(tok);
	free(y);
	free(h0);
	free(c0);
	free(x);
	free(x1h);
out:
	rnnbow_net_free(net);
	model_free(&m);
	free_tensors(&ts);
}

static int says(const char *what)
{
	const char *e = rnnbow_errmsg();
	int ok = strstr(e, what) != NULL;
	if (!ok)
		printf("# errmsg \"%s\" lacks \"%s\"\n", e, what);
	return ok;
}

static void *other_thread(void *arg)
{
	*(int *)arg = rnnbow_errmsg()[0] == '\0' && rnnbow_net_new("lstm", 0, 1, 1, 1) == NULL &&
		      strstr(rnnbow_errmsg(), "input_size") != NULL;
	return NULL;
}

static void check_errors(void)
{
	tap_check(!strcmp(rnnbow_version(), EXPECT_VERSION), "rnnbow_version() = %s",
		  EXPECT_VERSION);
	tap_check(!rnnbow_net_new("rnn", 3, 4, 1, 3) && says("cell 'rnn'") && says("rnn_tanh"),
		  "cell 'rnn': NULL, errmsg names the cells (%s)", rnnbow_errmsg());
	tap_check(!rnnbow_net_new(NULL, 3, 4, 1, 3) && says("cell NULL"), "cell NULL: NULL");
	tap_check(!rnnbow_net_new("gru", 3, 0, 1, 3) && says("hidden_size 0"),
		  "hidden_size 0: NULL (%s)", rnnbow_errmsg());
	tap_check(!rnnbow_net_new("gru", 3, 4, 65, 3) && says("num_layers 65"),
		  "num_layers 65: NULL (%s)", rnnbow_errmsg());
	tap_check(!rnnbow_net_new("gru", 3, 4, 1, -1) && says("output_size -1"),
		  "output_size -1: NULL (%s)", rnnbow_errmsg());

	rnnbow_net *net = rnnbow_net_new("lstm", 3, 2, 2, 5);
	float buf[64] = { 0 }, g[4 * 4 * 2], E[4 * 2], gq[4 * 4 * 4 * 2], Eq[4 * 4 * 2];
	int32_t tok[4] = { 0, 1, 2, 0 }, y[4] = { 4, 3, 2, 1 }, bad[4] = { 0, 3, 1, 0 };
	tap_check(net != NULL, "lstm In=3 H=2 L=2 V=5 built");
	tap_check(rnnbow_net_set(net, "weight_hh_l2", buf, 16) == -1 && says("weight_hh_l2") &&
		  says("no such parameter"), "an unknown name: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_net_set(net, "weight_ih_l0", buf, 23) == -1 && says("23 floats") &&
		  says("(8, 3)"), "a count that does not match: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_net_set(net, "weight_ih_l0", buf, 24) == 0 &&
		  rnnbow_net_set(net, "weight_ih_l1", buf, 16) == 0 &&
		  rnnbow_net_set(net, "weight_out", buf, 10) == 0 &&
		  rnnbow_net_set(net, "bias_out", buf, 5) == 0, "the right counts: 0");
	tap_check(rnnbow_net_set(net, "bias_out", NULL, 5) == -1 && says("data is NULL"),
		  "data NULL: -1");
	tap_check(rnnbow_net_set(NULL, "bias_out", buf, 5) == -1 && says("net is NULL"),
		  "net NULL: -1");
	buf[3] = NAN;
	tap_check(rnnbow_net_set(net, "bias_out", buf, 5) == -1 && says("entry 3 is nan"),
		  "a NaN weight: -1 (%s)", rnnbow_errmsg());
	buf[3] = INFINITY;
	tap_check(rnnbow_net_set(net, "bias_out", buf, 5) == -1 && says("entry 3 is inf"),
		  "an infinite weight: -1 (%s)", rnnbow_errmsg());
	buf[3] = 0.0f;
	tap_check(rnnbow_net_get(net, "bias_out", buf, 4) == -1 && says("4 floats given"),
		  "net_get with room that does not match: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_itemize(net, 4, NULL, bad, y, NULL, NULL, g, E) == -1 &&
		  says("tokens[1] = 3"), "a token >= input_size: -1 (%s)", rnnbow_errmsg());
	y[2] = 5;
	tap_check(rnnbow_itemize(net, 4, NULL, tok, y, NULL, NULL, g, E) == -1 &&
		  says("targets[2] = 5"), "a target >= output_size: -1 (%s)", rnnbow_errmsg());
	y[2] = -1;
	tap_check(rnnbow_itemize(net, 4, NULL, tok, y, NULL, NULL, g, E) == -1 &&
		  says("targets[2] = -1"), "a negative target: -1");
	y[2] = 2;
	tap_check(rnnbow_itemize(net, 0, NULL, tok, y, NULL, NULL, g, E) == -1 && says("n 0"),
		  "n 0: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_itemize(net, 4, NULL, NULL, y, NULL, NULL, g, E) == -1 &&
		  says("both NULL"), "neither x nor tokens: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_itemize(net, 4, NULL, tok, y, NULL, NULL, NULL, E) == -1 &&
		  says("g is NULL"), "g NULL: -1");
	tap_check(rnnbow_itemize_gates(net, 4, NULL, tok, y, NULL, NULL, g, E, gq, NULL) == -1 &&
		  says("Eq is NULL"), "Eq NULL: -1");
	tap_check(rnnbow_itemize_gates(net, 4, NULL, tok, y, NULL, NULL, NULL, NULL, gq, Eq) == 0,
		  "g and E NULL with the gates: 0");
	tap_check(rnnbow_itemize(net, 4, NULL, tok, y, NULL, NULL, g, E) == 0 && says("Eq is NULL"),
		  "a success keeps the last failure's message");

	int other = 0;
	pthread_t th;
	pthread_create(&th, NULL, other_thread, &other);
	pthread_join(th, NULL);
	tap_check(other && says("Eq is NULL"), "errmsg is per thread");
	rnnbow_net_free(net);
	rnnbow_net_free(NULL);
}

/* Bytes of the file at path, or -1. */
static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n = -1;
	if (f && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (f)
		fclose(f);
	return n;
}

static void check_run_errors(const char *dir)
{
	char path[4096], other[4096], missing[4096];
	snprintf(path, sizeof(path), "%s/api_run.h5", dir);
	snprintf(other, sizeof(other), "%s/not_a_run.h5", dir);
	snprintf(missing, sizeof(missing), "%s/no/such/dir/run.h5", dir);
	FILE *f = fopen(other, "w");
	if (f) {
		fputs("some data of the user's\n", f);
		fclose(f);
	}
	rnnbow_run_options *o = rnnbow_run_options_new();
	tap_check(o && rnnbow_run_options_set(o, "colour", "1") == -1 &&
		  says("colour: no such option"), "options: an unknown name: -1 (%s)",
		  rnnbow_errmsg());
	tap_check(rnnbow_run_options_set(o, "input", "sparse") == -1 && says("tokens or dense"),
		  "options: input sparse: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_run_options_set(o, "batches", "-3") == -1 && says("whole number") &&
		  rnnbow_run_options_set(o, "learning_rate", "1e-3x") == -1 &&
		  rnnbow_run_options_set(o, "overwrite", "yes") == -1 && says("0 or 1"),
		  "options: values that do not parse: -1 (%s)", rnnbow_errmsg());
	/* strtoull would take " -1" and wrap it to 2^64 - 1 */
	tap_check(rnnbow_run_options_set(o, "seed", " -1") == -1 &&
		  rnnbow_run_options_set(o, "seed", "-1") == -1 &&
		  rnnbow_run_options_set(o, "seed", "7") == 0,
		  "options: a seed is digits only (' -1' and '-1' refused, '7' taken)");
	tap_check(rnnbow_run_options_set(o, "learning_rate", "1e-3") == 0 &&
		  rnnbow_run_options_set(o, "optimizer", "adam") == 0 &&
		  rnnbow_run_options_set(o, "batches", "12") == 0, "options: good values: 0");

	rnnbow_net *net = rnnbow_net_new("lstm", 3, 2, 2, 5), *wide = rnnbow_net_new("gru", 3, 2,
										      1, 300);
	int32_t tok[4] = { 0, 1, 2, 0 }, y[4] = { 4, 3, 2, 1 };
	float x[4 * 3] = { 0 };
	uint8_t vocab[5] = { 'a', 'b', 'c', 'd', 'e' };
	tap_check(!rnnbow_run_create(path, wide, 4, o) && says("output_size 300"),
		  "create: output_size 300: NULL (%s)", rnnbow_errmsg());
	tap_check(!rnnbow_run_create(path, net, 0, o) && says("seq_len 0"),
		  "create: seq_len 0: NULL (%s)", rnnbow_errmsg());
	tap_check(rnnbow_run_options_set_vocab(o, vocab, 3) == 0 &&
		  !rnnbow_run_create(path, net, 4, o) && says("3 bytes, the network 5"),
		  "create: a vocabulary of 3 bytes for 5 outputs: NULL (%s)", rnnbow_errmsg());
	rnnbow_run_options_set_vocab(o, vocab, 5);
	tap_check(!rnnbow_run_create(missing, net, 4, o) &&
		  !strncmp(rnnbow_errmsg(), "rnnbow_run_create: ", 19) && says("no/such/dir"),
		  "create: no such directory: NULL (%s)", rnnbow_errmsg());
	rnnbow_run *run = rnnbow_run_create(path, net, 4, o);
	tap_check(run != NULL, "create: a 2-layer LSTM run (%s)", run ? "" : rnnbow_errmsg());
	tap_check(rnnbow_run_record(run, 0, x, NULL, y, NULL, NULL) == -1 && says("token ids"),
		  "record: x on a token run: -1 (%s)", rnnbow_errmsg());
	tap_check(rnnbow_run_record(run, 0, NULL, tok, y, NULL, NULL) == 0 &&
		  rnnbow_run_train(run, 0, 1.5f, 0.25f) == 0 &&
		  rnnbow_run_record(run, 1, NULL, tok, y, NULL, NULL) == 0 &&
		  rnnbow_run_train(run, 1, NAN, 0.25f) == 0, "record, train: 0");
	tap_check(rnnbow_run_close(run) == 0, "close: 0");
	tap_check(rnnbow_run_close(NULL) == 0, "close NULL: 0");
	long size = file_size(path);
	tap_check(!rnnbow_run_create(path, net, 4, o) && says("already exists") &&
		  file_size(path) == size, "create: an existing run without overwrite: NULL, "
		  "the run unchanged (%s)", rnnbow_errmsg());
	rnnbow_run_options_set(o, "overwrite", "1");
	size = file_size(other);
	tap_check(!rnnbow_run_create(other, net, 4, o) && says("not an rnnbow run") &&
		  size > 0 && file_size(other) == size, "create: overwrite a file that is not a run: NULL, "
		  "the file unchanged (%s)", rnnbow_errmsg());
	rnnbow_run_options_set(o, "input", "dense");
	run = rnnbow_run_create(path, net, 4, o);
	tap_check(run != NULL, "create: overwrite=1 replaces the run (%s)",
		  run ? "" : rnnbow_errmsg());
	tap_check(!rnnbow_run_create(path, net, 4, o) && says("another run of this process"),
		  "create: a path this process is writing: NULL (%s)", rnnbow_errmsg());
	tap_check(rnnbow_run_record(run, 0, NULL, tok, y, NULL, NULL) == -1 && says("dense"),
		  "record: tokens on a dense run: -1 (%s)", rnnbow_errmsg());
	y[1] = 7;
	tap_check(rnnbow_run_record(run, 0, x, NULL, y, NULL, NULL) == -1 &&
		  says("rnnbow_run_record: targets[1] = 7"), "record: a bad target: -1 (%s)",
		  rnnbow_errmsg());
	y[1] = 3;
	tap_check(rnnbow_run_record(run, 0, x, NULL, y, NULL, NULL) == 0 &&
		  rnnbow_run_close(run) == 0, "record dense, close: 0");
	rnnbow_run_options_free(o);
	rnnbow_run_options_free(NULL);
	rnnbow_net_free(net);
	rnnbow_net_free(wide);
}

int main(int argc, char **argv)
{
	static const struct net_case cases[] = {
		{ "rnn_tanh", 5, 4, 1, 5, 6 },
		{ "rnn_relu", 7, 6, 2, 3, 8 },
		{ "rnn_sigmoid", 3, 5, 3, 4, 5 },
		{ "rnn_tanh", 1, 9, 2, 2, 7 },
		{ "lstm", 6, 4, 1, 6, 7 },
		{ "lstm", 4, 8, 2, 5, 6 },
		{ "lstm", 9, 3, 3, 2, 5 },
		{ "gru", 5, 4, 1, 5, 6 },
		{ "gru", 3, 7, 2, 8, 9 },
		{ "gru", 6, 5, 3, 4, 5 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 1000 + i);
	check_errors();
	if (argc > 1)
		check_run_errors(argv[1]);
	return tap_done();
}
