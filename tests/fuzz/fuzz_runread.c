/*
 * fuzz_runread.c - libFuzzer target for the run reader: the input bytes
 * are a run file; they go through everything `rnnbow summarize` and
 * `rnnbow horizon` do with a file (open, checks, block reads, analysis).
 * Any crash, hang or sanitizer report is a bug. Built by `make fuzz`.
 */
#include "../../formats/msg.h"
#include "../../formats/recread.h"
#include "../../libcore/analysis.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	snprintf(path, sizeof(path), "/tmp/rnnbow-fuzz-%d.h5", (int)getpid());
	msg_silent = 1; /* our one-line errors are expected, not findings */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);

	struct run run;
	struct recread rr;
	if (run_open(&run, path) < 0)
		return 0;
	run_rows(&run, "train");
	if (recread_open(&rr, &run, RC_POSITION | RC_TARGET | RC_PREDICTED | RC_LOSS |
					    RC_ITEMIZED | RC_TRUNC) == 0) {
		int *counts = malloc((size_t)rr.n * sizeof(int));
		struct decay d;
		int have_decay = decay_init(&d, rr.n) == 0;
		int64_t got;
		while (counts && (got = recread_next(&rr)) > 0)
			for (int64_t i = 0; i < got; i++) {
				struct record_summary s;
				size_t off = (size_t)i * rr.n;
				summarize_record(&s, rr.itemized + off * rr.n, rr.trunc + off,
						 rr.loss + off, rr.target + off, rr.predicted + off, rr.n,
						 0.1, 1.0, counts);
				if (have_decay)
					decay_add(&d, rr.itemized + off * rr.n);
			}
		if (have_decay) {
			for (int lag = 0; lag < rr.n; lag++)
				decay_quantile(&d, lag, 0.5);
			decay_free(&d);
		}
		free(counts);
		recread_close(&rr);
	}
	run_close(&run);
	return 0;
}
