/*
 * trace.c - the unit-level graph of one batch and the greedy walk of
 * gradient tracing (see trace.h; the edge rules are docs/ANALYSIS.md's
 * "Gradient tracing"). Everything is read from rnn.c's cache after one
 * forward and backward: g_u of a pre-activation is dpre_ih (dL/dz, for the
 * GRU's n block the derivative of the whole pre-activation of n), of h
 * the kept dL/dh_t, of c dL/dc_t, of a logit p - onehot(y).
 *
 * Legend: n = steps, H = hidden, V = vocabulary, G = gates, L = layers,
 * K = vertex blocks per step and layer (G, then c for LSTM, then h).
 */
#include "trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int lstm(const struct trace_graph *g) { return g->m->cell == CELL_LSTM; }
static int gru(const struct trace_graph *g) { return g->m->cell == CELL_GRU; }
static int kc(const struct trace_graph *g) { return g->m->G; }              /* block of c */
static int kh(const struct trace_graph *g) { return g->m->G + lstm(g); }    /* block of h */

/* id of unit i of block k at step t, layer l */
static size_t vid(const struct trace_graph *g, int t, int l, int k, int i)
{
	const size_t H = (size_t)g->m->H;
	return (size_t)t * g->S + ((size_t)l * g->K + (size_t)k) * H + (size_t)i;
}

static size_t logit_id(const struct trace_graph *g, int t, int k)
{
	return (size_t)t * g->S + (size_t)g->m->L * g->K * g->m->H + (size_t)k;
}

static size_t loss_id(const struct trace_graph *g, int t) { return logit_id(g, t, g->m->V); }

int trace_graph_init(struct trace_graph *g, const struct model *m, int n)
{
	const size_t H = (size_t)m->H, GH = (size_t)m->G * H;
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->n = n;
	g->K = m->G + 1 + (m->cell == CELL_LSTM);
	g->S = (size_t)m->L * g->K * H + (size_t)m->V + 1;
	g->nv = (size_t)n * g->S + 1;
	size_t fan = 2 * GH + (size_t)m->V + 2;
	if (rnn_cache_init(&g->c, n, m) < 0)
		return -1;
	g->grads = malloc(m->nparams * sizeof(float));
	g->next = malloc(g->nv * sizeof(int64_t));
	g->nterm = malloc(g->nv * sizeof(float));
	g->eu = malloc(fan * sizeof(size_t));
	g->ew = malloc(fan * sizeof(double));
	if (m->cell == CELL_LSTM)
		g->gc = malloc((size_t)m->L * n * H * sizeof(float));
	if (rnn_cache_keep_adjoints(&g->c, m) < 0 || !g->grads || !g->next || !g->nterm ||
	    !g->eu || !g->ew || (m->cell == CELL_LSTM && !g->gc)) {
		trace_graph_free(g);
		return -1;
	}
	return 0;
}

void trace_graph_free(struct trace_graph *g)
{
	rnn_cache_free(&g->c);
	free(g->grads);
	free(g->gc);
	free(g->next);
	free(g->nterm);
	free(g->eu);
	free(g->ew);
	memset(g, 0, sizeof(*g));
}

void trace_graph_run(struct trace_graph *g, const int32_t *x, const int32_t *y,
		     const float *h0, const float *c0)
{
	const struct model *m = g->m;
	memset(g->grads, 0, m->nparams * sizeof(float));
	g->loss = rnn_forward(&g->c, x, y, h0, c0, m);
	rnn_backward(g->grads, &g->c, x, y, m);
	trace_graph_adjoints(g, x, g->loss);
}

void trace_graph_adjoints(struct trace_graph *g, const int32_t *x, double loss)
{
	const struct model *m = g->m;
	const int n = g->n, H = m->H, GH = m->G * H;
	g->x = x;
	g->loss = loss;
	/* dL/dc_t = through c_{t+1} (kept by backward) + through h_t */
	for (int l = 0; lstm(g) && l < m->L; l++) {
		const struct layer_cache *lc = &g->c.ly[l];
		for (int t = 0; t < n; t++)
			for (int i = 0; i < H; i++) {
				size_t o = (size_t)t * H + i;
				float og = lc->gates[(size_t)t * GH + 3 * H + i], tc = lc->aux[o];
				g->gc[((size_t)l * n + t) * H + i] =
					lc->dcs[o] + lc->dhs[o] * og * (1.0f - tc * tc);
			}
	}
	for (size_t v = 0; v < g->nv; v++)
		g->next[v] = -1;
}

