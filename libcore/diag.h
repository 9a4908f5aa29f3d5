/*
 * diag.h - diagnostics of one recorded batch and layer (SPEC 1): how
 * saturated each activation of the cell is, the spectrum of the recurrent
 * matrix (per gate block), and the fired flags that tell dead relu units.
 * Pure computation over a forward cache and a model; no I/O.
 *
 * Workload: once per record and layer (n ~ 25..256, H ~ 32..512); the
 * fired flags once per training batch (one pass over h). The spectrum is
 * LAPACK (sgeev, sgesvd through OpenBLAS) on a workspace allocated once:
 * O(H^3) per gate block, about a millisecond at H = 100.
 */
#ifndef RNNBOW_DIAG_H
#define RNNBOW_DIAG_H

#include "model.h"
#include "rnn.h"

#include <stdint.h>

/* Activations of a cell, in this fixed order:
 *   vanilla: its act ("tanh", "relu" or "sigmoid"), 1 entry;
 *   LSTM: "i", "f", "g", "o" (the gates) and "tanh_c" (tanh(c_t)), 5;
 *   GRU: "r", "z", "n", 3.
 * The first G entries are the gates in W_hh's block order. */
#define DIAG_MAX_ACTS 5

/* The saturation of one activation f over the n x H entries of a batch
 * (n*B x H for a minibatch of B sequences: every sequence counts). */
struct diag_act {
	const char *name;    /* a static string, see above */
	double fmax;         /* f'_max: tanh 1, sigmoid 1/4, relu 1 */
	double saturated;    /* share of entries with f'(z) < 0.01 f'_max (relu: 0) */
	double gamma;        /* mean f'(z) */
	double gamma_max;    /* max f'(z) */
};

/* The number of activations of m's cell (1, 5 or 3), and their names in
 * order into names (DIAG_MAX_ACTS) when names is not NULL. */
int diag_acts(const struct model *m, const char **names);

/* Fills out (DIAG_MAX_ACTS) with the saturation of each activation of
 * layer l over the batch that rnn_forward left in c; returns their count.
 * f'(z) comes from the stored values: vanilla act'(z_t) as kept, gates
 * y = sigmoid: y(1-y), y = tanh: 1-y^2. */
int diag_saturation(struct diag_act *out, const struct rnn_cache *c, int l,
		    const struct model *m);

/* LAPACK's workspace for H x H blocks, allocated once and reused. */
struct diag_work {
	int H;
	float *a;      /* (H, H) the block, destroyed by LAPACK */
	float *wr, *wi; /* (H) eigenvalues */
	float *s;      /* (H) singular values */
	float *work;   /* (lwork) */
	int lwork;
};

/* Returns 0, or -1 when out of memory (w is then freed). */
int diag_work_init(struct diag_work *w, int H);
void diag_work_free(struct diag_work *w);

/* For each of the G row blocks of W_hh (GH, H) - the whole matrix for the
 * vanilla cell, each gate's H x H block for gated cells - the spectral
 * radius rho[q] (largest |eigenvalue|) and largest singular value
 * sigma[q]. Returns 0, or -1 when LAPACK did not converge or a value is
 * not finite (rho and sigma then hold NaN for that block). */
int diag_spectrum(double *rho, double *sigma, struct diag_work *w, const float *W_hh, int G,
		  int H);

/* The largest singular value of the whole W_hh (G*H, H) of a gated cell:
 * the square root of the largest eigenvalue of W_hh^T W_hh (H x H, one
 * sgemm into the workspace, then sgesvd), so the H x H workspace serves;
 * float32 Gram matrices lose nothing that matters for the largest value
 * (relative error ~1e-7 of sigma^2). Returns 0, or -1 (and NaN) when W_hh
 * is not finite or LAPACK did not converge. */
int diag_sigma_whole(double *sigma, struct diag_work *w, const float *W_hh, int G, int H);

/* The bound of SPEC 1 per block: lambda[q] = sigma[q] * acts[q].gamma_max
 * for q < G, the gate of block q being activation q (diag_acts' order).
 * For the vanilla cell ||dh_t/dh_k|| <= lambda^(t-k); for gated cells it
 * is each gate's indicator, not a bound on the whole Jacobian. */
void diag_lambda(double *lambda, const double *sigma, const struct diag_act *acts, int G);

/* ORs one batch's firing into fired (H): fired[u] = 1 when h_t[u] > 0 at
 * some step of h (n, H) (a layer cache's hs + H). The caller keeps fired
 * over as many batches as the window spans and zeroes it to restart. */
void diag_fired_or(uint8_t *fired, const float *h, int n, int H);
/* Units of fired (H) that never fired: the dead units of the window. */
int diag_dead_count(const uint8_t *fired, int H);

#endif
