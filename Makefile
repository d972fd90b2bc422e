# Hopline: the two set-up commands from README.md, plus benchmarks.
#   make demo   install missing Debian packages, build (release), run a loopback call on the bundled sample
#   make test   install missing Debian packages, build, run every test
#   make bench  the codec/pipeline benchmark (bench/README.md)
#   make bench-quality  call quality and delay under impairments, Hopline vs GStreamer (bench/README.md)
#   make soak   a 30-minute call through the impairment proxy; memory, CPU and descriptors must stay flat
#   make bench-flood    a listener's CPU per garbage handshake message under a 5,000/s flood
#   make bench-cpu      CPU per call process: a 10 s Hopline call against a baresip call, files on both ends
#   make bench-lab-memory  peak RSS of `loopback --fast` on 1-, 10- and 60-minute inputs (streaming: flat)
#   make bench-relay    Hopline's relay vs a minimal C forwarder vs coturn, CPU/packet, capacity, delay, memory
#   make bench-failover relay failover gap (SIGKILL of the active relay) and a relaying node's own call quality
#   make bench-echo     echo cancellation on the headless live path: ERLE, and PESQ-WB of the near end in double talk
#   make live-drift     a 5-minute live call whose speaker delay and measured clock drift must stay flat
#   make bench-dht      discovery on OpenDHT: resolving a node ID in a 50-node network, idle DHT traffic, call to first audio
#   make fuzz   libFuzzer + ASan on every parser of untrusted bytes, FUZZ_SECONDS per target (README.md, "Fuzzing")

SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build, the tests and the benchmarks need.
BUILD_PACKAGES := pkg-config libopus-dev portaudio19-dev libspeexdsp-dev libsrtp2-dev libwebrtc-audio-processing-dev libopendht-c-dev
# The live-audio tests run PortAudio against a private PulseAudio null-sink daemon; the call tests build network
# namespaces (iproute2) with NAT routers (nftables). See shared/TESTING.md.
TEST_PACKAGES := $(BUILD_PACKAGES) pulseaudio pulseaudio-utils libasound2-plugins iproute2 nftables conntrack dhtnode
# The benchmark's Python packages (numpy, scipy, pesq) go into a venv for BENCH_PYTHON, so the same steps work
# for a pyenv/python.org Python and for Debian's (which refuses a bare `pip install`): python3-venv makes the
# venv, python3-dev builds pesq's C extension. Debian's python3-numpy/-scipy would only serve /usr/bin/python3.
BENCH_PACKAGES := $(BUILD_PACKAGES) python3 python3-pip python3-venv python3-dev
BENCH_PYTHON ?= python3
BENCH_VENV := bench/out/venv
# bench-quality also runs the GStreamer reference pipeline (through Debian's python3-gi) and sox.
QUALITY_PACKAGES := $(BENCH_PACKAGES) gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-base \
	python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 sox
QUALITY_SCRATCH ?= .build-quality
SOAK_SCRATCH ?= .build-soak
SOAK_MINUTES ?= 30
QUALITY_ARGS ?=
# bench-relay: gcc (+ libssl-dev for the generator's TURN credentials), coturn (turnserver), util-linux (taskset,
# chrt), python3 (the driver: standard library only).
RELAY_PACKAGES := gcc libc6-dev libssl-dev coturn util-linux python3
RELAY_SCRATCH ?= .build-bench
RELAY_PYTHON ?= python3
RELAY_ARGS ?=
RELAY_CFLAGS := -O2 -Wall -Wextra
# bench-failover: the bench venv (numpy, scipy, pesq), gcc + libssl-dev for the load generator, util-linux (unshare,
# taskset), iproute2 and nftables (a private network namespace whose loopback firewall blocks the direct path).
FAILOVER_PACKAGES := $(BENCH_PACKAGES) gcc libc6-dev libssl-dev util-linux iproute2 nftables
FAILOVER_SCRATCH ?= .build-failover
FAILOVER_ARGS ?=
# bench-dht: dhtnode (the bootstrap node), util-linux (unshare: a private network namespace whose loopback carries
# only the benchmark, for the idle-traffic count), iproute2, and nftables (drops the direct path for relayed calls).
DHT_PACKAGES := $(BUILD_PACKAGES) dhtnode util-linux iproute2 nftables
DHT_SCRATCH ?= .build-dht
DHT_ARGS ?=
DEMO_INPUT := samples/demo-speech-16k.wav
DEMO_OUTPUT := demo-received.wav

.PHONY: demo test bench bench-quality bench-relay bench-relay-tools bench-failover bench-flood bench-cpu bench-dht bench-lab-memory \
	bench-venv soak fuzz fuzz-seeds build deps-build deps-test deps-bench deps-quality deps-relay deps-failover deps-dht deps-cpu \
	check-swift clean bench-echo live-drift

demo: deps-build check-swift
	$(SWIFT) build -c release --product hopline
	.build/release/hopline loopback --in $(DEMO_INPUT) --out $(DEMO_OUTPUT)
	@echo "received audio written to $(DEMO_OUTPUT)"

