# SPDX-License-Identifier: MIT
# bftime build. Everything lands in build/: the optimised library and
# programs at the top, the sanitizer build used by the tests in build/asan/.
#
#   make            library, bftime, bftime-bench
#   make run        install missing Debian packages, build, run a 5-node loopback cluster (Ctrl-C stops)
#   make test       install missing Debian packages, build under ASan+UBSan, run all tests
#   make bench      benchmarks table (build/bftime-bench --json for JSON lines), NTP serving beside chronyd
#   make install    PREFIX=/usr/local, DESTDIR: programs, library, headers, pkg-config file, man pages,
#                   systemd unit, /etc/bftime/bftime.yaml (an existing one is kept)

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0
B       := build
A       := $(B)/asan

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -Iinclude -Isrc $(WARN) -fPIC -fvisibility=hidden -MMD -MP
OPT     := -O2 -g
# bftime-sim's objects (the library's among them) carry GCC's intermediate
# code beside their machine code (fat): every other link uses the machine code
# as before, and the simulator's link optimizes the library, the node and the
# world as one program (inlining the interval and saturating helpers across
# files: 10% less time at 1,000 nodes, byte-identical results; docs/nakamoto.md,
# "Poisson mining"). No -ffast-math: the same bits. GCC only (with clang:
# plain objects and link).
IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -c clang)
LTO     := $(if $(filter 0,$(IS_CLANG)),-flto=auto -ffat-lto-objects)
LTOLINK := $(if $(LTO),-flto=auto)
AR_LTO  := $(if $(LTO),gcc-ar,ar)
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
# FFTW and json-c: the solar reference's correlator and SigMF reader (docs/solar.md).
LDLIBS  := -lfftw3 -ljson-c -lcrypto -lm
SIMLIBS := -lyaml -ljson-c
DLIBS   := -lyaml -lsqlite3 -lmicrohttpd -ljson-c -lcurl -lSoapySDR -lssl -lseccomp

