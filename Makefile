# martlet -- build, test, demo, bench and install.
#
#   make demo    install what is missing, build, generate data, run the pipelines
#   make test    install what is missing, build with ASan+UBSan, run every test
#   make bench   build optimized, run the benchmarks in bench/ and rewrite
#                README's benchmark table from their results (BENCH_QUICK=1:
#                small scales, one run each, in minutes)
#   make install [PREFIX=/usr/local] [DESTDIR=]   the program, libduckdb, man page,
#                completions and shipped pipelines; make uninstall removes them
#
# Builds go to build/release and build/sanitize; DuckDB lives in .deps/
# (fetched by scripts/bootstrap.sh, never committed).

CC      ?= cc
DEPS    := .deps
# Messages are cut to fixed buffers on purpose, so gcc's truncation warning is off.
CFLAGS_COMMON := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-format-truncation \
                 -isystem $(DEPS)/include $(shell pkg-config --cflags libcjson libpq libxml-2.0 libcurl 2>/dev/null \
                   || echo -I/usr/include/cjson -I/usr/include/postgresql -I/usr/include/libxml2)
SYSTEM_LIBS := $(shell pkg-config --libs libcjson libpq libxml-2.0 libcurl 2>/dev/null || echo -lcjson -lpq -lxml2 -lcurl) \
               -lcrypto -lmicrohttpd -lm -lpthread
LDLIBS  := -L$(DEPS)/lib -lduckdb -Wl,-rpath,'$$ORIGIN/../../$(DEPS)/lib' -Wl,-rpath,$(CURDIR)/$(DEPS)/lib $(SYSTEM_LIBS)

