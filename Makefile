# rnnbow - see README.md.
#
#   make            build ./rnnbow and librnnbow (build/librnnbow.a, .so)
#   make demo       record an RNN and an LSTM on the built-in corpus, compare them
#   make test       build and run every test (installs missing packages)
#   make bench      throughput and memory against a numpy baseline
#   make bench-scaling   the README's scaling table (~15 minutes; not in bench)
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=address,undefined test    sanitizer build
#   V=1             show the commands

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
CC ?= cc
OBJCOPY ?= objcopy
VERSION = 0.1.0
# librnnbow's soname: the major number changes with the ABI (rnnbow.h)
SOMAJOR = 0

PKGS = hdf5 openblas
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# the high-level library (file images) sits beside libhdf5
HDF5_HL := $(patsubst -lhdf5,-lhdf5_hl -lhdf5,$(filter -lhdf5,$(DEP_LIBS)))

# GCC-only flags, kept when $(CC) takes them without a word (clang refuses
# -fvect-cost-model; its vectorizer has its own cost model)
cc_flag = $(shell $(CC) -Werror $(1) -x c -c -o /dev/null /dev/null 2>/dev/null && echo $(1))
GCC_CFLAGS := $(call cc_flag,-fvect-cost-model=dynamic)
# debug information valgrind 3.19 reads: DWARF 4 (it gives up on the DWARF 5
# that clang writes; gcc's code is the same either way)
DEBUG_CFLAGS := $(or $(call cc_flag,-gdwarf-4),-g)

BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -ftree-vectorize $(GCC_CFLAGS) -fno-math-errno -fno-trapping-math $(DEBUG_CFLAGS) \
	-Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers -pthread -DRNNBOW_VERSION='"$(VERSION)"'
ifdef SANITIZE
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
SAN_LDFLAGS = -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(DEP_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_LDFLAGS) $(LDFLAGS)
LIBS = $(filter-out -lhdf5,$(DEP_LIBS)) $(HDF5_HL) -lm -pthread

ifndef V
QUIET_CC = @echo '   CC $@';
QUIET_LINK = @echo ' LINK $@';
QUIET_GEN = @echo '  GEN $@';
endif

