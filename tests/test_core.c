/*
 * test_core.c - libcore against oracles:
 *   - every parameter's gradient against central finite differences of an
 *     independent double-precision forward pass, for each activation;
 *   - the identity sum_t sum_j G_{t,j} = dL/dW_hh;
 *   - the fast itemized kernel against the plain reference, for g and E,
 *     on sizes where n, H and V differ;
 *   - cases with known answers (W_hh = 0; all weights zero);
 *   - one deliberately broken oracle, to prove the comparisons can fail.
 */
#include "../libcore/fastmath.h"
#include "../libcore/itemize.h"
#include "../libcore/optim.h"
#include "../libcore/rng.h"
#include "../libcore/train.h"
#include "tap.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- an independent double-precision model, straight from SPEC 1 ---- */

static double act_d(double z, enum act_kind a)
{
	switch (a) {
	case ACT_RELU: return z > 0 ? z : 0;
	case ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
	default: return tanh(z);
	}
}

/* L = sum_t -log softmax(W_out h_t + b_out)[y_t] with params p (double). */
static double ref_loss(const struct model *m, const double *p, const int32_t *x,
		       const int32_t *y, const float *h0, int n)
{
	const int H = m->H, V = m->V;
	const double *W_ih = p + m->tab[P_WEIGHT_IH].offset;
	const double *W_hh = p + m->tab[P_WEIGHT_HH].offset;
	const double *b_ih = p + m->tab[P_BIAS_IH].offset;
	const double *b_hh = p + m->tab[P_BIAS_HH].offset;
	const double *W_out = p + m->tab[P_WEIGHT_OUT].offset;
	const double *b_out = p + m->tab[P_BIAS_OUT].offset;
	double h[64], hn[64], o[64], L = 0;

	for (int i = 0; i < H; i++)
		h[i] = h0[i];
	for (int t = 0; t < n; t++) {
		for (int i = 0; i < H; i++) {
			double z = W_ih[i * V + x[t]] + b_ih[i] + b_hh[i];
			for (int k = 0; k < H; k++)
				z += W_hh[i * H + k] * h[k];
			hn[i] = act_d(z, m->act);
		}
		memcpy(h, hn, sizeof(h));
		double mx = -1e300, s = 0;
		for (int v = 0; v < V; v++) {
			o[v] = b_out[v];
			for (int k = 0; k < H; k++)
				o[v] += W_out[v * H + k] * h[k];
			if (o[v] > mx)
				mx = o[v];
		}
		for (int v = 0; v < V; v++)
			s += exp(o[v] - mx);
		L += log(s) + mx - o[y[t]];
	}
	return L;
}

struct setup {
	struct model m;
	struct rnn_cache c;
	float *grads;
	int32_t x[64], y[64]; /* n <= 64 */
	float h0[128];        /* H <= 128 */
	int n;
};

