#!/usr/bin/env bash
# Builds pgvector for the local PostgreSQL server from Debian trixie's *source* package
# (bookworm ships no pgvector binary). Idempotent: does nothing when the extension is already there.
# PG_MAJOR picks the server (default: the newest installed server, i.e. one with bin/postgres).
set -euo pipefail
LOG_TAG=install-pgvector
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${PG_MAJOR:-}" ]; then
  # A client-only install also creates /usr/lib/postgresql/N, so look for the server binary.
  PG_MAJOR="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
    cut -d/ -f5 | sort -n | tail -1)"
fi
if [ -z "$PG_MAJOR" ] || [ ! -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ]; then
  die "no PostgreSQL server${PG_MAJOR:+ $PG_MAJOR} is installed on this machine (no /usr/lib/postgresql/N/bin/postgres).
  Install one (apt-get install postgresql), or point DATABASE_URL at a server that has pgvector
  (e.g. 'docker compose up -d db', image pgvector/pgvector:pg15)."
fi
if [ -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ]; then
  log "pgvector already installed for PostgreSQL $PG_MAJOR"
  exit 0
fi

log "building pgvector for PostgreSQL $PG_MAJOR from Debian trixie's source package"
if ! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb-src http://deb.debian.org/debian trixie main" | as_root tee /etc/apt/sources.list.d/trixie-src.list >/dev/null
fi
apt_get update >/dev/null
apt_get install --no-install-recommends "postgresql-server-dev-$PG_MAJOR" dpkg-dev make gcc >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# Quiet on success; on failure run again without -qq so the reason is printed.
apt-get source -qq --download-only pgvector >/dev/null 2>&1 || apt-get source --download-only pgvector
dpkg-source -x --no-check ./pgvector_*.dsc src >/dev/null
cd src
pg_config="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
make -s PG_CONFIG="$pg_config" >/dev/null
as_root make -s install PG_CONFIG="$pg_config" >/dev/null
log "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" vector.control) installed for PostgreSQL $PG_MAJOR"
