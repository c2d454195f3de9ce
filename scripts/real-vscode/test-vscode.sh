#!/usr/bin/env bash
# `npm run test:vscode`: the extension-host suite (test/integration) in a real VS Code — code-server here.
# Installs code-server when absent, builds the extension and the suite, copies samples/ into a scratch
# workspace, starts code-server with the smoke-test driver, runs the suite, and always stops everything.
# Env: SKIP_BUILD=1 (already built), PORT (default: a free one), TD_KEEP_WS=1 (keep the scratch workspace),
# EXT_DEV (the extension folder under test, default this repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/real-vscode/env.sh
prepare_build
node scripts/build-tests.mjs >/dev/null
EXT_DEV=${EXT_DEV:-$ROOT_DIR}
[ -f "$EXT_DEV/dist/extension.js" ] || { echo "test:vscode: $EXT_DEV/dist/extension.js is missing (npm run build failed?)" >&2; exit 1; }
mkdir -p test-results
PORT=${PORT:-$(free_port)}
WS=$(mktemp -d "${TMPDIR:-/tmp}/td-ws-XXXXXX")
cleanup() {
  bash scripts/real-vscode/stop.sh "$PORT"
  if [ "${TD_KEEP_WS:-}" = 1 ]; then echo "test:vscode: workspace kept in $WS"; else rm -rf "$WS"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Scratch workspace: the samples, and the schema at the path their "$schema" points to.
scratch_workspace "$WS"
bash scripts/real-vscode/start.sh "$PORT" "$WS" --vscode-option enable-smoke-test-driver >/dev/null
echo "test:vscode: code-server on 127.0.0.1:$PORT (log .real-vscode/run/$PORT/code-server.log), workspace $WS"
SHOTS=${SHOTS:-$ROOT_DIR/test-results} CONSOLE_LOG=${CONSOLE_LOG:-$ROOT_DIR/test-results/integration-console.log} \
  node scripts/real-vscode/run-integration.mjs "$PORT" "$EXT_DEV" "$ROOT_DIR/out/test/integration/index.js" "$WS"