B = build
CORE_SRC = $(sort $(wildcard libcore/*.c))
FORMATS_SRC = $(sort $(wildcard formats/*.c))
PLOTS_SRC = $(sort $(wildcard plots/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
# the plain reference itemizer is for tests only: not in the binary, not in librnnbow
REF_OBJ = $(B)/libcore/itemize_ref.o
CORE_OBJ = $(filter-out $(REF_OBJ),$(CORE_SRC:%.c=$(B)/%.o))
LIB_OBJ = $(CORE_OBJ) $(FORMATS_SRC:%.c=$(B)/%.o) $(PLOTS_SRC:%.c=$(B)/%.o)
CMD_OBJ = $(CMD_SRC:%.c=$(B)/%.o) $(B)/default_corpus.o $(B)/view_assets.o
TEST_BIN = $(B)/tests/test_core $(B)/tests/test_stats $(B)/tests/test_h5 $(B)/tests/test_diag \
	$(B)/tests/test_trace

# librnnbow: the public API (lib/) over libcore, without the test-only
# reference, compiled once more as position-independent code with every
# symbol hidden but the RNNBOW_API ones; the archive and the shared library
# are made from the same objects. The run-file writer (lib/run.c) is the
# binary's own (formats/runfile_write.c and what it needs): HDF5 comes in.
LIBRNNBOW_SRC = $(sort $(wildcard lib/*.c)) $(filter-out libcore/itemize_ref.c,$(CORE_SRC)) \
	$(addprefix formats/,runfile_write.c schema.c h5util.c msg.c runlock.c clock.c tokenio.c sha256.c)
LIBRNNBOW_OBJ = $(LIBRNNBOW_SRC:%.c=$(B)/pic/%.o)
LIBRNNBOW_LIBS = $(DEP_LIBS) -lm -pthread
SONAME = librnnbow.so.$(SOMAJOR)
SOFILE = librnnbow.so.$(VERSION)
LIBRNNBOW = $(B)/librnnbow.a $(B)/$(SOFILE) $(B)/$(SONAME) $(B)/librnnbow.so

# the built-in default corpus: rnnbow's own numerical core, as C text
CORPUS_FILES = $(sort $(wildcard libcore/*.h)) $(CORE_SRC)

.PHONY: all lib demo test check test-slurm bench bench-scaling fuzz install uninstall clean deps-build deps-run deps-test
.DELETE_ON_ERROR:

all: rnnbow lib

lib: $(LIBRNNBOW)

rnnbow: $(CMD_OBJ) $(LIB_OBJ)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/$(SOFILE): $(LIBRNNBOW_OBJ)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs -o $@ $^ \
		$(ALL_LDFLAGS) $(LIBRNNBOW_LIBS)

$(B)/$(SONAME) $(B)/librnnbow.so: $(B)/$(SOFILE)
	@ln -sf $(SOFILE) $@

# One relocatable object whose only globals are rnnbow_*: libcore's names
# (model_init, error, ...) cannot collide with a client's.
$(B)/librnnbow.a: $(LIBRNNBOW_OBJ)
	$(QUIET_LINK)$(LD) -r -o $(B)/pic/librnnbow.o $^ && \
		$(OBJCOPY) --wildcard --keep-global-symbol='rnnbow_*' $(B)/pic/librnnbow.o && \
		rm -f $@ && $(AR) rcs $@ $(B)/pic/librnnbow.o

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) -O2 -Wall -o $@ $<

$(B)/default_corpus.c: $(B)/tools/embed $(CORPUS_FILES)
	$(QUIET_GEN)$(B)/tools/embed rnnbow_default_corpus $(CORPUS_FILES) > $@

$(B)/default_corpus.o: $(B)/default_corpus.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# rnnbow view's page: its script, style and markup stay files of their own
# (legible, lintable), embedded as C strings
VIEW_ASSETS = plots/view.css plots/view.js plots/view.html
$(B)/view_assets.c: $(B)/tools/embed $(VIEW_ASSETS)
	$(QUIET_GEN){ $(B)/tools/embed rnnbow_view_css plots/view.css && \
		$(B)/tools/embed rnnbow_view_js plots/view.js && \
		$(B)/tools/embed rnnbow_view_html plots/view.html; } > $@

$(B)/view_assets.o: $(B)/view_assets.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/%.c $(LIB_OBJ) $(REF_OBJ) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(REF_OBJ) $(ALL_LDFLAGS) $(LIBS)

deps-build:
	@scripts/deps.sh build
deps-run:
	@scripts/deps.sh run
deps-test:
	@scripts/deps.sh test

# The two commands of the README install what they need first, then build
# in a sub-make so that pkg-config sees the freshly installed libraries.
demo: deps-run
	@$(MAKE) --no-print-directory rnnbow
	@sh examples/demo.sh

test check: deps-test
	@$(MAKE) --no-print-directory rnnbow $(TEST_BIN)
	@sh tests/run.sh

# examples/slurm on a one-node SLURM cluster started here (root; ~4 minutes)
test-slurm: deps-test
	@$(MAKE) --no-print-directory rnnbow
	@sh tests/test_slurm.sh ./rnnbow

bench: deps-test
	@$(MAKE) --no-print-directory rnnbow
	@sh tests/bench/bench.sh
	@sh tests/bench/analysis_bench.sh
	@sh tests/bench/minibatch_bench.sh

# the README's "Scaling" table: 36 sizes and where a record's time goes
bench-scaling: deps-test
	@$(MAKE) --no-print-directory rnnbow $(B)/tests/bench/record_parts
	@sh tests/bench/scaling.sh

# libFuzzer on the run reader (clang, address and undefined sanitizers; leak
# detection off: libhdf5 leaks a little on every damaged file it refuses):
#   make fuzz FUZZ_SECONDS=1800     corpus in tests/fuzz/corpus, finds in build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRC = tests/fuzz/fuzz_runread.c libcore/analysis.c formats/recread.c formats/runread.c \
	formats/schema.c formats/tokenio.c formats/sha256.c libcore/tokens.c libcore/model.c libcore/rng.c libcore/names.c \
	formats/h5util.c formats/msg.c
fuzz: deps-build
	@mkdir -p build-fuzz tests/fuzz/corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(DEP_CFLAGS) -o build-fuzz/fuzz_runread \
		$(FUZZ_SRC) $(filter-out -lhdf5,$(DEP_LIBS)) $(HDF5_HL) -lm
	@[ -n "$$(ls tests/fuzz/corpus)" ] || sh tests/fuzz/seed.sh tests/fuzz/corpus
	cd build-fuzz && ASAN_OPTIONS=detect_leaks=0 ./fuzz_runread -max_total_time=$(FUZZ_SECONDS) -timeout=10 -detect_leaks=0 \
		-rss_limit_mb=4096 ../tests/fuzz/corpus

install: rnnbow lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 rnnbow $(DESTDIR)$(BINDIR)/rnnbow
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 lib/rnnbow.h $(DESTDIR)$(INCLUDEDIR)/rnnbow.h
	install -m 644 $(B)/librnnbow.a $(DESTDIR)$(LIBDIR)/librnnbow.a
	install -m 755 $(B)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/librnnbow.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' lib/rnnbow.pc.in > $(B)/rnnbow.pc
	install -m 644 $(B)/rnnbow.pc $(DESTDIR)$(PKGCONFIGDIR)/rnnbow.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rnnbow $(DESTDIR)$(INCLUDEDIR)/rnnbow.h \
		$(DESTDIR)$(PKGCONFIGDIR)/rnnbow.pc $(DESTDIR)$(LIBDIR)/librnnbow.a \
		$(DESTDIR)$(LIBDIR)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/librnnbow.so
	for f in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$${f#man/}; done
	for f in man/*.3; do rm -f $(DESTDIR)$(MANDIR)/man3/$${f#man/}; done

clean:
	rm -rf $(B) rnnbow