RELEASE_FLAGS  := -O2 -g
SANITIZE_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SOURCES  := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
TEST_SOURCES := $(wildcard tests/*.c)

release_objects  = $(patsubst %.c,build/release/%.o,$(LIB_SOURCES))
sanitize_objects = $(patsubst %.c,build/sanitize/%.o,$(LIB_SOURCES))

.PHONY: all demo test test-build bench clean bootstrap install uninstall man install-build
all: build/release/martlet

bootstrap: $(DEPS)/VERSION
$(DEPS)/VERSION: scripts/bootstrap.sh
	bash scripts/bootstrap.sh

build/release/%.o: %.c | $(DEPS)/VERSION
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_COMMON) $(RELEASE_FLAGS) -MMD -MP -c $< -o $@

build/sanitize/%.o: %.c | $(DEPS)/VERSION
	@mkdir -p $(dir $@)
	@echo "  CC (asan) $<"
	@$(CC) $(CFLAGS_COMMON) $(SANITIZE_FLAGS) -MMD -MP -c $< -o $@

build/release/martlet: build/release/src/main.o $(release_objects)
	$(CC) $(RELEASE_FLAGS) $^ -o $@ $(LDLIBS)

build/sanitize/martlet: build/sanitize/src/main.o $(sanitize_objects)
	$(CC) $(SANITIZE_FLAGS) $^ -o $@ $(LDLIBS)

build/sanitize/martlet-tests: $(patsubst %.c,build/sanitize/%.o,$(TEST_SOURCES)) $(sanitize_objects)
	$(CC) $(SANITIZE_FLAGS) $^ -o $@ $(LDLIBS) -lcriterion

build/release/load_bench: build/release/bench/load_bench.o $(release_objects)
	$(CC) $(RELEASE_FLAGS) $^ -o $@ $(LDLIBS)

build/release/social_floor: bench/social_floor.c | $(DEPS)/VERSION
	$(CC) $(CFLAGS_COMMON) $(RELEASE_FLAGS) $< -o $@ $(LDLIBS)

build/release/replay: bench/replay.c | $(DEPS)/VERSION
	$(CC) $(CFLAGS_COMMON) $(RELEASE_FLAGS) $< -o $@ $(LDLIBS)

# The reporting API's stand-in for tests and the demo (a real HTTP server).
build/%/report-api-server: tests/servers/report_api_server.c | $(DEPS)/VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(if $(findstring sanitize,$*),$(SANITIZE_FLAGS),$(RELEASE_FLAGS)) $< -o $@ -lmicrohttpd

# demo, test and bench bootstrap first, then build in a sub-make: the flags
# above come from pkg-config, which knows cJSON only once it is installed.
demo: bootstrap
	$(MAKE) build/release/martlet build/release/report-api-server
	bash scripts/demo.sh

test-build: build/sanitize/martlet build/sanitize/martlet-tests build/sanitize/report-api-server
test: bootstrap
	$(MAKE) test-build
	bash scripts/test.sh

bench: bootstrap
	$(MAKE) build/release/martlet build/release/social_floor build/release/replay
	bash bench/run.sh

# ---- fuzzing: libFuzzer harnesses in tests/fuzz (clang, ASan+UBSan) ----
#   make fuzz                 every harness for FUZZ_SECONDS (default 120) each;
#                             FUZZ_HARNESSES=cron make fuzz for a subset
# make test runs each harness briefly over its corpus and regressions
# (tests/fuzz/run.sh smoke, from scripts/test.sh).
FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 120
FUZZ_HARNESSES ?= loader pipeline template cron s3 report_api
FUZZ_FLAGS     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS    := $(CFLAGS_COMMON) -Wno-unknown-warning-option $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link
fuzz_objects    = $(patsubst %.c,build/fuzz/%.o,$(LIB_SOURCES))
fuzz_support   := build/fuzz/tests/fuzz/fuzz_support.o
# The S3 and report API harnesses answer HTTP from the input: fake_http.o replaces http.o.
fuzz_no_http    = $(filter-out build/fuzz/src/sources/http.o,$(fuzz_objects)) build/fuzz/tests/fuzz/fake_http.o
FUZZ_BINARIES  := $(patsubst %,build/fuzz/fuzz_%,loader pipeline template cron s3 report_api)

.PHONY: fuzz fuzz-build
build/fuzz/%.o: %.c | $(DEPS)/VERSION
	@mkdir -p $(dir $@)
	@echo "  CC (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/fuzz_loader: build/fuzz/tests/fuzz/null_warehouse.o
build/fuzz/fuzz_s3 build/fuzz/fuzz_report_api: build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(fuzz_support) $(fuzz_no_http)
	@echo "  LINK (fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)
build/fuzz/fuzz_loader build/fuzz/fuzz_pipeline build/fuzz/fuzz_template build/fuzz/fuzz_cron: build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(fuzz_support) $(fuzz_objects)
	@echo "  LINK (fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINARIES)
test-build: fuzz-build
fuzz: bootstrap
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh campaign $(FUZZ_HARNESSES)

# ---- install: make install [PREFIX=/usr/local] [DESTDIR=]; make uninstall ----
# The installed program is the release build linked again with an rpath
# relative to itself, $ORIGIN/../lib/martlet, where libduckdb goes: a
# program found through PREFIX/bin works anywhere, without the checkout.
# It finds the shipped pipelines in PREFIX/share/martlet/pipelines.
# The man page is made from the program's own --help texts (scripts/man.sh).
# scripts/install.sh records what it wrote, and uninstall removes exactly that.
PREFIX  ?= /usr/local
DESTDIR ?=

build/install/martlet: build/release/src/main.o $(release_objects)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_FLAGS) $^ -o $@ -L$(DEPS)/lib -lduckdb -Wl,-rpath,'$$ORIGIN/../lib/martlet' $(SYSTEM_LIBS)

build/man/martlet.1: build/release/martlet scripts/man.sh
	@mkdir -p $(dir $@)
	bash scripts/man.sh build/release/martlet > $@.tmp && mv $@.tmp $@

man: build/man/martlet.1
install-build: build/install/martlet build/man/martlet.1
test-build: install-build   # tests/test_install.c installs these

install: install-build
	bash scripts/install.sh install "$(DESTDIR)$(PREFIX)"

uninstall:
	bash scripts/install.sh uninstall "$(DESTDIR)$(PREFIX)"

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
