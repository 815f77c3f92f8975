# Shared helpers for the setup scripts (sourced, not run).
# shellcheck shell=bash

log() { printf '%s: %s\n' "${LOG_TAG:-setup}" "$*"; }
die() {
  printf '%s: error: %s\n' "${LOG_TAG:-setup}" "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, else through sudo when it exists.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "'$*' needs root and sudo is not installed: run this script as root"
  fi
}

apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o=Dpkg::Use-Pty=0 "$@"; }

# Installs Debian packages that are missing. The package lists are refreshed only when the first
# attempt fails (empty or stale lists), so a warm machine never waits on `apt-get update`.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  # Fail here with the reason, not inside the silenced first attempt.
  [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1 ||
    die "installing ${missing[*]} needs root, and sudo is not installed: run this as root"
  if ! apt_get install "${missing[@]}" >/dev/null 2>&1; then
    apt_get update >/dev/null
    apt_get install "${missing[@]}" >/dev/null
  fi
}
