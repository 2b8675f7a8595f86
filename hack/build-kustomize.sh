#!/usr/bin/env bash
# Builds (or reuses) the pinned kustomize that renders config/, from the Go module proxy, the same way
# hack/build-binaries.sh builds the control plane: a wrapper module (hack/kustomize/go.mod pins the
# version and go.sum the whole dependency graph), output cached outside git under
#   ${MESHWRIGHT_CACHE:-$HOME/.cache/meshwright}/bin/kustomize-<version>/kustomize
# Prints the binary's path on stdout (logs go to stderr), so callers can `KUSTOMIZE=$(hack/build-kustomize.sh)`.
# Bumping: edit the require line in hack/kustomize/go.mod, `cd hack/kustomize && go mod tidy`, commit both.
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="${PATH}:/usr/local/go/bin"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

version="$(sed -n 's#^\s*sigs.k8s.io/kustomize/kustomize/v5 \(v[0-9.]*\).*#\1#p; s#^require sigs.k8s.io/kustomize/kustomize/v5 \(v[0-9.]*\).*#\1#p' "${HACK}/kustomize/go.mod" | head -1)"
[[ -n "${version}" ]] || { echo "[build-kustomize] no kustomize version in hack/kustomize/go.mod" >&2; exit 1; }
CACHE="${MESHWRIGHT_CACHE:-${HOME}/.cache/meshwright}"
dir="${CACHE}/bin/kustomize-${version}"

if [[ -x "${dir}/kustomize" ]]; then
  echo "[build-kustomize] kustomize ${version}: cached" >&2
else
  command -v go >/dev/null || { echo "[build-kustomize] go not found (PATH or /usr/local/go/bin)" >&2; exit 1; }
  # Build into a temporary directory and rename, so an interrupted build never looks complete.
  tmp="${dir}.tmp.$$"
  rm -rf "${tmp}" && mkdir -p "${tmp}"
  start=$(date +%s)
  echo "[build-kustomize] building kustomize ${version} -> ${dir}" >&2
  (cd "${HACK}/kustomize" && go build -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${version}" \
    -o "${tmp}/kustomize" sigs.k8s.io/kustomize/kustomize/v5)
  rm -rf "${dir}" && mv "${tmp}" "${dir}"
  echo "[build-kustomize] built in $(($(date +%s) - start))s" >&2
fi
echo "${dir}/kustomize"
