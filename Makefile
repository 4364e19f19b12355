# kentongan — build, run, test.
#   make            build the gateway, kentongan-ctl and the test tools
#   make run        install what is missing, build, start private redis + gateway (dummy modem)
#   make test       install what is missing, build, run every test suite
#   make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-dates the calendar-dependent suites at each instant of tests/dates
#   make bench      install what is missing (also wrk, node), build, run the benchmarks
#   make soak       an hour of mixed traffic through three simulated modems, then a verdict
#                   (SOAK_SECONDS=86400 make soak for a day; not part of make test)
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make format     apply .clang-format

PKGS    := gammu hiredis libevent inih jansson nettle
SAN     ?=
BUILD   := build$(if $(SAN),-san)
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
           -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(filter-out gateway/main.c gateway/ctl.c,$(wildcard gateway/*.c handlers/*.c modems/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
INTEG_SRC := $(wildcard tests/integration/*.c)
TESTLIB_SRC := $(wildcard tests/lib/*.c)

BINS := $(BUILD)/kentongan $(BUILD)/kentongan-ctl $(BUILD)/atsim $(BUILD)/test-unit $(BUILD)/test-integration

.PHONY: all run test test-dates test-unit test-integration fuzz fuzz-short bench soak format clean setup setup-quiet setup-bench install
all: setup-quiet $(BINS)

setup:
	@scripts/setup --test
setup-quiet:
	@scripts/setup
setup-bench:
	@scripts/setup --bench

$(BUILD)/%.o: %.c $(wildcard */*.h) $(wildcard tests/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libkentongan.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kentongan: $(BUILD)/gateway/main.o $(BUILD)/libkentongan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The admin API's command-line client (libevent's HTTP client, jansson, inih).
$(BUILD)/kentongan-ctl: $(BUILD)/gateway/ctl.o $(BUILD)/libkentongan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/atsim: tests/atsim/atsim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)

$(BUILD)/test-unit: $(UNIT_SRC:%.c=$(BUILD)/%.o) $(TESTLIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libkentongan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/test-integration: $(INTEG_SRC:%.c=$(BUILD)/%.o) $(TESTLIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libkentongan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

bin/kentongan: $(BUILD)/kentongan
	@mkdir -p bin && cp $< $@
bin/kentongan-ctl: $(BUILD)/kentongan-ctl
	@mkdir -p bin && cp $< $@

run: setup-quiet $(BUILD)/kentongan
	@BUILD=$(BUILD) scripts/run

# Each suite prints Criterion's synthesis line. Integration tests find the
# binaries through KT_BUILD.
test: setup
	@$(MAKE) --no-print-directory $(BINS)
ifeq ($(SAN),)
	@echo "== fuzz targets (a short run over their seeds; make fuzz runs longer)"
	@KT_ROOT=$(CURDIR) $(MAKE) --no-print-directory fuzz-short
endif
	@echo "== unit tests"
	@export LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0; \
	$(BUILD)/test-unit --jobs 2 && echo "== integration tests" && \
	KT_BUILD=$(abspath $(BUILD)) KT_ROOT=$(CURDIR) $(BUILD)/test-integration --jobs 2
ifeq ($(SAN),)
	@echo "== calendar: the calendar-dependent suites at each instant of tests/dates"
	@KT_BUILD=$(abspath $(BUILD)) KT_ROOT=$(CURDIR) tests/run-dates
endif

# Only the calendar sweep (tests/dates), on what is built.
test-dates: setup
	@$(MAKE) --no-print-directory $(BINS)
	@KT_BUILD=$(abspath $(BUILD)) KT_ROOT=$(CURDIR) tests/run-dates

# Benchmarks: tests/bench/NAME.c become $(BUILD)/bench/NAME; tests/bench/run
# runs them and prints the figures (ratios against a baseline measured in the
# same run).
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(TESTLIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libkentongan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

bench: setup-bench
	@$(MAKE) --no-print-directory $(BUILD)/kentongan $(BUILD)/atsim $(BENCH_BINS)
	@KT_BUILD=$(abspath $(BUILD)) KT_ROOT=$(CURDIR) tests/bench/run

# The soak (tests/soak/soak.c): real redis, gateway and three AT simulators for
# SOAK_SECONDS (default 3600); prints a verdict, writes $(BUILD)/soak/. Not part of make test.
$(BUILD)/soak/soak: tests/soak/soak.c tests/bench/bench.h $(TESTLIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libkentongan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

soak: setup-bench
	@$(MAKE) --no-print-directory $(BUILD)/kentongan $(BUILD)/atsim $(BUILD)/soak/soak
	@LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	KT_BUILD=$(abspath $(BUILD)) KT_ROOT=$(CURDIR) $(BUILD)/soak/soak

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/corpus/NAME/.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The library is instrumented once (fuzzer-no-link) and shared by every target.
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build-fuzz/libkentongan.a: $(FUZZ_OBJ)
	@echo "clang (fuzzer) $@"
	@ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c build-fuzz/libkentongan.a
	@echo "clang (fuzzer) $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libkentongan.a $(LDLIBS)

fuzz: setup $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$${f#build-fuzz/}; n=$${n#fuzz_}; mkdir -p build-fuzz/corpus-$$n; \
	  echo "== fuzz $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# A short run of every fuzz target over its seeds plus fresh inputs, part of make test.
fuzz-short: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$${f#build-fuzz/}; n=$${n#fuzz_}; \
	  mkdir -p build-fuzz/corpus-$$n; $$f -runs=20000 -max_len=4096 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n >/dev/null 2>build-fuzz/$$n.log \
	  || { cat build-fuzz/$$n.log; exit 1; }; echo "fuzz $$n: ok"; done

PREFIX ?= /usr/local
install: $(BUILD)/kentongan $(BUILD)/kentongan-ctl
	install -D -m 0755 $(BUILD)/kentongan $(DESTDIR)$(PREFIX)/bin/kentongan
	install -D -m 0755 $(BUILD)/kentongan-ctl $(DESTDIR)$(PREFIX)/bin/kentongan-ctl
	install -D -m 0644 scripts/kentongan.service $(DESTDIR)/etc/systemd/system/kentongan.service
	install -d $(DESTDIR)$(PREFIX)/share/kentongan/data
	install -m 0644 data/*.csv $(DESTDIR)$(PREFIX)/share/kentongan/data/
	id kentongan >/dev/null 2>&1 || useradd --system --home /var/lib/kentongan --shell /usr/sbin/nologin kentongan

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build build-san build-fuzz bin
