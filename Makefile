# Entry points for developers and CI. `make test` is the whole pipeline (hack/test.sh).
.PHONY: binaries build test cluster-up cluster-down cluster-status

CLUSTER_CLI := dist/hack/cluster/cli.js

# Build (or reuse from ~/.cache/meshwright) the pinned etcd, kube-* and kwok binaries.
binaries:
	bash hack/build-binaries.sh

build: node_modules/.package-lock.json
	npm run build

node_modules/.package-lock.json: package-lock.json
	npm ci

test:
	bash hack/test.sh

# A local control plane on loopback, detached; kubeconfig at .cluster/kubeconfig.
cluster-up: binaries build
	node $(CLUSTER_CLI) up

# Stops the local cluster and any test-run cluster left behind by a crashed run.
cluster-down:
	@test -f $(CLUSTER_CLI) || npm run build
	node $(CLUSTER_CLI) down

cluster-status:
	@test -f $(CLUSTER_CLI) || npm run build
	node $(CLUSTER_CLI) status
