# Columnwire service image. Build: docker build -t columnwire .
# Run:   docker run -d -p 8080:8080 -v columnwire-data:/data -v "$PWD/feeds.yaml:/config/feeds.yaml:ro" columnwire
# tests/docker/image-steps.test.ts replays this file's COPY and RUN steps in a temp directory and
# starts the result the way CMD, ENV and HEALTHCHECK say, so keep the steps plain shell.

# The Node version the project is tested on; both stages use the same image, so the
# compiled module matches the runtime's Node ABI and glibc.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: compiles the one native module (better-sqlite3) with a toolchain that stays here,
# and bundles src/ into dist/ (esbuild, a devDependency), then drops the devDependencies.
FROM ${NODE_IMAGE} AS build
# Unpinned apt versions on purpose: the toolchain only compiles here; bookworm's updates are wanted.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Compile from the source in the npm tarball (whose hash package-lock.json pins) rather than
# download an unverified prebuilt binary, against the headers of this image's own Node.
ENV npm_config_build_from_source=true npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY src ./src
# `npm ci` runs `prepare` (npm run build) once everything is installed: dist/ is built here.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime
# The build stage's node_modules, pruned to production dependencies, and its dist/: no
# compiler, no TypeScript sources, no npm cache or apt lists here.
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    COLUMNWIRE_CONFIG=/config/feeds.yaml \
    COLUMNWIRE_DATA=/data \
    HOST=0.0.0.0 \
    PORT=8080
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY templates ./templates
# The example config, so the image runs without a mount; mount your own over it.
COPY feeds.yaml /config/feeds.yaml
# bin/columnwire.js runs dist/main.js. The symlink puts `columnwire` on PATH for CMD,
# HEALTHCHECK and `docker exec`. /data belongs to the unprivileged user (uid 1000 `node`,
# from the base image); the code stays root-owned and read-only to it.
RUN ln -s /app/bin/columnwire.js /usr/local/bin/columnwire \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# Liveness: the running service answers /healthz (the command asks 127.0.0.1:$PORT; with HOST and
# PORT set it loads no package and reads no config: about 0.1 s and 45 MB per probe).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["columnwire", "healthcheck"]
# node handles SIGTERM itself (a clean stop, exit 0); `docker run --init` / compose `init: true`
# adds an init process that also reaps orphans.
CMD ["columnwire", "run"]
