#!/usr/bin/env bash
# Usage: stop.sh PORT — stops the code-server that start.sh started on PORT and its whole process group
# (extension host, file watcher, trainer processes): SIGTERM, then SIGKILL after 5 s. Quiet when none runs.
set -uo pipefail
source "$(dirname "$0")/env.sh"
PORT=${1:?usage: stop.sh PORT}
PIDFILE="$RV/run/$PORT/pid"
[ -f "$PIDFILE" ] || exit 0
PGID=$(cat "$PIDFILE")
if kill -0 -- "-$PGID" 2>/dev/null; then
  kill -TERM -- "-$PGID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PGID" 2>/dev/null
fi
rm -f "$PIDFILE"
exit 0
