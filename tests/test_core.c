/*
 * test_core.c - libcore against oracles:
 *   - every parameter's gradient against central finite differences of an
 *     independent double-precision forward pass, for each activation of
 *     the vanilla cell, LSTM and GRU, one to three layers;
 *   - the identity sum_t sum_j G_{t,j} = dL/dW_hh, for every layer;
 *   - the fast itemized kernel against the plain reference, for g and E
 *     and their per-gate g_q, E_q, and per-unit flow, on sizes where n, H
 *     and V differ;
 *   - each layer's state carried from batch to batch;
 *   - cases with known answers (W_hh = 0; all weights zero);
 *   - one deliberately broken oracle, to prove the comparisons can fail.
 */
#include "../libcore/fastmath.h"
#include "../libcore/itemize.h"
#include "../libcore/optim.h"
#include "../libcore/rng.h"
#include "../libcore/stream.h"
#include "../libcore/train.h"
#include "tap.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an independent double-precision model, straight from SPEC 1 and
 * PyTorch's nn.RNN / nn.LSTM / nn.GRU equations ---- */

#define MAXH 128
#define MAXL 3

static double act_d(double z, enum act_kind a)
{
	switch (a) {
	case ACT_RELU: return z > 0 ? z : 0;
	case ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
	default: return tanh(z);
	}
}

static double sig(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

/* One step of layer l: u (in) -> h, c (updated in place). */
static void ref_cell(const struct model *m, const double *p, int l, const double *u, int in,
		     double *h, double *c)
{
	const int H = m->H, GH = m->G * H;
	const double *W_ih = p + m->tab[model_param(l, LP_WEIGHT_IH)].offset;
	const double *W_hh = p + m->tab[model_param(l, LP_WEIGHT_HH)].offset;
	const double *b_ih = p + m->tab[model_param(l, LP_BIAS_IH)].offset;
	const double *b_hh = p + m->tab[model_param(l, LP_BIAS_HH)].offset;
	double xi[4 * MAXH], hh[4 * MAXH], hn[MAXH];
	for (int r = 0; r < GH; r++) {
		xi[r] = b_ih[r];
		hh[r] = b_hh[r];
		for (int k = 0; k < in; k++) /* layer 0's W_ih is stored (V, GH) */
			xi[r] += (l == 0 ? W_ih[k * GH + r] : W_ih[r * in + k]) * u[k];
		for (int k = 0; k < H; k++)
			hh[r] += W_hh[r * H + k] * h[k];
	}
	for (int i = 0; i < H; i++) {
		switch (m->cell) {
		case CELL_LSTM: {
			double ig = sig(xi[i] + hh[i]), fg = sig(xi[H + i] + hh[H + i]);
			double gg = tanh(xi[2 * H + i] + hh[2 * H + i]);
			double og = sig(xi[3 * H + i] + hh[3 * H + i]);
			c[i] = fg * c[i] + ig * gg;
			hn[i] = og * tanh(c[i]);
			break;
		}
		case CELL_GRU: {
			double rg = sig(xi[i] + hh[i]), zg = sig(xi[H + i] + hh[H + i]);
			double ng = tanh(xi[2 * H + i] + rg * hh[2 * H + i]);
			hn[i] = (1 - zg) * ng + zg * h[i];
			break;
		}
		default:
			hn[i] = act_d(xi[i] + hh[i], m->act);
		}
	}
	memcpy(h, hn, (size_t)H * sizeof(double));
}

/* L = sum_t -log softmax(W_out h_t + b_out)[y_t] with params p (double),
 * from states h0, c0 (L, H). */
static double ref_loss(const struct model *m, const double *p, const int32_t *x,
		       const int32_t *y, const float *h0, const float *c0, int n)
{
	const int H = m->H, V = m->V;
	const double *W_out = p + m->tab[model_weight_out(m)].offset;
	const double *b_out = p + m->tab[model_bias_out(m)].offset;
	double h[MAXL][MAXH], c[MAXL][MAXH], onehot[256], o[256], L = 0;

	for (int l = 0; l < m->L; l++)
		for (int i = 0; i < H; i++) {
			h[l][i] = h0[l * H + i];
			c[l][i] = c0[l * H + i];
		}
	for (int t = 0; t < n; t++) {
		for (int v = 0; v < V; v++)
			onehot[v] = v == x[t];
		for (int l = 0; l < m->L; l++)
			ref_cell(m, p, l, l ? h[l - 1] : onehot, l ? H : V, h[l], c[l]);
		const double *top = h[m->L - 1];
		double mx = -1e300, s = 0;
		for (int v = 0; v < V; v++) {
			o[v] = b_out[v];
			for (int k = 0; k < H; k++)
				o[v] += W_out[v * H + k] * top[k];
			if (o[v] > mx)
				mx = o[v];
		}
		for (int v = 0; v < V; v++)
			s += exp(o[v] - mx);
		L += log(s) + mx - o[y[t]];
	}
	return L;
}

/* What a test runs: a cell kind, an activation (vanilla), a depth. */
struct arch {
	enum cell_kind cell;
	enum act_kind act;
	int L;
};

static const char *arch_name(struct arch a)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "%s%s%s L=%d", cell_name(a.cell), a.cell ? "" : " ",
		 a.cell ? "" : act_name(a.act), a.L);
	return buf;
}

struct setup {
	struct arch a;
	struct model m;
	struct rnn_cache c;
	float *grads;
	int32_t x[64], y[64];  /* n <= 64 */
	float h0[MAXL * MAXH]; /* (L, H) */
	float c0[MAXL * MAXH];
	int n;
};