test: deps-test check-swift
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps-bench check-swift bench-venv
	$(SWIFT) build -c release --product hopline-bench
	"$$($(SWIFT) build -c release --show-bin-path)/hopline-bench" --speech ../shared/speech --out bench/out \
		--python $(BENCH_VENV)/bin/python

bench-venv:
	@[ -x $(BENCH_VENV)/bin/python ] || $(BENCH_PYTHON) -m venv --system-site-packages $(BENCH_VENV)
	@$(BENCH_VENV)/bin/python -c 'import numpy, scipy, pesq' 2>/dev/null \
		|| $(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check numpy scipy pesq

# The quality matrix (bench/README.md, "make bench-quality"): ~20 min (real calls, GStreamer, the lab on 8 s files
# and on ~31 s of joined sentences); QUALITY_ARGS=--conditions clean,burst runs a subset; QUALITY_ARGS=--long-skew adds the
# 2-hour virtual-clock drift run.
bench-quality: deps-quality check-swift bench-venv
	$(SWIFT) build -c release --product hopline --scratch-path $(QUALITY_SCRATCH)
	$(SWIFT) build -c release --product hopline-bench --scratch-path $(QUALITY_SCRATCH)
	$(BENCH_VENV)/bin/python bench/quality_matrix.py --hopline $(QUALITY_SCRATCH)/release/hopline \
		--hopline-bench $(QUALITY_SCRATCH)/release/hopline-bench --speech ../shared/speech --out bench/out \
		$(QUALITY_ARGS)

# The soak (bench/README.md, "make soak"): a SOAK_MINUTES-long real-time call through `hopline impair` (wifi),
# RSS, CPU and open descriptors sampled each minute; fails if they grow.
soak: deps-bench check-swift
	$(SWIFT) build -c release --product hopline --scratch-path $(SOAK_SCRATCH)
	python3 bench/soak.py --hopline $(SOAK_SCRATCH)/release/hopline --speech ../shared/speech --out bench/out \
		--minutes $(SOAK_MINUTES)

# The relay benchmark (bench/README.md, "make bench-relay"): ~6 min after the build. RELAY_ARGS passes options to
# bench/relay_bench.py (e.g. RELAY_ARGS="--steps 100,1000 --window 5").
bench-relay: deps-relay deps-build check-swift bench-relay-tools
	$(SWIFT) build -c release --product hopline --scratch-path $(RELAY_SCRATCH)
	$(RELAY_PYTHON) bench/relay_bench.py --hopline $(RELAY_SCRATCH)/release/hopline --tools bench/out --out bench/out \
		$(RELAY_ARGS)

bench-relay-tools: deps-relay
	@mkdir -p bench/out
	gcc $(RELAY_CFLAGS) -o bench/out/cforward bench/relay/cforward.c
	gcc $(RELAY_CFLAGS) -o bench/out/loadgen bench/relay/loadgen.c -lcrypto

# Relay failover and own-call quality under relay load (bench/README.md, "make bench-failover"): ~5 min after the
# build. FAILOVER_ARGS passes options to bench/relay_failover.py (e.g. FAILOVER_ARGS="--trials 20").
bench-failover: deps-failover check-swift bench-venv
	$(SWIFT) build -c release --product hopline --scratch-path $(FAILOVER_SCRATCH)
	@mkdir -p bench/out
	gcc $(RELAY_CFLAGS) -o bench/out/loadgen bench/relay/loadgen.c -lcrypto
	$(BENCH_VENV)/bin/python bench/relay_failover.py --hopline $(FAILOVER_SCRATCH)/release/hopline \
		--loadgen bench/out/loadgen --speech ../shared/speech --out bench/out $(FAILOVER_ARGS)

# Discovery on OpenDHT (bench/README.md, "make bench-dht"): about 2 minutes after the build. As root it runs in a
# private network namespace (idle traffic and relayed calls); otherwise those two parts are skipped with a note.
bench-dht: deps-dht check-swift
	$(SWIFT) build -c release --product hopline --scratch-path $(DHT_SCRATCH)
	$(SWIFT) build -c release --product hopline-dht-bench --scratch-path $(DHT_SCRATCH)
	@mkdir -p bench/out
	@if [ "$$(id -u)" = 0 ]; then \
		unshare -n sh -c 'ip link set lo up && exec $(DHT_SCRATCH)/release/hopline-dht-bench --hopline $(DHT_SCRATCH)/release/hopline \
			--sample $(DEMO_INPUT) --out bench/out --private-netns $(DHT_ARGS)'; \
	else \
		$(DHT_SCRATCH)/release/hopline-dht-bench --hopline $(DHT_SCRATCH)/release/hopline --sample $(DEMO_INPUT) --out bench/out $(DHT_ARGS); \
	fi

# Peak RSS of `hopline loopback --fast` against input length (bench/README.md, "make bench-lab-memory").
LAB_MEMORY_SCRATCH ?= .build-lab-memory
# bench-cpu: baresip (Debian's baresip-core 1.0, the reference) and python3 (the driver: standard library only).
CPU_PACKAGES := $(BUILD_PACKAGES) baresip-core python3
CPU_SCRATCH ?= .build-cpu
CPU_ARGS ?=
# The measured build links the Swift runtime and Foundation statically (bench/README.md, "make bench-cpu": ~15 ms
# less start-up per process); CPU_BUILD_FLAGS= measures the default dynamic build instead.
CPU_BUILD_FLAGS ?= --static-swift-stdlib
bench-lab-memory: deps-build check-swift
	$(SWIFT) build -c release --product hopline --scratch-path $(LAB_MEMORY_SCRATCH)
	python3 bench/lab_memory.py --hopline $(LAB_MEMORY_SCRATCH)/release/hopline --speech ../shared/speech

# The listener's CPU per garbage handshake message under a 5,000/s flood (bench/README.md, "make bench-flood"), from
# one source, 64 and 1000; FLOOD_BASELINE=path/to/another/hopline measures that build in the same run (ratios).
bench-flood: deps-bench check-swift
	$(SWIFT) build -c release --product hopline --scratch-path $(RELAY_SCRATCH)
	python3 bench/handshake_flood.py --hopline $(RELAY_SCRATCH)/release/hopline --rate 5000 --seconds 5 \
		$(if $(FLOOD_BASELINE),--baseline $(FLOOD_BASELINE))

# CPU per call process, Hopline against baresip (bench/README.md, "make bench-cpu"): ~4 minutes after the build (5
# rounds of 10 s calls). CPU_BASELINE=path/to/another/hopline measures that build in the same run; CPU_ARGS passes
# options to bench/cpu_compare.py (e.g. CPU_ARGS="--rounds 9").
bench-cpu: deps-cpu check-swift
	$(SWIFT) build -c release --product hopline --scratch-path $(CPU_SCRATCH) $(CPU_BUILD_FLAGS)
	python3 bench/cpu_compare.py --hopline $(CPU_SCRATCH)/release/hopline --speech ../shared/speech --out bench/out \
		$(if $(CPU_BASELINE),--baseline $(CPU_BASELINE)) $(CPU_ARGS)

# ~11 minutes after the build: 16 targets x FUZZ_SECONDS (default 80), two at a time (FUZZ_JOBS); FUZZ_TARGETS="rtp
# noise" for a subset. The first build takes ~12 minutes on 2 cores (every dependency with ASan and coverage).
fuzz: deps-build check-swift
	SWIFT=$(SWIFT) Fuzz/fuzz.sh

# Rewrites the committed seed corpus (Fuzz/corpus) from the real serializers, plus config/*.toml.
fuzz-seeds: deps-build check-swift
	SWIFT=$(SWIFT) Fuzz/fuzz.sh --build-only
	rm -rf Fuzz/corpus && HOPLINE_FUZZ_SEEDS=Fuzz/corpus .build-fuzz/release/hopline-fuzz
	cp config/hopline.toml Fuzz/corpus/config/hopline.toml
	cp config/examples/*.toml Fuzz/corpus/config/

build: deps-build check-swift
	$(SWIFT) build -c release --product hopline

# Echo cancellation (README.md, "Live audio devices"): the EchoCancellationTests on a headless PulseAudio null sink,
# with the double-talk test also scoring PESQ-WB through the bench venv (it fails below HOPLINE_PESQ_MINIMUM, 3.0).
bench-echo: deps-test check-swift bench-venv
	$(SWIFT) build --build-tests
	HOPLINE_PESQ_PYTHON=$(BENCH_VENV)/bin/python $(SWIFT) test --skip-build --filter EchoCancellationTests

# The live-call drift check of the suite (40 s there) for LIVE_CALL_SECONDS (default 300).
LIVE_CALL_SECONDS ?= 300
live-drift: deps-test check-swift
	$(SWIFT) build --build-tests
	HOPLINE_LIVE_CALL_SECONDS=$(LIVE_CALL_SECONDS) $(SWIFT) test --skip-build --filter LiveCallDriftTests

deps-build:
	@scripts/ensure-debian-packages.sh $(BUILD_PACKAGES)
deps-test:
	@scripts/ensure-debian-packages.sh $(TEST_PACKAGES)
deps-bench:
	@scripts/ensure-debian-packages.sh $(BENCH_PACKAGES)
deps-quality:
	@scripts/ensure-debian-packages.sh $(QUALITY_PACKAGES)
deps-relay:
	@scripts/ensure-debian-packages.sh $(RELAY_PACKAGES)
deps-failover:
	@scripts/ensure-debian-packages.sh $(FAILOVER_PACKAGES)

deps-cpu:
	@scripts/ensure-debian-packages.sh $(CPU_PACKAGES)
deps-dht:
	@scripts/ensure-debian-packages.sh $(DHT_PACKAGES)

check-swift:
	@command -v $(SWIFT) >/dev/null || { echo "error: no Swift toolchain on PATH (Hopline needs Swift 6: https://www.swift.org/install/linux/)" >&2; exit 1; }

clean:
	rm -rf .build $(DEMO_OUTPUT) bench/out
