#!/usr/bin/env bash
# `npm run shots:studies`: the README's study figures (media/screenshots/study-<name>.png), each the Study panel
# of a study's quick variant in code-server, drawn from real runs. Trains every quick variant with the CLI
# (`run --sweep`, default --jobs), printing the wall and CPU time each took, unless STUDY_WS names a workspace
# whose samples/quick studies already have their runs. Always stops code-server and removes the scratch
# workspace. Env: SKIP_BUILD=1, PORT, STUDY_WS, STUDIES (names, default all eight), OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/real-vscode/env.sh
prepare_build
OUT=${OUT:-$ROOT_DIR/media/screenshots}
STUDIES=${STUDIES:-double-descent activation-sparsity memorization benford-weights spectra-vs-mp loss-curve-forms gradnorm-transitions optimizer-landscape}
scratch_session td-study-shots
if [ -n "${STUDY_WS:-}" ]; then
  WS=$(cd "$STUDY_WS" && pwd)
else
  mkdir -p "$WS/.vscode" "$WS/samples/quick"
  cp "$ROOT_DIR"/samples/quick/*.experiment.json "$WS/samples/quick/"
  for s in $STUDIES; do
    echo "study-shots: training samples/quick/$s.experiment.json (--sweep)"
    TIMEFORMAT="study-shots: $s took %R s wall, %U s user + %S s system CPU"
    time node bin/training-dynamics.js run "$WS/samples/quick/$s.experiment.json" --sweep >"$WORK/$s.log" 2>&1 ||
      { echo "study-shots: the $s sweep failed:" >&2; tail -n 5 "$WORK/$s.log" >&2; exit 1; }
    tail -n 1 "$WORK/$s.log"
  done
fi
# FILE:RUNS for each study: the number of runs the panel must show before its picture is taken.
specs=()
for s in $STUDIES; do
  f="samples/quick/$s.experiment.json"
  [ -f "$WS/$f" ] || { echo "study-shots: $WS/$f is missing" >&2; exit 1; }
  n=$(node bin/training-dynamics.js study "$WS/$f" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).runs.length))')
  specs+=("$f:$n")
done
start_packaged study-shots
node --import tsx test/e2e/study-shots.ts "http://127.0.0.1:$PORT/?folder=$WS" "$OUT" "${specs[@]}"
