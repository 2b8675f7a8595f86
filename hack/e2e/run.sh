#!/usr/bin/env bash
# Opt-in end-to-end test on a real kubelet (`make e2e`; NOT part of `make test`). Needs a Docker engine,
# kind and kubectl. Creates the kind cluster `meshwright` (config/kind), `make deploy`s Meshwright, installs
# the demo IstioOperator, deploys Bookinfo into an injected namespace and checks that
#   1. the IstioOperator becomes HEALTHY,
#   2. every Bookinfo pod is Ready with the istio-proxy sidecar (2/2),
#   3. productpage answers through the ingress gateway (kubectl port-forward to istio-ingressgateway:80).
# Exit codes: 0 passed, 1 failed, 2 NOT RUN (a prerequisite is missing; nothing was tested).
# E2E_KEEP=1 keeps the kind cluster afterwards; TLS=self-signed deploys without cert-manager.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

KIND="${KIND:-kind}" KUBECTL="${KUBECTL:-kubectl}" DOCKER="${DOCKER:-docker}"
KIND_CLUSTER="${KIND_CLUSTER:-meshwright}"
NS="${E2E_NAMESPACE:-bookinfo}"
BOOKINFO="${BOOKINFO_DIR:-../shared/reference/istio-1.30.3/samples/bookinfo}"
IOP=config/samples/install_v1alpha1_istiooperator_demo.yaml

not_run() {
  echo "e2e NOT RUN: $*" >&2
  echo "e2e NOT RUN: nothing was tested (needs a Docker engine, kind and kubectl; see docs/deploy.md)" >&2
  exit 2
}
command -v "${DOCKER}" >/dev/null || not_run "no docker CLI"
if ! docker_err=$("${DOCKER}" info 2>&1 >/dev/null); then
  not_run "the docker CLI cannot reach a Docker engine: $(grep -m1 . <<<"${docker_err}")"
fi
command -v "${KIND}" >/dev/null || not_run "kind is not installed"
command -v "${KUBECTL}" >/dev/null || not_run "kubectl is not installed"
[[ -f "${BOOKINFO}/platform/kube/bookinfo.yaml" ]] || not_run "Bookinfo not found under ${BOOKINFO} (set BOOKINFO_DIR)"

step() { echo; echo "==> e2e: $* ($(date -u +%H:%M:%S))"; }
fail() { echo "e2e FAILED: $*" >&2; exit 1; }
pf_pid=""
cleanup() {
  [[ -n "${pf_pid}" ]] && kill "${pf_pid}" 2>/dev/null || true
  if [[ "${E2E_KEEP:-0}" != 1 ]]; then "${KIND}" delete cluster --name "${KIND_CLUSTER}" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "kind cluster ${KIND_CLUSTER}"
make --no-print-directory kind-create KIND="${KIND}" KIND_CLUSTER="${KIND_CLUSTER}"
"${KUBECTL}" config use-context "kind-${KIND_CLUSTER}" >/dev/null

step "make deploy (image, cert-manager, config/, rollout)"
make --no-print-directory deploy KIND="${KIND}" KIND_CLUSTER="${KIND_CLUSTER}" KUBECTL="${KUBECTL}" DOCKER="${DOCKER}"

step "IstioOperator (demo profile) until HEALTHY"
"${KUBECTL}" create namespace istio-system --dry-run=client -o yaml | "${KUBECTL}" apply -f -
"${KUBECTL}" apply -f "${IOP}"
"${KUBECTL}" -n istio-system wait istiooperator/demo --for=jsonpath='{.status.status}'=HEALTHY --timeout=600s ||
  { "${KUBECTL}" -n istio-system get istiooperator demo -o yaml; fail "IstioOperator not HEALTHY"; }

step "Bookinfo in namespace ${NS} (istio-injection=enabled)"
"${KUBECTL}" create namespace "${NS}" --dry-run=client -o yaml | "${KUBECTL}" apply -f -
"${KUBECTL}" label namespace "${NS}" istio-injection=enabled --overwrite
"${KUBECTL}" -n "${NS}" apply -f "${BOOKINFO}/platform/kube/bookinfo.yaml"
"${KUBECTL}" -n "${NS}" apply -f "${BOOKINFO}/networking/bookinfo-gateway.yaml" \
  -f "${BOOKINFO}/networking/destination-rule-all.yaml" -f hack/demo/reviews-canary.yaml
"${KUBECTL}" -n "${NS}" rollout status deploy --timeout=600s
"${KUBECTL}" -n "${NS}" wait pod --all --for=condition=Ready --timeout=300s
"${KUBECTL}" -n "${NS}" get pods

step "every Bookinfo pod runs the istio-proxy sidecar, Ready (2/2)"
# Names of ready containers, regular and native-sidecar init containers alike, per pod.
while read -r pod ready; do
  [[ "${ready}" == *istio-proxy* ]] || fail "pod ${pod}: istio-proxy missing or not ready (ready: ${ready})"
  n=$(tr ',' '\n' <<<"${ready}" | grep -c .)
  [[ "${n}" -ge 2 ]] || fail "pod ${pod}: ${n} ready containers, want 2 (ready: ${ready})"
  echo "  ${pod}: ${ready}"
done < <("${KUBECTL}" -n "${NS}" get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.initContainerStatuses[?(@.ready==true)]}{.name}{","}{end}{range .status.containerStatuses[?(@.ready==true)]}{.name}{","}{end}{"\n"}{end}')

step "productpage through the ingress gateway"
"${KUBECTL}" -n istio-system port-forward svc/istio-ingressgateway 18080:80 >/dev/null 2>&1 &
pf_pid=$!
title=""
for _ in $(seq 1 60); do
  title=$(curl -fsS --max-time 5 http://127.0.0.1:18080/productpage 2>/dev/null | grep -o '<title>.*</title>' || true)
  [[ -n "${title}" ]] && break
  sleep 2
done
[[ "${title}" == *"Simple Bookstore App"* ]] || fail "productpage not served through the gateway (got: ${title:-nothing})"
echo "  ${title}"

echo
echo "e2e PASSED"