static void setup_init(struct setup *s, int n, int H, int V, enum act_kind act,
		       float scale, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	model_init(&s->m, H, V, act);
	model_init_params(&s->m, scale, &r);
	/* non-zero biases too, so every parameter's gradient is exercised */
	for (int i = 0; i < H; i++) {
		s->m.b_ih[i] = (float)(0.1 * rng_normal(&r));
		s->m.b_hh[i] = (float)(0.1 * rng_normal(&r));
	}
	for (int v = 0; v < V; v++)
		s->m.b_out[v] = (float)(0.1 * rng_normal(&r));
	rnn_cache_init(&s->c, n, &s->m);
	s->grads = calloc(s->m.nparams, sizeof(float));
	s->n = n;
	for (int t = 0; t < n; t++) {
		s->x[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
		s->y[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
	}
	for (int i = 0; i < H; i++)
		s->h0[i] = (float)(0.5 * rng_normal(&r));
}

static void setup_run(struct setup *s)
{
	rnn_forward(&s->c, s->x, s->y, s->h0, &s->m);
	memset(s->grads, 0, s->m.nparams * sizeof(float));
	rnn_backward(s->grads, &s->c, s->x, s->y, &s->m);
}

static void setup_free(struct setup *s)
{
	model_free(&s->m);
	rnn_cache_free(&s->c);
	free(s->grads);
}

/* Largest |a - b| / (atol + rtol |b|) over len values: <= 1 means close. */
static double worst(const float *a, const double *b, size_t len, double atol, double rtol)
{
	double w = 0;
	for (size_t i = 0; i < len; i++) {
		double e = fabs(a[i] - b[i]) / (atol + rtol * fabs(b[i]));
		if (!(e <= w))
			w = e; /* NaN counts as worst */
	}
	return w;
}

/* ---- tests ---- */

static void test_finite_differences(enum act_kind act)
{
	struct setup s;
	setup_init(&s, 6, 7, 11, act, 0.5f, 42 + act);
	setup_run(&s);
	size_t np = s.m.nparams;
	double *p = malloc(np * sizeof(double)), *fd = malloc(np * sizeof(double));
	for (size_t i = 0; i < np; i++)
		p[i] = s.m.params[i];

	double Lf = 0;
	for (int t = 0; t < s.n; t++)
		Lf += s.c.losses[t];
	double Lr = ref_loss(&s.m, p, s.x, s.y, s.h0, s.n);
	tap_check(fabs(Lf - Lr) <= 1e-5 * fabs(Lr), "%s: float forward loss %.9g = double reference %.9g",
		  act_name(act), Lf, Lr);

	const double eps = 1e-6;
	for (size_t i = 0; i < np; i++) {
		double keep = p[i];
		p[i] = keep + eps;
		double lp = ref_loss(&s.m, p, s.x, s.y, s.h0, s.n);
		p[i] = keep - eps;
		double lm = ref_loss(&s.m, p, s.x, s.y, s.h0, s.n);
		p[i] = keep;
		fd[i] = (lp - lm) / (2 * eps);
	}
	for (int id = 0; id < P_COUNT; id++) {
		size_t off = s.m.tab[id].offset, len = s.m.tab[id].size;
		double w = worst(s.grads + off, fd + off, len, 1e-4, 1e-3);
		double mag = 0;
		for (size_t i = 0; i < len; i++)
			mag = fmax(mag, fabs(fd[off + i]));
		tap_check(w <= 1 && mag > 1e-3, "%s: d%s matches finite differences (worst %.3g of tolerance, max |g| %.3g)",
			  act_name(act), s.m.tab[id].name, w, mag);
	}
	/* the oracle can fail: one wrong entry must be caught */
	size_t off = s.m.tab[P_WEIGHT_HH].offset;
	s.grads[off + 3] += 0.01f * (float)fmax(1.0, fabs(fd[off + 3]));
	tap_check(worst(s.grads + off, fd + off, s.m.tab[P_WEIGHT_HH].size, 1e-4, 1e-3) > 1,
		  "%s: a gradient off by 1%% is caught by the finite-difference check", act_name(act));
	free(p);
	free(fd);
	setup_free(&s);
}

/* Fast kernel vs reference, and the identity, at one size. */
static void test_itemize_vs_reference(int n, int H, int V, enum act_kind act, float scale)
{
	struct setup s;
	struct itemize_ws w;
	setup_init(&s, n, H, V, act, scale, 1000 + (uint64_t)(n * 131 + H * 7 + V));
	setup_run(&s);
	itemize_ws_init(&w, n, H);
	size_t nn = (size_t)n * n, HH = (size_t)H * H;
	float *g = malloc(nn * sizeof(float)), *E = malloc((size_t)n * sizeof(float));
	double *gr = malloc(nn * sizeof(double)), *Er = malloc((size_t)n * sizeof(double));
	double *dW = malloc(HH * sizeof(double));
	itemize(g, E, &w, &s.c, &s.m);
	itemize_reference(gr, Er, dW, &s.c, &s.m);

	const float *dW_hh = s.grads + s.m.tab[P_WEIGHT_HH].offset;
	double dmax = 0, gmax = 0;
	for (size_t i = 0; i < HH; i++)
		dmax = fmax(dmax, fabs(dW[i]));
	for (size_t i = 0; i < nn; i++)
		gmax = fmax(gmax, gr[i]);
	double wid = worst(dW_hh, dW, HH, 1e-6 * dmax, 1e-4);
	tap_check(wid <= 1 && dmax > 0, "n=%d H=%d V=%d %s: sum of itemized G = BPTT dW_hh (worst %.3g)",
		  n, H, V, act_name(act), wid);
	double wg = worst(g, gr, nn, 1e-6 * gmax, 1e-4);
	tap_check(wg <= 1, "n=%d H=%d V=%d %s: fast g = reference g (worst %.3g)", n, H, V,
		  act_name(act), wg);
	double we = worst(E, Er, (size_t)n, 1e-5, 1e-4);
	tap_check(we <= 1 && E[n - 1] == 0.0f, "n=%d H=%d V=%d %s: fast E = reference E (worst %.3g, E[0]=%.4g)",
		  n, H, V, act_name(act), we, E[0]);
	int upper_zero = 1, finite = 1;
	for (int t = 0; t < n; t++)
		for (int j = 0; j < n; j++) {
			float v = g[(size_t)t * n + j];
			if (j > t && v != 0.0f)
				upper_zero = 0;
			if (!isfinite(v))
				finite = 0;
		}
	tap_check(upper_zero && finite, "n=%d H=%d V=%d: g is finite and zero above the diagonal", n, H, V);

	if (n == 6 && H == 7) { /* break the oracle once */
		gr[(size_t)3 * n + 1] *= 1.01;
		tap_check(worst(g, gr, nn, 1e-6 * gmax, 1e-4) > 1,
			  "a reference g off by 1%% is caught");
	}
	free(g);
	free(E);
	free(gr);
	free(Er);
	free(dW);
	itemize_ws_free(&w);
	setup_free(&s);
}

static void test_zero_recurrence(void)
{
	struct setup s;
	struct itemize_ws w;
	int n = 8, H = 6, V = 5;
	setup_init(&s, n, H, V, ACT_TANH, 0.5f, 7);
	memset(s.m.W_hh, 0, (size_t)H * H * sizeof(float));
	setup_run(&s);
	itemize_ws_init(&w, n, H);
	float g[64], E[8];
	itemize(g, E, &w, &s.c, &s.m);
	int below = 1, diag = 1, e0 = 1;
	for (int t = 0; t < n; t++) {
		for (int j = 0; j < t; j++)
			if (g[t * n + j] != 0.0f)
				below = 0;
		if (!(g[t * n + t] > 0.0f))
			diag = 0;
	}
	for (int k = 0; k < n; k++)
		if (E[k] != 0.0f)
			e0 = 0;
	tap_check(below && diag, "W_hh = 0: g is zero below the diagonal and positive on it");
	tap_check(e0, "W_hh = 0: E[k] = 0 for every k");
	itemize_ws_free(&w);
	setup_free(&s);
}

static void test_all_zero(enum act_kind act)
{
	struct setup s;
	struct itemize_ws w;
	int n = 5, H = 4, V = 3;
	setup_init(&s, n, H, V, act, 0.0f, 9);
	memset(s.m.params, 0, s.m.nparams * sizeof(float));
	memset(s.h0, 0, sizeof(s.h0));
	setup_run(&s);
	itemize_ws_init(&w, n, H);
	float g[25], E[5];
	itemize(g, E, &w, &s.c, &s.m);
	double dn = grad_norm(s.grads + s.m.tab[P_WEIGHT_HH].offset, (size_t)H * H);
	int ok = dn == 0.0;
	for (int k = 0; k < n; k++)
		if (E[k] != 0.0f)
			ok = 0;
	tap_check(ok, "%s, all weights zero: dW_hh = 0 and E = 0 (not NaN)", act_name(act));
	itemize_ws_free(&w);
	setup_free(&s);
}

static void test_optimizers(void)
{
	/* one step of each optimizer against its formula on one value */
	float p, g = 0.5f;
	struct optim o;
	optim_init(&o, OPT_ADAGRAD, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g);
	tap_check(fabsf(p - (1.0f - 0.1f * 0.5f / sqrtf(0.25f + 1e-8f))) < 1e-7f, "adagrad step");
	optim_free(&o);
	optim_init(&o, OPT_SGD, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g);
	tap_check(fabsf(p - 0.95f) < 1e-7f, "sgd step");
	optim_free(&o);
	optim_init(&o, OPT_ADAM, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g);
	/* first Adam step moves by lr * sign(g) (up to eps) */
	tap_check(fabsf(p - 0.9f) < 1e-6f, "adam first step is lr * sign(g)");
	optim_free(&o);

	float gr[7] = { 3.0f, -4.0f, 0.5f, 0.0f, 2.0f, -0.25f, 1.0f };
	double want = sqrt(9 + 16 + 0.25 + 4 + 0.0625 + 1);
	tap_check(fabs(grad_norm(gr, 7) - want) < 1e-6, "grad_norm is the L2 norm");
	double pre = grad_norm_clip(gr, 7, 1.0f);
	tap_check(fabs(pre - want) < 1e-9 && gr[0] == 1.0f && gr[1] == -1.0f && gr[2] == 0.5f &&
		  gr[4] == 1.0f && gr[5] == -0.25f,
		  "grad_norm_clip returns the norm before clipping and clips element-wise");
	float nan_g[2] = { NAN, 3.0f };
	grad_norm_clip(nan_g, 2, 1.0f);
	tap_check(isnan(nan_g[0]) && nan_g[1] == 1.0f, "grad_norm_clip lets NaN through");
	float keep[2] = { 7.0f, -9.0f };
	grad_norm_clip(keep, 2, 0.0f);
	tap_check(keep[0] == 7.0f && keep[1] == -9.0f, "clip 0 turns clipping off");
}

/* The trainer: same seed, same weights; the walk wraps and resets h. */
static void test_trainer(void)
{
	int32_t ids[40];
	for (int i = 0; i < 40; i++)
		ids[i] = (i * 7) % 5;
	struct train_config cfg = { .H = 8, .V = 5, .n = 10, .act = ACT_TANH,
				    .optim = OPT_ADAGRAD, .lr = 0.1f, .clip = 5.0f,
				    .init_scale = 0.1f, .seed = 3 };
	struct trainer a, b;
	struct batch_stats st;
	trainer_init(&a, &cfg, ids, 40);
	trainer_init(&b, &cfg, ids, 40);
	tap_check(!memcmp(a.m.params, b.m.params, a.m.nparams * sizeof(float)),
		  "the same seed draws the same weights");
	int64_t pos[5];
	float first = 0, last = 0;
	for (int i = 0; i < 5; i++) {
		trainer_step(&a, &st, NULL);
		pos[i] = st.position;
	}
	tap_check(pos[0] == 0 && pos[1] == 10 && pos[2] == 20 && pos[3] == 0 && pos[4] == 10,
		  "batches walk the corpus and wrap when n+1 bytes no longer fit");
	for (int i = 0; i < 200; i++) {
		trainer_step(&b, &st, NULL);
		if (i == 0)
			first = st.loss;
		last = st.loss;
	}
	tap_check(last < 0.5f * first, "training lowers the loss on a periodic corpus (%.3f -> %.3f)",
		  first, last);
	trainer_free(&a);
	trainer_free(&b);
}

/* fast_expf, fast_tanhf and fast_sigmoidf against double precision */
static void test_fastmath(void)
{
	double we = 0, wt = 0, ws = 0;
	for (int i = -200000; i <= 200000; i++) {
		float x = (float)i * 1e-4f;
		double e = exp((double)x), t = tanh((double)x), s = 1 / (1 + exp(-(double)x));
		we = fmax(we, fabs(fast_expf(x) - e) / e);
		if (t != 0)
			wt = fmax(wt, fabs(fast_tanhf(x) - t) / fabs(t));
		ws = fmax(ws, fabs(fast_sigmoidf(x) - s) / s);
	}
	tap_check(we < 5e-7, "fast_expf relative error %.3g over [-20, 20]", we);
	tap_check(wt < 5e-7, "fast_tanhf relative error %.3g over [-20, 20]", wt);
	tap_check(ws < 5e-7, "fast_sigmoidf relative error %.3g over [-20, 20]", ws);
	tap_check(fast_tanhf(30.0f) == 1.0f && fast_tanhf(-30.0f) == -1.0f &&
		  fast_expf(-200.0f) >= 0.0f && fast_expf(-200.0f) < 1e-37f,
		  "fast math saturates cleanly far out");
}

int main(void)
{
	openblas_set_num_threads(1);
	test_fastmath();
	test_finite_differences(ACT_TANH);
	test_finite_differences(ACT_RELU);
	test_finite_differences(ACT_SIGMOID);
	test_itemize_vs_reference(6, 7, 11, ACT_TANH, 0.5f);
	test_itemize_vs_reference(9, 5, 3, ACT_RELU, 0.6f);
	test_itemize_vs_reference(4, 12, 7, ACT_SIGMOID, 0.8f);
	test_itemize_vs_reference(25, 100, 65, ACT_TANH, 0.1f);
	test_itemize_vs_reference(1, 3, 2, ACT_TANH, 0.5f);
	test_zero_recurrence();
	test_all_zero(ACT_TANH);
	test_all_zero(ACT_SIGMOID);
	test_optimizers();
	test_trainer();
	return tap_done();
}
