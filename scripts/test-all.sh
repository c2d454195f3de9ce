#!/usr/bin/env bash
# `npm test` (the README's test command, and what .ci/run runs): build, typecheck, unit tests, a CLI smoke
# run, inspect on checkpoints far larger than memory, a real Slurm cluster, the extension-host suite in
# code-server and the e2e checks of the packaged extension. Prints each suite's counts and fails if any suite
# fails (all suites run even after a failure). Every process a suite starts is stopped by that suite's own trap;
# this script also removes its scratch files on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
export SKIP_BUILD=1
SUMMARY=()
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/td-test-all-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
T0=$(date +%s)

# run NAME COUNTS_REGEX CMD...: runs a suite, tees its output, records its counts (or its exit status).
run() {
  local name=$1 re=$2; shift 2
  local log="$TMP/$name.log" t=$(date +%s)
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local counts=""
  [ -n "$re" ] && counts=$(grep -E "$re" "$log" | tail -n 1 | sed -E 's/^[^0-9a-z]*//')
  local verdict=ok; [ "$rc" = 0 ] || { verdict="FAILED (exit $rc)"; FAILED=1; }
  SUMMARY+=("$(printf '%-14s %-22s %s (%ss)' "$name" "$verdict" "$counts" $(( $(date +%s) - t )))")
}

run build '' npm run -s build
run typecheck '' npm run -s typecheck
# node:test's spec reporter ends with "ℹ pass N" / "ℹ fail N": turn them into one counts line.
unit() {
  npm run -s test:unit 2>&1 | tee "$TMP/unit.raw"
  local rc=${PIPESTATUS[0]}
  echo "$(grep -E 'ℹ pass [0-9]+$' "$TMP/unit.raw" | tail -n1 | grep -oE '[0-9]+') passed, $(grep -E 'ℹ fail [0-9]+$' "$TMP/unit.raw" | tail -n1 | grep -oE '[0-9]+') failed"
  return "$rc"
}
run unit '^[0-9]+ passed, [0-9]+ failed$' unit
cli_smoke() {
  local dir="$TMP/cli" out
  mkdir -p "$dir/samples" && cp samples/quickstart.experiment.json "$dir/samples/"
  out=$(node bin/training-dynamics.js run "$dir/samples/quickstart.experiment.json" --config tiny --epochs 60 --out "$dir/runs" --json 2>"$dir/progress.log") ||
    { echo "CLI run failed:"; tail -n 5 "$dir/progress.log"; echo "0 passed, 1 failed"; return 1; }
  node -e '
    const lines = process.argv[1].trim().split("\n").filter(Boolean);
    const r = JSON.parse(lines[lines.length - 1]);
    const run = r.run ?? r;
    const ok = run.status === "completed" && run.epochs === 60 && run.backend && Number.isFinite(run.final.trainLoss);
    console.log(`CLI run: status ${run.status}, ${run.epochs} epochs, backend ${run.backend}`);
    console.log(ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    process.exit(ok ? 0 : 1);
  ' "$out" || return 1
  node bin/training-dynamics.js inspect "$(find "$dir/runs" -name '*.safetensors' | head -n 1)" --json >/dev/null ||
    { echo "CLI inspect failed"; return 1; }
}
run cli-smoke '^[0-9]+ passed, [0-9]+ failed$' cli_smoke
run inspect-large '^[0-9]+ passed, [0-9]+ failed$' npm run -s test:inspect-large
run slurm '^[0-9]+ passed, [0-9]+ failed$' npm run -s test:slurm
run vscode '^[0-9]+ passed, [0-9]+ failed$' npm run -s test:vscode
run e2e '^[0-9]+ passed, [0-9]+ failed$' npm run -s test:e2e

echo
echo "=== summary ($(( $(date +%s) - T0 ))s)"
printf '%s\n' "${SUMMARY[@]}"
exit $FAILED
