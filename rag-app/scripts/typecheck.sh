#!/usr/bin/env bash
# rag-app's `pnpm typecheck`: the server, tests and bench (tsconfig.json), then the browser client.
# The files that import LangChain need rag-app/optional/langchain, which the default install leaves
# out. In CI (CI set) it must be there: its absence is an error. Elsewhere, without it, they are
# left out (tsconfig.no-langchain.json) with a line that says so and names the install command.
# (The workspace's `pnpm typecheck`, scripts/typecheck.sh, checks all packages in one program.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

project=tsconfig.json
missing="$(bash scripts/langchain-missing.sh)"
if [ -n "$missing" ]; then
  install='pnpm --dir rag-app/optional/langchain install --frozen-lockfile'
  if [ -n "${CI:-}" ]; then
    echo "typecheck: LangChain is not installed ($missing): in CI src/langchain must be checked; run $install (bash scripts/setup.sh --ci does)" >&2
    exit 1
  fi
  echo "typecheck: src/langchain, test/langchain.test.ts and bench/quality/langchain-pipeline.ts skipped: LangChain is not installed ($install)" >&2
  project=tsconfig.no-langchain.json
fi
tsc -p "$project"
tsc -p tsconfig.client.json
