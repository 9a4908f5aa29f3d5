/*
 * checkpoint.c - checkpoints of a run (see checkpoint.h).
 */
#include "checkpoint.h"
#include "msg.h"
#include "../libcore/model.h"
#include "../libcore/optim.h"
#include "../libcore/diagrec.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "RNNBOWCK"
#define VERSION 6 /* 2: cell, layers, forget bias; state of every layer;
		   * 3: layer 0's W_ih stored transposed;
		   * 4: batch size and record sequences, the B sequences' states;
		   *    --sample-every, --sample-length in the fingerprint;
		   *    diagnostics on or off, the relu cell's fired flags
		   *    (a mix's, which had no diagnostics before, each relu
		   *    component's in turn: no new version);
		   * 5: held-out loss and lr decay options in the fingerprint,
		   *    the current learning rate (--lr-decay changes it);
		   * 6: --init's parameters (their sha256) in the fingerprint */

struct buf {
	unsigned char *p;
	size_t len, cap, at; /* at: read position */
	int bad;
	int diag_said;  /* read: the run's diagnostics + 1 when they differ from tr's */
};

static void put(struct buf *b, const void *v, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p) {
			b->bad = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void get(struct buf *b, void *v, size_t n)
{
	if (b->bad || b->at + n > b->len) {
		b->bad = 1;
		memset(v, 0, n);
		return;
	}
	memcpy(v, b->p + b->at, n);
	b->at += n;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The same fields in the same order, to write (load 0: tr is only read)
 * or to read (load 1: tr's state is set from the file). */
static void fields(struct buf *b, struct run_fingerprint *fp, struct trainer *tr, int load,
		   uint32_t version, void (*io)(struct buf *, void *, size_t))
{
	io(b, fp, sizeof(*fp));
	int64_t batch = tr->batch, pos = (int64_t)tr->pos, step = tr->opt.step;
	uint64_t np = tr->m.nparams;
	io(b, &batch, sizeof(batch));
	io(b, &pos, sizeof(pos));
	io(b, &step, sizeof(step));
	io(b, &np, sizeof(np));
	if (np != tr->m.nparams) {
		b->bad = 1;
		return;
	}
	if (load) {
		tr->batch = batch;
		tr->pos = (size_t)pos;
		tr->opt.step = step;
	}
	size_t state = trainer_state_len(tr) * sizeof(float); /* B sequences (K components) */
	io(b, tr->h, state);
	if (tr->cstate)
		io(b, tr->cstate, state);
	io(b, tr->m.params, np * sizeof(float));
	io(b, tr->opt.mem, np * sizeof(float));
	io(b, tr->opt.mem2, np * sizeof(float));
	/* the diagnostics (none before version 4), and the fired flags of
	 * the window a relu run's next record closes */
	int32_t diag = version >= 4 ? tr->diag : 0;
	if (version >= 4)
		io(b, &diag, sizeof(diag));
	if (load && diag != tr->diag) {
		b->diag_said = diag + 1;
		b->bad = 1;
		return;
	}
	if (tr->fired) /* a mix's: each relu component's (diagrec.h) */
		io(b, tr->fired, trainer_fired_len(tr));
	if (version >= 5) /* before: the lr never changed */
		io(b, &tr->opt.lr, sizeof(tr->opt.lr));
}

/* Version 4: the fingerprint up to sample_length; the rest of this
 * version's is zero (no held-out loss, no lr decay). */
struct fingerprint_v4 {
	int32_t cell, layers, H, V, n, act, optim, save_params, save_hidden;
	float lr, clip, init_scale, forget_bias;
	uint64_t seed;
	int64_t batches, record_every;
	int64_t batch_size, record_sequences;
	char corpus_sha256[65];
	int64_t sample_every, sample_length;
};

/* Version 5: the fingerprint up to lr_decay; without --init. */
struct fingerprint_v5 {
	int32_t cell, layers, H, V, n, act, optim, save_params, save_hidden;
	float lr, clip, init_scale, forget_bias;
	uint64_t seed;
	int64_t batches, record_every;
	int64_t batch_size, record_sequences;
	char corpus_sha256[65];
	int64_t sample_every, sample_length;
	char valid_sha256[65];
	int64_t valid_every, valid_steps, lr_decay_after;
	double valid_share, lr_decay;
};

/* Grows the fingerprint of `old` bytes (an older version's, a prefix of
 * this version's) at b->at into this version's in place (zeros after it).
 * Returns 0 or -1. */
static int upgrade_grow(struct buf *b, size_t old)
{
	const size_t at = b->at;
	const size_t grow = sizeof(struct run_fingerprint) - old;
	if (b->len - at < old)
		return -1;
	unsigned char *p = realloc(b->p, b->len + grow);
	if (!p)
		return -1;
	b->p = p;
	memmove(p + at + old + grow, p + at + old, b->len - at - old);
	memset(p + at + old, 0, grow);
	b->len += grow;
	b->cap = b->len;
	return 0;
}

/* Version 3, before minibatches: the fingerprint without batch_size and
 * record_sequences. Its run trained one sequence per batch, so the rest
 * (one sequence's state) reads as version 4 once the fingerprint is. */
struct fingerprint_v3 {
	int32_t cell, layers, H, V, n, act, optim, save_params, save_hidden;
	float lr, clip, init_scale, forget_bias;
	uint64_t seed;
	int64_t batches, record_every;
	char corpus_sha256[65];
};

/* Rewrites the version 3 fingerprint at b->at as this version's
 * (batch_size = record_sequences = 1, the rest zero) in place. Returns 0 or -1. */
static int upgrade_v3(struct buf *b)
{
	struct fingerprint_v3 o;
	struct run_fingerprint fp;
	const size_t at = b->at, grow = sizeof(fp) - sizeof(o);
	get(b, &o, sizeof(o));
	if (b->bad)
		return -1;
	memset(&fp, 0, sizeof(fp)); /* padding too: as start_trainer's */
	fp.cell = o.cell, fp.layers = o.layers, fp.H = o.H, fp.V = o.V, fp.n = o.n;
	fp.act = o.act, fp.optim = o.optim, fp.save_params = o.save_params;
	fp.save_hidden = o.save_hidden, fp.lr = o.lr, fp.clip = o.clip;
	fp.init_scale = o.init_scale, fp.forget_bias = o.forget_bias, fp.seed = o.seed;
	fp.batches = o.batches, fp.record_every = o.record_every;
	fp.batch_size = fp.record_sequences = 1;
	memcpy(fp.corpus_sha256, o.corpus_sha256, sizeof(fp.corpus_sha256));
	unsigned char *p = realloc(b->p, b->len + grow);
	if (!p)
		return -1;
	b->p = p;
	memmove(p + at + sizeof(fp), p + at + sizeof(o), b->len - at - sizeof(o));
	memcpy(p + at, &fp, sizeof(fp));
	b->len += grow;
	b->cap = b->len;
	b->at = at;
	return 0;
}

static void put_io(struct buf *b, void *v, size_t n)
{
	put(b, v, n);
}

static char *ckpt_path(const char *run_path, const char *suffix)
{
	size_t n = strlen(run_path) + strlen(suffix) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s", run_path, suffix);
	return p;
}

int checkpoint_write(const char *run_path, const struct run_fingerprint *fp,
		     struct trainer *tr)
{
	struct buf b = { 0 };
	struct run_fingerprint f = *fp;
	uint32_t version = VERSION;
	char *path = ckpt_path(run_path, ".ckpt"), *tmp = ckpt_path(run_path, ".ckpt.tmp");
	int rc = -1, fd = -1;

	put(&b, MAGIC, 8);
	put(&b, &version, sizeof(version));
	fields(&b, &f, tr, 0, VERSION, put_io);
	uint64_t sum = fnv1a(b.p, b.len);
	put(&b, &sum, sizeof(sum));
	if (b.bad || !path || !tmp) {
		error("out of memory for a checkpoint");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(fd, b.p + off, b.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			error("%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error("%s: %s", path, strerror(errno));
		goto out;
	}
	char *dir_copy = strdup(run_path); /* the rename itself must survive a crash */
	if (dir_copy) {
		int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir_copy);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(b.p);
	free(path);
	free(tmp);
	return rc;
}

int checkpoint_exists(const char *run_path)
{
	char *path = ckpt_path(run_path, ".ckpt");
	if (!path)
		return error("out of memory");
	int rc = access(path, F_OK) == 0 ? 1 : errno == ENOENT ? 0 : -1;
	if (rc < 0)
		error("%s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* Reads the checkpoint at path whole into b, checks it and upgrades an
 * older version's fingerprint to this version's, leaving b->at at the
 * fingerprint. Returns 0, or -1 after a message. */
static int load(const char *path, struct buf *b, uint32_t *version)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return error("%s: %s", path, strerror(errno));
	for (;;) { /* read it whole */
		unsigned char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		put(b, chunk, got);
		if (got < sizeof(chunk))
			break;
	}
	int bad = ferror(f) || b->bad;
	fclose(f);
	if (bad)
		return error("%s: cannot read the checkpoint", path);
	uint64_t sum;
	if (b->len < 8 + 4 + 8 || memcmp(b->p, MAGIC, 8))
		return error("%s: not an rnnbow checkpoint", path);
	memcpy(&sum, b->p + b->len - 8, 8);
	if (sum != fnv1a(b->p, b->len - 8))
		return error("%s: damaged checkpoint (checksum); start the run again with --force",
			     path);
	b->len -= 8;
	b->at = 8;
	get(b, version, sizeof(*version));
	if ((*version == 3 && upgrade_v3(b) < 0) /* straight to this version's */ ||
	    (*version == 4 && upgrade_grow(b, sizeof(struct fingerprint_v4)) < 0) ||
	    (*version == 5 && upgrade_grow(b, sizeof(struct fingerprint_v5)) < 0))
		return error("%s: cannot read the checkpoint", path);
	if (*version != VERSION && (*version < 3 || *version > 5))
		return error("%s: checkpoint version %u is not one this rnnbow reads", path,
			     *version);
	return 0;
}

int checkpoint_peek(const char *run_path, struct run_fingerprint *fp)
{
	int has = checkpoint_exists(run_path);
	char *path = has > 0 ? ckpt_path(run_path, ".ckpt") : NULL;
	struct buf b = { 0 };
	uint32_t version;
	if (has > 0 && !path)
		has = error("out of memory");
	else if (has > 0 && load(path, &b, &version) < 0)
		has = -1;
	else if (has > 0) {
		get(&b, fp, sizeof(*fp));
		if (b.bad)
			has = error("%s: the checkpoint does not fit this model (truncated or another "
				    "size)", path);
	}
	free(b.p);
	free(path);
	return has;
}

int checkpoint_read(const char *run_path, const struct run_fingerprint *expect,
		    struct trainer *tr, int64_t *planned)
{
	struct run_fingerprint saved, *fp = &saved;
	char *path = ckpt_path(run_path, ".ckpt");
	struct buf b = { 0 };
	uint32_t version;
	int rc = -1;
	if (!path) {
		error("%s: out of memory", run_path);
		goto out;
	}
	if (load(path, &b, &version) < 0)
		goto out;
	/* the options first: another --hidden would not fit the state. The
	 * one option that may change is --batches, and only upward: a run is
	 * extended by resuming it with more (the caller records that). */
	size_t at = b.at;
	get(&b, fp, sizeof(*fp));
	struct run_fingerprint want = *expect;
	if (!b.bad && want.batches > fp->batches)
		want.batches = fp->batches;
	if (!b.bad && fp->batches > want.batches)
		error("--batches: the run has %lld, this command says %lld (a run can be extended, "
		      "never cut short)", (long long)fp->batches, (long long)want.batches);
	if (!b.bad && (fingerprint_diff(fp, &want) || fp->batches > want.batches)) {
		error("%s: cannot resume with the options above changed; use the run's own",
		      run_path);
		goto out;
	}
	b.at = at;
	fields(&b, fp, tr, 1, version, get);
	*planned = fp->batches;
	if (b.diag_said) {
		error("--no-diagnostics: the run was recorded %s diagnostics%s; resume it %s "
		      "--no-diagnostics", b.diag_said > 1 ? "with" : "without",
		      version < 4 ? " (by an older rnnbow)" : "", b.diag_said > 1 ? "without" : "with");
		goto out;
	}
	if (b.bad || b.at != b.len) {
		error("%s: the checkpoint does not fit this model (truncated or another size)", path);
		goto out;
	}
	rc = 0;
out:
	free(b.p);
	free(path);
	return rc;
}

void checkpoint_remove(const char *run_path)
{
	char *path = ckpt_path(run_path, ".ckpt");
	if (path)
		unlink(path);
	free(path);
}

int fingerprint_diff(const struct run_fingerprint *a, const struct run_fingerprint *b)
{
	int n = 0;
#define DIFF_INT(field, name)                                                                   \
	if (a->field != b->field && ++n)                                                        \
		error("%s: the run has %lld, this command says %lld", name, (long long)a->field,  \
		      (long long)b->field);
#define DIFF_NUM(field, name)                                                                   \
	if (a->field != b->field && ++n)                                                        \
		error("%s: the run has %g, this command says %g", name, (double)a->field,         \
		      (double)b->field);
/* enums are stored as integers: a damaged checkpoint's is named "?" */
#define DIFF_NAME(field, name, names)                                                      \
	if (a->field != b->field && ++n)                                                        \
		error("%s: the run has %s, this command says %s", name,                         \
		      names_get(names, a->field), names_get(names, b->field));
	if (a->cell != b->cell && ++n) { /* a mix's is a code (mix.h) */
		char ca[64], cb[64];
		mix_code_name(ca, sizeof(ca), a->cell);
		mix_code_name(cb, sizeof(cb), b->cell);
		error("--cell: the run has %s, this command says %s", ca, cb);
	}
	DIFF_INT(layers, "--layers");
	DIFF_NUM(forget_bias, "--forget-bias");
	DIFF_INT(H, "--hidden");
	DIFF_INT(n, "--seq-len");
	DIFF_NAME(act, "--activation", &act_names);
	DIFF_NAME(optim, "--optimizer", &optim_names);
	DIFF_NUM(lr, "--lr");
	DIFF_NUM(clip, "--clip");
	DIFF_NUM(init_scale, "--init-scale");
	DIFF_INT(seed, "--seed");
	DIFF_INT(record_every, "--record-every");
	DIFF_INT(batch_size, "--batch-size");
	DIFF_INT(record_sequences, "--record-sequences");
	DIFF_INT(save_params, "--save-params");
	DIFF_INT(save_hidden, "--save-hidden");
	DIFF_INT(sample_every, "--sample-every");
	DIFF_INT(sample_length, "--sample-length");
	DIFF_INT(valid_every, "--valid-every");
	DIFF_INT(valid_steps, "--valid-steps");
	DIFF_NUM(valid_share, "--valid-share");
	DIFF_NUM(lr_decay, "--lr-decay");
	DIFF_INT(lr_decay_after, "--lr-decay-after");
	if (strcmp(a->valid_sha256, b->valid_sha256) && ++n)
		error("--valid: the run's held-out text has sha256 %.16s..., this command's %.16s...",
		      a->valid_sha256, b->valid_sha256);
	if (strcmp(a->init_sha256, b->init_sha256) && ++n)
		error("--init: the run started from parameters of sha256 %.16s..., this command's "
		      "%.16s...", *a->init_sha256 ? a->init_sha256 : "(random)",
		      *b->init_sha256 ? b->init_sha256 : "(random)");
	DIFF_INT(V, "vocabulary size (another corpus)");
	if (strcmp(a->corpus_sha256, b->corpus_sha256) && ++n)
		error("corpus: the run's has sha256 %.16s..., this command's %.16s...",
		      a->corpus_sha256, b->corpus_sha256);
#undef DIFF_INT
#undef DIFF_NUM
#undef DIFF_NAME
	return n;
}