void trace_vertex_of(const struct trace_graph *g, size_t id, struct trace_vertex *v)
{
	const size_t H = (size_t)g->m->H, LKH = (size_t)g->m->L * g->K * H;
	v->gate = -1;
	if (id >= (size_t)g->n * g->S) {
		*v = (struct trace_vertex){ -1, -1, -1, -1, TN_ROOT };
		return;
	}
	size_t r = id % g->S;
	v->step = (int)(id / g->S);
	if (r >= LKH) {
		v->layer = g->m->L;
		v->unit = r - LKH < (size_t)g->m->V ? (int)(r - LKH) : 0;
		v->node = r - LKH < (size_t)g->m->V ? TN_LOGIT : TN_LOSS;
		return;
	}
	int k = (int)(r % (g->K * H) / H);
	v->layer = (int)(r / (g->K * H));
	v->unit = (int)(r % H);
	if (k < g->m->G) {
		v->node = TN_Z;
		v->gate = k;
	} else {
		v->node = k == kh(g) ? TN_H : TN_C;
	}
}

const char *trace_node_name(const struct trace_graph *g, const struct trace_vertex *v,
			    char buf[8])
{
	static const char *const names[] = { "z", "c", "h", "logit", "loss", "L" };
	if (v->node != TN_Z || g->m->cell == CELL_RNN)
		return names[v->node];
	const char *gn = cell_gate_names(g->m->cell); /* "i,f,g,o": gate q at 2q */
	buf[0] = 'z';
	buf[1] = '_';
	buf[2] = gn[2 * v->gate];
	buf[3] = 0;
	return buf;
}

double trace_grad(const struct trace_graph *g, size_t id)
{
	struct trace_vertex v;
	const int H = g->m->H, GH = g->m->G * H;
	trace_vertex_of(g, id, &v);
	const struct layer_cache *lc = v.layer >= 0 && v.layer < g->m->L ? &g->c.ly[v.layer] : NULL;
	switch (v.node) {
	case TN_Z: return lc->dpre_ih[(size_t)v.step * GH + v.gate * H + v.unit];
	case TN_C: return g->gc[((size_t)v.layer * g->n + v.step) * H + v.unit];
	case TN_H: return lc->dhs[(size_t)v.step * H + v.unit];
	case TN_LOGIT: return g->c.dlogits[(size_t)v.step * g->m->V + v.unit];
	default: return 1.0;
	}
}

/* ---- the edges of each cell ---- */

static void edge(struct trace_graph *g, int *k, size_t u, double w)
{
	g->eu[*k] = u;
	g->ew[*k] = w;
	(*k)++;
}

/* z of gate q, unit i: the cell's element-wise step consumes it. */
static void z_consumers(struct trace_graph *g, const struct trace_vertex *v, int *k)
{
	const int H = g->m->H, GH = g->m->G * H, t = v->step, l = v->layer, i = v->unit;
	const struct layer_cache *lc = &g->c.ly[l];
	const float *gt = lc->gates + (size_t)t * GH;
	if (g->m->cell == CELL_RNN) { /* h = act(z): the cache holds act'(z) */
		edge(g, k, vid(g, t, l, kh(g), i), gt[i]);
	} else if (lstm(g)) { /* c = f c' + i g, h = o tanh(c) */
		float ig = gt[i], fg = gt[H + i], gg = gt[2 * H + i], og = gt[3 * H + i];
		float cp = lc->cs[(size_t)t * H + i], tc = lc->aux[(size_t)t * H + i];
		double w[4] = { gg * ig * (1.0 - ig), cp * fg * (1.0 - fg), ig * (1.0 - gg * gg),
				tc * og * (1.0 - og) };
		edge(g, k, vid(g, t, l, v->gate == 3 ? kh(g) : kc(g), i), w[v->gate]);
	} else { /* n = tanh(z_n), z_n = W_in u + b_in + r (W_hn h' + b_hn); h = (1-z) n + z h' */
		float r = gt[i], z = gt[H + i], nn = gt[2 * H + i];
		float hp = lc->hs[(size_t)t * H + i], hn = lc->aux[(size_t)t * H + i];
		if (v->gate == 0)
			edge(g, k, vid(g, t, l, 2, i), r * (1.0 - r) * hn);
		else if (v->gate == 1)
			edge(g, k, vid(g, t, l, kh(g), i), (hp - nn) * z * (1.0 - z));
		else
			edge(g, k, vid(g, t, l, kh(g), i), (1.0 - z) * (1.0 - nn * nn));
	}
}

/* h of unit j: the layer above (or the logits) at the same step, then the
 * own layer's gates at t+1 (and, GRU, h_{t+1} through the carry). */
