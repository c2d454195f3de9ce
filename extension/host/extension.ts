/**
 * Entry point: wires the features together. Each feature lives in its own module (run manager, runs view,
 * CodeLens, diagnostics, commands, Dynamics panel, checkpoint editor); nothing here but construction.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createApi, type TrainingDynamicsApi } from './api';
import { registerCheckpointEditor } from './checkpointEditor';
import { ExperimentCodeLensProvider } from './codeLens';
import { registerCommands } from './commands';
import { registerDiagnostics } from './diagnostics';
import { registerExperimentEditing } from './experimentEditing';
import { DynamicsPanelManager } from './dynamicsPanel';
import { registerShowStudy, StudyPanelManager } from './studyPanel';
import { listRuns, markInterrupted, readRun, readRunJson } from '../engine/runs';
import { EXPERIMENT_SELECTOR, Experiments } from './experiments';
import { registerFollowCursor } from './followCursor';
import { Launcher } from './launcher';
import { RunManager } from './runManager';
import { RunsIndex } from './runsIndex';
import { RunsFolderPoller } from './runsFolderPoller';
import { FollowingRunSource } from './runFollower';
import { RunUi } from './runUi';
import { SlurmMonitor } from './slurmMonitor';
import { SlurmUi } from './slurmUi';
import { RunsTreeProvider } from './runsView';
import * as settings from './settings';
import { disposeAll } from './dispose';
import { Log } from './log';
import type { TrustedPlaces } from '../engine/runs/trust';

let manager: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): TrainingDynamicsApi {
  const output = vscode.window.createOutputChannel('Training Dynamics');
  const log = new Log(output);
  const info = (line: string) => log.info(line);
  const runManager = new RunManager({
    trainerPath: context.asAbsolutePath('dist/trainer.js'),
    execPath: process.execPath,
    maxConcurrent: settings.maxConcurrentRuns,
    store: { readRun, readRunJson, markEnded: (runDir, status, reason) => markInterrupted(runDir, reason, status) },
    log: (line, level = 'info') => log.write(level, line),
  });
  manager = runManager;
  const index = new RunsIndex({ roots: settings.allRunsRoots, listRuns, isOurs: (d) => runManager.isActive(d), markInterrupted, log: info });
  // Where paths from outside (a checkpoint's metadata, a webview's saved state) may point: engine/runs/trust.ts.
  const trustedPlaces = (): TrustedPlaces => ({
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    runsRoots: settings.allRunsRoots(),
    isKnownRunDir: (d) => runManager.isActive(d) || index.all.some((e) => e.runDir === d),
  });
  const experiments = new Experiments();
  // The panels follow runs of other processes (CLI, other machines) on disk as they grow, this window's over IPC.
  const runSource = new FollowingRunSource(runManager);
  const panels = new DynamicsPanelManager(context, runSource, trustedPlaces);
  const study = new StudyPanelManager(context, runSource, index, panels);
  const launcher = new Launcher(runManager, experiments, panels, log);
  const tree = new RunsTreeProvider(index, runManager);
  const codeLens = new ExperimentCodeLensProvider(experiments, index);
  const refreshSoon = debounce(() => void index.refresh(), 500);
  // Slurm arrays of the workspace's sweeps (manifests under the runs folders): their states, and dead tasks' runs marked failed.
  const slurm = new SlurmMonitor({
    roots: settings.allRunsRoots,
    entries: () => index.all,
    refreshIndex: () => index.refresh(),
    markFailed: (runDir, reason) => markInterrupted(runDir, reason),
    log: info,
  });

  context.subscriptions.push(
    output,
    { dispose: () => void runManager.shutdown() },
    index,
    runSource,
    panels,
    launcher,
    tree,
    codeLens,
    study,
    registerShowStudy(study, experiments),
    new RunUi(runManager, log),
    slurm,
    new SlurmUi(context.extensionPath, slurm, experiments, launcher, panels, log),
    vscode.window.createTreeView('trainingDynamics.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true }),
    vscode.languages.registerCodeLensProvider(EXPERIMENT_SELECTOR, codeLens),
    registerDiagnostics(experiments),
    registerExperimentEditing(),
    registerFollowCursor(experiments, runManager, index, panels),
    registerCommands({ manager: runManager, index, experiments, launcher, panels }),
    registerCheckpointEditor(context, {
      openRunDynamics: (runDir: string) => void panels.show([runDir], { preserveFocus: false }),
      openExperimentFile: (file: string) => void vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false }),
      trustedPlaces,
    }),
    runManager.onDidFinish(refreshSoon),
    runManager.onDidStart(refreshSoon),
    // A live run of this window rewrites its run.json every few seconds; its state comes over IPC, and the index
    // takes its final run.json when it ends (onDidFinish): those rewrites do not re-list every run (nor redraw the
    // Runs view and the CodeLenses).
    watchRunsRoots(refreshSoon, (runDir) => runManager.isActive(runDir)),
    startPoller(new RunsFolderPoller(settings.allRunsRoots, refreshSoon, 1000, (runDir) => runManager.isActive(runDir))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (settings.affectsRuns(e)) refreshSoon();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(refreshSoon),
    { dispose: () => refreshSoon.cancel() },
  );
  // Restore past runs (and repair stale "running" ones); look again once a stale run's grace time is over.
  void index.refresh().then(() => slurm.start());
  const recheck = setTimeout(() => void index.refresh(), 35_000);
  context.subscriptions.push({ dispose: () => clearTimeout(recheck) });

  return createApi(runManager, index, panels, study, slurm, tree);
}

export async function deactivate(): Promise<void> {
  await manager?.shutdown(3000);
  manager = undefined;
}

/** run.json files appearing or changing under any runs root (runs of the CLI or of another window too). */
function watchRunsRoots(onChange: () => void, isLive: (runDir: string) => boolean): vscode.Disposable {
  const watchers: vscode.Disposable[] = [];
  const rewatch = () => {
    disposeAll(watchers);
    for (const root of settings.allRunsRoots()) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/run.json'));
      // The trainer replaces its run.json atomically (write, then rename), which the watcher reports as created:
      // a live run's events of every kind are left out.
      const unlessLive = (uri: vscode.Uri) => isLive(path.dirname(uri.fsPath)) || onChange();
      watchers.push(w, w.onDidCreate(unlessLive), w.onDidChange(unlessLive), w.onDidDelete(unlessLive));
    }
  };
  rewatch();
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => settings.affectsRuns(e) && rewatch()),
    vscode.workspace.onDidChangeWorkspaceFolders(rewatch),
    { dispose: () => disposeAll(watchers) },
  );
}

/** Runs written where the file watcher does not see them (another machine, a folder created later) still show up. */
function startPoller(poller: RunsFolderPoller): vscode.Disposable {
  void poller.start();
  return poller;
}

function debounce(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let t: NodeJS.Timeout | undefined;
  const f = () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
  return Object.assign(f, { cancel: () => clearTimeout(t) });
}
