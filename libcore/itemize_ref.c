/*
 * itemize_ref.c - the plain reference for itemized BPTT: forms every
 * G_{t,j} = delta_{t,j} h_{j-1}^T as an HxH matrix in double precision,
 * straight from SPEC 1. Tests hold the fast kernel against it.
 */
#include "itemize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void itemize_reference(double *g, double *E, double *dW, const struct rnn_cache *c,
		       const struct model *m)
{
	const int n = c->n, H = m->H;
	const size_t HH = (size_t)H * H;
	double *S = calloc((size_t)n * HH, sizeof(double)); /* (n, H, H) by lag */
	double *delta = malloc((size_t)H * sizeof(double));
	double *tmp = malloc((size_t)H * sizeof(double));

	memset(g, 0, (size_t)n * n * sizeof(double));
	for (int t = 0; t < n; t++) {
		for (int i = 0; i < H; i++)
			delta[i] = (double)c->dact[(size_t)t * H + i] *
				   c->dh_out[(size_t)t * H + i];
		for (int j = t; j >= 0; j--) {
			const float *hprev = c->hs + (size_t)j * H; /* h_{j-1} */
			double *Sd = S + (size_t)(t - j) * HH;
			double sum = 0.0;
			for (int a = 0; a < H; a++)
				for (int b = 0; b < H; b++) {
					double G = delta[a] * hprev[b];
					sum += fabs(G);
					Sd[(size_t)a * H + b] += G;
				}
			g[(size_t)t * n + j] = sum / (double)HH;
			if (j == 0)
				break;
			/* delta_{t,j-1} = act'(z_{j-1}) * (W_hh^T delta_{t,j}) */
			for (int b = 0; b < H; b++) {
				double s = 0.0;
				for (int a = 0; a < H; a++)
					s += (double)m->W_hh[(size_t)a * H + b] * delta[a];
				tmp[b] = s * c->dact[(size_t)(j - 1) * H + b];
			}
			memcpy(delta, tmp, (size_t)H * sizeof(double));
		}
	}

	double total = 0.0;
	for (size_t e = 0; e < HH; e++) {
		double s = 0.0;
		for (int d = 0; d < n; d++)
			s += S[(size_t)d * HH + e];
		total += s * s;
		if (dW)
			dW[e] = s;
	}
	for (int k = 0; k < n; k++) {
		double r = 0.0;
		for (size_t e = 0; e < HH; e++) {
			double s = 0.0;
			for (int d = k + 1; d < n; d++)
				s += S[(size_t)d * HH + e];
			r += s * s;
		}
		E[k] = total > 0.0 ? sqrt(r / total) : 0.0;
	}
	free(S);
	free(delta);
	free(tmp);
}
