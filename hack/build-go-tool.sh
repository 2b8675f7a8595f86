#!/usr/bin/env bash
# Builds (or reuses) one pinned Go tool from the Go module proxy through its wrapper module hack/<dir>/go.mod
# (the require line pins the version, go.sum the whole dependency graph). Output is cached outside git under
#   ${MESHWRIGHT_CACHE:-$HOME/.cache/meshwright}/bin/<dir>-<version>/<binary>
# and its path is printed on stdout (logs go to stderr), so callers can `X=$(hack/build-go-tool.sh ...)`.
# Usage: build-go-tool.sh DIR MODULE PACKAGE BINARY [LDFLAGS...]; "@VERSION@" in LDFLAGS becomes the version.
# Bumping a tool: edit the require line in hack/<dir>/go.mod, `cd hack/<dir> && go mod tidy`, commit both.
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="${PATH}:/usr/local/go/bin"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
dir_name="$1" module="$2" package="$3" binary="$4"
shift 4
ldflags="-s -w $*"

version="$(awk -v m="${module}" '($1 == m || ($1 == "require" && $2 == m)) { for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }' "${HACK}/${dir_name}/go.mod")"
[[ -n "${version}" ]] || { echo "[build-${dir_name}] no ${module} version in hack/${dir_name}/go.mod" >&2; exit 1; }
ldflags="${ldflags//@VERSION@/${version}}"
CACHE="${MESHWRIGHT_CACHE:-${HOME}/.cache/meshwright}"
out="${CACHE}/bin/${dir_name}-${version}"

if [[ -x "${out}/${binary}" ]]; then
  echo "[build-${dir_name}] ${binary} ${version}: cached" >&2
else
  command -v go >/dev/null || { echo "[build-${dir_name}] go not found (PATH or /usr/local/go/bin)" >&2; exit 1; }
  # Build into a temporary directory and rename, so an interrupted build never looks complete.
  tmp="${out}.tmp.$$"
  rm -rf "${tmp}" && mkdir -p "${tmp}"
  start=$(date +%s)
  echo "[build-${dir_name}] building ${binary} ${version} -> ${out}" >&2
  (cd "${HACK}/${dir_name}" && go build -trimpath -ldflags "${ldflags}" -o "${tmp}/${binary}" "${package}")
  rm -rf "${out}" && mv "${tmp}" "${out}"
  echo "[build-${dir_name}] built in $(($(date +%s) - start))s" >&2
fi
echo "${out}/${binary}"
