/*
 * test_h5.c - every HDF5 handle the run writer and readers open is closed
 * again: H5Fget_obj_count over all files is 0 after create/append/close,
 * reopen (as --resume does)/append/close, and the readers' open/read/close,
 * on the success paths and on refused files. Rows read back equal rows
 * written. The schema's file order, and that docs/FORMAT.md names every
 * name of it.
 */
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../formats/runfile.h"
#include "../formats/schema.h"
#include "tap.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t open_objects(void)
{
	return H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
}

/* The /record datasets of a 2-layer LSTM with hidden states, in the order
 * the writer creates them (the bytes of a run depend on it). */
static void check_file_order(const struct model *m, int n)
{
	static const char *const want =
		"batch position input target predicted loss itemized truncation_error h0 "
		"itemized_gates truncation_error_gates c0 itemized_l1 truncation_error_l1 h0_l1 "
		"itemized_gates_l1 truncation_error_gates_l1 c0_l1 hidden cell hidden_l1 cell_l1 "
		"unit_flow unit_flow_l1 ";
	char got[1024] = "";
	struct reccol cols[64];
	int k = reccols_build(cols, 64, m, n, 0, 1, RECCOLS_UNIT_FLOW);
	for (int i = 0; i < k; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%.39s ", cols[i].name);
	tap_check(!strcmp(got, want), "schema: /record in the writer's order (%s)", got);
}

static int word_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether doc names word as a whole word. */
static int documented(const char *doc, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = strstr(doc, word); p; p = strstr(p + 1, word))
		if ((p == doc || !word_char(p[-1])) && !word_char(p[len]))
			return 1;
	return 0;
}

/* Name i of the schema's tables, one after the other; NULL past the end. */
static const char *schema_name(int i)
{
	if (i < SCHEMA_ATTRS)
		return schema_attrs[i].name;
	if ((i -= SCHEMA_ATTRS) < TRAIN_COLS)
		return schema_train[i].name;
	if ((i -= TRAIN_COLS) < SCHEMA_RECORD_ONCE)
		return schema_record_once[i].name;
	i -= SCHEMA_RECORD_ONCE;
	return i < SCHEMA_LAYER_DATASETS ? schema_layer[i].name : NULL;
}

static void check_documented(void)
{
	static char doc[1 << 16];
	const char *name, *missing = NULL;
	FILE *in = fopen("docs/FORMAT.md", "r"); /* the tests run from the top */
	size_t len = in ? fread(doc, 1, sizeof(doc) - 1, in) : 0;
	if (in)
		fclose(in);
	doc[len] = '\0';
	for (int i = 0; !missing && (name = schema_name(i)); i++)
		if (!documented(doc, name))
			missing = name;
	tap_check(len > 0 && !missing, "docs/FORMAT.md names every name of formats/schema.c%s%s",
		  missing ? ": not " : "", missing ? missing : "");
}

