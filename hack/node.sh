#!/usr/bin/env bash
# The project's Node.js runtime: Node 24 LTS. If the `node` on PATH is a 24.x it is used as is;
# otherwise (this project's CI machines have Node 20) the pinned release below is fetched once from the
# npm registry (package node-linux-<arch>, which ships Node's official Linux binary), its tarball checked
# against the integrity pinned here AND the one the registry publishes, and cached outside git under
# ${MESHWRIGHT_CACHE:-~/.cache/meshwright}/node-v<version>/bin/node, like the Kubernetes binaries.
# npm itself is the machine's npm (>= 10) run by that node: the package carries no npm, and npm 10/11 run
# on Node 24 unchanged. So every npm/npx/jest/tsc call made with this directory first on PATH runs on 24.
#
# Usage:
#   hack/node.sh CMD [ARGS...]   run CMD with Node 24 first on PATH (e.g. hack/node.sh npm ci)
#   hack/node.sh --bin-dir       print the directory to put first on PATH
#   hack/node.sh --version       print the node version the scripts use
# MESHWRIGHT_NODE=pinned uses the pinned release even when the machine's node is a 24.x.
set -euo pipefail

NODE_VERSION=24.22.3
NODE_MAJOR=24
# sha512 of https://registry.npmjs.org/node-linux-<arch>/-/node-linux-<arch>-${NODE_VERSION}.tgz
declare -A NODE_INTEGRITY=(
  [x64]='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
  [arm64]='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=='
)
MIN_NPM_MAJOR=10

CACHE="${MESHWRIGHT_CACHE:-${HOME}/.cache/meshwright}"
PINNED_DIR="${CACHE}/node-v${NODE_VERSION}"

log() { echo "[node.sh] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

major_of() { # node binary -> major version, or nothing if it does not run
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true
}

# Downloads, verifies and installs the pinned node into PINNED_DIR (atomically: a half-done install is
# never mistaken for a complete one; a lock keeps parallel callers from downloading twice).
install_pinned() {
  local arch
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) arch=x64 ;;
    Linux/aarch64 | Linux/arm64) arch=arm64 ;;
    *) die "no pinned Node ${NODE_VERSION} for $(uname -s)/$(uname -m): install Node ${NODE_MAJOR} yourself and put it first on PATH" ;;
  esac
  command -v npm >/dev/null || die "npm not found: it fetches the pinned Node ${NODE_VERSION} (or install Node ${NODE_MAJOR} yourself)"
  command -v node >/dev/null || die "node not found: any Node >= 18 with npm is needed once, to fetch Node ${NODE_VERSION}"
  mkdir -p "${CACHE}"
  exec 9>"${PINNED_DIR}.lock"
  flock 9
  [[ -x "${PINNED_DIR}/bin/node" ]] && return 0 # another caller finished while we waited

  local pkg="node-linux-${arch}@${NODE_VERSION}" tmp
  tmp="$(mktemp -d "${PINNED_DIR}.tmp.XXXXXX")"
  trap 'rm -rf "${tmp}"' EXIT
  log "fetching ${pkg} from the npm registry (about 53 MB, once) -> ${PINNED_DIR}"
  (cd "${tmp}" && npm pack "${pkg}" --silent --no-fund --no-audit >/dev/null) || die "npm pack ${pkg} failed"
  local tgz="${tmp}/node-linux-${arch}-${NODE_VERSION}.tgz"
  [[ -f "${tgz}" ]] || die "npm pack ${pkg} did not produce ${tgz}"

  local registry actual pinned="${NODE_INTEGRITY[${arch}]}"
  registry="$(npm view "${pkg}" dist.integrity 2>/dev/null)" || die "cannot read the registry's integrity of ${pkg}"
  actual="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "${tgz}")"
  [[ "${registry}" == "${pinned}" ]] || die "registry integrity of ${pkg} (${registry}) differs from the pinned ${pinned}"
  [[ "${actual}" == "${pinned}" ]] || die "downloaded ${pkg} has integrity ${actual}, expected ${pinned}"

  mkdir -p "${tmp}/out"
  tar -xzf "${tgz}" -C "${tmp}/out" --strip-components=1 package/bin/node package/LICENSE
  [[ "$("${tmp}/out/bin/node" --version)" == "v${NODE_VERSION}" ]] || die "extracted node is not v${NODE_VERSION}"
  rm -rf "${PINNED_DIR}"
  mv "${tmp}/out" "${PINNED_DIR}"
  rm -rf "${tmp}"
  trap - EXIT
  log "installed Node ${NODE_VERSION} (integrity verified: ${pinned:0:20}...)"
}

# The directory holding the node the scripts use.
bin_dir() {
  local machine
  machine="$(command -v node || true)"
  if [[ "${MESHWRIGHT_NODE:-}" != pinned && -n "${machine}" && "$(major_of "${machine}")" == "${NODE_MAJOR}" ]]; then
    dirname "${machine}"
    return
  fi
  [[ -x "${PINNED_DIR}/bin/node" ]] || install_pinned
  echo "${PINNED_DIR}/bin"
}

check_npm() { # the machine's npm must run under the chosen node
  local v
  command -v npm >/dev/null || return 0 # the image has no npm; node alone is enough there
  v="$(npm --version 2>/dev/null)" || die "npm does not run under $(node --version)"
  [[ "${v%%.*}" -ge "${MIN_NPM_MAJOR}" ]] || die "npm ${v} is too old: npm >= ${MIN_NPM_MAJOR} is needed (npm install -g npm@11)"
}

dir="$(bin_dir)"
case "${1:-}" in
  --bin-dir) echo "${dir}" ;;
  --version) "${dir}/node" --version ;;
  "") die "usage: hack/node.sh CMD [ARGS...] | --bin-dir | --version" ;;
  *)
    export PATH="${dir}:${PATH}"
    case "$1" in npm | npx) check_npm ;; esac
    exec "$@"
    ;;
esac
