#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium) for the browser tests, which drive it through
# playwright-core's executablePath. Never `npx playwright install`: that downloads a browser build
# from outside the package registries. Idempotent and quiet when Chromium is already there.
set -euo pipefail
LOG_TAG=install-chromium
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -x /usr/bin/chromium ]; then
  log "chromium already installed ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install Chromium so that /usr/bin/chromium exists"
apt_install chromium
[ -x /usr/bin/chromium ] || die "the chromium package installed no /usr/bin/chromium (on Ubuntu it is a snap shim: use Debian)"
log "installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
