#!/usr/bin/env bash
# Installs what the project needs. Idempotent, and takes seconds when everything is already there.
#   bash scripts/setup.sh          pnpm 12.4.2 + workspace dependencies (frozen lockfile)
#   bash scripts/setup.sh --ci     also the test servers' needs: pgvector in the PostgreSQL of
#                                  DATABASE_URL (default the local `test` db), Debian's Chromium
#                                  and bubblewrap (the factory's command sandbox), --transformers
#                                  and --langchain
#   bash scripts/setup.sh --transformers
#                                  also the opt-in EMBEDDER=transformers's library (~400 MB with
#                                  onnxruntime), a project of its own: rag-app/optional/transformers
#   bash scripts/setup.sh --langchain
#                                  also LangChain.js (~130 MB) for `pnpm bench`'s baseline and the
#                                  tests and typecheck of @dark-factory/rag-app/langchain, a project
#                                  of its own: rag-app/optional/langchain
# --with-server-deps is a synonym of --ci. Options combine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_TAG=setup
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

PNPM_VERSION=12.4.2
server_deps=0
transformers=0
langchain=0
for arg in "$@"; do
  case "$arg" in
    --ci | --with-server-deps) server_deps=1 transformers=1 langchain=1 ;;
    --transformers) transformers=1 ;;
    --langchain) langchain=1 ;;
    -h | --help)
      sed -n '2,15p' "$0"
      exit 0
      ;;
    *) die "unknown option '$arg' (expected --ci, --transformers, --langchain or --with-server-deps)" ;;
  esac
done

ensure_pnpm() {
  # Ask from / so that a different pnpm does not switch itself to package.json's packageManager.
  if [ "$(cd / && pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    log "pnpm $PNPM_VERSION present"
    return
  fi
  log "installing pnpm $PNPM_VERSION with npm"
  local prefix
  prefix="$(npm config get prefix 2>/dev/null)"
  # --force replaces a corepack shim that would otherwise make npm fail with EEXIST.
  if [ -w "$prefix/bin" ] || [ -w "$prefix" ]; then
    npm install -g --force --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo npm install -g --force --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null
  else
    npm install -g --force --loglevel=error --prefix "$HOME/.local" "pnpm@$PNPM_VERSION" >/dev/null
    export PATH="$HOME/.local/bin:$PATH"
    log "pnpm went to ~/.local/bin: add it to your PATH"
  fi
  hash -r
  [ "$(cd / && pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ] || die "pnpm $PNPM_VERSION is not first on PATH ($(command -v pnpm || echo none))"
}

install_workspace() {
  local t0=$SECONDS
  # Silent reporter still prints errors. Install scripts are governed by allowBuilds in pnpm-workspace.yaml.
  pnpm install --frozen-lockfile --reporter=silent
  log "workspace dependencies installed ($((SECONDS - t0))s)"
}

# Not part of the workspace, so the default install leaves it out; its own lockfile pins it.
install_transformers() {
  local t0=$SECONDS
  pnpm --dir rag-app/optional/transformers install --frozen-lockfile --reporter=silent
  log "EMBEDDER=transformers library installed in rag-app/optional/transformers ($((SECONDS - t0))s)"
}

# The same for LangChain; rag-app's devDependencies link its packages, so rag-app resolves them once
# this is installed.
install_langchain() {
  local t0=$SECONDS
  pnpm --dir rag-app/optional/langchain install --frozen-lockfile --reporter=silent
  log "LangChain installed in rag-app/optional/langchain ($((SECONDS - t0))s)"
}

# The database the tests use: pgvector must be available there and created in it.
ensure_pgvector() {
  local url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
  local host hostport
  host="$(sed -E 's#^[a-z]+://([^@/]*@)?(\[[^]]*\]|[^:/?]*).*#\2#' <<<"$url")"
  hostport="$(sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#' <<<"$url")"
  local is_local=0
  case "$host" in '' | localhost | 127.0.0.1 | '[::1]') is_local=1 ;; esac
  # Never print the URL itself: it may hold a password.
  local where="PostgreSQL at ${hostport:-local socket}"

  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  if ! pg_isready -q -d "$url" -t 5; then
    if [ "$is_local" = 1 ] && [ -d /etc/postgresql ]; then
      die "$where is not accepting connections. Start it:
  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
    fi
    die "$where is not accepting connections (DATABASE_URL). Is the server running?"
  fi
  local available
  available="$(psql "$url" -XAtqc "select count(*) from pg_available_extensions where name = 'vector'")"
  if [ "$available" = 0 ]; then
    [ "$is_local" = 1 ] || die "$where has no pgvector extension: use a server that ships it (image pgvector/pgvector:pg15)"
    PG_MAJOR="$(psql "$url" -XAtqc "select current_setting('server_version_num')::int / 10000")" \
      bash scripts/install-pgvector.sh
  fi
  PGOPTIONS='-c client_min_messages=warning' psql "$url" -XAtq -v ON_ERROR_STOP=1 \
    -c 'create extension if not exists vector'

  log "pgvector $(psql "$url" -XAtqc "select extversion from pg_extension where extname = 'vector'") ready in $where"
}

# The factory runs every agent and validate command inside bubblewrap (factory/src/tools/sandbox.ts);
# its tests use it for real, so CI needs a bwrap that can create the namespaces.
ensure_bubblewrap() {
  if ! command -v bwrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "bubblewrap (bwrap) not found and apt-get is not available: install bubblewrap"
    apt_install bubblewrap
  fi
  local err
  if ! err="$(bwrap --die-with-parent --unshare-net --unshare-pid --unshare-ipc --new-session \
    --ro-bind / / --dev /dev --proc /proc true 2>&1)"; then
    die "bubblewrap cannot create a sandbox here (${err:-no reason given}): the container needs user or mount namespaces"
  fi
  log "bubblewrap $(bwrap --version | cut -d' ' -f2) can create a sandbox"
}

t_start=$SECONDS
command -v node >/dev/null 2>&1 || die "Node.js 20+ is required (node not found)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js 20+ is required (found $(node --version))"

ensure_pnpm
install_workspace
[ "$transformers" = 0 ] || install_transformers
[ "$langchain" = 0 ] || install_langchain
if [ "$server_deps" = 1 ]; then
  ensure_pgvector
  bash scripts/install-chromium.sh
  ensure_bubblewrap
fi
log "done in $((SECONDS - t_start))s"
