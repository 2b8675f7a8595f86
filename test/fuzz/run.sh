#!/usr/bin/env bash
# `npm run fuzz`: the long run of the fuzz suites in test/unit/fuzz (engine properties, the admission
# server over loopback HTTPS). CI runs the same suites with small bounded case counts as part of the unit
# project; this raises them. Environment:
#   FUZZ_RUNS  cases per property (default 20000; a few properties scale it, see test/unit/fuzz/*.test.ts)
#   FUZZ_SEED  fast-check seed (default: random, printed); with FUZZ_PATH replays a reported failure
# Extra arguments go to jest (e.g. -t engine). Results and seeds of past runs: docs/reliability.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# Node 24 first on PATH (hack/node.sh), so node and npx below run on the project's runtime.
PATH="$(bash hack/node.sh --bin-dir):${PATH}"
export PATH
export FUZZ_RUNS="${FUZZ_RUNS:-20000}"
export FUZZ_SEED="${FUZZ_SEED:-$(node -e 'process.stdout.write(String(require("node:crypto").randomInt(2 ** 31 - 1)))')}"
echo "fuzz: FUZZ_RUNS=${FUZZ_RUNS} FUZZ_SEED=${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${FUZZ_RUNS} npm run fuzz)"
start=$(date +%s)
status=0
npx jest --selectProjects unit --testPathPatterns test/unit/fuzz "$@" || status=$?
echo "fuzz: finished in $(($(date +%s) - start)) s with exit status ${status} (FUZZ_SEED=${FUZZ_SEED})"
exit "${status}"
