# Images for the API and the worker, built from the repository root:
#   docker build --target api    --build-arg APP=api    -t trainyard/api .
#   docker build --target worker --build-arg APP=worker -t trainyard/worker .
# (docker-compose.yml passes both.) `turbo prune` cuts the monorepo down to APP and the packages it
# uses, so a change elsewhere never invalidates these layers and the API image never holds tfjs.

# Debian (glibc) for the worker's tfjs wasm runtime; Node 22 LTS (the code also runs on Node 20).
FROM node:22-bookworm-slim AS base
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS pruned
ARG APP
COPY package-lock.json ./
# The turbo the lock file pins, so pruning behaves as it does on developers' machines.
RUN npm install --global "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")"
COPY . .
RUN test -n "$APP" || { echo 'build with --build-arg APP=api|worker' >&2; exit 1; } \
 && turbo prune "$APP" --docker

# Production dependencies only, from the pruned lock file.
FROM base AS deps
COPY --from=pruned /app/out/json/ ./
RUN npm ci --omit=dev

FROM base AS build
ARG APP
COPY --from=pruned /app/out/json/ ./
RUN npm ci
COPY --from=pruned /app/out/full/ ./
# turbo prune leaves out root files other than package.json and turbo.json.
COPY tsconfig.json ./
RUN npx turbo run build --filter="$APP"

FROM base AS runtime
ENV NODE_ENV=production
# Where a file:// STORAGE_URL keeps artifacts; a named volume mounted here inherits the owner.
RUN mkdir -p /var/lib/trainyard && chown node:node /var/lib/trainyard
COPY --from=deps /app/ ./
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY --from=build /app/packages/shared/samples packages/shared/samples

FROM runtime AS api
COPY --from=build /app/apps/api/dist apps/api/dist
USER node
ENV PORT=3000
EXPOSE 3000
# Liveness only (not /ready): a Redis outage must not mark every replica unhealthy. The slim image
# has no curl, so node asks.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node itself gets SIGTERM and drains (compose adds `init: true` to reap children).
CMD ["node", "apps/api/dist/main.js"]

FROM runtime AS worker
COPY --from=build /app/packages/ml/dist packages/ml/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
USER node
CMD ["node", "apps/worker/dist/main.js"]
