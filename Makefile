# swift-cluster — build, test and benchmark entry points.
# `make check` and `make demo` are the README's set-up commands: as root on a fresh Debian 12 they install
# what they need first.

SHELL := /bin/bash
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
APT_PACKAGES := nats-server libmnl-dev libcap-dev pkg-config iproute2 procps python3 python3-venv openssl \
                tcpdump arping curl dpkg-dev lintian man-db groff strace systemd adduser keepalived
PY_PACKAGES := nats-py==2.16.0

export SC_PYTHON := $(PYTHON)

.PHONY: all build check test demo chaos bench deps apt-deps py-deps bench-nats bench-vip bench-election deb deb-test clean

all: build

## deps: Debian packages and the Python test peer (nats-py in a virtualenv under .venv).
deps: apt-deps py-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

py-deps: $(VENV)/.stamp

$(VENV)/.stamp:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(PY_PACKAGES)
	touch $@

build:
	$(SWIFT) build

## check: install what is needed, build, run every test.
check: deps
	$(SWIFT) build --build-tests
	@# --build-tests builds every product, executables included: ClusterTests run the election-node helper
	@# found next to the test bundle.
	@test -x "$$($(SWIFT) build --show-bin-path)/election-node" || \
	  { echo "election-node was not built next to the tests"; exit 1; }
	@# Suites run one after another: many start nats-servers, network namespaces and timing-sensitive
	@# leases (kernel address lifetimes, lease TTLs); on a 2-core machine running them all at once
	@# starves the few concurrency threads and turns timing margins into flakes.
	@# A hung test fails the run after 30 minutes instead of eating the whole CI budget.
	timeout --kill-after=30 1800 $(SWIFT) test --skip-build --no-parallel
	@# The agent end to end: the real binary on a namespace LAN (three hosts, a client, nats-server).
	timeout --kill-after=30 600 bash Tests/e2e/agent_e2e.sh "$$($(SWIFT) build --show-bin-path)/swift-cluster"
	@# The same binary on the split layout: NATS over IPv6 on eth0, the VIP on eth1 (~20 s).
	timeout --kill-after=30 300 bash Tests/e2e/split_e2e.sh "$$($(SWIFT) build --show-bin-path)/swift-cluster"
	@# The Debian package: a static release build (the only release build of the run), lintian, install,
	@# upgrade, purge.
	timeout --kill-after=30 2400 $(MAKE) deb-test
	@# The failover benchmark, short (2 runs a scenario, side by side with keepalived), on the package's release
	@# binary; the R3 scenario is left to `make bench` (nats-server 2.9.10 R3 streams break under crashes:
	@# Tests/proof/CHAOS.md).
	timeout --kill-after=30 1200 bash Tests/proof/bench.sh --quick --only '^(sc-ttl|ka-)' \
	  --binary "$$($(DEB_SWIFT_BUILD) --show-bin-path)/swift-cluster"
	@# The fault-injection campaign, short: about 20 seeded faults, every invariant checked all along.
	timeout --kill-after=30 900 bash Tests/proof/chaos.sh --quick --binary "$$($(SWIFT) build --show-bin-path)/swift-cluster"

test: check

## demo: a three-host cluster in network namespaces with a local NATS server and a client probing the VIP:
## election, graceful handover and host crash, with the outage the client saw (root).
demo: deps
	$(SWIFT) build --product swift-cluster
	bash Tests/e2e/demo.sh "$$($(SWIFT) build --show-bin-path)/swift-cluster"

## chaos: the fault-injection campaign (root): three hosts running the agent, a client probing the VIP every
## millisecond, seeded random faults (kill -9, SIGSTOP past the TTL, isolation, partition, link flap, VIP delete,
## NATS isolation and restart) with the invariants checked; prints faults, violations (must be 0), availability.
## CHAOS_FLAGS passes e.g. `--quick`, `--seed N`, `--faults N --minutes M`, `--nats-cluster` (Tests/proof/CHAOS.md).
chaos: deps
	$(SWIFT) build --product swift-cluster
	bash Tests/proof/chaos.sh --binary "$$($(SWIFT) build --show-bin-path)/swift-cluster" $(CHAOS_FLAGS)

