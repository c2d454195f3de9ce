#!/usr/bin/env bash
# Usage: start.sh PORT WORKSPACE [code-server args...]
# Starts code-server on 127.0.0.1:PORT (no auth, loopback only) in its own process group, with private
# user-data, extensions and XDG folders under .real-vscode/run/PORT and quiet settings for an offline test run.
# Env: THEME=dark|light (default dark), EXT_DIR (extensions folder; default an empty private one).
# Prints the PID, which is also the process-group id (stop.sh PORT kills the whole group: code-server, its
# extension host and everything that host started). Waits until /healthz answers (60 s), else fails.
set -euo pipefail
source "$(dirname "$0")/env.sh"
PORT=${1:?usage: start.sh PORT WORKSPACE [args]}; WS=${2:?usage: start.sh PORT WORKSPACE [args]}; shift 2
[ -x "$N24" ] && [ -f "$CS_ENTRY" ] || { echo "start.sh: code-server is not installed; run scripts/real-vscode/install.sh" >&2; exit 1; }
case "${THEME:-dark}" in
  dark) COLOR_THEME="Default Dark Modern" ;;
  light) COLOR_THEME="Default Light Modern" ;;
  *) echo "start.sh: THEME must be dark or light, not '$THEME'" >&2; exit 1 ;;
esac
RUN="$RV/run/$PORT"
if [ -f "$RUN/pid" ] && kill -0 -- "-$(cat "$RUN/pid")" 2>/dev/null; then
  echo "start.sh: a code-server started by these scripts still runs on port $PORT (pid $(cat "$RUN/pid")); stop.sh $PORT first" >&2; exit 1
fi
rm -rf "$RUN"; mkdir -p "$RUN/ud/User" "$RUN/xdg-config" "$RUN/xdg-data" "$RUN/xdg-cache"
EXT_DIR=${EXT_DIR:-$RUN/exts}; mkdir -p "$EXT_DIR"
cat > "$RUN/ud/User/settings.json" <<JSON
{
  "workbench.colorTheme": "$COLOR_THEME",
  "chat.disableAIFeatures": true,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.editor.enablePreview": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "git.enabled": false,
  "json.schemaDownload.enable": false,
  "security.workspace.trust.enabled": false,
  "window.commandCenter": false
}
JSON
# XDG_* keep code-server's config.yaml, data and device id out of \$HOME.
XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data" XDG_CACHE_HOME="$RUN/xdg-cache" \
  setsid "$N24" "$CS_ENTRY" \
  --bind-addr "127.0.0.1:$PORT" --auth none \
  --user-data-dir "$RUN/ud" --extensions-dir "$EXT_DIR" \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --ignore-last-opened \
  --reconnection-grace-time 5 \
  "$@" "$WS" > "$RUN/code-server.log" 2>&1 < /dev/null &
PID=$!
echo "$PID" > "$RUN/pid"
for _ in $(seq 1 300); do
  if curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; then echo "$PID"; exit 0; fi
  if ! kill -0 "$PID" 2>/dev/null; then break; fi
  sleep 0.2
done
echo "start.sh: code-server did not answer on 127.0.0.1:$PORT within 60 s; last lines of $RUN/code-server.log:" >&2
tail -n 15 "$RUN/code-server.log" >&2 || true
kill -- "-$PID" 2>/dev/null || true
exit 1
