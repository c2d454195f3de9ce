#!/usr/bin/env bash
# `npm run shots`: remakes the README's pictures in media/screenshots/ (dark and light) from the packaged
# extension in code-server, with a finished run of the grokking sample's adamw-wd1 config in the workspace.
# Trains that run with the CLI (3000 epochs, a few minutes) unless GROK_RUN names an existing run directory.
# Also trains the quickstart's tiny run and its sweep (a minute) for the comparison pictures. Always stops code-server
# and removes the scratch workspace. Env: SKIP_BUILD=1, PORT, GROK_RUN, SKIP_GROK=1, ONLY (pictures to take), OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/real-vscode/env.sh
prepare_build
OUT=${OUT:-$ROOT_DIR/media/screenshots}
scratch_session td-shots
mkdir -p "$WS/.training-dynamics/runs/grokking-mod97"
if [ -n "${GROK_RUN:-}" ]; then
  cp -r "$GROK_RUN" "$WS/.training-dynamics/runs/grokking-mod97/"
elif [ "${SKIP_GROK:-}" = 1 ]; then
  echo "readme-shots: SKIP_GROK=1, no grokking run (only the quickstart pictures can be taken: ONLY=compare)"
else
  echo "readme-shots: training grokking-mod97/adamw-wd1 with the CLI (3000 epochs)"
  node bin/training-dynamics.js run "$WS/samples/grokking-mod97.experiment.json" --config adamw-wd1 --out "$WS/.training-dynamics/runs" --json >"$WORK/run.json" ||
    { echo "readme-shots: the grokking run failed" >&2; exit 1; }
  cat "$WORK/run.json"
fi
echo "readme-shots: training the quickstart's tiny run and its sweep (7 runs of 1000 epochs) with the CLI"
node bin/training-dynamics.js run "$WS/samples/quickstart.experiment.json" --config tiny --out "$WS/.training-dynamics/runs" --json >"$WORK/tiny.json" &&
  node bin/training-dynamics.js run "$WS/samples/quickstart.experiment.json" --sweep --jobs 2 --out "$WS/.training-dynamics/runs" --json >"$WORK/sweep.json" ||
  { echo "readme-shots: the quickstart runs failed" >&2; exit 1; }
CKPT=$(cd "$WS" && find .training-dynamics/runs/grokking-mod97 -name 'epoch-*.safetensors' | sort | tail -n 1)
[ -n "$CKPT" ] || [ "${SKIP_GROK:-}" = 1 ] || { echo "readme-shots: the grokking run has no checkpoint" >&2; exit 1; }
start_packaged readme-shots
CHECKPOINT="$(basename "${CKPT:-}")" node --import tsx test/e2e/readme-shots.ts "http://127.0.0.1:$PORT/?folder=$WS" "$OUT"
