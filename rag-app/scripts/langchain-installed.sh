#!/usr/bin/env bash
# Whether rag-app/optional/langchain is linked into rag-app (src/langchain, test/langchain.test.ts
# and the bench's langchain-pipeline.ts import it; the default install leaves it out), for the
# typecheck scripts. Exit 0: installed. Missing: in CI (CI set) that is an error (exit 2, the
# message names the install command); elsewhere exit 1 with a line saying those files are skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
missing=
for p in core community textsplitters; do
  [ -e "node_modules/@langchain/$p/package.json" ] || missing="$missing @langchain/$p"
done
[ -z "$missing" ] && exit 0
install='pnpm --dir rag-app/optional/langchain install --frozen-lockfile'
if [ -n "${CI:-}" ]; then
  echo "typecheck: LangChain is not installed (${missing# }): in CI rag-app/src/langchain must be checked; run $install (bash scripts/setup.sh --ci does)" >&2
  exit 2
fi
echo "typecheck: rag-app's LangChain files (src/langchain, test/langchain.test.ts, bench/quality/langchain-pipeline.ts) skipped: LangChain is not installed ($install)" >&2
exit 1