static void h_consumers(struct trace_graph *g, const struct trace_vertex *v, int *k)
{
	const struct model *m = g->m;
	const int H = m->H, GH = m->G * H, t = v->step, l = v->layer, j = v->unit;
	if (l + 1 < m->L) {
		const float *W = m->layer[l + 1].W_ih; /* (GH, H) */
		for (int r = 0; r < GH; r++)
			edge(g, k, vid(g, t, l + 1, 0, r), W[(size_t)r * H + j]);
	} else {
		for (int o = 0; o < m->V; o++)
			edge(g, k, logit_id(g, t, o), m->W_out[(size_t)o * H + j]);
	}
	if (t + 1 >= g->n)
		return;
	const float *W = m->layer[l].W_hh; /* (GH, H) */
	const float *gn = g->c.ly[l].gates + (size_t)(t + 1) * GH;
	for (int r = 0; r < GH; r++) {
		double w = W[(size_t)r * H + j];
		if (gru(g) && r >= 2 * H) /* the reset gate scales W_hn h' inside n */
			w *= gn[r - 2 * H];
		edge(g, k, vid(g, t + 1, l, 0, r), w);
	}
	if (gru(g))
		edge(g, k, vid(g, t + 1, l, kh(g), j), gn[H + j]);
}

int trace_consumers(struct trace_graph *g, size_t id)
{
	struct trace_vertex v;
	int k = 0;
	trace_vertex_of(g, id, &v);
	switch (v.node) {
	case TN_Z: z_consumers(g, &v, &k); break;
	case TN_C: {
		const int H = g->m->H, GH = g->m->G * H;
		const struct layer_cache *lc = &g->c.ly[v.layer];
		float og = lc->gates[(size_t)v.step * GH + 3 * H + v.unit];
		float tc = lc->aux[(size_t)v.step * H + v.unit];
		edge(g, &k, vid(g, v.step, v.layer, kh(g), v.unit), og * (1.0 - tc * tc));
		if (v.step + 1 < g->n)
			edge(g, &k, vid(g, v.step + 1, v.layer, kc(g), v.unit),
			     lc->gates[(size_t)(v.step + 1) * GH + H + v.unit]);
		break;
	}
	case TN_H: h_consumers(g, &v, &k); break;
	case TN_LOGIT: /* dL_t/do = p - onehot(y) */
		edge(g, &k, loss_id(g, v.step), g->c.dlogits[(size_t)v.step * g->m->V + v.unit]);
		break;
	case TN_LOSS: edge(g, &k, g->nv - 1, 1.0); break;
	default: break;
	}
	return k;
}

/* |term| for choosing: a NaN ranks below every number */
static double mag(double term)
{
	return isnan(term) ? -1.0 : fabs(term);
}

size_t trace_next(struct trace_graph *g, size_t v, double *term)
{
	if (g->next[v] >= 0) {
		*term = g->nterm[v];
		return (size_t)g->next[v];
	}
	int k = trace_consumers(g, v);
	size_t best = g->nv;
	double bm = -2.0, bt = 0.0;
	for (int e = 0; e < k; e++) {
		double t = g->ew[e] * trace_grad(g, g->eu[e]), a = mag(t);
		if (a > bm || (a == bm && g->eu[e] < best)) {
			best = g->eu[e];
			bm = a;
			bt = t;
		}
	}
	g->next[v] = (int64_t)best;
	g->nterm[v] = (float)bt;
	*term = g->nterm[v];
	return best;
}

/* ---- first hop: where the parameter is used ---- */

size_t trace_first_at(const struct trace_graph *g, int p, size_t row, size_t col, int t,
		      double *term)
{
	const struct model *m = g->m;
	const int H = m->H, GH = m->G * H;
	size_t u;
	double w = 1.0;
	if (p >= m->L * LP_COUNT) { /* weight_out (V, H), bias_out (V) */
		u = logit_id(g, t, (int)row);
		if (p == model_weight_out(m))
			w = g->c.ly[m->L - 1].hs[(size_t)(t + 1) * H + col];
	} else {
		const int l = p / LP_COUNT;
		const struct layer_cache *lc = &g->c.ly[l];
		u = vid(g, t, l, 0, (int)row);
		switch ((enum layer_param)(p % LP_COUNT)) {
		case LP_WEIGHT_IH:
			w = l == 0 ? (g->x[t] == (int32_t)col)
				   : g->c.ly[l - 1].hs[(size_t)(t + 1) * H + col];
			break;
		case LP_WEIGHT_HH:
		case LP_BIAS_HH: /* W_hh h_{t-1} + b_hh, scaled by r in GRU's n */
			if (p % LP_COUNT == LP_WEIGHT_HH)
				w = lc->hs[(size_t)t * H + col];
			if (gru(g) && row >= 2 * (size_t)H)
				w *= lc->gates[(size_t)t * GH + row - 2 * H];
			break;
		default:
			break;
		}
	}
	*term = w * trace_grad(g, u);
	return u;
}

