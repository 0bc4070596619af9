# tcgtrace: QEMU TCG plugins and the `tcgtrace` command.
#
#   make          build everything into build/ (QEMU is built once into a cache)
#   make check    all tests (unit and integration, real QEMU)
#   make demo     set-up, then the main job on a bundled demo program
#   make bench    benchmarks (never part of `make check`)
#   make sanitize the tests again with ASan and UBSan (build-san/)
#   make fuzz     libFuzzer on the trace reader and commands (build-fuzz/)
#
# Sources are found by wildcard, so a new plugin, subcommand, analysis, unit
# test or guest needs no change here:
#   plugins/NAME.c       -> build/plugins/libNAME.so (+ plugins/common/*.c)
#   lib/*.c              -> build/libtcgtrace.a (the trace format; no glib, no QEMU)
#   cmd/*.c analysis/*.c -> build/tcgtrace
#   tests/unit/NAME.c    -> build/tests/NAME (a TAP program)
#   tests/guests/NAME.c  -> build/guests/{x86_64,x86_64-nopie,aarch64,riscv64}/NAME
#                           (and build/guests/ARCH-O0/NAME for those in O0_GUEST_NAMES)
#   bench/NAME.c         -> build/bench/NAME (micro-benchmarks)
#   tests/fuzz/NAME.c    -> build/fuzz/NAME (fuzz targets)
# B=DIR builds elsewhere (sanitizer builds, parallel work trees).

VERSION := 0.1.0
B ?= build
export B

CC ?= gcc
OPT ?= -O2
WERROR ?= -Werror
SAN ?=
CFLAGS_BASE := -std=c11 $(OPT) -g -Wall -Wextra $(WERROR) -D_GNU_SOURCE -Iinclude $(SAN)
CFLAGS := $(CFLAGS_BASE) -fPIC -DTCGTRACE_VERSION='"$(VERSION)"'
LDFLAGS := $(SAN)