int main(void)
{
	char dir[] = "/tmp/rnnbow-test-h5-XXXXXX", path[256], bad[256];
	int32_t ids[300];
	struct trainer tr;
	/* a 2-layer LSTM: every kind of /record column, per layer and per gate */
	struct train_config cfg = { .cell = CELL_LSTM, .layers = 2, .H = 6, .V = 5, .n = 7,
				    .act = ACT_TANH, .optim = OPT_ADAGRAD, .lr = 0.1f, .clip = 5,
				    .init_scale = 0.1f, .forget_bias = 1, .seed = 2 };
	uint8_t vocab[5] = { 'a', 'b', 'c', 'd', 'e' };
	struct run_info info = { .software_version = "t", .command_line = "t", .created_utc = "t",
				 .corpus_name = "t", .corpus_sha256 = "t",
				 .activation = "tanh", .forget_bias = 1, .vocab = vocab,
				 .optimizer = "adagrad", .batches = 40, .record_every = 4 };
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	msg_silent = 1;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/run.h5", dir);
	for (int i = 0; i < 300; i++)
		ids[i] = (i * 3 + i / 7) % 5;
	trainer_init(&tr, &cfg, ids, 300);

	struct record rec;
	struct batch_stats st;
	struct train_rows rows;
	record_alloc(&rec, &tr.m, tr.cfg.n, 1, 1);
	train_rows_alloc(&rows, 64);
	struct runfile *f = runfile_create(path, &info, &tr.m, cfg.n,
					   RUNFILE_PARAMS | RUNFILE_HIDDEN);
	tap_check(f != NULL, "runfile_create");
	for (int b = 0; b < 20 && f; b++) {
		trainer_step(&tr, &st, b % 4 == 0 ? &rec : NULL);
		train_rows_add(&rows, &st);
		if (b % 4 == 0)
			runfile_add_record(f, &rec);
	}
	if (f) {
		runfile_write_train(f, &rows);
		runfile_sync(f);
	}
	tap_check(f && runfile_close(f) == 0, "append and close");
	tap_check(open_objects() == 0, "no HDF5 object open after writing (%zd)", open_objects());

	/* reopen as --resume does: keep 12 training rows and 3 records */
	f = runfile_reopen(path, &tr.m, cfg.n, RUNFILE_PARAMS | RUNFILE_HIDDEN, 12, 3,
			   40, "2026-01-01T00:00:00Z resumed at batch 12 of 40: test");
	tap_check(f != NULL, "runfile_reopen cuts back to 12 rows and 3 records");
	rows.n = 0;
	for (int b = 20; b < 24 && f; b++) {
		trainer_step(&tr, &st, &rec);
		train_rows_add(&rows, &st);
		runfile_add_record(f, &rec);
	}
	if (f) {
		runfile_write_train(f, &rows);
		runfile_close(f);
	}
	tap_check(open_objects() == 0, "no HDF5 object open after reopening (%zd)", open_objects());
	f = runfile_reopen(path, &tr.m, cfg.n, RUNFILE_PARAMS | RUNFILE_HIDDEN, 1000, 3,
			   40, "x");
	tap_check(f == NULL && open_objects() == 0,
		  "reopening for more rows than the file has is refused, nothing left open");
	f = runfile_reopen(path, &tr.m, cfg.n, RUNFILE_PARAMS | RUNFILE_HIDDEN, 12, 1000, 40, "x");
	tap_check(f == NULL && open_objects() == 0,
		  "reopening for more records than the file has is refused, nothing left open (%zd)",
		  open_objects());

	struct run run;
	struct recread rr;
	int ok = run_open(&run, path) == 0;
	ok = ok && recread_open(&rr, &run, RC_POSITION | RC_TARGET | RC_PREDICTED | RC_LOSS |
					       RC_ITEMIZED | RC_TRUNC) == 0;
	int64_t got = ok ? recread_next(&rr) : -1;
	tap_check(ok && got == 7 && rr.batch[0] == 0 && rr.batch[3] == 20 && rr.batch[6] == 23,
		  "reading back: 3 records kept and 4 appended (%lld rows)", (long long)got);
	tap_check(ok && run_rows(&run, "train") == 16, "train rows: 12 kept and 4 appended");
	if (ok) {
		tap_check(recread_find(&rr, 21) == 0 && rr.batch[0] == 21, "recread_find");
		tap_check(recread_find(&rr, 5) == 1, "recread_find of a batch not recorded");
		recread_close(&rr);
		struct trainread t;
		if (trainread_open(&t, &run) == 0) {
			trainread_next(&t);
			trainread_close(&t);
		}
	}
	run_close(&run);
	tap_check(open_objects() == 0, "no HDF5 object open after reading (%zd)", open_objects());

	/* refused files leave nothing open either */
	snprintf(bad, sizeof(bad), "%s/other.h5", dir);
	hid_t o = H5Fcreate(bad, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	H5Fclose(o);
	tap_check(run_open(&run, bad) < 0 && open_objects() == 0,
		  "an HDF5 file that is not a run: refused, nothing left open");
	snprintf(bad, sizeof(bad), "%s/cut.h5", dir);
	FILE *in = fopen(path, "rb"), *out = fopen(bad, "wb");
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	if (run_open(&run, bad) == 0) {
		if (recread_open(&rr, &run, RC_ITEMIZED) == 0) {
			while (recread_next(&rr) > 0)
				;
			recread_close(&rr);
		}
		run_close(&run);
	}
	tap_check(open_objects() == 0, "a truncated run: nothing left open (%zd)", open_objects());

	check_file_order(&tr.m, cfg.n);
	check_documented();

	record_free(&rec);
	train_rows_free(&rows);
	trainer_free(&tr);
	unlink(path);
	snprintf(bad, sizeof(bad), "rm -rf %s", dir);
	if (system(bad) != 0)
		return 1;
	return tap_done();
}
