#!/usr/bin/env bash
# The pinned kustomize that renders config/ (hack/kustomize/go.mod), built and cached by build-go-tool.sh.
# Prints the binary's path on stdout, so callers can `KUSTOMIZE=$(hack/build-kustomize.sh)`.
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "${HACK}/build-go-tool.sh" kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 kustomize \
  "-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/@VERSION@"
