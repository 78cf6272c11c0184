# centinela's production image: bundled by esbuild in one stage (scripts/bundle.ts), run from dist/ with production
# dependencies only (the packages the bundle leaves outside: better-sqlite3, pino-pretty and what loads only on use).
#   docker build -t centinela .
#   docker run --rm --env-file centinela.env -v ./config:/etc/centinela:ro -v centinela-state:/var/lib/centinela \
#     -p 9810:9810 centinela
# centinela.env holds the environment docs/deploy.md requires (CENTINELA_PUBLIC_URL, the tokens, the ntfy topics…).
# tini is PID 1 (signals reach node, zombies are reaped), so `docker run --init` is not needed.

ARG NODE_IMAGE=node:24-bookworm-slim

# No install scripts in either stage: better-sqlite3 loads the N-API binary it ships (prebuilds/), but npm ci from the
# lockfile, which does not record its `gypfile: false`, would run node-gyp on its binding.gyp (Python and a compiler,
# neither in the image). The other scripts in the tree build or check extras centinela does not use: ssh2's optional
# crypto binding and cpu-features (ssh:// Docker hosts only), protobufjs's version-scheme warning.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts scripts/icu-data.ts ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /etc/centinela /var/lib/centinela \
  && chown node:node /var/lib/centinela \
  && ln -s /app/bin/centinela.js /usr/local/bin/centinela
WORKDIR /app
ENV NODE_ENV=production
# libuv runs every filesystem call and dns.lookup on a pool of 4 threads. A hung mount (stale NFS) under the disk
# probe holds a thread per blocked call until the kernel answers; the probe starts at most one call per path, but
# fs.glob (backups) makes several concurrent calls of its own, so 4 threads could all be taken, and every probe's DNS
# lookups and file calls would wait behind them. 16 leaves room.
ENV UV_THREADPOOL_SIZE=16
# `docker exec … centinela check|verify|probe` read the mounted config, as `run` below does.
ENV CENTINELA_CONFIG=/etc/centinela
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY deploy/healthcheck.js ./
# The shipped config is the default; mount your own folder over /etc/centinela.
COPY config /etc/centinela
USER node
VOLUME ["/etc/centinela", "/var/lib/centinela"]
EXPOSE 9810
# Ready means: config loaded, state store open, scheduler running (see /readyz), asked at the address the daemon
# listens on (server.listen, found by healthcheck.js). Docker runs the first check one interval after the start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.js"]
# `centinela run` restarts itself in place (same PID under tini) with the node flags and glibc tunables a small idle
# daemon wants (bin/centinela.js; docs/deploy.md "Memory and CPU"), as it does outside the image.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/centinela.js"]
CMD ["run", "--config", "/etc/centinela"]
