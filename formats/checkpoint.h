/*
 * checkpoint.h - the state a run needs to go on exactly where it stopped:
 * parameters, optimizer state, carried hidden state, corpus position and
 * batch counter, with the options that fix the run (so a resume with other
 * options is refused). One file beside the run, RUN.h5.ckpt, replaced
 * atomically: written to RUN.h5.ckpt.tmp, fsynced, renamed, and the folder
 * fsynced, so there is never a half-written checkpoint.
 *
 * Format (native byte order: resume on the kind of machine that wrote it):
 * "RNNBOWCK", version, the fingerprint, the state, the float arrays, and
 * an FNV-1a 64 checksum of all of it.
 */
#ifndef RNNBOW_CHECKPOINT_H
#define RNNBOW_CHECKPOINT_H

#include "../libcore/train.h"

/* What must match for a resume; filled from the options and the corpus. */
struct run_fingerprint {
	int32_t cell, layers, H, V, n, act, optim, save_params, save_hidden;
	float lr, clip, init_scale, forget_bias;
	uint64_t seed;
	int64_t batches, record_every;
	int64_t batch_size, record_sequences; /* B, S */
	char corpus_sha256[65];
	int64_t sample_every, sample_length; /* 0, 0 without --sample-every */
	/* version 5: --valid (the held-out text's sha256) or --valid-share,
	 * --valid-every, --valid-steps; --lr-decay, --lr-decay-after (all
	 * zero without them: what a version 4 checkpoint reads as) */
	char valid_sha256[65];
	int64_t valid_every, valid_steps, lr_decay_after;
	double valid_share, lr_decay;
	/* version 6: --init, the sha256 of the parameters it loaded (""
	 * without: what a version 5 checkpoint reads as) */
	char init_sha256[65];
};

/* Writes tr's state and fp to path + ".ckpt". Returns 0 or -1 (message). */
int checkpoint_write(const char *run_path, const struct run_fingerprint *fp,
		     struct trainer *tr); /* tr is only read */

/* Checks that the checkpoint of run_path exists (1), or not (0); -1 and a
 * message when it cannot tell. */
int checkpoint_exists(const char *run_path);

/* Reads the checkpoint into tr (set up by trainer_init for expect). Its
 * fingerprint must equal expect but for batches, which expect may raise
 * (extending the run): each difference is listed on stderr and nothing is
 * loaded. *planned gets the checkpoint's own batches. Returns 0, or -1 after messages (missing, damaged:
 * checksum or truncated, other options). */
int checkpoint_read(const char *run_path, const struct run_fingerprint *expect,
		    struct trainer *tr, int64_t *planned);

/* Reads the fingerprint alone of run_path's checkpoint into fp (for an
 * option whose default the run's own value replaces on --resume). Returns
 * 1, 0 when there is no checkpoint, or -1 after a message. */
int checkpoint_peek(const char *run_path, struct run_fingerprint *fp);

/* Removes the checkpoint of a run (one that --force replaces). */
void checkpoint_remove(const char *run_path);

/* Lists, one "--name: run has A, this command says B" per line on stderr,
 * how b differs from a (batches aside); returns how many fields differ. */
int fingerprint_diff(const struct run_fingerprint *a, const struct run_fingerprint *b);

#endif
