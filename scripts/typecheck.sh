#!/usr/bin/env bash
# `pnpm typecheck`: every package's sources, tests and benches in one TypeScript program
# (tsconfig.json here), beside it rag-app's browser client (DOM, no Node types). The packages import
# each other's sources, so one program per package checked kit five times and rag-app twice: one
# program costs a third of the CPU. `pnpm --filter <package> typecheck` still checks one package.
# LangChain (rag-app/optional/langchain) as in rag-app/scripts/typecheck.sh: required in CI,
# elsewhere its three files are left out with a line that names the install command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tsc=node_modules/.bin/tsc

project=tsconfig.json
missing="$(bash rag-app/scripts/langchain-missing.sh)"
if [ -n "$missing" ]; then
  install='pnpm --dir rag-app/optional/langchain install --frozen-lockfile'
  if [ -n "${CI:-}" ]; then
    echo "typecheck: LangChain is not installed ($missing): in CI rag-app/src/langchain must be checked; run $install (bash scripts/setup.sh --ci does)" >&2
    exit 1
  fi
  echo "typecheck: rag-app's LangChain files skipped: LangChain is not installed ($install)" >&2
  project=tsconfig.no-langchain.json
fi
"$tsc" -p rag-app/tsconfig.client.json &
client=$!
status=0
"$tsc" -p "$project" || status=$?
wait "$client" || status=$?
exit "$status"
