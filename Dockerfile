# syntax=docker/dockerfile:1
# One image for both programs: `meshwright operator` and `meshwright webhook` (args pick the program).
#   make docker-build IMG=meshwright:0.1.0
# Build stage: full npm ci (TypeScript is a dev dependency), compile, then drop dev dependencies.
# Runtime stage: Node 24 slim, only what the two programs read at run time (dist/, bin/, production
# node_modules, package.json for the install root), plus what the operator renders with: the pinned Helm
# (hack/build-helm.sh) and the default Istio release's manifests, so an air-gapped cluster installs the
# default version with no download (docs/release.md). uid 65532.
# The same Node release hack/node.sh pins for tests, the demo and CI (a unit test keeps them equal).
ARG NODE_IMAGE=node:24.22.3-slim
# Builds the pinned Helm from hack/helm/go.mod (the same binary the tests render with).
ARG GO_IMAGE=golang:1.26-bookworm
# Releases baked into the image (space-separated); the first is the operator's --default-istio-version.
ARG ISTIO_VERSIONS=1.30.3

FROM ${GO_IMAGE} AS helm
WORKDIR /src
COPY hack/build-helm.sh hack/build-go-tool.sh ./hack/
COPY hack/helm ./hack/helm
RUN MESHWRIGHT_CACHE=/cache bash hack/build-helm.sh > /helm-path && cp "$(cat /helm-path)" /helm

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Dependencies first, so source edits reuse this layer.
COPY package.json package-lock.json ./
# The lock file lists every platform's optional packages, so npm ci is the only install path.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY lib ./lib
COPY operator ./operator
COPY release ./release
COPY webhook ./webhook
COPY inject ./inject
COPY bin ./bin
# tsconfig.build.json also covers hack/ (dev tooling): compile only the shipped folders.
RUN npx tsc -p tsconfig.build.json --rootDir . --outDir dist \
    && test -f dist/cli/main.js \
    && npm prune --omit=dev \
    && rm -rf dist/hack dist/bench
# The default releases, fetched and digest-checked by the CLI itself into a releases-dir layout.
ARG ISTIO_VERSIONS
RUN node bin/meshwright.js release pull --release-cache /releases ${ISTIO_VERSIONS} \
    && find /releases -mindepth 1 -maxdepth 1 ! -name 'istio-*' -exec rm -rf {} +

FROM ${NODE_IMAGE}
# The programs need node only: drop the package managers (size, and tools an intruder could use).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=0:0 /src/package.json ./package.json
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist ./dist
COPY --chown=0:0 bin ./bin
COPY --from=helm --chown=0:0 /helm /usr/local/bin/helm
COPY --from=build --chown=0:0 /releases /usr/share/meshwright/releases
# The operator finds the baked releases first (no network), then its cache and the official location;
# helm is the pinned one. A writable cache (emptyDir) is only needed for versions not baked in.
ENV MESHWRIGHT_RELEASES_DIR=/usr/share/meshwright/releases \
    MESHWRIGHT_HELM=/usr/local/bin/helm \
    MESHWRIGHT_RELEASE_CACHE=/tmp/meshwright/releases
# Owned by root, run as 65532 (the distroless "nonroot" uid the manifests pin): the process can read its
# code but not change it, and nothing needs a writable root filesystem.
USER 65532:65532
# 9443 admission (webhook), 8080 metrics, 8081 health.
EXPOSE 9443 8080 8081
ENTRYPOINT ["node", "/app/bin/meshwright.js"]
CMD ["--help"]
