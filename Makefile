# kube-ai-proxy — the two commands a new user needs:
#   make demo   the server operating the local cluster through a real MCP client
#   make test   unit tests, then integration tests against the local cluster
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(abspath .)
TARGET := $(ROOT)/target
WASM := $(TARGET)/wasm32-wasip2/release
ENSURE_WASM := $(firstword $(wildcard $(ROOT)/../shared/toolchain/ensure-wasm-target /work/shared/toolchain/ensure-wasm-target))
CLUSTER_DIR ?= $(ROOT)/.cluster
export KAP_CLUSTER_DIR := $(CLUSTER_DIR)

.PHONY: all build plugins host install cluster cluster-down demo test unit e2e python-check lint bench istio-oracle

all: build

## Build the plugins (wasm32-wasip2 components) and the host binary.
build: plugins host

wasm-target:
	@if [ -n "$(ENSURE_WASM)" ]; then "$(ENSURE_WASM)"; else rustup target add wasm32-wasip2; fi

plugins: wasm-target
	cargo build --release --target wasm32-wasip2 -p kubectl-plugin -p helm-plugin -p istio-plugin -p argocd-plugin -p misbehave-plugin
	mkdir -p $(TARGET)/plugins $(TARGET)/test-plugins
	cp $(WASM)/kubectl_plugin.wasm $(TARGET)/plugins/kubectl.wasm
	cp $(WASM)/helm_plugin.wasm $(TARGET)/plugins/helm.wasm
	cp $(WASM)/istio_plugin.wasm $(TARGET)/plugins/istio.wasm
	cp $(WASM)/argocd_plugin.wasm $(TARGET)/plugins/argocd.wasm
	cp $(WASM)/misbehave_plugin.wasm $(TARGET)/test-plugins/misbehave.wasm

# Every native cargo command selects the whole workspace, so features resolve the same way
# and the dependencies (wasmtime, kube-rs) are compiled once for build and tests.
host:
	cargo build --workspace --bins --exclude kube-ai-proxy-fuzz

## Install for Claude Desktop ("command": "kube-ai-proxy"): the binary into $(PREFIX)/bin,
## the bundled plugins into ~/.local/share/kube-ai-proxy/plugins (where the binary looks).
PREFIX ?= $(HOME)/.local
install: build
	install -d $(PREFIX)/bin $(HOME)/.local/share/kube-ai-proxy/plugins
	install -m 0755 $(TARGET)/debug/kube-ai-proxy $(PREFIX)/bin/kube-ai-proxy
	install -m 0644 $(TARGET)/plugins/kubectl.wasm $(HOME)/.local/share/kube-ai-proxy/plugins/kubectl.wasm
	install -m 0644 $(TARGET)/plugins/helm.wasm $(HOME)/.local/share/kube-ai-proxy/plugins/helm.wasm
	install -m 0644 $(TARGET)/plugins/istio.wasm $(HOME)/.local/share/kube-ai-proxy/plugins/istio.wasm
	install -m 0644 $(TARGET)/plugins/argocd.wasm $(HOME)/.local/share/kube-ai-proxy/plugins/argocd.wasm
	@echo "installed $(PREFIX)/bin/kube-ai-proxy; make sure $(PREFIX)/bin is on Claude Desktop's PATH"

## Start the local cluster (or reuse a running one); the last line is KUBECONFIG=<path>.
cluster:
	@tests/cluster/up.sh

cluster-down:
	@tests/cluster/down.sh

## The demo: uses $KUBECONFIG when given, else starts the local cluster.
demo: build
	@if [ -z "$${KUBECONFIG:-}" ]; then \
	  kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	  export KAP_RESTRICTED_KUBECONFIG=$(CLUSTER_DIR)/restricted.kubeconfig; \
	else \
	  export KAP_RESTRICTED_KUBECONFIG=$$(tests/cluster/restricted-identity.sh $(CLUSTER_DIR)/restricted-demo.kubeconfig | tail -n1); \
	fi; \
	tests/cluster/demo-workloads.sh >&2; \
	export KAP_HELM=$$(tests/cluster/build-helm.sh | tail -n1); \
	$(TARGET)/debug/demo

## The Python example plugin (componentize-py + plugins/sdk-python), packed by the host binary.
.PHONY: python-plugins
python-plugins: host
	@tests/plugins/python-example/build.sh

## Unit tests, then integration tests against the local cluster through MCP clients.
test: build python-plugins unit e2e python-check

unit:
	cargo test --workspace --lib --bins --exclude kube-ai-proxy-fuzz
	@tests/python/setup-venv.sh >/dev/null
	$(ROOT)/.venv/bin/python -m unittest discover -s plugins/sdk-python/tests

e2e:
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	export KAP_RESTRICTED_KUBECONFIG=$(CLUSTER_DIR)/restricted.kubeconfig; \
	tests/cluster/demo-workloads.sh >&2; \
	export KAP_HELM=$$(tests/cluster/build-helm.sh | tail -n1); \
	cargo test --workspace --exclude kube-ai-proxy-fuzz --test e2e --test logs --test audit --test inspect --test hostile --test policy --test secrets --test confirm --test kubectl_output --test kubectl_write --test prompts --test troubleshoot --test paging --test explain --test describe --test python_plugin --test effects --test bounds --test helm --test istio --test argocd -- --test-threads=1

python-check:
	@tests/python/setup-venv.sh >&2
	@kc=$$(tests/cluster/up.sh | tail -n1); export $$kc; \
	$(ROOT)/.venv/bin/python tests/python/check_server.py $(TARGET)/debug/kube-ai-proxy serve --audit-log $(CLUSTER_DIR)/python-audit.jsonl

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## Time-boxed property fuzzing (not part of `make test`): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	cargo run -p kube-ai-proxy-fuzz -- --seconds $(FUZZ_SECONDS)

## Latency benchmark: execute_kubectl through MCP vs kubectl (not part of `make test`).
bench: build
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	tests/cluster/demo-workloads.sh >&2; \
	KAP_KUBECTL=$$KAP_BIN_DIR/kubectl $(TARGET)/debug/bench

## helm through MCP (the real helm behind the API proxy) vs helm run directly; requests per write.
.PHONY: helm-bench
helm-bench: build
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	export KAP_HELM=$$(tests/cluster/build-helm.sh | tail -n1); \
	$(TARGET)/debug/helm_bench

## istioctl analyze -A through MCP with 200 Services and 200 VirtualServices (and the real
## istioctl when KAP_ISTIOCTL names one); not part of `make test`.
.PHONY: istio-bench
istio-bench: build
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	$(TARGET)/debug/istio_bench

## argocd app list through MCP with 300 Applications; not part of `make test`.
.PHONY: argocd-bench
argocd-bench: build
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	tests/cluster/argocd-fixtures.sh >&2; \
	$(TARGET)/debug/argocd_bench

## Output size of `get pods -A` with 1,000 pods (namespace kap-scale, deleted afterwards):
## execute_kubectl through MCP vs kubectl (not part of `make test`).
.PHONY: outsize
outsize: build
	@kc=$$(tests/cluster/up.sh | tail -n1); . tests/cluster/env.sh; export $$kc; \
	tests/cluster/demo-workloads.sh >&2; \
	KAP_KUBECTL=$$KAP_BIN_DIR/kubectl $(TARGET)/debug/outsize

## istioctl analyze (built from Go modules) against ours on the Istio fixtures; not in CI (long).
istio-oracle: build
	@tests/istio-oracle/run.sh
