#!/usr/bin/env bash
# Fetches the shared data (corpus/ and evals/, which are never committed) into DEST for a CI job.
#   SHARED_DATA_URL=<url> bash scripts/fetch-shared-data.sh DEST
# The URL is either a git repository (ends in .git) holding corpus/ and evals/ at its root, or a
# .tar.gz/.tgz archive of them (one top-level folder is stripped if the archive has one).
# Exits 3 when SHARED_DATA_URL is unset, so a workflow can skip with a notice.
set -euo pipefail
LOG_TAG=fetch-shared-data
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dest="${1:?usage: fetch-shared-data.sh DEST}"
if [ -z "${SHARED_DATA_URL:-}" ]; then
  log "SHARED_DATA_URL is not set"
  exit 3
fi
if [ -d "$dest/corpus" ] && [ -d "$dest/evals" ]; then
  log "shared data already in $dest"
  exit 0
fi
mkdir -p "$dest"
case "$SHARED_DATA_URL" in
  *.git) git clone -q --depth 1 "$SHARED_DATA_URL" "$dest.git" && cp -a "$dest.git/." "$dest/" && rm -rf "$dest.git" ;;
  *)
    archive="$(mktemp)"
    trap 'rm -f "$archive"' EXIT
    curl -fsSL --retry 3 -o "$archive" "$SHARED_DATA_URL"
    # Strip one leading folder only when the archive has no corpus/ at its top. (No grep -q: its
    # early exit would kill tar with SIGPIPE and fail the pipeline under pipefail.)
    if tar -tzf "$archive" | grep -E '^(\./)?corpus/' >/dev/null; then
      tar -xzf "$archive" -C "$dest"
    else
      tar -xzf "$archive" -C "$dest" --strip-components=1
    fi
    ;;
esac
if [ ! -d "$dest/corpus" ] || [ ! -d "$dest/evals" ]; then
  die "the data at SHARED_DATA_URL has no corpus/ and evals/ folders"
fi
log "shared data in $dest ($(find "$dest/corpus" -name '*.md' | wc -l) corpus files)"
