# tcgtrace: QEMU TCG plugins and the `tcgtrace` command.
#
#   make          build everything into build/ (QEMU is built once into a cache)
#   make check    all tests (unit and integration, real QEMU)
#   make demo     set-up, then the main job on a bundled demo program
#   make bench    benchmarks (never part of `make check`)
#
# Sources are found by wildcard, so a new plugin, subcommand, analysis, unit
# test or guest needs no change here:
#   plugins/NAME.c       -> build/plugins/libNAME.so (+ plugins/common/*.c)
#   lib/*.c              -> build/libtcgtrace.a (the trace format; no glib, no QEMU)
#   cmd/*.c analysis/*.c -> build/tcgtrace
#   tests/unit/NAME.c    -> build/tests/NAME (a TAP program)
#   tests/guests/NAME.c  -> build/guests/{x86_64,x86_64-nopie,aarch64,riscv64}/NAME
#   bench/NAME.c         -> build/bench/NAME (micro-benchmarks)
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
CMD_LIBS := -ldw -lelf -lzstd -lpthread
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

.PHONY: all deps qemu check unit integration demo bench bench-quick clean
# Objects are intermediates of chained pattern rules: keep them, so a second
# `make` rebuilds nothing and `make check` ends with prove's summary.
.SECONDARY:
all: deps $(LIBTT) $(PLUGINS) $(TCGTRACE) $(GUESTS) $(BAREMETAL)

deps:
	@scripts/install-deps.sh

qemu: $(QEMU_STAMP)
$(QEMU_STAMP): | deps
	scripts/build-qemu.sh

$(B)/obj/%.o: %.c
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

# Micro-benchmarks of our own code (bench/NAME.c), run by bench/run.sh.
BENCH_PROGS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
$(B)/bench/%: $(B)/obj/bench/%.o $(ANALYSIS_OBJS) $(LIBTT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMD_LIBS)

define guest_rule
$(B)/guests/$(1)/%: tests/guests/%.c | deps
	@mkdir -p $$(@D)
	$$(call guest_cc,$(1)) $(GUEST_CFLAGS) $$(call guest_flags,$(1),$$*) -o $$@ $$< -lm
endef
$(foreach a,$(GUEST_ARCHS),$(eval $(call guest_rule,$(a))))

$(BAREMETAL): $(wildcard tests/guests/baremetal/*) | deps
	@mkdir -p $(@D)
	riscv64-linux-gnu-gcc -O1 -g -nostdlib -ffreestanding -mcmodel=medany -fno-pie -no-pie -static -Wl,--build-id=none \
	    -Wl,--no-warn-rwx-segments -T tests/guests/baremetal/link.ld \
	    tests/guests/baremetal/start.S tests/guests/baremetal/uart.c -o $@

# The test command of the README. prove runs every test (C unit tests and
# shell integration tests, all TAP) and ends with its summary.
check: all $(UNIT_TESTS)
	prove -j2 --exec '' $(UNIT_TESTS) $(sort $(wildcard tests/integration/*.t))

unit: all $(UNIT_TESTS)
	prove --exec '' $(UNIT_TESTS)

integration: all
	prove -j2 --exec '' $(sort $(wildcard tests/integration/*.t))

demo: all
	@scripts/demo.sh

bench: all $(BENCH_PROGS)
	bench/run.sh

bench-quick: all $(BENCH_PROGS)
	bench/run.sh --quick

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/obj-v1 -name '*.d' 2>/dev/null)
