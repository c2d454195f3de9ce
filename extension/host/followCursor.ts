/**
 * Moving the cursor into another config of an experiment file switches an open Dynamics panel to that
 * config's latest run (live runs first). Debounced; does nothing when no panel is open.
 */
import * as vscode from 'vscode';
import type { DynamicsPanelManager } from './dynamicsPanel';
import { configAtOffset } from './experimentModel';
import { isExperimentUri, type Experiments } from './experiments';
import type { RunManager } from './runManager';
import { latestRunOf } from './runsModel';
import type { RunsIndex } from './runsIndex';

const DEBOUNCE_MS = 200;

export function registerFollowCursor(experiments: Experiments, manager: RunManager, index: RunsIndex, panels: DynamicsPanelManager): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let lastKey: string | undefined;
  const follow = (editor: vscode.TextEditor) => {
    const doc = editor.document;
    if (!isExperimentUri(doc.uri) || !panels.shownRunDirs) return;
    const parsed = experiments.parse(doc);
    const config = configAtOffset(parsed, doc.offsetAt(editor.selection.active));
    if (!config) return;
    const key = `${doc.uri.toString()}#${config.name}`;
    if (key === lastKey) return;
    const live = manager.activeRuns().filter((a) => a.runDir && a.request.experiment === parsed.name && a.request.configName === config.name);
    const runDir = live.length ? live[live.length - 1].runDir! : latestRunOf([...index.all], parsed.name, config.name)?.runDir;
    if (!runDir) return;
    lastKey = key;
    const shown = panels.shownRunDirs ?? [];
    if (shown.length === 1 && shown[0] === runDir) return;
    panels.followIfOpen([runDir]);
  };
  return vscode.Disposable.from(
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!isExperimentUri(e.textEditor.document.uri)) return;
      clearTimeout(timer);
      timer = setTimeout(() => follow(e.textEditor), DEBOUNCE_MS);
    }),
    { dispose: () => clearTimeout(timer) },
  );
}
