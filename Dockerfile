# syntax=docker/dockerfile:1
# The build and runtime steps below are mirrored by .ci/docker-steps, which CI runs without an engine.

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config.example.yaml /etc/veeam-em-exporter/config.example.yaml
# The image's unprivileged `node` user (uid 1000); the config and secrets are mounted read-only.
USER node
EXPOSE 10398
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:10398/-/healthy').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--config.file=/etc/veeam-em-exporter/config.yaml"]
