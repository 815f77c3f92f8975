#!/usr/bin/env bash
# `pnpm test`: typecheck, lint, the vitest suite and the evals gate. They share nothing, and on two
# cores the suite leaves CPU idle while its tests wait on servers and subprocesses, so typecheck and
# lint, then the gate, run beside vitest instead of before and after it (an idle 2-core machine's
# clean-clone `.ci/run`: 7 min 16 s in sequence, 5 min 00 s – 5 min 41 s this way; README "The test time").
# vitest prints as it goes; each other step's output is printed whole, with its time, when it ends.
# Every step runs to its end; the exit status is non-zero when any step failed, and the last line
# names the ones that did. Arguments go to vitest (`pnpm test rag-app/test/cli`).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# Runs one step with its output in $logs/<name>.log; writes its exit status to $logs/<name>.rc.
step() {
  local name=$1
  shift
  local t0=$SECONDS status=0
  "$@" >"$logs/$name.log" 2>&1 || status=$?
  {
    echo "── pnpm $name: $([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)") in $((SECONDS - t0))s"
    cat "$logs/$name.log"
  } >"$logs/$name.out"
  echo "$status" >"$logs/$name.rc"
}

# Background steps in one chain: typecheck and lint are quick and want a core each at most; the
# gate (one ingest and one evals run, mostly one core) follows them.
(
  step typecheck pnpm --silent typecheck
  step lint pnpm --silent lint
  step gate pnpm --silent gate
) &
side=$!

# A script's background jobs ignore SIGINT, so Ctrl-C stops only vitest (which exits 130, and bash
# then carries on): an interrupted vitest, or a signal to this script, stops the chain and its children.
kill_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}
interrupted() {
  kill_tree "$side"
  echo "test: interrupted" >&2
  exit 130
}
trap interrupted INT TERM

vitest_status=0
node_modules/.bin/vitest run "$@" || vitest_status=$?
[ "$vitest_status" -lt 128 ] || interrupted
wait "$side"

failed=()
[ "$vitest_status" -eq 0 ] || failed+=("vitest (exit $vitest_status)")
for name in typecheck lint gate; do
  cat "$logs/$name.out"
  [ "$(cat "$logs/$name.rc" 2>/dev/null || echo 1)" -eq 0 ] || failed+=("$name")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test: typecheck, lint, vitest and the evals gate passed"
