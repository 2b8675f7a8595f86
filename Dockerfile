# syntax=docker/dockerfile:1
# One image for both programs: `meshwright operator` and `meshwright webhook` (args pick the program).
#   make docker-build IMG=meshwright:0.1.0
# Build stage: full npm ci (TypeScript is a dev dependency), compile, then drop dev dependencies.
# Runtime stage: Node 24 slim, only what the two programs read at run time (dist/, bin/, production
# node_modules, package.json for the install root, crds/ for the operator's Base component), uid 65532.
# The same Node release hack/node.sh pins for tests, the demo and CI (a unit test keeps them equal).
ARG NODE_IMAGE=node:24.22.3-slim

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
COPY webhook ./webhook
# tsconfig.build.json also covers hack/ (dev tooling): compile only the shipped folders.
RUN npx tsc -p tsconfig.build.json --rootDir . --outDir dist \
    && test -f dist/cli/main.js \
    && npm prune --omit=dev \
    && rm -rf dist/hack dist/bench

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
COPY --chown=0:0 crds ./crds
# Owned by root, run as 65532 (the distroless "nonroot" uid the manifests pin): the process can read its
# code but not change it, and nothing needs a writable root filesystem.
USER 65532:65532
# 9443 admission (webhook), 8080 metrics, 8081 health.
EXPOSE 9443 8080 8081
ENTRYPOINT ["node", "/app/bin/meshwright.js"]
CMD ["--help"]
