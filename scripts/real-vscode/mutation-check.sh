#!/usr/bin/env bash
# `bash scripts/real-vscode/mutation-check.sh [NAME...]`: shows that the real-VS-Code suites catch the breakages
# the testing issue lists. For each one it copies the committed tree (git worktree) to a scratch folder, breaks
# one thing, builds, and runs the code-server extension-host suite and the e2e checks; a breakage passes this
# check only when a suite FAILS. Takes ~6 minutes per breakage. Prints one verdict line each, exits 1 if any
# breakage went unnoticed. Breakages:
#   codelens    the CodeLens provider returns nothing
#   trainer     the trainer process exits before sending metrics
#   webview     the Dynamics webview never receives data
#   editor      the checkpoint custom editor is not registered
#   study       the Study panel builds its study from no runs (the study data is empty)
#   coalescing  records go one message each, trainer → host and host → webview (no outbox, no batcher)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export REAL_VSCODE_DIR=${REAL_VSCODE_DIR:-$ROOT/.real-vscode}
bash scripts/real-vscode/install.sh >/dev/null || exit 1
NAMES=("$@"); [ ${#NAMES[@]} -gt 0 ] || NAMES=(codelens trainer webview editor study coalescing)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/td-mutation-XXXXXX")
cleanup() {
  for d in "$SCRATCH"/*/; do [ -d "$d" ] && git worktree remove --force "$d" >/dev/null 2>&1; done
  rm -rf "$SCRATCH"; git worktree prune
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# break NAME DIR: edits one file of the copy; fails loudly if the code it targets moved.
break_it() {
  local name=$1 dir=$2
  python3 - "$name" "$dir" <<'PY'
import sys
name, d = sys.argv[1], sys.argv[2]
edits = {
  'codelens': ('extension/host/codeLens.ts', 'provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {',
               'provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {\n    return [];'),
  'trainer':  ('extension/trainer/main.ts', "process.on('message', (msg: unknown) => {",
               "process.on('message', (msg: unknown) => {\n  process.exit(0);"),
  'webview':  ('extension/host/dynamicsPanel.ts', 'private post(message: HostToWebview): void {',
               'private post(message: HostToWebview): void {\n    return;'),
  'editor':   ('extension/host/checkpointEditor.ts', 'const reg = vscode.window.registerCustomEditorProvider(CHECKPOINT_VIEW_TYPE,',
               'const reg = new vscode.Disposable(() => {}); void (CHECKPOINT_VIEW_TYPE,'),
  'study':    ('extension/host/studyPanel.ts', 'this.study = studyFromRuns(parsed.name, [...this.inputs.values()], {',
               'this.study = studyFromRuns(parsed.name, [], {'),
  'coalescing': [
    ('extension/trainer/outbox.ts', "if (m.type === 'record' || m.type === 'records') {", "if (false) {"),
    ('extension/host/dynamicsPanel.ts', 'if (this.panel && this.runDirs.includes(e.runDir)) this.batcher.addRecords(e.runDir, e.records);',
     "if (this.panel && this.runDirs.includes(e.runDir)) for (const r of e.records) this.post({ type: 'append', runDir: e.runDir, records: [r] });"),
  ],
}
for f, old, new in (edits[name] if isinstance(edits[name], list) else [edits[name]]):
  p = f'{d}/{f}'
  s = open(p).read()
  if s.count(old) != 1: sys.exit(f'mutation-check: the code to break for {name} is not in {f} any more')
  open(p, 'w').write(s.replace(old, new))
PY
}

FAILED=0
RESULTS=()
for name in "${NAMES[@]}"; do
  dir="$SCRATCH/$name"
  git worktree add --detach "$dir" HEAD >/dev/null 2>&1 || { echo "mutation-check: git worktree add failed" >&2; exit 1; }
  ln -s "$ROOT/node_modules" "$dir/node_modules"
  # the native addon (built by npm ci, not committed): without it the flood test's run is too slow to measure
  [ -d "$ROOT/native/build" ] && ln -s "$ROOT/native/build" "$dir/native/build"
  log="$SCRATCH/$name.log"
  if ! break_it "$name" "$dir"; then RESULTS+=("$name: could not apply the breakage"); FAILED=1; continue; fi
  echo "=== $name: broken; building and running the suites (log $log)"
  # esbuild only: a breakage is a change in behaviour, which the type checker need not notice.
  (cd "$dir" && npm run -s build) >"$log" 2>&1 || { RESULTS+=("$name: the broken tree does not build (see $log)"); FAILED=1; continue; }
  vs=0; e2e=0
  (cd "$dir" && SKIP_BUILD=1 npm run -s test:vscode) >>"$log" 2>&1 || vs=1
  (cd "$dir" && SKIP_BUILD=1 README_SHOTS=0 npm run -s test:e2e) >>"$log" 2>&1 || e2e=1
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | paste -sd ';' -)
  fails=$(grep -E '^\s*(FAIL|not ok)|\] FAIL' "$log" | head -n 3 | sed -E 's/^\s+//' | paste -sd ';' -)
  if [ $vs = 1 ] || [ $e2e = 1 ]; then
    RESULTS+=("$name: caught (vscode suite $([ $vs = 1 ] && echo failed || echo passed), e2e $([ $e2e = 1 ] && echo failed || echo passed); $counts) — $fails")
  else
    RESULTS+=("$name: NOT CAUGHT, every suite passed ($counts)"); FAILED=1
  fi
done
echo
printf '%s\n' "${RESULTS[@]}"
exit $FAILED
