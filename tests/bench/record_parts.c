/*
 * record_parts.c - where the time of one record goes (README "Scaling"):
 * times, in CPU seconds of this one thread, the parts of what `rnnbow
 * record` does for a recorded batch with the default options (S = 1),
 * each on its own after a batch trained with libcore's trainer:
 *   batch      trainer_step without a record (forward, backward, update)
 *   gather     rnn_cache_gather: sequence 0's rows of a minibatch's cache
 *   fill       record_fill: inputs, losses, carried states
 *   g          itemize_split: the deltas lag by lag and g (and g_q), with
 *              the copy of the deltas E needs (the recording thread's half)
 *   E          itemize_errors: E (and E_q) in double (the writer's half)
 *   unit_flow  itemize with unit_flow minus itemize without
 *   diag       record_diag_fill: saturation and W_hh's spectrum (LAPACK)
 *   itemize    itemize without unit_flow: g and E in one call (with S > 1
 *              the minibatch itemizer, which has no split: g, E, diag nan)
 * What is left of a record's measured time (scaling.py) is the HDF5
 * write and the queue. Random token ids (V = 96) stand for a corpus.
 * Usage: record_parts CELL H n B [S]   (a TSV header and one line; rss_mb
 * is the process' peak RSS)
 */
#include "../../libcore/diagrec.h"
#include "../../libcore/train.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Mean CPU seconds of stmt, repeated until ~0.3 s have gone (twice at
 * least unless once took a second). */
#define TIME_PART(out, stmt)                                                 \
	do {                                                                 \
		double t0_ = cpu_now(), t_;                                  \
		int k_ = 0;                                                  \
		do {                                                         \
			stmt;                                                \
			k_++;                                                \
			t_ = cpu_now() - t0_;                                \
		} while (t_ < 0.3 || (k_ < 2 && t_ < 1.0));                 \
		(out) = t_ / k_;                                             \
	} while (0)

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: record_parts CELL H n B [S]\n");
		return 2;
	}
	struct train_config cfg = { 0 };
	cfg.cell = !strcmp(argv[1], "lstm") ? CELL_LSTM : !strcmp(argv[1], "gru") ? CELL_GRU :
									  CELL_RNN;
	cfg.act = ACT_TANH;
	cfg.H = atoi(argv[2]);
	cfg.n = atoi(argv[3]);
	cfg.batch = atoi(argv[4]);
	cfg.record_sequences = argc > 5 ? atoi(argv[5]) : 1;
	cfg.V = 96;
	cfg.layers = 1;
	cfg.optim = OPT_ADAM;
	cfg.lr = 0.002f;
	cfg.clip = 5;
	cfg.init_scale = 0.01f;
	cfg.forget_bias = 1;
	cfg.seed = 1;
	size_t len = (size_t)cfg.batch * (cfg.n + 1) * 4;
	int32_t *ids = malloc(len * sizeof(int32_t));
	struct trainer tr;
	struct record rec;
	struct itemize_ws ew;
	struct itemize_defer def;
	struct batch_stats st;
	if (!ids)
		return 1;
	srand(1);
	for (size_t i = 0; i < len; i++)
		ids[i] = rand() % cfg.V;
	if (trainer_init(&tr, &cfg, ids, len) || trainer_diag_init(&tr) ||
	    record_alloc_seq(&rec, &tr.m, cfg.n, tr.S, 0, 0) || record_alloc_diag(&rec, &tr.m, 0, 0) ||
	    (tr.S == 1 && (itemize_errors_ws_init(&ew, cfg.n, &tr.m) ||
			   itemize_defer_init(&def, cfg.n, &tr.m)))) {
		fprintf(stderr, "record_parts: out of memory\n");
		return 1;
	}
	double batch, gather = 0, fill, g = NAN, E = NAN, with_uf, no_uf, diag = NAN;
	trainer_step(&tr, &st, NULL); /* first touch */
	TIME_PART(batch, trainer_step(&tr, &st, NULL));
	const struct rnn_cache *c = &tr.c; /* the last batch's, as trainer_step leaves it */
	if (tr.B > 1) {
		TIME_PART(gather, rnn_cache_gather(&tr.view, &tr.c, &tr.m));
		c = &tr.view;
	}
	TIME_PART(fill, record_fill(&rec, &tr.c, &tr.m, tr.B > 1 ? tr.xb : ids,
				    tr.B > 1 ? tr.yb : ids + 1));
	if (tr.S == 1) { /* once untimed: first touch of the deltas and their copy */
		itemize_split(&rec.it, &tr.iw, c, &tr.m, &def);
		itemize_errors(&rec.it, &ew, &def);
		TIME_PART(g, itemize_split(&rec.it, &tr.iw, c, &tr.m, &def));
		TIME_PART(E, itemize_errors(&rec.it, &ew, &def));
	}
	if (tr.S > 1)
		itemize(&rec.it, &tr.iw, c, &tr.m);
	TIME_PART(with_uf, itemize(&rec.it, &tr.iw, c, &tr.m));
	float *uf = rec.it.uf;
	rec.it.uf = NULL;
	TIME_PART(no_uf, itemize(&rec.it, &tr.iw, c, &tr.m));
	rec.it.uf = uf;
	if (tr.S == 1)
		TIME_PART(diag, record_diag_fill(&rec, &tr.c, &tr.m, &tr.dw));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("cell\tH\tn\tB\tS\tbatch_s\tgather_s\tfill_s\tg_s\tE_s\tunit_flow_s\tdiag_s\t"
	       "itemize_s\trss_mb\n");
	printf("%s\t%d\t%d\t%d\t%d\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.0f\n",
	       argv[1], cfg.H, cfg.n, cfg.batch, tr.S, batch, gather, fill, g, E, with_uf - no_uf,
	       diag, no_uf, ru.ru_maxrss / 1024.0);
	if (tr.S == 1) {
		itemize_defer_free(&def);
		itemize_ws_free(&ew);
	}
	record_free(&rec);
	trainer_free(&tr);
	free(ids);
	return 0;
}