LIB_SRC   := $(wildcard src/core/*.c src/proto/*.c src/node/*.c src/client/*.c)
SIM_SRC   := $(wildcard sim/*.c)
# The daemon's own modules (event loop, sockets, config, store, HTTP), the
# reference clock drivers it hosts (src/refclock) and the one place that
# reads the OS clock; linked into bftimed and the CLI.
# src/util: the text every face shares (option values and durations).
REF_SRC   := $(wildcard src/refclock/*.c)
UTIL_SRC  := $(wildcard src/util/*.c)
DMN_SRC   := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c src/sys/*.c)) $(REF_SRC) $(UTIL_SRC)
DMN_OBJ   := $(patsubst %.c,$(B)/obj/%.o,$(DMN_SRC))
DMN_AOBJ  := $(patsubst %.c,$(A)/obj/%.o,$(DMN_SRC))
BFTIMED   := $(if $(wildcard src/daemon/main.c),$(B)/bftimed $(B)/bftimed-test)
# The test kit (src/testkit): the simulator's liars and reference models.
# Never in libbftime or the production bftimed; linked into the simulator,
# the tests, and bftimed-test (bftimed with the kit: a `byzantine:` liar and
# the `simulated` reference), which the cluster tests run.
TESTKIT_SRC  := $(wildcard src/testkit/*.c)
TESTKIT_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(TESTKIT_SRC))
TESTKIT_AOBJ := $(patsubst %.c,$(A)/obj/%.o,$(TESTKIT_SRC))
SIM_KIT_SRC  := src/testkit/adversary.c src/testkit/refmodel.c
CLI_SRC   := $(wildcard src/cli/*.c)
BENCH_SRC := $(wildcard bench/*.c)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(patsubst tests/unit/%.c,$(A)/tests/%,$(TEST_SRC))
EXAMPLES  := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/fuzz_%.c,$(A)/fuzz/replay_%,$(FUZZ_SRC))

LIB_OBJ   := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
LIB_AOBJ  := $(patsubst %.c,$(A)/obj/%.o,$(LIB_SRC))

.PHONY: all deps run test check bench install clean fuzz
.SECONDARY:
all: $(B)/libbftime.a $(B)/libbftime.so $(B)/bftime $(B)/bftime-bench $(B)/bftime-sim $(BFTIMED) $(B)/bftime.pc $(EXAMPLES)

deps:
	@scripts/deps.sh

run: deps all
	scripts/cluster.sh $(RUN_ARGS)

test: deps
	@$(MAKE) --no-print-directory check

check: all $(TEST_BIN) $(B)/tests/test_regress $(FUZZ_REPLAY) $(B)/tests/clockwatch $(B)/tests/impair $(B)/tests/slhdsa-tool $(B)/tests/solar-gen $(B)/tests/p11shim.so $(B)/tests/solar-copy
	@tests/run.sh --watch $(B)/tests/clockwatch $(TEST_BIN) $(B)/tests/test_regress tests/fuzz/replay.sh tests/sim/quick.sh tests/sim/malformed.sh tests/sim/topology.sh $(wildcard tests/system/test_*.sh)

# libFuzzer targets (clang): build/fuzz/fuzz_NAME; run one with
#   build/fuzz/fuzz_wire -max_total_time=60 tests/fuzz/corpus/wire
fuzz: $(patsubst tests/fuzz/fuzz_%.c,$(B)/fuzz/fuzz_%,$(FUZZ_SRC))

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(DMN_SRC) $(TESTKIT_SRC)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -Iinclude -Isrc -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $^ $(DLIBS) $(LDLIBS)

$(A)/fuzz/replay_%: $(A)/obj/tests/fuzz/fuzz_%.o $(A)/obj/tests/fuzz/replay.o $(DMN_AOBJ) $(TESTKIT_AOBJ) $(A)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(DLIBS) $(LDLIBS)

# The dashboard page is assembled into dashboard.o (.incbin), which -MMD does not see.
$(B)/obj/src/daemon/dashboard.o $(A)/obj/src/daemon/dashboard.o: src/daemon/dashboard.html

# The CLI's readers of the daemon's answers are not among the daemon's sources.
$(B)/fuzz/fuzz_cli: src/cli/client.c src/cli/chain_print.c
$(A)/fuzz/replay_cli: $(A)/obj/src/cli/client.o $(A)/obj/src/cli/chain_print.o
# The simulator's scenario loader is not in the library either.
$(B)/fuzz/fuzz_scenario: sim/scenario.c
$(A)/fuzz/replay_scenario: $(A)/obj/sim/scenario.o

bench: $(B)/bftime-bench $(B)/bftime-sim $(B)/bftime-ntpload $(B)/bftime-echo
	$(B)/bftime-bench
	@scripts/bench_ntp_serve.sh
	@/usr/bin/time -f "sparse-rr16-10k-bench (issue 11): 10,000 nodes x 1 simulated hour: %e s wall, %U s user, %M KiB peak" \
		$(B)/bftime-sim scenarios/sparse-rr16-10k-bench.yaml --quiet
	@tests/sim/all.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(OPT) $(OBJ_LTO) $(CFLAGS) -c $< -o $@

$(A)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(SAN) $(CFLAGS) -c $< -o $@

# The pair-slope rows of regress.c's Theil-Sen vectorize (2.6 -> 1.4 us for
# 2016 slopes, bench_regress), which gcc's -O2 cost model does not do. Only
# element-wise divisions: no sum is reordered, so the results are the same bits.
# The sanitizers keep it scalar, so test_regress also runs built as released
# ($(B)/tests/test_regress, below), checking the vectorized loop.
$(B)/obj/src/core/regress.o: CFLAGS += -ftree-vectorize -fvect-cost-model=dynamic

# Rebuilt when the Makefile changes too: a module moved out of the library
# (src/testkit) must leave the archive, not linger in it.
$(B)/libbftime.a: $(LIB_OBJ) Makefile
	@rm -f $@
	$(AR_LTO) rcs $@ $(LIB_OBJ)

$(B)/libbftime.so: $(LIB_OBJ) Makefile
	$(CC) -shared -Wl,-soname,libbftime.so.0 -o $@ $(LIB_OBJ) $(LDLIBS)

$(A)/libbftime.a: $(LIB_AOBJ) Makefile
	@rm -f $@
	ar rcs $@ $(LIB_AOBJ)

# The CLI: the library, libcurl for the API, and of the daemon only what
# reads a node's configuration and key (config.c with the reference options
# it checks, keys.c, slhkey.c): no store (SQLite), no HTTP server (libmicrohttpd).
CLI_DEPS  := src/daemon/config.c src/daemon/keys.c src/daemon/slhkey.c $(REF_SRC) $(UTIL_SRC)
$(B)/bftime: $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC) $(CLI_DEPS)) $(B)/libbftime.a
	$(CC) $(OPT) -o $@ $^ -lyaml -ljson-c -lcurl -lSoapySDR -lssl $(LDLIBS)

$(B)/bftimed: $(B)/obj/src/daemon/main.o $(DMN_OBJ) $(B)/libbftime.a
	$(CC) $(OPT) -o $@ $^ $(DLIBS) -lsystemd $(LDLIBS)

$(B)/bftimed-test: $(B)/obj/src/daemon/main.o $(DMN_OBJ) $(TESTKIT_OBJ) $(B)/libbftime.a
	$(CC) $(OPT) -o $@ $^ $(DLIBS) -lsystemd $(LDLIBS)

# --version: both programs' main.c take VERSION from here (rebuilt when it changes).
$(B)/obj/src/daemon/main.o $(B)/obj/src/cli/main.o: BASE += -DBFT_VERSION='"$(VERSION)"'
$(B)/obj/src/daemon/main.o $(B)/obj/src/cli/main.o: Makefile
# ... and /metrics' bftime_build_info.
$(B)/obj/src/daemon/api_metrics.o $(A)/obj/src/daemon/api_metrics.o: BASE += -DBFT_VERSION='"$(VERSION)"'
$(B)/obj/src/daemon/api_metrics.o $(A)/obj/src/daemon/api_metrics.o: Makefile

$(B)/bftime-bench: $(patsubst %.c,$(B)/obj/%.o,$(BENCH_SRC)) $(B)/libbftime.a
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# The NTP serving benchmark's load generator and echo server (bench/serve,
# scripts/bench_ntp_serve.sh): tools, not part of bftime-bench.
$(B)/bftime-ntpload: $(B)/obj/bench/serve/ntpload.o $(B)/libbftime.a
	$(CC) $(OPT) -o $@ $^ -lssl $(LDLIBS)
$(B)/bftime-echo: $(B)/obj/bench/serve/echo.o
	$(CC) $(OPT) -o $@ $^

# Programs showing the public API, linked against the library only.
$(B)/examples/%: $(B)/obj/examples/%.o $(B)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# The simulator runs the GPS drivers' own plausibility checks (and the PPS
# pairing they use) on its receivers' synthetic reports, and the solar
# driver's engine on its simulated Sun; the host's clock (src/sys/clock.c)
# times its events for --profile, and only that.
SIM_REF_SRC := src/refclock/gps_guard.c src/refclock/pps.c src/refclock/solar_engine.c src/refclock/solar_track.c src/util/value.c src/util/yamlkit.c src/util/timetext.c src/sys/clock.c
$(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC) $(SIM_SRC) $(SIM_REF_SRC) $(SIM_KIT_SRC)): OBJ_LTO := $(LTO)
$(B)/bftime-sim: $(patsubst %.c,$(B)/obj/%.o,$(SIM_SRC) $(SIM_REF_SRC) $(SIM_KIT_SRC)) $(B)/libbftime.a
	$(CC) $(OPT) $(LTOLINK) -o $@ $^ $(SIMLIBS) $(LDLIBS)

# Unit tests link what they test: the daemon's modules come from an archive,
# so the linker takes only those a test reaches (and a test that defines a
# neighbour's functions itself, a fake, keeps that module out).
$(A)/libbftimed.a: $(DMN_AOBJ)
	@rm -f $@
	ar rcs $@ $^

$(A)/libtestkit.a: $(TESTKIT_AOBJ)
	@rm -f $@
	ar rcs $@ $^

$(A)/tests/%: $(A)/obj/tests/unit/%.o $(A)/libtestkit.a $(A)/libbftimed.a $(A)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -pthread -o $@ $^ -lcmocka $(DLIBS) $(LDLIBS)

# test_regress as released too: regress.c's vectorized pair slopes (above).
$(B)/tests/test_regress: $(B)/obj/tests/unit/test_regress.o $(B)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ -lcmocka $(LDLIBS)

# The Nakamoto mining model is the simulator's; its test links it and the PRNG
# (and the library once more after them, which they call).
$(A)/tests/test_nakamoto: $(A)/obj/sim/nakamoto.o $(A)/obj/sim/rng.o
$(A)/tests/test_nakamoto: LDLIBS := $(A)/libbftime.a $(LDLIBS)
# The topology report's graph measures (sim/topo.c) and the PRNG they seed from
# (and the library after them: the agreement step).
$(A)/tests/test_topo: $(A)/obj/sim/topo.o $(A)/obj/sim/rng.o
$(A)/tests/test_topo: LDLIBS := $(A)/libbftime.a $(LDLIBS)

# Test tool: watches the host's clocks while the tests run (tests/run.sh --watch)
$(B)/tests/clockwatch: tests/system/clockwatch.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) $(OPT) -o $@ $<

# Test tool: netem's delay, jitter and loss through NFQUEUE (test_netns.sh)
$(B)/tests/impair: tests/system/impair.c src/util/value.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -I. -Iinclude -Isrc $(WARN) $(OPT) -o $@ $^ -lnetfilter_queue

# Test tool: SLH-DSA on the command line against @noble/post-quantum
# (test_slhdsa_noble.sh); the sanitizer build of the library.
$(B)/tests/slhdsa-tool: $(A)/obj/tests/system/slhdsa_tool.o $(A)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

# Test tool: a PKCS#11 module wrapping SoftHSM2 that reports a PIN near
# locking or locked, which SoftHSM2 cannot (test_pkcs11).
$(B)/tests/p11shim.so: tests/system/p11shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) $(OPT) -fPIC -shared -o $@ $< -ldl

# Test tool: synthetic SigMF recordings of the Sun with known clock offsets
# (test_solar.sh).
$(B)/tests/solar-gen: $(B)/obj/tests/system/solar_gen.o $(B)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# Measurement tool: the solar copy check's detection fractions
# (scripts/results-solar-copy.sh).
$(B)/tests/solar-copy: $(B)/obj/tests/system/solar_copy.o $(B)/obj/src/refclock/solar_engine.o $(B)/obj/src/refclock/solar_track.o $(B)/libbftime.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(LDLIBS)

# Rewritten when PREFIX differs from the one it holds (make install PREFIX=...
# after a plain make), so the installed file never points at another prefix.
$(B)/bftime.pc: Makefile $(if $(filter-out $(PREFIX),$(shell sed -n 's/^prefix=//p' $(B)/bftime.pc 2>/dev/null)),pc-prefix-changed)
	@mkdir -p $(B)
	printf 'prefix=%s\nincludedir=$${prefix}/include\nlibdir=$${prefix}/lib\n\nName: libbftime\nDescription: Byzantine-fault-tolerant time: intervals, fusion, discipline\nVersion: %s\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lbftime\nLibs.private: -lfftw3 -ljson-c -lcrypto -lm\n' '$(PREFIX)' '$(VERSION)' > $@

.PHONY: pc-prefix-changed
pc-prefix-changed: ;

# Programs, library, headers, pkg-config file, man pages, the systemd unit
# (its paths rewritten for PREFIX) and the sample configuration as
# /etc/bftime/bftime.yaml, which an existing one is never replaced by.
install: all
	install -d $(DESTDIR)$(PREFIX)/include/bftime $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)/etc/bftime \
		$(DESTDIR)$(PREFIX)/share/doc/bftime
	install -m 644 include/bftime/*.h $(DESTDIR)$(PREFIX)/include/bftime/
	install -m 644 $(B)/libbftime.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libbftime.so $(DESTDIR)$(PREFIX)/lib/libbftime.so.$(VERSION)
	ln -sf libbftime.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libbftime.so.0
	ln -sf libbftime.so.0 $(DESTDIR)$(PREFIX)/lib/libbftime.so
	install -m 644 $(B)/bftime.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(B)/bftime $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(B)/bftimed $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 docs/man/bftime.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 docs/man/bftime.yaml.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 docs/man/bftimed.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|/usr/sbin/bftimed|$(PREFIX)/sbin/bftimed|g' etc/bftimed.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/bftimed.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/bftimed.service
	install -m 644 LICENSE README.md $(DESTDIR)$(PREFIX)/share/doc/bftime/
	[ -e $(DESTDIR)/etc/bftime/bftime.yaml ] || install -m 644 etc/bftime.yaml $(DESTDIR)/etc/bftime/bftime.yaml

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