static void setup_init(struct setup *s, struct arch a, int n, int H, int V, float scale,
		       uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	s->a = a;
	model_init(&s->m, a.cell, a.act, a.L, H, V);
	model_init_params(&s->m, scale, 1.0f, &r);
	/* non-zero biases too, so every parameter's gradient is exercised */
	for (int i = 0; i < s->m.ntab; i++)
		if (s->m.tab[i].rank == 1)
			for (size_t k = 0; k < s->m.tab[i].size; k++)
				model_slot(&s->m, s->m.params, i)[k] += (float)(0.1 * rng_normal(&r));
	rnn_cache_init(&s->c, n, &s->m);
	s->grads = calloc(s->m.nparams, sizeof(float));
	s->n = n;
	for (int t = 0; t < n; t++) {
		s->x[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
		s->y[t] = (int32_t)(rng_next(&r) % (uint64_t)V);
	}
	for (int i = 0; i < a.L * H; i++) {
		s->h0[i] = (float)(0.5 * rng_normal(&r));
		s->c0[i] = a.cell == CELL_LSTM ? (float)(0.5 * rng_normal(&r)) : 0.0f;
	}
}

static void setup_run(struct setup *s)
{
	rnn_forward(&s->c, s->x, s->y, s->h0, s->c0, &s->m);
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

static void test_finite_differences(struct arch a)
{
	struct setup s;
	setup_init(&s, a, 6, 7, 11, 0.5f, 42 + a.act + 10 * a.cell + 100 * a.L);
	setup_run(&s);
	size_t np = s.m.nparams;
	double *p = malloc(np * sizeof(double)), *fd = malloc(np * sizeof(double));
	for (size_t i = 0; i < np; i++)
		p[i] = s.m.params[i];

	double Lf = 0;
	for (int t = 0; t < s.n; t++)
		Lf += s.c.losses[t];
	double Lr = ref_loss(&s.m, p, s.x, s.y, s.h0, s.c0, s.n);
	tap_check(fabs(Lf - Lr) <= 1e-5 * fabs(Lr), "%s: float forward loss %.9g = double reference %.9g",
		  arch_name(a), Lf, Lr);

	const double eps = 1e-6;
	for (size_t i = 0; i < np; i++) {
		double keep = p[i];
		p[i] = keep + eps;
		double lp = ref_loss(&s.m, p, s.x, s.y, s.h0, s.c0, s.n);
		p[i] = keep - eps;
		double lm = ref_loss(&s.m, p, s.x, s.y, s.h0, s.c0, s.n);
		p[i] = keep;
		fd[i] = (lp - lm) / (2 * eps);
	}
	for (int id = 0; id < s.m.ntab; id++) {
		size_t off = s.m.tab[id].offset, len = s.m.tab[id].size;
		double w = worst(s.grads + off, fd + off, len, 1e-4, 1e-3);
		double mag = 0;
		for (size_t i = 0; i < len; i++)
			mag = fmax(mag, fabs(fd[off + i]));
		tap_check(w <= 1 && mag > 1e-4, "%s: d%s matches finite differences (worst %.3g of tolerance, max |g| %.3g)",
			  arch_name(a), s.m.tab[id].name, w, mag);
	}
	/* the oracle can fail: one wrong entry must be caught */
	int hh = model_param(0, LP_WEIGHT_HH);
	size_t off = s.m.tab[hh].offset;
	s.grads[off + 3] += 0.01f * (float)fmax(1.0, fabs(fd[off + 3]));
	tap_check(worst(s.grads + off, fd + off, s.m.tab[hh].size, 1e-4, 1e-3) > 1,
		  "%s: a gradient off by 1%% is caught by the finite-difference check", arch_name(a));
	free(p);
	free(fd);
	setup_free(&s);
}

/* Dense inputs (rnn_forward_dense / rnn_backward_dense): one-hot rows give
 * the token path's losses and every gradient (dW_ih summed in another
 * order: equal to rounding), and for random rows layer 0's dW_ih (stored
 * (In, GH)) is x^T dpre_ih, summed here in double. */
static void test_dense(struct arch a)
{
	struct setup s;
	setup_init(&s, a, 6, 7, 11, 0.5f, 7 + a.cell + 10 * a.L);
	setup_run(&s);
	const int n = s.n, V = s.m.V, GH = s.m.G * s.m.H;
	const size_t np = s.m.nparams;
	float *tok_grads = malloc(np * sizeof(float)), *tok_losses = malloc(n * sizeof(float));
	float *x = calloc((size_t)n * V, sizeof(float));
	memcpy(tok_grads, s.grads, np * sizeof(float));
	memcpy(tok_losses, s.c.losses, n * sizeof(float));
	for (int t = 0; t < n; t++)
		x[(size_t)t * V + s.x[t]] = 1.0f;
	rnn_forward_dense(&s.c, x, s.y, s.h0, s.c0, &s.m);
	memset(s.grads, 0, np * sizeof(float));
	rnn_backward_dense(s.grads, &s.c, x, s.y, &s.m);
	double *want = malloc(np * sizeof(double));
	for (size_t i = 0; i < np; i++)
		want[i] = tok_grads[i];
	tap_check(!memcmp(tok_losses, s.c.losses, n * sizeof(float)) &&
		  worst(s.grads, want, np, 1e-7, 1e-6) <= 1,
		  "%s: one-hot dense inputs give the token path's losses and gradients", arch_name(a));

	struct rng r;
	rng_seed(&r, 99);
	for (size_t i = 0; i < (size_t)n * V; i++)
		x[i] = (float)rng_normal(&r);
	rnn_forward_dense(&s.c, x, s.y, s.h0, s.c0, &s.m);
	memset(s.grads, 0, np * sizeof(float));
	rnn_backward_dense(s.grads, &s.c, x, s.y, &s.m);
	const float *dpre = s.c.ly[0].dpre_ih;
	for (int c = 0; c < V; c++)
		for (int i = 0; i < GH; i++) {
			double v = 0;
			for (int t = 0; t < n; t++)
				v += (double)x[(size_t)t * V + c] * dpre[(size_t)t * GH + i];
			want[(size_t)c * GH + i] = v;
		}
	const float *dW = model_slot(&s.m, s.grads, model_param(0, LP_WEIGHT_IH));
	tap_check(worst(dW, want, (size_t)V * GH, 1e-6, 1e-5) <= 1,
		  "%s: dense inputs: dweight_ih_l0 = x^T dpre_ih", arch_name(a));
	free(tok_grads);
	free(tok_losses);
	free(x);
	free(want);
	setup_free(&s);
}

/* The fast kernel's outputs for one setup, allocated to fit. */
struct fast_out {
	struct itemized it;
	struct itemize_ws w;
};

static void fast_run(struct fast_out *f, struct setup *s)
{
	const size_t n = (size_t)s->n, L = (size_t)s->m.L, G = (size_t)s->m.G;
	itemize_ws_init(&f->w, s->n, &s->m);
	f->it.g = malloc(L * n * n * sizeof(float));
	f->it.E = malloc(L * n * sizeof(float));
	f->it.gq = malloc(L * G * n * n * sizeof(float));
	f->it.Eq = malloc(L * G * n * sizeof(float));
	f->it.uf = malloc(L * n * (size_t)s->m.H * sizeof(float));
	itemize(&f->it, &f->w, &s->c, &s->m);
}

static void fast_free(struct fast_out *f)
{
	free(f->it.g);
	free(f->it.E);
	free(f->it.gq);
	free(f->it.Eq);
	free(f->it.uf);
	itemize_ws_free(&f->w);
}

static double max_abs(const double *a, size_t len)
{
	double m = 0;
	for (size_t i = 0; i < len; i++)
		m = fmax(m, fabs(a[i]));
	return m;
}

/* Fast kernel vs reference, and the identity, at one size, every layer. */
static void test_itemize_vs_reference(struct arch a, int n, int H, int V, float scale)
{
	struct setup s;
	struct fast_out f;
	setup_init(&s, a, n, H, V, scale, 1000 + (uint64_t)(n * 131 + H * 7 + V) + 17 * a.cell);
	setup_run(&s);
	fast_run(&f, &s);
	const int G = s.m.G;
	const size_t nn = (size_t)n * n, HH = (size_t)G * H * H, L = (size_t)a.L;
	double *gr = malloc(L * nn * sizeof(double)), *Er = malloc(L * n * sizeof(double));
	double *gqr = malloc(L * G * nn * sizeof(double)), *Eqr = malloc(L * G * n * sizeof(double));
	double *dW = malloc(L * HH * sizeof(double));
	double *ufr = malloc(L * n * H * sizeof(double));
	itemize_reference(gr, gqr, Er, Eqr, ufr, dW, &s.c, &s.m);
	char what[160];

	for (int l = 0; l < a.L; l++) {
		snprintf(what, sizeof(what), "n=%d H=%d V=%d %s layer %d", n, H, V, arch_name(a), l);
		const float *dW_hh = s.grads + s.m.tab[model_param(l, LP_WEIGHT_HH)].offset;
		const double *dWl = dW + l * HH, *gl = gr + l * nn, *gql = gqr + l * G * nn;
		double dmax = max_abs(dWl, HH), gmax = max_abs(gl, nn), gqmax = max_abs(gql, G * nn);
		double wid = worst(dW_hh, dWl, HH, 1e-6 * dmax, 1e-4);
		tap_check(wid <= 1 && dmax > 0, "%s: sum of itemized G = BPTT dW_hh (worst %.3g)", what, wid);
		double wg = worst(f.it.g + l * nn, gl, nn, 1e-6 * gmax, 1e-4);
		tap_check(wg <= 1 && gmax > 0, "%s: fast g = reference g (worst %.3g)", what, wg);
		const size_t nH = (size_t)n * H;
		const double *ufl = ufr + l * nH, ufmax = max_abs(ufl, nH);
		double wu = worst(f.it.uf + l * nH, ufl, nH, 1e-6 * ufmax, 1e-4);
		tap_check(wu <= 1 && ufmax > 0, "%s: fast unit_flow = reference (worst %.3g)", what, wu);
		const float *E = f.it.E + (size_t)l * n;
		double we = worst(E, Er + (size_t)l * n, (size_t)n, 1e-5, 1e-4);
		tap_check(we <= 1 && E[n - 1] == 0.0f, "%s: fast E = reference E (worst %.3g, E[0]=%.4g)",
			  what, we, E[0]);
		if (G > 1) {
			double wq = worst(f.it.gq + l * G * nn, gql, G * nn, 1e-6 * gqmax, 1e-4);
			tap_check(wq <= 1, "%s: fast g per gate = reference (worst %.3g)", what, wq);
			double weq = worst(f.it.Eq + (size_t)l * G * n, Eqr + (size_t)l * G * n,
					   (size_t)G * n, 1e-5, 1e-4);
			tap_check(weq <= 1, "%s: fast E per gate = reference (worst %.3g)", what, weq);
			double wmean = 0; /* g is the mean of the g_q */
			for (size_t i = 0; i < nn; i++) {
				double m = 0;
				for (int q = 0; q < G; q++)
					m += f.it.gq[(l * G + q) * nn + i];
				wmean = fmax(wmean, fabs(m / G - f.it.g[l * nn + i]) / (1e-7 * gmax + 1e-5 * fabs(m / G)));
			}
			tap_check(wmean <= 1, "%s: g is the mean of the per-gate g_q", what);
		}
		int upper_zero = 1, finite = 1;
		for (int t = 0; t < n; t++)
			for (int j = 0; j < n; j++) {
				float v = f.it.g[l * nn + (size_t)t * n + j];
				if (j > t && v != 0.0f)
					upper_zero = 0;
				if (!isfinite(v))
					finite = 0;
			}
		tap_check(upper_zero && finite, "%s: g is finite and zero above the diagonal", what);
	}
	if (n == 6 && H == 7) { /* break the oracle once */
		gr[(size_t)3 * n + 1] *= 1.01;
		tap_check(worst(f.it.g, gr, nn, 1e-6 * max_abs(gr, nn), 1e-4) > 1,
			  "%s: a reference g off by 1%% is caught", arch_name(a));
		ufr[(size_t)2 * H + 3] *= 1.01;
		tap_check(worst(f.it.uf, ufr, (size_t)n * H, 1e-6 * max_abs(ufr, (size_t)n * H), 1e-4) > 1,
			  "%s: a reference unit_flow off by 1%% is caught", arch_name(a));
	}
	free(gr);
	free(Er);
	free(gqr);
	free(Eqr);
	free(ufr);
	free(dW);
	fast_free(&f);
	setup_free(&s);
}

/* itemize in two halves (g on one workspace, E later from copies on an
 * E-only workspace, as the writer thread does) = itemize, bit for bit. */
static void test_split(struct arch a)
{
	struct setup s;
	struct fast_out f;
	struct itemize_ws w, we;
	struct itemize_defer d;
	int n = 9, H = 7;
	setup_init(&s, a, n, H, 6, 0.5f, 77);
	setup_run(&s);
	fast_run(&f, &s);
	const size_t L = (size_t)a.L, G = (size_t)s.m.G, N = (size_t)n;
	struct itemized it = {
		malloc(L * N * N * sizeof(float)), malloc(L * N * sizeof(float)),
		malloc(L * G * N * N * sizeof(float)), malloc(L * G * N * sizeof(float)),
		malloc(L * N * H * sizeof(float)),
	};
	itemize_ws_init(&w, n, &s.m);
	itemize_errors_ws_init(&we, n, &s.m);
	itemize_defer_init(&d, n, &s.m);
	itemize_split(&it, &w, &s.c, &s.m, &d);
	memset(s.c.ly[0].hs, 0, N * H * sizeof(float)); /* E must come from the copies */
	itemize_errors(&it, &we, &d);
	tap_check(!memcmp(it.g, f.it.g, L * N * N * sizeof(float)) &&
		  !memcmp(it.E, f.it.E, L * N * sizeof(float)) &&
		  !memcmp(it.gq, f.it.gq, L * G * N * N * sizeof(float)) &&
		  !memcmp(it.Eq, f.it.Eq, L * G * N * sizeof(float)) &&
		  !memcmp(it.uf, f.it.uf, L * N * H * sizeof(float)),
		  "%s: itemize_split + itemize_errors = itemize, bit for bit", arch_name(a));
	free(it.g);
	free(it.E);
	free(it.gq);
	free(it.Eq);
	free(it.uf);
	itemize_ws_free(&w);
	itemize_ws_free(&we);
	itemize_defer_free(&d);
	fast_free(&f);
	setup_free(&s);
}

static void test_zero_recurrence(void)
{
	struct setup s;
	struct fast_out f;
	int n = 8, H = 6, V = 5;
	setup_init(&s, (struct arch){ CELL_RNN, ACT_TANH, 1 }, n, H, V, 0.5f, 7);
	memset(s.m.layer[0].W_hh, 0, (size_t)H * H * sizeof(float));
	setup_run(&s);
	fast_run(&f, &s);
	int below = 1, diag = 1, e0 = 1;
	for (int t = 0; t < n; t++) {
		for (int j = 0; j < t; j++)
			if (f.it.g[t * n + j] != 0.0f)
				below = 0;
		if (!(f.it.g[t * n + t] > 0.0f))
			diag = 0;
	}
	for (int k = 0; k < n; k++)
		if (f.it.E[k] != 0.0f)
			e0 = 0;
	tap_check(below && diag, "W_hh = 0: g is zero below the diagonal and positive on it");
	tap_check(e0, "W_hh = 0: E[k] = 0 for every k");
	fast_free(&f);
	setup_free(&s);
}

static void test_all_zero(struct arch a)
{
	struct setup s;
	struct fast_out f;
	int n = 5, H = 4, V = 3;
	setup_init(&s, a, n, H, V, 0.0f, 9);
	memset(s.m.params, 0, s.m.nparams * sizeof(float));
	memset(s.h0, 0, sizeof(s.h0));
	memset(s.c0, 0, sizeof(s.c0));
	setup_run(&s);
	fast_run(&f, &s);
	int ok = 1;
	for (int l = 0; l < a.L; l++) {
		int id = model_param(l, LP_WEIGHT_HH);
		if (grad_norm(s.grads + s.m.tab[id].offset, s.m.tab[id].size, NULL) != 0.0)
			ok = 0;
	}
	for (int k = 0; k < n * a.L; k++)
		if (f.it.E[k] != 0.0f)
			ok = 0;
	for (int k = 0; k < n * a.L * s.m.G && s.m.G > 1; k++)
		if (f.it.Eq[k] != 0.0f)
			ok = 0;
	tap_check(ok, "%s, all weights zero: dW_hh = 0 and E = 0 (not NaN)", arch_name(a));
	fast_free(&f);
	setup_free(&s);
}

/* Skipping the rows of a region whose gradient is zero changes nothing:
 * sgd and adagrad give the same bits as the full step, the norm the same
 * value; adam ignores the skip list (its moments move every parameter). */
static void test_sparse_rows(void)
{
	enum { N = 64, OFF = 8, LEN = 6, ROWS = 7 }; /* region [8, 50) of 64 */
	static const enum optim_kind kinds[3] = { OPT_SGD, OPT_ADAGRAD, OPT_ADAM };
	struct rng r;
	rng_seed(&r, 11);
	float g[N], p0[N];
	int32_t used[2] = { 5, 2 };
	struct sparse_rows sp = { OFF, LEN, ROWS, used, 2 };
	for (int i = 0; i < N; i++) {
		int row = (i - OFF) / LEN;
		int in_region = i >= OFF && i < OFF + LEN * ROWS;
		g[i] = in_region && row != 5 && row != 2 ? 0.0f : (float)rng_normal(&r);
		p0[i] = (float)rng_normal(&r);
	}
	for (int k = 0; k < 3; k++) {
		struct optim a, b;
		float pa[N], pb[N];
		memcpy(pa, p0, sizeof(pa));
		memcpy(pb, p0, sizeof(pb));
		optim_init(&a, kinds[k], 0.1f, N);
		optim_init(&b, kinds[k], 0.1f, N);
		for (int step = 0; step < 3; step++) {
			optim_step(&a, pa, g, 0.5f, NULL);
			optim_step(&b, pb, g, 0.5f, &sp);
		}
		tap_check(!memcmp(pa, pb, sizeof(pa)) && !memcmp(a.mem, b.mem, sizeof(pa)),
			  "%s: skipping rows with a zero gradient gives the same bits",
			  optim_name(kinds[k]));
		optim_free(&a);
		optim_free(&b);
	}
	double full = grad_norm(g, N, NULL), part = grad_norm(g, N, &sp);
	/* OpenBLAS's dsdot sums in blocks: other splits differ in the 9th digit;
	 * the norm is stored as float32 */
	tap_check(fabs(full - part) <= 1e-7 * full && full > 0,
		  "grad_norm over the listed rows = over the block (%.17g, %.17g)", full, part);
	g[OFF + 3 * LEN] = 1.0f; /* a row not listed is not read: the oracle can fail */
	tap_check(grad_norm(g, N, &sp) == part && grad_norm(g, N, NULL) != full,
		  "grad_norm with a skip list reads only the rows listed");
}

/* model_export writes PyTorch's layout: layer 0's W_ih back to (GH, V). */
static void test_export(void)
{
	struct model m;
	struct rng r;
	rng_seed(&r, 3);
	model_init(&m, CELL_LSTM, ACT_TANH, 2, 3, 5);
	model_init_params(&m, 1.0f, 1.0f, &r);
	float *out = malloc(m.nparams * sizeof(float));
	model_export(&m, out, m.params);
	const struct param_info *p = &m.tab[model_param(0, LP_WEIGHT_IH)];
	int ok = p->transposed && p->dims[0] == 12 && p->dims[1] == 5;
	for (size_t i = 0; i < 12; i++)
		for (size_t v = 0; v < 5; v++) /* exported (i, v) = stored row v, column i */
			ok &= out[p->offset + i * 5 + v] == m.layer[0].W_ih[v * 12 + i];
	for (int id = 1; id < m.ntab; id++)
		ok &= !m.tab[id].transposed && !memcmp(out + m.tab[id].offset,
						       m.params + m.tab[id].offset,
						       m.tab[id].size * sizeof(float));
	tap_check(ok, "model_export: layer 0's weight_ih in PyTorch's (GH, V), the rest as stored");
	free(out);
	model_free(&m);
}

static void test_optimizers(void)
{
	/* one step of each optimizer against its formula on one value */
	float p, g = 0.5f;
	struct optim o;
	optim_init(&o, OPT_ADAGRAD, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g, 0.0f, NULL);
	tap_check(fabsf(p - (1.0f - 0.1f * 0.5f / sqrtf(0.25f + 1e-8f))) < 1e-7f, "adagrad step");
	optim_free(&o);
	optim_init(&o, OPT_SGD, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g, 0.0f, NULL);
	tap_check(fabsf(p - 0.95f) < 1e-7f, "sgd step");
	optim_free(&o);
	optim_init(&o, OPT_ADAM, 0.1f, 1);
	p = 1.0f;
	optim_step(&o, &p, &g, 0.0f, NULL);
	/* first Adam step moves by lr * sign(g) (up to eps) */
	tap_check(fabsf(p - 0.9f) < 1e-6f, "adam first step is lr * sign(g)");
	optim_free(&o);

	float gr[7] = { 3.0f, -4.0f, 0.5f, 0.0f, 2.0f, -0.25f, 1.0f };
	double want = sqrt(9 + 16 + 0.25 + 4 + 0.0625 + 1);
	tap_check(fabs(grad_norm(gr, 7, NULL) - want) < 1e-6, "grad_norm is the L2 norm");
	/* clipping happens inside the step, element-wise: sgd with lr 1 shows it */
	float ps[7] = { 0 }, keep[7];
	memcpy(keep, gr, sizeof(gr));
	optim_init(&o, OPT_SGD, 1.0f, 7);
	optim_step(&o, ps, gr, 1.0f, NULL);
	tap_check(ps[0] == -1.0f && ps[1] == 1.0f && ps[2] == -0.5f && ps[3] == 0.0f &&
		  ps[4] == -1.0f && ps[5] == 0.25f && ps[6] == -1.0f &&
		  !memcmp(gr, keep, sizeof(gr)) && fabs(grad_norm(gr, 7, NULL) - want) < 1e-6,
		  "the step clips each element to [-clip, clip]; the gradient and its norm stay unclipped");
	optim_free(&o);
	float pa[2] = { 0 }, big[2] = { 7.0f, -9.0f };
	optim_init(&o, OPT_SGD, 1.0f, 2);
	optim_step(&o, pa, big, 0.0f, NULL);
	tap_check(pa[0] == -7.0f && pa[1] == 9.0f, "clip 0 turns clipping off");
	optim_free(&o);
	float pq[2] = { 0 }, g2[2] = { 0.5f, 3.0f };
	optim_init(&o, OPT_ADAGRAD, 0.1f, 2);
	optim_step(&o, pq, g2, 1.0f, NULL);
	tap_check(fabsf(pq[1] - (-0.1f * 1.0f / sqrtf(1.0f + 1e-8f))) < 1e-7f &&
		  fabsf(o.mem[1] - 1.0f) < 1e-7f, "adagrad accumulates the clipped gradient");
	optim_free(&o);
	test_sparse_rows();
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

/* Each layer's state (and the LSTM's cell state) carries into the next
 * batch: a record's h0/c0 are the previous record's last h_t/c_t. */
static void test_carried_state(struct arch a)
{
	int32_t ids[200];
	for (int i = 0; i < 200; i++)
		ids[i] = (i * 7 + i / 5) % 6;
	struct train_config cfg = { .cell = a.cell, .layers = a.L, .H = 5, .V = 6, .n = 8,
				    .act = a.act, .optim = OPT_ADAGRAD, .lr = 0.1f, .clip = 5.0f,
				    .init_scale = 0.3f, .forget_bias = 1.0f, .seed = 5 };
	struct trainer tr;
	struct record r[2];
	struct batch_stats st;
	trainer_init(&tr, &cfg, ids, 200);
	record_alloc(&r[0], &tr.m, tr.cfg.n, 0, 1);
	record_alloc(&r[1], &tr.m, tr.cfg.n, 0, 1);
	trainer_step(&tr, &st, &r[0]);
	trainer_step(&tr, &st, &r[1]);
	const size_t n = 8, H = 5;
	int same = 1, moved = 0;
	for (int l = 0; l < a.L; l++) {
		const float *last_h = r[0].hidden + (l * n + n - 1) * H;
		if (memcmp(r[1].h0 + l * H, last_h, H * sizeof(float)))
			same = 0;
		if (r[0].cell && memcmp(r[1].c0 + l * H, r[0].cell + (l * n + n - 1) * H, H * sizeof(float)))
			same = 0;
		for (size_t i = 0; i < H; i++)
			moved |= last_h[i] != 0.0f;
	}
	tap_check(same && moved && (a.cell != CELL_LSTM || r[0].c0),
		  "%s: every layer's h (and c) carries into the next batch", arch_name(a));
	float first = 0, last = 0;
	for (int i = 0; i < 300; i++) {
		trainer_step(&tr, &st, NULL);
		if (i == 0)
			first = st.loss;
		last = st.loss;
	}
	tap_check(last < 0.5f * first, "%s: training lowers the loss on a periodic corpus (%.3f -> %.3f)",
		  arch_name(a), first, last);
	record_free(&r[0]);
	record_free(&r[1]);
	trainer_free(&tr);
}

/* rnn_stream over a text in chunks of 7 (and a shorter last one) gives the
 * states of one rnn_forward over the whole text from zero state; and the
 * comparison can fail: a forward from another start differs. */
static void test_stream(struct arch a)
{
	enum { T = 50, H = 5, V = 6 };
	struct setup s;
	struct rnn_stream st;
	setup_init(&s, a, T, H, V, 0.7f, 21);
	float zeros[MAXL * MAXH] = { 0 };
	rnn_forward(&s.c, s.x, s.y, zeros, zeros, &s.m);
	rnn_stream_init(&st, &s.m, 7);
	double w = 0;
	for (int t0 = 0; t0 < T; t0 += 7) {
		int count = T - t0 < 7 ? T - t0 : 7;
		rnn_stream_run(&st, s.x + t0, s.y + t0, count, &s.m);
		for (int l = 0; l < a.L; l++)
			for (int k = 0; k < 2; k++) {
				const float *got = k ? rnn_stream_cell(&st, l, &s.m)
						     : rnn_stream_hidden(&st, l, &s.m);
				const float *want = k ? s.c.ly[l].cs : s.c.ly[l].hs;
				if (!got)
					continue;
				double ref[7 * H];
				for (int i = 0; i < count * H; i++)
					ref[i] = want[(size_t)(t0 + 1) * H + i];
				double e = worst(got, ref, (size_t)count * H, 1e-6, 1e-5);
				w = e > w ? e : w;
			}
	}
	tap_check(w <= 1, "%s: rnn_stream in chunks of 7 = one rnn_forward over 50 steps (worst %.2g)",
		  arch_name(a), w);
	/* the last chunk alone from zero state: what forgetting to carry gives */
	const int last = T % 7 ? T % 7 : 7;
	struct rnn_cache alone;
	rnn_cache_init(&alone, last, &s.m);
	rnn_forward(&alone, s.x + T - last, s.y + T - last, zeros, zeros, &s.m);
	double ref[7 * H];
	for (int i = 0; i < last * H; i++)
		ref[i] = alone.ly[a.L - 1].hs[H + i];
	double far = worst(rnn_stream_hidden(&st, a.L - 1, &s.m), ref, (size_t)last * H, 1e-6, 1e-5);
	tap_check(far > 1, "%s: ... and is told apart from chunks that do not carry the state (%.2g)",
		  arch_name(a), far);
	rnn_cache_free(&alone);
	/* model_import undoes model_export */
	float *pt = malloc(s.m.nparams * sizeof(float)), *back = calloc(s.m.nparams, sizeof(float));
	model_export(&s.m, pt, s.m.params);
	model_import(&s.m, back, pt);
	tap_check(!memcmp(back, s.m.params, s.m.nparams * sizeof(float)),
		  "%s: model_import of model_export gives the block back", arch_name(a));
	free(pt);
	free(back);
	rnn_stream_free(&st);
	setup_free(&s);
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

/* Each enum's names in one table: name and parse agree for every kind,
 * and a value no kind has (a damaged checkpoint's) is "?", not a kind. */
static void test_names(void)
{
	const char *cells[] = { "rnn", "lstm", "gru" }, *acts[] = { "tanh", "relu", "sigmoid" };
	const char *opts[] = { "adagrad", "sgd", "adam" };
	int ok = 1;
	for (int i = 0; i < 3; i++) {
		enum cell_kind c;
		enum act_kind a;
		enum optim_kind o;
		ok &= cell_parse(cells[i], &c) == 0 && !strcmp(cell_name(c), cells[i]);
		ok &= act_parse(acts[i], &a) == 0 && !strcmp(act_name(a), acts[i]);
		ok &= optim_parse(opts[i], &o) == 0 && !strcmp(optim_name(o), opts[i]);
	}
	enum cell_kind c = CELL_GRU;
	ok &= cell_parse("gru2", &c) < 0 && cell_parse("", &c) < 0 && c == CELL_GRU;
	tap_check(ok, "names: cell, activation and optimizer names parse back to themselves");
	tap_check(!strcmp(cell_name((enum cell_kind)3), "?") && !strcmp(act_name((enum act_kind)-1), "?") &&
		  !strcmp(optim_name((enum optim_kind)7), "?"),
		  "names: a value no kind has is named '?' (was: the default kind's name)");
	char buf[64];
	tap_check(!strcmp(names_list(&cell_names, buf, sizeof(buf)), "rnn, lstm or gru") &&
		  !strcmp(names_list(&optim_names, buf, sizeof(buf)), "adagrad, sgd or adam") &&
		  !strcmp(names_list(&act_names, buf, 8), "tanh, r"),
		  "names: the choices of a usage message, cut to the buffer");
}

/* A minibatch of B sequences (rnn_cache_init_batch): its loss is the sum
 * of the sequences' losses from their own states, and its gradient that
 * sum's finite differences (the double reference, sequence by sequence). */
static void test_minibatch_fd(struct arch a, int B)
{
	enum { N = 5, H = 6, V = 7, BMAX = 8 };
	struct setup s;
	setup_init(&s, a, N, H, V, 0.5f, 77 + B + 10 * a.cell + 100 * a.L);
	struct rng r;
	rng_seed(&r, 5 + B);
	int32_t x[BMAX][N], y[BMAX][N], xb[N * BMAX], yb[N * BMAX];
	float h0[BMAX][MAXL * H], c0[BMAX][MAXL * H], hb[MAXL * BMAX * H], cb[MAXL * BMAX * H];
	for (int b = 0; b < B; b++) {
		for (int t = 0; t < N; t++) {
			xb[t * B + b] = x[b][t] = (int32_t)(rng_next(&r) % V);
			yb[t * B + b] = y[b][t] = (int32_t)(rng_next(&r) % V);
		}
		for (int l = 0; l < a.L; l++)
			for (int i = 0; i < H; i++) { /* (L, B, H) */
				hb[(l * B + b) * H + i] = h0[b][l * H + i] = (float)(0.5 * rng_normal(&r));
				cb[(l * B + b) * H + i] = c0[b][l * H + i] =
					a.cell == CELL_LSTM ? (float)(0.5 * rng_normal(&r)) : 0.0f;
			}
	}
	struct rnn_cache c;
	rnn_cache_init_batch(&c, N, B, &s.m);
	double Lf = rnn_forward(&c, xb, yb, hb, cb, &s.m);
	memset(s.grads, 0, s.m.nparams * sizeof(float));
	rnn_backward(s.grads, &c, xb, yb, &s.m);

	size_t np = s.m.nparams;
	double *p = malloc(np * sizeof(double)), *fd = malloc(np * sizeof(double));
	for (size_t i = 0; i < np; i++)
		p[i] = s.m.params[i];
	double Lr = 0;
	for (int b = 0; b < B; b++)
		Lr += ref_loss(&s.m, p, x[b], y[b], h0[b], c0[b], N);
	tap_check(fabs(Lf - Lr) <= 1e-5 * fabs(Lr), "%s B=%d: minibatch loss %.9g = sum of the "
		  "sequences' reference losses %.9g", arch_name(a), B, Lf, Lr);
	const double eps = 1e-6;
	for (size_t i = 0; i < np; i++) {
		double keep = p[i], lp = 0, lm = 0;
		for (int b = 0; b < B; b++) {
			p[i] = keep + eps;
			lp += ref_loss(&s.m, p, x[b], y[b], h0[b], c0[b], N);
			p[i] = keep - eps;
			lm += ref_loss(&s.m, p, x[b], y[b], h0[b], c0[b], N);
		}
		p[i] = keep;
		fd[i] = (lp - lm) / (2 * eps);
	}
	double w = 0;
	int at = -1;
	for (int id = 0; id < s.m.ntab; id++) {
		size_t off = s.m.tab[id].offset;
		double e = worst(s.grads + off, fd + off, s.m.tab[id].size, 1e-4, 1e-3);
		if (!(e <= w)) {
			w = e;
			at = id;
		}
	}
	tap_check(w <= 1, "%s B=%d: every parameter's minibatch gradient matches finite "
		  "differences (worst %.3g of tolerance, in %s)", arch_name(a), B, w,
		  at >= 0 ? s.m.tab[at].name : "-");
	free(p);
	free(fd);
	rnn_cache_free(&c);
	setup_free(&s);
}

/* S identical sequences itemized together: each G_{t,j} is S times the
 * one sequence's, so g is S times its g and E is its E (an independent
 * check of the S > 1 kernel against the rank-one one). */
static void test_itemize_copies(struct arch a, int S)
{
	enum { N = 6, H = 5, V = 7 };
	struct setup s;
	setup_init(&s, a, N, H, V, 0.6f, 11 + S + a.cell);
	setup_run(&s);
	const int L = a.L, G = s.m.G;
	int32_t xb[N * 4], yb[N * 4];
	float hb[MAXL * 4 * H], cb[MAXL * 4 * H];
	for (int t = 0; t < N; t++)
		for (int b = 0; b < S; b++) {
			xb[t * S + b] = s.x[t];
			yb[t * S + b] = s.y[t];
		}
	for (int l = 0; l < L; l++)
		for (int b = 0; b < S; b++)
			for (int i = 0; i < H; i++) {
				hb[(l * S + b) * H + i] = s.h0[l * H + i];
				cb[(l * S + b) * H + i] = s.c0[l * H + i];
			}
	struct rnn_cache c;
	struct itemize_ws w1, wS;
	rnn_cache_init_batch(&c, N, S, &s.m);
	rnn_forward(&c, xb, yb, hb, cb, &s.m);
	float *gr = calloc(s.m.nparams, sizeof(float));
	rnn_backward(gr, &c, xb, yb, &s.m);
	size_t gl = (size_t)L * N * N, el = (size_t)L * N;
	float *buf = calloc(2 * (gl + el) * (1 + G), sizeof(float));
	struct itemized one = { buf, buf + gl, buf + gl + el, buf + gl + el + G * gl };
	float *b2 = buf + (gl + el) * (1 + G);
	struct itemized many = { b2, b2 + gl, b2 + gl + el, b2 + gl + el + G * gl };
	if (G == 1)
		one.gq = one.Eq = many.gq = many.Eq = NULL;
	itemize_ws_init(&w1, N, &s.m);
	itemize_ws_init_batch(&wS, N, S, &s.m);
	itemize(&one, &w1, &s.c, &s.m);
	itemize(&many, &wS, &c, &s.m);
	double gw = 0, ew = 0;
	for (size_t i = 0; i < gl * (G > 1 ? 1 + G : 1); i++) {
		const float *g1 = i < gl ? one.g + i : one.gq + (i - gl);
		const float *gS = i < gl ? many.g + i : many.gq + (i - gl);
		gw = fmax(gw, fabs(*gS - S * *g1) / (1e-7 + 1e-4 * S * fabs(*g1)));
	}
	for (size_t i = 0; i < el * (G > 1 ? 1 + G : 1); i++) {
		const float *e1 = i < el ? one.E + i : one.Eq + (i - el);
		const float *eS = i < el ? many.E + i : many.Eq + (i - el);
		ew = fmax(ew, fabs(*eS - *e1) / 2e-4);
	}
	tap_check(gw <= 1, "%s S=%d copies: g (and g per gate) is S times one sequence's "
		  "(worst %.3g of tolerance)", arch_name(a), S, gw);
	tap_check(ew <= 1, "%s S=%d copies: E (and E per gate) is one sequence's (worst %.3g "
		  "of tolerance)", arch_name(a), S, ew);
	itemize_ws_free(&w1);
	itemize_ws_free(&wS);
	free(buf);
	free(gr);
	rnn_cache_free(&c);
	setup_free(&s);
}

int main(void)
{
	const struct arch rnn_tanh = { CELL_RNN, ACT_TANH, 1 }, rnn_relu = { CELL_RNN, ACT_RELU, 1 };
	const struct arch rnn_sig = { CELL_RNN, ACT_SIGMOID, 1 }, rnn2 = { CELL_RNN, ACT_TANH, 2 };
	const struct arch lstm = { CELL_LSTM, ACT_TANH, 1 }, lstm2 = { CELL_LSTM, ACT_TANH, 2 };
	const struct arch gru = { CELL_GRU, ACT_TANH, 1 }, gru2 = { CELL_GRU, ACT_TANH, 2 };
	const struct arch lstm3 = { CELL_LSTM, ACT_TANH, 3 }, gru3 = { CELL_GRU, ACT_TANH, 3 };
	const struct arch rnn3 = { CELL_RNN, ACT_RELU, 3 };
	const struct arch all[] = { rnn_tanh, rnn_relu, rnn_sig, rnn2, lstm, lstm2, gru, gru2 };
	openblas_set_num_threads(1);
	test_fastmath();
	test_names();
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		test_finite_differences(all[i]);
		test_itemize_vs_reference(all[i], 6, 7, 11, 0.5f);
	}
	test_finite_differences(lstm3);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		test_minibatch_fd(all[i], 2 + (int)i % 7);
	test_minibatch_fd(lstm3, 8);
	test_itemize_copies(rnn_tanh, 3);
	test_itemize_copies(lstm2, 2);
	test_itemize_copies(gru2, 4);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		test_dense(all[i]);
	test_itemize_vs_reference(rnn_relu, 9, 5, 3, 0.6f);
	test_itemize_vs_reference(rnn_sig, 4, 12, 7, 0.8f);
	test_itemize_vs_reference(rnn_tanh, 25, 100, 65, 0.1f);
	test_itemize_vs_reference(rnn_tanh, 1, 3, 2, 0.5f);
	test_itemize_vs_reference(lstm, 25, 40, 30, 0.2f);
	test_itemize_vs_reference(gru, 25, 40, 30, 0.2f);
	test_itemize_vs_reference(lstm3, 9, 5, 4, 0.7f);
	test_itemize_vs_reference(gru3, 10, 6, 3, 0.7f);
	test_itemize_vs_reference(rnn3, 8, 9, 5, 0.6f);
	test_itemize_vs_reference(lstm2, 1, 3, 2, 0.5f);
	test_split(rnn_tanh);
	test_split(lstm2);
	test_split(gru2);
	test_zero_recurrence();
	test_all_zero(rnn_tanh);
	test_all_zero(rnn_sig);
	test_all_zero(lstm2);
	test_all_zero(gru2);
	test_optimizers();
	test_export();
	test_trainer();
	test_carried_state(lstm2);
	test_carried_state(gru2);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		test_stream(all[i]);
	return tap_done();
}
