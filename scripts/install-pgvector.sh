#!/usr/bin/env bash
# Builds pgvector 0.8.0 for the local PostgreSQL server from Debian trixie's *source* package
# (bookworm ships no pgvector binary). Idempotent: does nothing when the extension is already there.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)}"
if [ -z "$PG_MAJOR" ]; then echo "install-pgvector: no PostgreSQL server found under /usr/lib/postgresql" >&2; exit 1; fi
if [ -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed for PostgreSQL $PG_MAJOR"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb-src http://deb.debian.org/debian trixie main" | $SUDO tee /etc/apt/sources.list.d/trixie-src.list >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-server-dev-$PG_MAJOR" dpkg-dev make gcc >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq --download-only pgvector >/dev/null 2>&1 || apt-get source --download-only pgvector
dpkg-source -x --no-check ./pgvector_*.dsc src >/dev/null
cd src
make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
$SUDO make -s install PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
echo "install-pgvector: pgvector installed for PostgreSQL $PG_MAJOR"