size_t trace_first(const struct trace_graph *g, int p, size_t row, size_t col, double *term)
{
	size_t best = 0;
	double bm = -2.0;
	*term = 0.0;
	for (int t = 0; t < g->n; t++) {
		double tm;
		size_t u = trace_first_at(g, p, row, col, t, &tm);
		if (mag(tm) > bm) { /* ties: the lower step */
			bm = mag(tm);
			best = u;
			*term = tm;
		}
	}
	return best;
}

size_t trace_first_input(const struct trace_graph *g, int t, double *term)
{
	const struct model *m = g->m;
	const int GH = m->G * m->H;
	const float *w = m->layer[0].W_ih + (size_t)g->x[t] * GH; /* stored (In, GH) */
	size_t best = 0;
	double bm = -2.0;
	*term = 0.0;
	for (int r = 0; r < GH; r++) {
		size_t u = vid(g, t, 0, 0, r);
		double tm = w[r] * trace_grad(g, u);
		if (mag(tm) > bm) { /* ties: the lower unit */
			bm = mag(tm);
			best = u;
			*term = tm;
		}
	}
	return best;
}

int trace_walk(struct trace_graph *g, size_t first, double term, size_t *ids, double *terms)
{
	int k = 0;
	ids[0] = first;
	terms[0] = term;
	while (ids[k] != g->nv - 1) {
		ids[k + 1] = trace_next(g, ids[k], &terms[k + 1]);
		k++;
	}
	return k + 1;
}

int trace_max_hops(const struct trace_graph *g)
{
	/* per step and layer at most z (GRU: z_r, z_n), c or h; then logit, loss, L */
	return g->n * (3 * g->m->L + 2) + 3;
}

int trace_path(struct trace_graph *g, int p, size_t row, size_t col, size_t *ids,
	       double *terms)
{
	double term;
	size_t first = trace_first(g, p, row, col, &term);
	return trace_walk(g, first, term, ids, terms);
}

/* ---- components ---- */

/* The components of one layer, after "layer" itself. */
static const char *const rnn_comp[] = { "recurrent" };
static const char *const lstm_comp[] = { "cell_path", "hidden_path", "gate_i", "gate_f",
					 "gate_g", "gate_o" };
static const char *const gru_comp[] = { "carry", "candidate", "update", "gate_r", "gate_z",
					"gate_n" };

static int layer_comps(const struct model *m, const char *const **names)
{
	switch (m->cell) {
	case CELL_LSTM: *names = lstm_comp; return 6;
	case CELL_GRU: *names = gru_comp; return 6;
	default: *names = rnn_comp; return 1;
	}
}

int trace_components(const struct model *m)
{
	const char *const *names;
	return m->L * (1 + layer_comps(m, &names)) + 1;
}

const char *trace_component_name(const struct model *m, int c, int *layer)
{
	const char *const *names;
	int per = 1 + layer_comps(m, &names);
	*layer = c / per;
	if (c >= m->L * per) {
		*layer = m->L;
		return "output";
	}
	return c % per ? names[c % per - 1] : "layer";
}

int trace_path_components(const struct trace_graph *g, const size_t *ids, int hops,
			  uint8_t *flags)
{
	const char *const *names;
	const int per = 1 + layer_comps(g->m, &names), G = g->m->G;
	struct trace_vertex a = { 0 }, b;
	int start = -1, end = -1;
	for (int k = 0; k < hops; k++) {
		trace_vertex_of(g, ids[k], &b);
		if (k == 0)
			start = b.step;
		if (b.node == TN_LOSS)
			end = b.step;
		if (b.node == TN_LOGIT && k > 0)
			flags[g->m->L * per] = 1;
		if (b.node <= TN_H && k > 0) { /* reached by a hop: the first vertex
						  * is where the parameter enters */
			uint8_t *f = flags + b.layer * per;
			f[0] = 1;
			if (b.node == TN_Z && G > 1)
				f[1 + (per - 1 - G) + b.gate] = 1; /* gates come last */
		}
		if (k > 0 && a.node <= TN_H && b.node <= TN_H && a.layer == b.layer &&
		    b.step == a.step + 1) { /* an edge along the recurrence */
			uint8_t *f = flags + b.layer * per + 1;
			if (g->m->cell == CELL_RNN)
				f[0] = 1;
			else if (lstm(g))
				f[a.node == TN_C ? 0 : 1] = 1;
			else if (b.node == TN_H)
				f[0] = 1;                  /* carry */
			else
				f[b.gate == 1 ? 2 : 1] = 1; /* update, or candidate (r, n) */
		}
		a = b;
	}
	return end - start;
}