## bench-nats: the Swift NATS client side by side with nats-py on a local nats-server (release build).
bench-nats: deps
	$(SWIFT) build -c release --product bench-nats
	$$($(SWIFT) build -c release --show-bin-path)/bench-nats --python $(PYTHON) --py-script $(CURDIR)/Benchmarks/nats_py_bench.py

## bench-vip: VIP acquire/release through the engine side by side with `ip addr add` + `arping -U -c 1`,
## 200 iterations in a namespace pair it creates and removes (release build, needs root).
## VIP_BUILD_FLAGS can pass e.g. `--scratch-path .build-vip`.
bench-vip: apt-deps
	$(SWIFT) build -c release $(VIP_BUILD_FLAGS) --product bench-vip
	$$($(SWIFT) build -c release $(VIP_BUILD_FLAGS) --show-bin-path)/bench-vip

## bench-election: leader election on a local nats-server (release build): graceful handover, transfer, crash
## failover at TTL 1 s / heartbeat 250 ms and at the defaults (TTL 10 s / heartbeat 3 s: 20 crashes take ≥ 200 s).
## BENCH_ELECTION_FLAGS passes e.g. `--quick` or `--default-runs 5`; ELECTION_BUILD_FLAGS e.g.
## `--scratch-path .build-bench`.
bench-election: apt-deps
	$(SWIFT) build -c release $(ELECTION_BUILD_FLAGS) --product bench-election
	$$($(SWIFT) build -c release $(ELECTION_BUILD_FLAGS) --show-bin-path)/bench-election $(BENCH_ELECTION_FLAGS)

## deb: swift-cluster_<version>_<arch>.deb in $(DEB_OUT) from a release build with the Swift runtime linked
## statically (packaging/README.md). DEB_BUILD_FLAGS passes e.g. `--scratch-path .build-micro`; DEB_LDFLAGS are
## the hardening link flags (full RELRO: bind now); DEB_VERSION overrides the version (default: what the binary
## prints).
DEB_BUILD_FLAGS ?= --scratch-path .build-release
DEB_LDFLAGS ?= -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
DEB_OUT ?= $(CURDIR)/out
DEB_VERSION ?=
DEB_SWIFT_BUILD := $(SWIFT) build -c release --static-swift-stdlib --product swift-cluster $(DEB_LDFLAGS) $(DEB_BUILD_FLAGS)

deb:
	$(DEB_SWIFT_BUILD)
	bash packaging/build-deb.sh "$$($(DEB_SWIFT_BUILD) --show-bin-path)/swift-cluster" "$(DEB_OUT)" $(DEB_VERSION)

## deb-test: build the .deb and check it on this machine: lintian, install, upgrade, remove, purge (root;
## installs lintian if missing; refuses to run over a swift-cluster package it did not install).
deb-test: apt-deps
	bash packaging/test-deb.sh

## bench: the client-observed failover benchmark of issue #7 (root, release build): swift-cluster side by side
## with keepalived on a namespace LAN (Tests/proof/bench.sh; about 30 minutes; installs keepalived when missing).
## BENCH_FLAGS passes e.g. `--quick` (2 runs, a few minutes) or `--runs 20`; BENCH_BUILD_FLAGS e.g.
## `--scratch-path .build-bench`. Tables on stdout and in out/bench-results.md.
bench: deps
	$(SWIFT) build -c release $(BENCH_BUILD_FLAGS) --product swift-cluster
	bash Tests/proof/bench.sh --binary "$$($(SWIFT) build -c release $(BENCH_BUILD_FLAGS) --show-bin-path)/swift-cluster" $(BENCH_FLAGS)

clean:
	rm -rf .build .build-* $(VENV) out
