# syntax=docker/dockerfile:1
# One image for both services of docker-compose.yml: rag-app (the default command) and factory
# (`pnpm factory status`, and its other forge commands). TypeScript runs through tsx, so there is no build step.
FROM node:20-bookworm-slim

# git: the factory works on repository checkouts; ca-certificates: HTTPS to the model and forge APIs.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates git \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g --silent pnpm@12.4.2 && npm cache clean --force

ENV DATA_DIR=/data \
  HOST=0.0.0.0 \
  PORT=3000
WORKDIR /app
RUN mkdir -p /data /home/node/.local/share/pnpm/store \
  && chown -R node:node /app /data /home/node/.local
USER node

# Manifests first, so that editing sources does not redo the install layer.
COPY --chown=node:node package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY --chown=node:node rag-app/package.json rag-app/
COPY --chown=node:node evals/package.json evals/
COPY --chown=node:node factory/package.json factory/
COPY --chown=node:node forge/package.json forge/
# --prod=false: tsx and typescript are dev dependencies, and the app runs from source through tsx.
RUN --mount=type=cache,target=/home/node/.local/share/pnpm/store,uid=1000,gid=1000 \
  pnpm install --frozen-lockfile --prod=false

COPY --chown=node:node . .

VOLUME ["/data"]
EXPOSE 3000
CMD ["pnpm", "start"]
