# Entry points for developers and CI. `make test` is the whole pipeline (hack/test.sh).
.PHONY: binaries build test cluster-up cluster-down cluster-status

CLUSTER_CLI := dist/hack/cluster/cli.js
# Runs a command on the project's Node 24 (the machine's node if it is a 24.x, else the pinned release
# hack/node.sh fetches and caches under ~/.cache/meshwright); npm, npx and node all go through it.
NODE24 := bash hack/node.sh

# Build (or reuse from ~/.cache/meshwright) the pinned etcd, kube-* and kwok binaries.
binaries:
	bash hack/build-binaries.sh

build: node_modules/.package-lock.json
	$(NODE24) npm run build

# npm ci is the only install path: the lock file lists every platform's optional packages.
node_modules/.package-lock.json: package-lock.json
	$(NODE24) npm ci --no-audit --no-fund

test:
	bash hack/test.sh

# A local control plane on loopback, detached; kubeconfig at .cluster/kubeconfig.
cluster-up: binaries build
	$(NODE24) node $(CLUSTER_CLI) up

# Stops the local cluster and any test-run cluster left behind by a crashed run.
cluster-down:
	@test -f $(CLUSTER_CLI) || $(MAKE) --no-print-directory build
	$(NODE24) node $(CLUSTER_CLI) down

cluster-status:
	@test -f $(CLUSTER_CLI) || $(MAKE) --no-print-directory build
	$(NODE24) node $(CLUSTER_CLI) status

# ---- Deploy, demo and e2e (config/, Dockerfile, hack/demo, hack/e2e; docs/deploy.md, docs/demo.md) ----
.PHONY: kustomize config-crds run docker-build kind-create install uninstall cert-manager deploy undeploy demo demo-down e2e

IMG ?= meshwright:0.1.0
KIND ?= kind
KIND_CLUSTER ?= meshwright
KUBECTL ?= kubectl
DOCKER ?= docker
# cert-manager (TLS=cert-manager, config/default) or self-signed (config/self-signed, no cert-manager needed).
TLS ?= cert-manager
CONFIG_OVERLAY = $(if $(filter self-signed,$(TLS)),config/self-signed,config/default)
CERT_MANAGER_VERSION ?= v1.19.1
CERT_MANAGER_URL ?= https://github.com/cert-manager/cert-manager/releases/download/$(CERT_MANAGER_VERSION)/cert-manager.yaml
# Recursive (=): the pinned kustomize is built or found in the cache only by recipes that use it.
KUSTOMIZE = $(shell bash hack/build-kustomize.sh)

kustomize:
	@bash hack/build-kustomize.sh

# config/crd/bases holds copies of crds/ (kustomize cannot read outside config/); the config test checks them.
config-crds:
	install -m 0644 crds/istiooperator.yaml config/crd/bases/istiooperator.yaml
	install -m 0644 crds/istiorevisiontag.yaml config/crd/bases/istiorevisiontag.yaml

# The operator and the webhook in the foreground against the current kubeconfig ($KUBECONFIG or ~/.kube/config).
# The webhook uses --self-signed TLS; the cluster must reach it for injection (see docs/deploy.md). It keeps
# the caBundle of config/webhook/standalone's meshwright-sidecar-injector when you register that.
run: build
	@$(NODE24) node bin/meshwright.js webhook --self-signed --webhook-config=meshwright-sidecar-injector --metrics-port=8082 --health-port=8083 & w=$$!; \
	$(NODE24) node bin/meshwright.js operator --leader-elect=false & o=$$!; \
	trap 'kill $$w $$o 2>/dev/null' INT TERM EXIT; wait

docker-build:
	$(DOCKER) build -t $(IMG) .

kind-create:
	@$(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' && echo "kind cluster $(KIND_CLUSTER) exists" || \
	  $(KIND) create cluster --name $(KIND_CLUSTER) --config config/kind/kind-config.yaml --wait 120s

install:
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

uninstall:
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found -f -

# Installs the pinned cert-manager release unless its CRDs are already there.
cert-manager:
	@if $(KUBECTL) get crd certificates.cert-manager.io >/dev/null 2>&1; then echo "cert-manager: present"; else \
	  $(KUBECTL) apply -f $(CERT_MANAGER_URL) && \
	  $(KUBECTL) -n cert-manager rollout status deploy/cert-manager deploy/cert-manager-cainjector deploy/cert-manager-webhook --timeout=180s; \
	fi

# Image into kind, cert-manager (TLS=cert-manager), config/default with IMG, then wait for both rollouts.
# The image is set in a temporary copy of config/ so the tree stays clean.
deploy: docker-build
	$(KIND) load docker-image $(IMG) --name $(KIND_CLUSTER)
	@if [ '$(TLS)' != self-signed ]; then $(MAKE) --no-print-directory cert-manager; fi
	@set -e; k='$(KUSTOMIZE)'; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cp -r config "$$tmp/"; \
	  (cd "$$tmp/config/manager" && "$$k" edit set image meshwright=$(IMG)); \
	  "$$k" build "$$tmp/$(CONFIG_OVERLAY)" | $(KUBECTL) apply --server-side -f -
	$(KUBECTL) -n meshwright-system rollout status deploy/meshwright-operator deploy/meshwright-webhook --timeout=180s

undeploy:
	$(KUSTOMIZE) build $(CONFIG_OVERLAY) | $(KUBECTL) delete --ignore-not-found -f -

# The local end-to-end demo (docs/demo.md). DEMO_CLUSTER=existing KUBECONFIG=... runs it on another cluster.
# DEMO_UPGRADE=1: the canary upgrade 1.30 -> 1.31 with revision tags instead (docs/demo.md).
demo: build binaries
	DEMO_UPGRADE='$(DEMO_UPGRADE)' KUSTOMIZE='$(KUSTOMIZE)' $(NODE24) node dist/hack/demo/cli.js up

demo-down:
	@test -f dist/hack/demo/cli.js || $(MAKE) --no-print-directory build
	DEMO_UPGRADE='$(DEMO_UPGRADE)' KUSTOMIZE='$(KUSTOMIZE)' $(NODE24) node dist/hack/demo/cli.js down

# Opt-in, needs Docker + kind + kubectl: deploy to kind, Bookinfo 2/2, productpage through the gateway.
# Not part of `make test`; exits non-zero (and says so) where it cannot run.
e2e:
	bash hack/e2e/run.sh

# ---- Benchmarks (bench/, docs/performance.md) ----
.PHONY: bench
# The full run takes about 20 minutes; `make bench BENCH_ARGS=--quick` (or BENCH_QUICK=1) under three minutes.
# Also --only=engine,webhook,apiserver,operator and --cpu-prof. Results in bench/results/.
bench: build binaries
	$(NODE24) node dist/bench/main.js $(BENCH_ARGS)
