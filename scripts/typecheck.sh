#!/usr/bin/env bash
# `pnpm typecheck`: every package's sources, tests and benches in one TypeScript program
# (tsconfig.json here), beside it rag-app's browser client (DOM, no Node types). The packages import
# each other's sources, so one program per package checked kit five times and rag-app twice: one
# program costs a third of the CPU. `pnpm --filter <package> typecheck` still checks one package.
# Without rag-app/optional/langchain (outside CI only, rag-app/scripts/langchain-installed.sh) the
# files that import LangChain are left out (tsconfig.no-langchain.json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tsc=node_modules/.bin/tsc
project=tsconfig.json
bash rag-app/scripts/langchain-installed.sh || { [ $? -eq 1 ] && project=tsconfig.no-langchain.json; } || exit 1
"$tsc" -p rag-app/tsconfig.client.json &
client=$!
status=0
"$tsc" -p "$project" || status=$?
wait "$client" || status=$?
exit "$status"
