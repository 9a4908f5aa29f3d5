/*
 * example.c - a C client of librnnbow: a 2-layer LSTM learns a short text
 * window by window (its state carried from one window to the next) with a
 * plain SGD loop of its own, and every K-th window is itemized, before the
 * update, into a run file that every rnnbow reader opens. A trainer with
 * gradients of its own would only call rnnbow_net_set and rnnbow_run_*.
 *
 *   cc example.c $(pkg-config --cflags --libs rnnbow) -o example
 *   ./example run.h5 [tokens|dense]   then   rnnbow summarize run.h5
 */
#include <rnnbow.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H 16
#define L 2
#define N 24       /* steps per window */
#define WINDOWS 300
#define K 10       /* record every K-th window */
#define LR 0.5f

static const char text[] = "the quick brown fox jumps over the lazy dog; "
			   "pack my box with five dozen liquor jugs. ";

static int die(void) /* the message names the call and the reason */
{
	fprintf(stderr, "example: %s\n", rnnbow_errmsg());
	return 1;
}

static char names[4 * L + 2][32]; /* every parameter, PyTorch's names */
static size_t sizes[4 * L + 2];

/* Uniform(-1/sqrt(H), 1/sqrt(H)) weights, PyTorch's default, from a fixed
 * seed (grad NULL); or one SGD step on the mean loss of N steps (returns
 * the squared norm of that gradient). */
static double update(rnnbow_net *net, const char *name, size_t count, int init)
{
	static unsigned long long s = 42;
	static float w[4 * H * 256], g[4 * H * 256];
	double norm2 = 0;
	if (!init && (rnnbow_net_get(net, name, w, count) < 0 ||
		      rnnbow_net_grad(net, name, g, count) < 0))
		return -1;
	for (size_t i = 0; i < count; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		if (init)
			w[i] = (float)(((double)(s >> 11) / 9007199254740992.0 * 2 - 1) / sqrt(H));
		else
			w[i] -= LR * g[i] / N, norm2 += (double)g[i] * g[i] / (N * N);
	}
	return rnnbow_net_set(net, name, w, count) < 0 ? -1 : norm2;
}

int main(int argc, char **argv)
{
	const int dense = argc > 2 && !strcmp(argv[2], "dense");
	uint8_t vocab[256];
	int32_t id[256], ids[sizeof(text)], V = 0;
	if (argc < 2)
		return fprintf(stderr, "usage: example RUN.h5 [tokens|dense]\n"), 2;
	memset(id, -1, sizeof(id));
	for (size_t i = 0; i < sizeof(text) - 1; i++) { /* one id per byte seen */
		unsigned char b = (unsigned char)text[i];
		if (id[b] < 0)
			vocab[V] = b, id[b] = V++;
		ids[i] = id[b];
	}
	rnnbow_net *net = rnnbow_net_new("lstm", V, H, L, V);
	if (!net)
		return die();
	for (int l = 0; l < L; l++) {
		const char *p[4] = { "weight_ih_l%d", "weight_hh_l%d", "bias_ih_l%d", "bias_hh_l%d" };
		size_t n[4] = { 4 * H * (l ? H : V), 4 * H * H, 4 * H, 4 * H };
		for (int i = 0; i < 4; i++)
			snprintf(names[4 * l + i], 32, p[i], l), sizes[4 * l + i] = n[i];
	}
	strcpy(names[4 * L], "weight_out"), sizes[4 * L] = V * H;
	strcpy(names[4 * L + 1], "bias_out"), sizes[4 * L + 1] = V;
	for (int i = 0; i < 4 * L + 2; i++)
		if (update(net, names[i], sizes[i], 1) < 0)
			return die();

	rnnbow_run_options *o = rnnbow_run_options_new();
	char every[16], batches[16];
	snprintf(every, sizeof(every), "%d", K);
	snprintf(batches, sizeof(batches), "%d", WINDOWS);
	if (rnnbow_run_options_set(o, "input", dense ? "dense" : "tokens") < 0 ||
	    rnnbow_run_options_set(o, "overwrite", "1") < 0 ||
	    rnnbow_run_options_set(o, "params", "1") < 0 ||
	    rnnbow_run_options_set(o, "hidden", "1") < 0 ||
	    rnnbow_run_options_set(o, "corpus_name", "example.c's pangrams") < 0 ||
	    rnnbow_run_options_set(o, "record_every", every) < 0 ||
	    rnnbow_run_options_set(o, "batches", batches) < 0 ||
	    rnnbow_run_options_set(o, "optimizer", "sgd") < 0 ||
	    rnnbow_run_options_set(o, "learning_rate", "0.5") < 0 ||
	    rnnbow_run_options_set_vocab(o, vocab, V) < 0)
		return die();
	rnnbow_run *run = rnnbow_run_create(argv[1], net, N, o);
	rnnbow_run_options_free(o);
	if (!run)
		return die();

	float h[L * H] = { 0 }, c[L * H] = { 0 }, loss[N], x[N * 256];
	size_t pos = 0;
	double mean = 0, first = 0;
	int failed = 0;
	for (int w = 0; w < WINDOWS && !failed; w++, pos += N) {
		if (pos + N + 1 > sizeof(text) - 1) /* wrap: start over from zero states */
			pos = 0, memset(h, 0, sizeof(h)), memset(c, 0, sizeof(c));
		const int32_t *in = ids + pos, *target = ids + pos + 1;
		memset(x, 0, sizeof(x)); /* dense: the one-hot rows, as an embedding would */
		for (int t = 0; t < N; t++)
			x[t * V + in[t]] = 1;
		/* record before the update, from the weights that make this gradient */
		if ((w % K == 0 &&
		     rnnbow_run_record(run, w, dense ? x : NULL, dense ? NULL : in, target, h, c) < 0) ||
		    rnnbow_gradient(net, N, dense ? x : NULL, in, target, h, c, loss, h, c) < 0) {
			failed = die();
			break;
		}
		double norm2 = 0, g2 = 0;
		mean = 0;
		for (int t = 0; t < N; t++)
			mean += loss[t] / N;
		first = w ? first : mean;
		for (int i = 0; i < 4 * L + 2 && g2 >= 0; i++)
			norm2 += g2 = update(net, names[i], sizes[i], 0);
		if (g2 < 0 || rnnbow_run_train(run, w, (float)mean, (float)sqrt(norm2)) < 0)
			failed = die();
	}
	/* after a failure too: what was written stays readable */
	if (rnnbow_run_close(run) < 0 && !failed)
		failed = die();
	if (failed)
		return 1;
	rnnbow_net_free(net);
	printf("%s: %d windows, %d recorded, vocabulary %d bytes, loss %.2f -> %.2f nats\n",
	       argv[1], WINDOWS, (WINDOWS + K - 1) / K, V, first, mean);
	return 0;
}
