#!/usr/bin/env bash
# `npm run test:e2e`: browser-driven checks (test/e2e/e2e.ts) of the packaged .vsix installed into code-server.
# Packages the extension (vsce, --no-dependencies: dist/ bundles everything), installs it into a fresh
# extensions folder, prepares a scratch workspace (the samples, and a checkpoint trained by the CLI), starts
# code-server, drives it with Chromium, and always stops everything. Env: SKIP_BUILD=1, PORT, README_SHOTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/real-vscode/env.sh
prepare_build
mkdir -p test-results
scratch_session td-e2e
mkdir -p "$WS/.vscode"
# A checkpoint to open: a tiny run trained by the CLI into the workspace's runs folder.
node bin/training-dynamics.js run "$WS/samples/quickstart.experiment.json" --config tiny --json >/dev/null 2>"$WORK/cli.log" ||
  { echo "test:e2e: the CLI could not train quickstart/tiny:" >&2; tail -n 5 "$WORK/cli.log" >&2; exit 1; }
CKPT=$(cd "$WS" && find .training-dynamics -name 'epoch-*.safetensors' | sort | tail -n 1)
[ -n "$CKPT" ] || { echo "test:e2e: the CLI run wrote no checkpoint" >&2; exit 1; }
# A 1 GiB checkpoint (sparse: the data section is a hole, no disk used): 256 F32 tensors of 1024×1024.
node -e '
  const fs = require("fs"); const n = 256, bytes = 1024 * 1024 * 4; const h = {};
  for (let i = 0; i < n; i++) h[`model.layers.${i}.weight`] = { dtype: "F32", shape: [1024, 1024], data_offsets: [i * bytes, (i + 1) * bytes] };
  const json = Buffer.from(JSON.stringify(h)); const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(process.argv[1], "w"); fs.writeSync(fd, len); fs.writeSync(fd, json); fs.ftruncateSync(fd, 8 + json.length + n * bytes); fs.closeSync(fd);
' "$WS/large-1gib.safetensors"
start_packaged test:e2e
CHECKPOINT="$(basename "$CKPT")" \
  node --import tsx test/e2e/e2e.ts "http://127.0.0.1:$PORT/?folder=$WS"
