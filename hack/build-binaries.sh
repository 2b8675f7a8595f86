#!/usr/bin/env bash
# Builds (or reuses) the pinned control-plane binaries from the Go module proxy:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (hack/kube, one `go build`)
#   etcd                                                      (hack/etcd)
#   kwok                                                      (hack/kwok)
# Output: ${MESHWRIGHT_CACHE:-$HOME/.cache/meshwright}/bin/<component>-<version>/, outside git.
# A component whose binaries are already there is skipped, so a warm run takes a second or two.
# The Go build cache stays in its default location so repeated and CI builds reuse compiled packages.
# Usage: hack/build-binaries.sh [--print-dirs]   (the flag prints NAME=DIR lines for scripts to eval)
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${HACK}/versions.sh"
export PATH="${PATH}:/usr/local/go/bin"
# -buildvcs=false: the wrapper modules sit inside this git repo; VCS stamping would only add noise
# (and fails on checkouts git considers unsafe).
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

CACHE="${MESHWRIGHT_CACHE:-${HOME}/.cache/meshwright}"
KUBE_DIR="${CACHE}/bin/kube-${KUBE_VERSION}"
ETCD_DIR="${CACHE}/bin/etcd-${ETCD_VERSION}"
KWOK_DIR="${CACHE}/bin/kwok-${KWOK_VERSION}"

log() { echo "[build-binaries] $*" >&2; }

command -v go >/dev/null || { log "go not found (expected in PATH or /usr/local/go/bin)"; exit 1; }

have() { # dir binaries...
  local dir="$1"; shift
  for b in "$@"; do [[ -x "${dir}/${b}" ]] || return 1; done
}

# Builds into a temporary directory beside the target and renames it into place, so an interrupted
# build never leaves a half-filled directory that a later run would mistake for a complete one.
build() { # component module-dir target-dir ldflags packages...
  local name="$1" moddir="$2" dir="$3" ldflags="$4"; shift 4
  local tmp="${dir}.tmp.$$" start end
  mkdir -p "$(dirname "${dir}")"
  rm -rf "${tmp}"
  start=$(date +%s)
  log "building ${name} -> ${dir}"
  (cd "${HACK}/${moddir}" && go build -trimpath -ldflags "${ldflags}" -o "${tmp}/" "$@")
  rm -rf "${dir}"
  mv "${tmp}" "${dir}"
  end=$(date +%s)
  log "built ${name} in $((end - start))s"
}

kube_ldflags() {
  local v="${KUBE_VERSION}" minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  local flags=() pkg
  # The same variables upstream's release build stamps, for both packages that report a version.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=("-X ${pkg}.gitVersion=${v}" "-X ${pkg}.gitMajor=1" "-X ${pkg}.gitMinor=${minor}"
      "-X ${pkg}.gitTreeState=clean" "-X ${pkg}.buildDate=1970-01-01T00:00:00Z")
  done
  echo "-s -w ${flags[*]}"
}

if have "${ETCD_DIR}" etcd || have "${ETCD_DIR}" server; then log "etcd ${ETCD_VERSION}: cached"; else
  build etcd etcd "${ETCD_DIR}" "-s -w" go.etcd.io/etcd/server/v3
fi
# go names the binary of go.etcd.io/etcd/server/v3 "server"; everyone expects "etcd".
if [[ -x "${ETCD_DIR}/server" && ! -e "${ETCD_DIR}/etcd" ]]; then mv "${ETCD_DIR}/server" "${ETCD_DIR}/etcd"; fi

if have "${KWOK_DIR}" kwok; then log "kwok ${KWOK_VERSION}: cached"; else
  build kwok kwok "${KWOK_DIR}" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" sigs.k8s.io/kwok/cmd/kwok
fi

# kwok itself ships no stages: kwokctl hands it the default ones (node-initialize, node heartbeat with
# lease, pod ready/complete/delete) from the kwok module. Take the same files from the pinned module.
KWOK_STAGES="${KWOK_DIR}/stages"
if [[ ! -s "${KWOK_STAGES}/pod-ready.yaml" ]]; then
  kwok_src="$(cd "${HACK}/kwok" && go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  mkdir -p "${KWOK_STAGES}"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    install -m 0644 "${kwok_src}/kustomize/stage/${f}" "${KWOK_STAGES}/"
  done
  log "kwok default stages -> ${KWOK_STAGES}"
fi

if have "${KUBE_DIR}" kube-apiserver kube-controller-manager kube-scheduler; then log "kube ${KUBE_VERSION}: cached"; else
  build kube kube "${KUBE_DIR}" "$(kube_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
fi

log "etcd: $("${ETCD_DIR}/etcd" --version | head -1)"
log "kwok: $("${KWOK_DIR}/kwok" --version 2>&1 | head -1)"
log "kube-apiserver: $("${KUBE_DIR}/kube-apiserver" --version)"

if [[ "${1:-}" == "--print-dirs" ]]; then
  echo "KUBE_DIR=${KUBE_DIR}"
  echo "ETCD_DIR=${ETCD_DIR}"
  echo "KWOK_DIR=${KWOK_DIR}"
fi
