#!/usr/bin/env bash
# The pinned Helm (hack/helm/go.mod) that renders Istio releases' charts, built and cached by build-go-tool.sh.
# Prints the binary's path on stdout, so callers can `HELM=$(hack/build-helm.sh)`.
set -euo pipefail
HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "${HACK}/build-go-tool.sh" helm helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm helm \
  "-X helm.sh/helm/v4/internal/version.version=@VERSION@" "-X helm.sh/helm/v4/internal/version.gitTreeState=clean"
