# Pinned versions of the Go-built control-plane binaries. Sourced by the build scripts and read by
# hack/cluster (versions.ts parses this file), so there is one place to bump them.
# Bumping: edit here, run `hack/gen-gomod.sh`, commit hack/*/go.mod and go.sum.
KUBE_VERSION=v1.35.8
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
