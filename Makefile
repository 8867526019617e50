# swift-cluster — build, test and benchmark entry points.
# `make check` and `make demo` are the README's set-up commands: as root on a fresh Debian 12 they install
# what they need first.

SHELL := /bin/bash
SWIFT ?= swift
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
APT_PACKAGES := nats-server libmnl-dev libcap-dev pkg-config iproute2 procps python3 python3-venv openssl \
                tcpdump arping
PY_PACKAGES := nats-py==2.16.0

export SC_PYTHON := $(PYTHON)

.PHONY: all build check test demo deps apt-deps py-deps bench bench-nats bench-vip bench-election clean

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

test: check

## demo: a three-host cluster in network namespaces with a local NATS server and a client probing the VIP:
## election, graceful handover and host crash, with the outage the client saw (root).
demo: deps
	$(SWIFT) build --product swift-cluster
	bash Tests/e2e/demo.sh "$$($(SWIFT) build --show-bin-path)/swift-cluster"

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

## bench: the client-observed failover benchmark of issue #7 (root, release build): swift-cluster side by side
## with keepalived on a namespace LAN (Tests/proof/bench.sh; about 30 minutes; installs keepalived when missing).
## BENCH_FLAGS passes e.g. `--quick` (2 runs, a few minutes) or `--runs 20`; BENCH_BUILD_FLAGS e.g.
## `--scratch-path .build-bench`. Tables on stdout and in out/bench-results.md.
bench: deps
	$(SWIFT) build -c release $(BENCH_BUILD_FLAGS) --product swift-cluster
	bash Tests/proof/bench.sh --binary "$$($(SWIFT) build -c release $(BENCH_BUILD_FLAGS) --show-bin-path)/swift-cluster" $(BENCH_FLAGS)

clean:
	rm -rf .build .build-* $(VENV)
