#!/usr/bin/env bash
# Prints the LangChain packages rag-app/optional/langchain should have linked into rag-app (empty
# when it is installed). Used by the typecheck scripts: src/langchain, test/langchain.test.ts and
# the bench's langchain-pipeline.ts import them, and the default install leaves them out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
missing=
for p in core community textsplitters; do
  [ -e "node_modules/@langchain/$p/package.json" ] || missing="$missing @langchain/$p"
done
echo "${missing# }"