# QEMU 10.0, built once from Debian's source into a cache outside the tree.
QEMU_DIR ?= $(or $(TCGTRACE_QEMU_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tcgtrace/qemu-10.0)
QEMU_STAMP := $(QEMU_DIR)/.tcgtrace-stamp
export TCGTRACE_QEMU_DIR := $(QEMU_DIR)

GLIB_CFLAGS = $(shell pkg-config --cflags glib-2.0)
GLIB_LIBS = $(shell pkg-config --libs glib-2.0)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
LIBTT := $(B)/libtcgtrace.a
LIB_LIBS := -lzstd -lpthread

PLUGIN_SRCS := $(wildcard plugins/*.c)
PLUGIN_COMMON_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard plugins/common/*.c))
PLUGINS := $(patsubst plugins/%.c,$(B)/plugins/lib%.so,$(PLUGIN_SRCS))

ANALYSIS_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard analysis/*.c))
CMD_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard cmd/*.c))
# libstdc++ for its C++ demangler (__cxa_demangle), by its runtime name:
# Debian installs the library with gcc, its -lstdc++ link only with g++.
CMD_LIBS := -ldw -lelf -lzstd -lpthread -l:libstdc++.so.6
TCGTRACE := $(B)/tcgtrace

UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/*.c))

# Guest programs: native x86_64 (PIE, Debian's default, and non-PIE) and
# foreign through Debian's cross compilers. Guests named omp_* use OpenMP.
GUEST_SRCS := $(wildcard tests/guests/*.c)
GUEST_NAMES := $(GUEST_SRCS:tests/guests/%.c=%)
GUEST_ARCHS := x86_64 x86_64-nopie aarch64 riscv64
GUESTS := $(foreach a,$(GUEST_ARCHS),$(GUEST_NAMES:%=$(B)/guests/$(a)/%))
GUEST_CFLAGS := -O1 -g -pthread -Wall -Wextra -Werror
guest_cc = $(if $(filter aarch64,$(1)),aarch64-linux-gnu-gcc,$(if $(filter riscv64,$(1)),riscv64-linux-gnu-gcc,gcc))
guest_flags = $(if $(filter x86_64-nopie,$(1)),-no-pie -fno-pie) $(if $(filter omp_%,$(2)),-fopenmp)
BAREMETAL := $(B)/guests/riscv64-virt/uart.elf
# Unoptimised builds of the guests whose verdict rests on what the debug
# information says of variables (kept on the stack at -O0, not inlined).
O0_GUEST_NAMES := race_heap_atomic race_deque
O0_GUEST_ARCHS := x86_64 aarch64 riscv64
O0_GUESTS := $(foreach a,$(O0_GUEST_ARCHS),$(O0_GUEST_NAMES:%=$(B)/guests/$(a)-O0/%))

.PHONY: all deps qemu check unit integration sanitize fuzz demo bench bench-quick clean
# Objects are intermediates of chained pattern rules: keep them, so a second
# `make` rebuilds nothing and `make check` ends with prove's summary.
.SECONDARY:
all: deps $(LIBTT) $(PLUGINS) $(TCGTRACE) $(GUESTS) $(O0_GUESTS) $(BAREMETAL)

deps:
	@scripts/install-deps.sh

qemu: $(QEMU_STAMP)
$(QEMU_STAMP): | deps
	scripts/build-qemu.sh

# Order-only on deps: under make -j a compiler must not start before the
# headers it includes (zstd, elfutils) are installed.
$(B)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/plugins/%.o: plugins/%.c $(QEMU_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) -I$(QEMU_DIR)/include -Iplugins -MMD -MP -c $< -o $@

$(LIBTT): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(B)/plugins/lib%.so: $(B)/obj/plugins/%.o $(PLUGIN_COMMON_OBJS) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $< $(PLUGIN_COMMON_OBJS) $(LIBTT) $(GLIB_LIBS) $(LIB_LIBS)

# The plugins again, built against QEMU 7.2's plugin header (API v1) for the
# QEMUs older than 9.0 that distributions ship (docs/qemu-versions.md);
# tcgtrace record picks the build that QEMU's version loads.
QEMU_V1_DIR ?= $(or $(TCGTRACE_QEMU_V1_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tcgtrace/qemu-7.2-header)
QEMU_V1_STAMP := $(QEMU_V1_DIR)/.tcgtrace-stamp
export TCGTRACE_QEMU_V1_DIR := $(QEMU_V1_DIR)
PLUGIN_COMMON_OBJS_V1 := $(patsubst %.c,$(B)/obj-v1/%.o,$(wildcard plugins/common/*.c))
PLUGINS_V1 := $(patsubst plugins/%.c,$(B)/plugins-v1/lib%.so,$(PLUGIN_SRCS))
all: $(PLUGINS_V1)

$(QEMU_V1_STAMP): | deps
	scripts/fetch-qemu-header.sh

$(B)/obj-v1/plugins/%.o: plugins/%.c $(QEMU_V1_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) -I$(QEMU_V1_DIR)/include -Iplugins -MMD -MP -c $< -o $@

$(B)/plugins-v1/lib%.so: $(B)/obj-v1/plugins/%.o $(PLUGIN_COMMON_OBJS_V1) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $< $(PLUGIN_COMMON_OBJS_V1) $(LIBTT) $(GLIB_LIBS) $(LIB_LIBS)

$(TCGTRACE): $(CMD_OBJS) $(ANALYSIS_OBJS) $(LIBTT)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(ANALYSIS_OBJS) $(LIBTT) $(CMD_LIBS)

# Unit tests see everything but main().
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(ANALYSIS_OBJS) $(filter-out $(B)/obj/cmd/main.o,$(CMD_OBJS)) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMD_LIBS)

# The plugins' guard of their text logs, outside QEMU.
$(B)/tests/test_fdguard: $(B)/obj/plugins/common/fdguard.o

# Micro-benchmarks of our own code (bench/NAME.c), run by bench/run.sh.
BENCH_PROGS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
$(B)/bench/%: $(B)/obj/bench/%.o $(ANALYSIS_OBJS) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMD_LIBS)

# -MF/-MT: the headers a guest includes (tests/guests/*.h) are its
# dependencies too; compiling and linking in one step names no object.
define guest_rule
$(B)/guests/$(1)/%: tests/guests/%.c | deps
	@mkdir -p $$(@D)
	$$(call guest_cc,$(1)) $(GUEST_CFLAGS) $$(call guest_flags,$(1),$$*) -MMD -MP -MF $$@.d -MT $$@ -o $$@ $$< -lm
endef
$(foreach a,$(GUEST_ARCHS),$(eval $(call guest_rule,$(a))))
define guest_o0_rule
$(B)/guests/$(1)-O0/%: tests/guests/%.c | deps
	@mkdir -p $$(@D)
	$$(call guest_cc,$(1)) $(GUEST_CFLAGS) -O0 -MMD -MP -MF $$@.d -MT $$@ -o $$@ $$< -lm
endef
$(foreach a,$(O0_GUEST_ARCHS),$(eval $(call guest_o0_rule,$(a))))

$(BAREMETAL): $(wildcard tests/guests/baremetal/*) | deps
	@mkdir -p $(@D)
	riscv64-linux-gnu-gcc -O1 -g -nostdlib -ffreestanding -mcmodel=medany -fno-pie -no-pie -static -Wl,--build-id=none \
	    -Wl,--no-warn-rwx-segments -T tests/guests/baremetal/link.ld \
	    tests/guests/baremetal/start.S tests/guests/baremetal/uart.c -o $@

# Fuzz targets (tests/fuzz/NAME.c, LLVMFuzzerTestOneInput) -> $(B)/fuzz/NAME,
# with a plain main (tests/fuzz/driver.c runs the files it is given) unless
# FUZZ_MAIN is emptied and FUZZ_LDFLAGS brings libFuzzer's (make fuzz).
FUZZ_PROGS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(filter-out tests/fuzz/driver.c,$(wildcard tests/fuzz/*.c)))
FUZZ_MAIN ?= $(B)/obj/tests/fuzz/driver.o
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(FUZZ_MAIN) $(ANALYSIS_OBJS) $(filter-out $(B)/obj/cmd/main.o,$(CMD_OBJS)) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(FUZZ_LDFLAGS) -o $@ $^ $(CMD_LIBS)

# The test command of the README. prove runs every test (C unit tests and
# shell integration tests, all TAP) and ends with its summary. The fuzz
# targets are built so that they keep building (test_mutate runs their code).
check: all $(UNIT_TESTS) $(FUZZ_PROGS)
	prove -j2 --exec '' $(UNIT_TESTS) $(sort $(wildcard tests/integration/*.t))

unit: all $(UNIT_TESTS)
	prove --exec '' $(UNIT_TESTS)

integration: all
	prove -j2 --exec '' $(sort $(wildcard tests/integration/*.t))

# Sanitizer build (docs/robustness.md): the library, the command, the unit
# tests and the plugins with AddressSanitizer and UndefinedBehaviorSanitizer
# in build-san/, then every test but qemu72.t (Debian's own QEMU 7.2, which
# cannot preload the runtime the way tests/sanitize/qemu-wrappers.sh does
# for ours). Any sanitizer report fails the run, even one a test did not
# notice: reports go to build-san/san-logs/. UBSan findings known and
# reported but not fixed yet are in tests/sanitize/ubsan.supp (UBSan is
# built recoverable so that they can be, and halts on any other).
SAN_B := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_LOGS := $(CURDIR)/$(SAN_B)/san-logs
SAN_SHIM := $(SAN_B)/sanitize/libasan_first.so
sanitize:
	@# Objects do not depend on the flags: new flags, a new build.
	@echo '$(SAN_FLAGS)' | cmp -s - $(SAN_B)/.san-flags || \
	    { rm -rf $(SAN_B) && mkdir -p $(SAN_B) && echo '$(SAN_FLAGS)' >$(SAN_B)/.san-flags; }
	$(MAKE) B=$(SAN_B) OPT=-O1 SAN='$(SAN_FLAGS)' all $(UNIT_TESTS:$(B)/%=$(SAN_B)/%) $(FUZZ_PROGS:$(B)/%=$(SAN_B)/%)
	@mkdir -p $(dir $(SAN_SHIM))
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -shared -o $(SAN_SHIM) tests/sanitize/asan_first.c \
	    $$($(CC) -print-file-name=libasan.so) -ldl
	tests/sanitize/qemu-wrappers.sh $(QEMU_DIR) $(CURDIR)/$(SAN_B)/qemu $(CURDIR)/$(SAN_SHIM)
	rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	B=$(SAN_B) TCGTRACE_QEMU_DIR=$(CURDIR)/$(SAN_B)/qemu \
	ASAN_OPTIONS=log_path=$(SAN_LOGS)/asan:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=log_path=$(SAN_LOGS)/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/tests/sanitize/ubsan.supp \
	    prove -j2 --exec '' $(UNIT_TESTS:$(B)/%=$(SAN_B)/%) \
	    $(filter-out tests/integration/qemu72.t,$(sort $(wildcard tests/integration/*.t))); \
	status=$$?; \
	reports=$$(grep -l -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' $(SAN_LOGS)/* 2>/dev/null); \
	if [ -n "$$reports" ]; then head -n 60 $$reports; echo "sanitize: sanitizer reports in $(SAN_LOGS)"; exit 1; fi; \
	exit $$status

# libFuzzer (clang) on the fuzz targets, FUZZ_TIME seconds each, in
# build-fuzz/; corpora are kept there between runs, seeded from the golden
# traces, writer-made traces and tests/corrupt/. A finding stops the run;
# its input is build-fuzz/crash-* (or leak-, timeout-, oom-): keep it in
# tests/corrupt/ once fixed.
FUZZ_B := build-fuzz
FUZZ_TIME ?= 300
fuzz:
	$(MAKE) B=$(FUZZ_B) CC=clang OPT=-O1 WERROR= SAN='$(SAN_FLAGS) -fno-sanitize-recover=all -fsanitize=fuzzer-no-link' \
	    FUZZ_MAIN= FUZZ_LDFLAGS=-fsanitize=fuzzer $(FUZZ_PROGS:$(B)/%=$(FUZZ_B)/%) $(FUZZ_B)/tests/test_mutate
	mkdir -p $(FUZZ_B)/seeds && $(FUZZ_B)/tests/test_mutate --write-seeds $(FUZZ_B)/seeds
	cp tests/golden/*.tct $$(find tests/corrupt -type f -name "*.tct") $(FUZZ_B)/seeds/
	for t in $(notdir $(FUZZ_PROGS)); do \
	    mkdir -p $(FUZZ_B)/corpus/$$t && \
	    $(FUZZ_B)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/ \
	        $(FUZZ_B)/corpus/$$t $(FUZZ_B)/seeds </dev/null || exit 1; \
	done

demo: all
	@scripts/demo.sh

bench: all $(BENCH_PROGS)
	bench/run.sh

bench-quick: all $(BENCH_PROGS)
	bench/run.sh --quick

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/obj-v1 $(B)/guests -name '*.d' 2>/dev/null)
