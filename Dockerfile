# syntax=docker/dockerfile:1
# The engine's image, used by three compose services: the API, the worker and
# the one-shot migration job. Both processes run the TypeScript sources
# through tsx's loader, as in development, started by node itself (not
# `npm run`: npm does not pass SIGTERM on to the script, so `docker stop`
# would kill the process instead of letting it finish in-flight work).
FROM node:20.19.5-bookworm-slim

ENV NODE_ENV=production \
    CHECKPOINT_DISABLE=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app

# Dependencies first, so this layer is reused until package*.json change.
# Dev dependencies stay: the migration job runs the Prisma CLI. package.json's
# allowScripts already keeps dependency install scripts from running.
COPY package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force

# The Prisma client (engineType "client": no native engine to download).
# generate needs DATABASE_URL set, though it never connects.
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
RUN DATABASE_URL=postgresql://build:build@localhost:5432/build npx --no-install prisma generate

COPY src ./src
COPY workflows ./workflows
COPY activities ./activities

USER node
EXPOSE 3000
# The API; compose overrides the command for the worker and the migration job.
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "src/server.ts"]
