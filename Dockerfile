# syntax=docker/dockerfile:1
# One image for every service of docker-compose.yml: rag-app (the default command) and the factory
# (`pnpm factory serve|worker|poll`, and the one-off `factory` service). TypeScript runs through tsx,
# so there is no build step.
FROM node:20-bookworm-slim

# git: the factory works on repository checkouts; ca-certificates: HTTPS to the model and forge APIs;
# bubblewrap: the factory's command sandbox (mission.md sandbox.boundary: bubblewrap; the container
# needs the namespaces that docker-compose.yml's factory-worker grants).
RUN apt-get update \
  && apt-get install -y --no-install-recommends bubblewrap ca-certificates git \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g --silent pnpm@12.4.2 && npm cache clean --force

# with-repo <command…>: the factory's services work on a clone of the repository they serve. On
# first start it clones GITHUB_REPOSITORY into /work/repo (the token goes in a header for that one
# command, never into .git/config; the factory authenticates its own pushes the same way), or uses a
# clone mounted there; then it runs the command.
COPY --chmod=755 <<'EOF' /usr/local/bin/with-repo
#!/bin/sh
set -eu
repo=/work/repo
if [ ! -d "$repo/.git" ]; then
  if [ -z "${GITHUB_REPOSITORY:-}" ]; then
    echo "with-repo: set GITHUB_REPOSITORY (owner/name) and GITHUB_TOKEN, or mount a clone at $repo" >&2
    exit 2
  fi
  # https://github.com, or the GitHub Enterprise host of GITHUB_API_URL (https://host/api/v3).
  server=https://github.com
  case "${GITHUB_API_URL:-}" in
    */api/v3 | */api/v3/) server="${GITHUB_API_URL%/}"; server="${server%/api/v3}" ;;
  esac
  set -- -c "http.extraHeader=Authorization: Basic $(printf 'x-access-token:%s' "${GITHUB_TOKEN:-}" | base64 -w0)" "$@"
  git "$1" "$2" clone --quiet "$server/$GITHUB_REPOSITORY.git" "$repo"
  shift 2
fi
exec "$@"
EOF

ENV DATA_DIR=/data \
  HOST=0.0.0.0 \
  PORT=3000
WORKDIR /app
RUN mkdir -p /data /work /home/node/.local/share/pnpm/store \
  && chown -R node:node /app /data /work /home/node/.local
USER node

# Manifests first, so that editing sources does not redo the install layer.
COPY --chown=node:node package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY --chown=node:node rag-app/package.json rag-app/
COPY --chown=node:node evals/package.json evals/
COPY --chown=node:node factory/package.json factory/
COPY --chown=node:node forge/package.json forge/
COPY --chown=node:node kit/package.json kit/
# rag-app/optional/* (the EMBEDDER=transformers library, LangChain for the benchmark and the
# /langchain entry point's tests) are projects of their own that this install leaves out: the image
# needs neither, and rag-app's `link:` devDependencies into optional/langchain stay dangling links.
# --prod=false: tsx and typescript are dev dependencies, and the app runs from source through tsx.
RUN --mount=type=cache,target=/home/node/.local/share/pnpm/store,uid=1000,gid=1000 \
  pnpm install --frozen-lockfile --prod=false

COPY --chown=node:node . .

VOLUME ["/data"]
EXPOSE 3000 8787
CMD ["pnpm", "start"]
