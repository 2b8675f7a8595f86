#!/usr/bin/env bash
# THE test pipeline (`make test`, `npm test`, CI). On a fresh machine of this project's kind it does
# all set-up: Node 24 (hack/node.sh: the machine's if it is a 24.x, else a pinned release fetched once
# and put first on PATH, so every node, npm and npx below runs on it), npm ci when node_modules is
# missing or older than package-lock.json, the pinned Go
# binaries (built once, then cached), the TypeScript build, typecheck, lint, then both jest projects
# (unit, and integration against a real local control plane started by jest's globalSetup).
# Exit status: 0 only if every step passed; otherwise the status of the first failing step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

current=""
step() {
  current="$1"
  echo
  echo "==> $1 ($(date -u +%H:%M:%S))"
}
trap 'rc=$?; [[ $rc -ne 0 ]] && echo "test pipeline FAILED at step: ${current} (exit ${rc})"' EXIT

step "check toolchain"
node_bin="$(bash hack/node.sh --bin-dir)"
export PATH="${node_bin}:${PATH}"
echo "node $(node --version) (${node_bin}), npm $(npm --version)"
node -e 'if (Number(process.versions.node.split(".")[0]) !== 24) { console.error("Node 24 required, have " + process.version); process.exit(1) }'
export PATH="${PATH}:/usr/local/go/bin"
go version

step "dependencies"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # The only install path: the lock file lists every platform's optional packages (write it with
  # `npm install --package-lock-only`), so npm ci accepts it on any machine.
  npm ci --no-audit --no-fund
else
  echo "node_modules up to date"
fi

step "control-plane binaries"
bash hack/build-binaries.sh
# The pinned Helm renders Istio releases' charts (chart-pipeline tests, which fail without it) and
# charts/meshwright (chart test); kustomize renders config/. Both built and cached like the binaries.
bash hack/build-helm.sh >/dev/null
bash hack/build-kustomize.sh >/dev/null
# Upstream istiod 1.31.0, the istiod integration tests' partner (docs/control-plane.md). A failed build
# fails here, unless MESHWRIGHT_SKIP_ISTIOD=1 (those tests then print a banner saying they were skipped).
bash hack/build-istiod.sh >/dev/null || [[ "${MESHWRIGHT_SKIP_ISTIOD:-}" == 1 ]]

step "build"
npm run build

step "typecheck"
npx tsc -p tsconfig.json --noEmit

step "lint"
npx eslint .
npx prettier --check --log-level warn .

step "injection conformance (upstream Istio 1.30.3 and 1.31.0-rc.0 cases)"
# Each suite is run as its own release (the runner reads the version from the istio-<version> path).
# The pass count must never go down: each --min-pass is that suite's count when it was last raised.
mkdir -p .cluster
conformance_lines=""
run_conformance() { # <dir> <min-pass> <log>
  npm run --silent conformance -- "$1" --min-pass "$2" | tee "$3"
  conformance_lines="${conformance_lines} $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$3" | tail -n 1)"
}
run_conformance "${MESHWRIGHT_CONFORMANCE_DIR:-../shared/conformance/istio-1.30.3/inject}" \
  "${MESHWRIGHT_CONFORMANCE_MIN_PASS:-95}" .cluster/conformance.log
run_conformance "${MESHWRIGHT_CONFORMANCE_DIR_131:-../shared/conformance/istio-1.31.0-rc.0/inject}" \
  "${MESHWRIGHT_CONFORMANCE_MIN_PASS_131:-98}" .cluster/conformance-1.31.log

step "jest (unit + integration)"
# A bound, so that a hang (an open handle keeping jest alive) still ends the pipeline with a clear
# status (124). SIGINT first: jest's globalSetup handler then stops the control plane. --foreground
# keeps jest in the terminal's process group, so Ctrl-C still reaches it.
timeout --foreground --signal=INT --kill-after=60 "${JEST_TIMEOUT_SECONDS:-2700}" node node_modules/jest/bin/jest.js --ci \
  --json --outputFile=.cluster/jest-results.json

current=""
echo
echo "test pipeline PASSED"
# One closing line over everything that ran: jest's tests plus the conformance cases.
# conformance_lines holds "P passed, F failed" of each suite: pairs of numbers, summed.
node -e '
  const r = require("./.cluster/jest-results.json");
  const n = process.argv[1].match(/\d+/g).map(Number);
  let cp = 0, cf = 0;
  for (let i = 0; i + 1 < n.length; i += 2) { cp += n[i]; cf += n[i + 1]; }
  console.log(`meshwright: ${r.numPassedTests + cp} passed, ${r.numFailedTests + cf} failed`);
' "${conformance_lines}"
