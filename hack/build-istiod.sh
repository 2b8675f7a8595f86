#!/usr/bin/env bash
# Builds (or reuses) upstream istiod (pilot-discovery) of Istio 1.31.0 from the Go module proxy through the
# wrapper module hack/istiod/go.mod (its require line pins the release commit's pseudo-version, go.sum the
# whole graph). It is a test partner only: the integration tests run it against the local control plane and
# the webhook bench loads it beside Meshwright. Cached outside git under
#   ${MESHWRIGHT_CACHE:-$HOME/.cache/meshwright}/bin/istiod-1.31.0/pilot-discovery
# and the path is printed on stdout (logs on stderr): `ISTIOD=$(hack/build-istiod.sh)`.
# Not build-go-tool.sh: that names the cache by the module version, which for istio is a pseudo-version,
# and the failure has to be loud (tests and bench key their skip message on the missing binary).
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="${PATH}:/usr/local/go/bin"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

ISTIO_VERSION=1.31.0
module=istio.io/istio
pseudo="$(awk -v m="${module}" '($1 == m || ($1 == "require" && $2 == m)) { for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }' "${HACK}/istiod/go.mod")"
revision="${pseudo##*-}" # the release commit's 12-hex prefix
[[ "${revision}" =~ ^[0-9a-f]{12}$ ]] || { echo "[build-istiod] no ${module} pseudo-version in hack/istiod/go.mod" >&2; exit 1; }
CACHE="${MESHWRIGHT_CACHE:-${HOME}/.cache/meshwright}"
out="${CACHE}/bin/istiod-${ISTIO_VERSION}"

fail() {
  echo "" >&2
  echo "[build-istiod] ************************************************************" >&2
  echo "[build-istiod] BUILD OF ISTIOD ${ISTIO_VERSION} FAILED: $*" >&2
  echo "[build-istiod] istiod integration tests fail (MESHWRIGHT_SKIP_ISTIOD=1 skips them);" >&2
  echo "[build-istiod] the webhook bench runs without its istiod baseline." >&2
  echo "[build-istiod] ************************************************************" >&2
  exit 1
}

if [[ -x "${out}/pilot-discovery" ]]; then
  echo "[build-istiod] pilot-discovery ${ISTIO_VERSION}: cached" >&2
else
  command -v go >/dev/null || fail "go not found (PATH or /usr/local/go/bin)"
  # The version stamps istio's own build sets (common/scripts/report_build_info.sh), so /version and the
  # start-up log say 1.31.0 like a released istiod.
  v=istio.io/istio/pkg/version
  ldflags="-s -w -X ${v}.buildVersion=${ISTIO_VERSION} -X ${v}.buildGitRevision=${revision}"
  ldflags+=" -X ${v}.buildStatus=Clean -X ${v}.buildTag=${ISTIO_VERSION} -X ${v}.buildHub=docker.io/istio"
  ldflags+=" -X ${v}.buildOS=$(go env GOOS) -X ${v}.buildArch=$(go env GOARCH)"
  # Build into a temporary directory and rename, so an interrupted build never looks complete.
  tmp="${out}.tmp.$$"
  rm -rf "${tmp}" && mkdir -p "${tmp}"
  start=$(date +%s)
  echo "[build-istiod] building pilot-discovery ${ISTIO_VERSION} (${module}@${pseudo}) -> ${out}" >&2
  rc=0
  (cd "${HACK}/istiod" && go build -trimpath -ldflags "${ldflags}" -o "${tmp}/pilot-discovery" \
    "${module}/pilot/cmd/pilot-discovery") || rc=$?
  [[ ${rc} -eq 0 ]] || { rm -rf "${tmp}"; fail "go build exited ${rc} (see above)"; }
  rm -rf "${out}" && mv "${tmp}" "${out}"
  echo "[build-istiod] built in $(($(date +%s) - start))s" >&2
fi
echo "${out}/pilot-discovery"
