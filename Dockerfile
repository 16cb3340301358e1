# portcall server image: `portcall serve` on PORT (Cloud Run sets it), data in /data.
# Build: docker build -t portcall . (docs/google-cloud.md#container-image)
# test/deploy/dockerfile.deploy.ts runs these steps outside Docker; keep RUN paths relative
# to WORKDIR so it can.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change does not reinstall them. Scripts stay off until
# better-sqlite3 is rebuilt on purpose: it fetches a prebuilt binary or compiles one.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build:production
RUN npm prune --omit=dev --no-audit --no-fund
RUN mkdir -p data

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    PORTCALL_DATA_DIR=/data \
    PORTCALL_SHUTDOWN_TIMEOUT_MS=8000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/bundle ./dist/bundle
COPY sql ./sql
COPY samples ./samples
COPY ui ./ui
# An empty folder owned by the unprivileged user: a volume mounted there inherits it.
COPY --from=build --chown=node:node /app/data /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Cloud Run sends SIGTERM and kills 10 s later; portcall stops within
# PORTCALL_SHUTDOWN_TIMEOUT_MS (8 s) after finishing in-flight deliveries.
STOPSIGNAL SIGTERM
CMD ["node", "dist/bundle/main.js", "serve"]
