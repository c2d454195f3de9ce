#!/usr/bin/env bash
# Usage: package-install.sh EXT_DIR — packages the extension as out/training-dynamics.vsix (vsce,
# --no-dependencies: dist/ bundles everything) and installs it into the code-server extensions folder EXT_DIR.
# Used through env.sh's start_packaged (test-e2e.sh, readme-shots.sh, study-shots.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/real-vscode/env.sh
EXT_DIR=${1:?usage: package-install.sh EXT_DIR}
mkdir -p out "$EXT_DIR"
VSIX=out/training-dynamics.vsix
rm -f "$VSIX"
npx vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links -o "$VSIX" >/dev/null 2>out/vsce.log ||
  { echo "package-install: vsce package failed:" >&2; grep -v '^npm warn' out/vsce.log >&2; exit 1; }
echo "package-install: packaged $VSIX ($(du -k "$VSIX" | cut -f1) kB)"
TMPX=$(mktemp -d "${TMPDIR:-/tmp}/td-vsix-install-XXXXXX")
trap 'rm -rf "$TMPX"' EXIT
XDG_CONFIG_HOME="$TMPX/xdg" XDG_DATA_HOME="$TMPX/xdg" XDG_CACHE_HOME="$TMPX/xdg" "$N24" "$CS_ENTRY" \
  --extensions-dir "$EXT_DIR" --user-data-dir "$TMPX/ud" --install-extension "$PWD/$VSIX" >"$TMPX/install.log" 2>&1 ||
  { echo "package-install: installing the .vsix into code-server failed:" >&2; tail -n 5 "$TMPX/install.log" >&2; exit 1; }
