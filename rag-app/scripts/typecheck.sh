#!/usr/bin/env bash
# rag-app's `pnpm typecheck`: the server, tests and bench (tsconfig.json), then the browser client.
# Without rag-app/optional/langchain (outside CI only, scripts/langchain-installed.sh) the files
# that import LangChain are left out (tsconfig.no-langchain.json). The workspace's `pnpm typecheck`
# (scripts/typecheck.sh at the root) checks all packages in one program.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
project=tsconfig.json
bash scripts/langchain-installed.sh || { [ $? -eq 1 ] && project=tsconfig.no-langchain.json; } || exit 1
tsc -p "$project"
tsc -p tsconfig.client.json
