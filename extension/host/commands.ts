/**
 * Every command of the extension. Each works from the command palette: when its argument is missing it
 * asks (quick picks over experiment files, configs, runs, checkpoints) or uses the active editor.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CHECKPOINT_VIEW_TYPE, compareCheckpoints } from './checkpointEditor';
import type { DynamicsPanelManager } from './dynamicsPanel';
import { configAtOffset } from './experimentModel';
import type { Experiments } from './experiments';
import type { Launcher } from './launcher';
import type { ActiveRun, RunManager } from './runManager';
import { checkpointNear, describeRun, withLiveRuns, latestRunOf, runTreeLabels, sharedSweepAxes, shortDescription, sweepRunsOf } from './runsModel';
import { CHECKPOINTS_DIR, checkpointFiles, newestFirst, type RunEntry } from '../engine/runs';
import type { RunsIndex } from './runsIndex';
import { runDirOf, type RunsNode } from './runsView';
import { errorText } from '../shared/errors';

export interface CommandDeps {
  manager: RunManager;
  index: RunsIndex;
  experiments: Experiments;
  launcher: Launcher;
  panels: DynamicsPanelManager;
}


/** The commands this module owns: `trainingDynamics.NAME` runs the method NAME of Commands. */
const COMMAND_NAMES = [
  'runExperiment', 'trainConfigAtCursor', 'trainConfig', 'runSweep', 'resumeSweep', 'stopRun', 'stopAllRuns',
  'showDynamics', 'compareRuns', 'openRunFolder', 'openCheckpoint', 'compareCheckpoints', 'refreshRuns',
] as const satisfies readonly (keyof Commands)[];

export function registerCommands(d: CommandDeps): vscode.Disposable {
  const c = new Commands(d);
  const reg = (name: (typeof COMMAND_NAMES)[number]) => {
    const fn = c[name] as (...args: unknown[]) => unknown;
    return vscode.commands.registerCommand(`trainingDynamics.${name}`, async (...args: unknown[]) => {
      try {
        return await fn.apply(c, args);
      } catch (err) {
        void vscode.window.showErrorMessage(`Training Dynamics: ${errorText(err)}`);
        return undefined;
      }
    });
  };
  return vscode.Disposable.from(...COMMAND_NAMES.map(reg));
}

type RunPickItem = vscode.QuickPickItem & { entry?: RunEntry; sweep?: RunEntry[] };

class Commands {
  constructor(private readonly d: CommandDeps) {}

  // --- training ------------------------------------------------------------------------------------------

  /** Quick pick over every experiment file's configs and sweep (or one file's, when given). */
  async runExperiment(uri?: vscode.Uri): Promise<string[]> {
    const uris = uri instanceof vscode.Uri ? [uri] : await this.d.experiments.findFiles();
    if (uris.length === 0) {
      void vscode.window.showErrorMessage('No *.experiment.json file found in this workspace.');
      return [];
    }
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri; config?: string; sweep?: boolean };
    const items: Item[] = [];
    const active = this.d.experiments.activeUri()?.toString();
    uris.sort((a, b) => Number(b.toString() === active) - Number(a.toString() === active));
    for (const u of uris) {
      const { parsed } = await this.d.experiments.load(u);
      items.push({ label: `${parsed.name || path.basename(u.fsPath)} — ${vscode.workspace.asRelativePath(u)}`, kind: vscode.QuickPickItemKind.Separator });
      for (const cfg of parsed.configs) {
        items.push({ label: `$(play) ${cfg.name}`, description: cfg.valid ? undefined : '$(error) has errors', uri: u, config: cfg.name });
      }
      if (parsed.sweep) {
        const n = parsed.sweep.runNames.length;
        items.push({ label: `$(run-all) Sweep (${n} runs)`, description: parsed.sweep.valid ? parsed.sweep.configNames.join(', ') : '$(error) has errors', uri: u, sweep: true });
      }
    }
    const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Choose a config (or a sweep) to train', matchOnDescription: true });
    if (!pick?.uri) return [];
    return pick.sweep ? this.runSweep(pick.uri) : this.trainConfig(pick.uri, pick.config);
  }

  async trainConfigAtCursor(): Promise<string[]> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !editor.document.uri.path.endsWith('.experiment.json')) return this.runExperiment();
    const parsed = this.d.experiments.parse(editor.document);
    const config = configAtOffset(parsed, editor.document.offsetAt(editor.selection.active));
    if (config) return this.trainConfig(editor.document.uri, config.name);
    return this.trainConfig(editor.document.uri);
  }

  /** Args (uri, configName) — what the CodeLens passes. Resolves with the run directories once started. */
  async trainConfig(uri?: vscode.Uri, configName?: string): Promise<string[]> {
    const file = uri instanceof vscode.Uri ? uri : await this.d.experiments.pickFile('Choose the experiment file');
    if (!file) return [];
    const name = typeof configName === 'string' ? configName : await this.pickConfig(file);
    if (!name) return [];
    return this.started(await this.d.launcher.trainConfig(file, name));
  }

  async runSweep(uri?: vscode.Uri): Promise<string[]> {
    const file = uri instanceof vscode.Uri ? uri : await this.d.experiments.pickFile('Choose the experiment file whose sweep to run', (p) => p.parsed.sweep !== null);
    if (!file) return [];
    return this.started(await this.d.launcher.runSweep(file));
  }

  /** Runs the sweep's points whose newest run is not completed. */
  async resumeSweep(uri?: vscode.Uri): Promise<string[]> {
    const file = uri instanceof vscode.Uri ? uri : await this.d.experiments.pickFile('Choose the experiment file whose sweep to resume', (p) => p.parsed.sweep !== null);
    if (!file) return [];
    return this.started(await this.d.launcher.runSweep(file, { resume: true }));
  }

  private async started(runs: ActiveRun[]): Promise<string[]> {
    const dirs = await Promise.all(runs.map((r) => this.d.manager.whenStarted(r.id)));
    return dirs.filter((x): x is string => x !== null);
  }

  private async pickConfig(uri: vscode.Uri): Promise<string | undefined> {
    const { parsed } = await this.d.experiments.load(uri);
    if (parsed.configs.length === 0) {
      void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} has no configs.`);
      return undefined;
    }
    if (parsed.configs.length === 1) return parsed.configs[0].name;
    const pick = await vscode.window.showQuickPick(
      parsed.configs.map((c) => ({ label: c.name, description: c.valid ? undefined : '$(error) has errors' })),
      { placeHolder: `Choose a config of ${parsed.name || path.basename(uri.fsPath)}` },
    );
    return pick?.label;
  }

  // --- stopping ------------------------------------------------------------------------------------------

  async stopRun(arg?: unknown): Promise<boolean> {
    if (arg && typeof arg === 'object' && (arg as RunsNode).kind === 'queued') return this.d.manager.stop((arg as { id: number }).id);
    const dir = runDirOf(arg);
    if (dir) {
      if (this.d.manager.stop(dir)) return true;
      void vscode.window.showInformationMessage(`${path.basename(dir)} is not running.`);
      return false;
    }
    const active = this.d.manager.activeRuns();
    if (active.length === 0) {
      void vscode.window.showInformationMessage('No run is active.');
      return false;
    }
    const pick = await vscode.window.showQuickPick(
      active.map((a) => ({ label: a.request.runName, description: `${a.request.experiment} · ${a.state === 'queued' ? 'queued' : `epoch ${a.epoch ?? 0}/${a.totalEpochs}`}`, id: a.id })),
      { placeHolder: 'Choose the run to stop' },
    );
    return pick ? this.d.manager.stop(pick.id) : false;
  }

  stopAllRuns(): number {
    const n = this.d.manager.stopAll();
    vscode.window.setStatusBarMessage(n ? `$(debug-stop) Stopping ${n} run${n === 1 ? '' : 's'}` : 'No run is active', 4000);
    return n;
  }

  // --- looking at runs -----------------------------------------------------------------------------------

  /** Args: runDir | (uri, configName) | a Runs view item. Without: the config at the cursor, else a pick. */
  async showDynamics(arg?: unknown, configName?: unknown): Promise<string | undefined> {
    let runDir: string | undefined;
    if (arg instanceof vscode.Uri && typeof configName === 'string') {
      runDir = await this.latestRunOfConfig(arg, configName);
      if (!runDir) {
        void vscode.window.showInformationMessage(`"${configName}" has no runs yet.`);
        return undefined;
      }
    } else if (arg instanceof vscode.Uri && arg.path.endsWith('.experiment.json')) {
      runDir = await this.pickRun('Choose a run to show', (e) => e.run.experimentFile === arg.fsPath);
    } else {
      runDir = runDirOf(arg) ?? (await this.runAtCursor()) ?? (await this.pickRun('Choose a run to show'));
    }
    if (!runDir) return undefined;
    await this.d.panels.show([runDir], { preserveFocus: false });
    return runDir;
  }

  private async latestRunOfConfig(uri: vscode.Uri, configName: string): Promise<string | undefined> {
    const { parsed } = await this.d.experiments.load(uri);
    const live = this.d.manager.activeRuns().filter((a) => a.runDir && a.run && a.request.experiment === parsed.name && a.request.configName === configName);
    if (live.length) return live[live.length - 1].runDir!;
    if (this.d.index.all.length === 0) await this.d.index.refresh();
    return latestRunOf([...this.d.index.all], parsed.name, configName)?.runDir;
  }

  private async runAtCursor(): Promise<string | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !editor.document.uri.path.endsWith('.experiment.json')) return undefined;
    const config = configAtOffset(this.d.experiments.parse(editor.document), editor.document.offsetAt(editor.selection.active));
    return config ? this.latestRunOfConfig(editor.document.uri, config.name) : undefined;
  }

  private async allEntries(): Promise<RunEntry[]> {
    await this.d.index.refresh();
    return withLiveRuns(this.d.index.all, this.d.manager.activeRuns()).sort(newestFirst);
  }

  private runItem(e: RunEntry): RunPickItem {
    return { label: e.run.runName, description: describeRun(e.run), detail: `${e.run.experiment} · ${vscode.workspace.asRelativePath(e.runDir)}`, entry: e };
  }

  private async pickRun(placeHolder: string, filter?: (e: RunEntry) => boolean): Promise<string | undefined> {
    const entries = (await this.allEntries()).filter((e) => !filter || filter(e));
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('No runs found. Train a config first.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(entries.map((e) => this.runItem(e)), { placeHolder, matchOnDescription: true, matchOnDetail: true });
    return pick?.entry?.runDir;
  }

  /**
   * Overlay several runs. Args: a Runs view item (+ the multi-selection), an experiment group (its sweep, or
   * a pick among its runs), or nothing: a multi-select pick where a sweep item selects its own runs.
   */
  async compareRuns(arg?: unknown, selection?: unknown): Promise<string[]> {
    let entries: RunEntry[] = [];
    const all = await this.allEntries();
    const selected = Array.isArray(selection) ? selection.map(runDirOf).filter((x): x is string => !!x) : [];
    if (selected.length >= 2) {
      entries = all.filter((e) => selected.includes(e.runDir));
    } else if (arg && typeof arg === 'object' && (arg as RunsNode).kind === 'experiment') {
      const experiment = (arg as { experiment: string }).experiment;
      const sweep = sweepRunsOf(all, experiment);
      entries = sweep.length >= 2 ? sweep : await this.pickMany(all.filter((e) => e.run.experiment === experiment), []);
    } else {
      const preselected = runDirOf(arg);
      entries = await this.pickMany(all, preselected ? [preselected] : []);
    }
    if (entries.length === 0) return [];
    const runDirs = entries.map((e) => e.runDir);
    await this.d.panels.show(runDirs, { sweepAxes: sharedSweepAxes(entries), preserveFocus: false });
    return runDirs;
  }

  private async pickMany(entries: RunEntry[], preselected: string[]): Promise<RunEntry[]> {
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('No runs found. Train a config first.');
      return [];
    }
    const items: RunPickItem[] = [];
    const experiments = [...new Set(entries.map((e) => e.run.experiment))];
    const sweeps = experiments.map((x) => ({ experiment: x, runs: sweepRunsOf(entries, x) })).filter((s) => s.runs.length >= 2);
    if (sweeps.length) {
      items.push({ label: 'Sweeps', kind: vscode.QuickPickItemKind.Separator });
      for (const s of sweeps) items.push({ label: `$(run-all) ${s.experiment} sweep`, description: `${s.runs.length} runs`, sweep: s.runs });
      items.push({ label: 'Runs', kind: vscode.QuickPickItemKind.Separator });
    }
    for (const e of entries) items.push({ ...this.runItem(e), picked: preselected.includes(e.runDir) });
    const picks = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: 'Choose the runs to compare (a sweep selects its own runs)', matchOnDetail: true });
    if (!picks) return [];
    const out = new Map<string, RunEntry>();
    for (const p of picks) for (const e of p.sweep ?? (p.entry ? [p.entry] : [])) out.set(e.runDir, e);
    return [...out.values()];
  }

  async openRunFolder(arg?: unknown): Promise<void> {
    const runDir = runDirOf(arg) ?? (await this.pickRun('Choose the run whose folder to open'));
    if (!runDir) return;
    const uri = vscode.Uri.file(runDir);
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.commands.executeCommand('revealFileInOS', uri);
  }

  // --- checkpoints ---------------------------------------------------------------------------------------

  private async checkpointsOf(runDir: string) {
    try {
      return checkpointFiles(await readdir(path.join(runDir, CHECKPOINTS_DIR))).map((f) => ({ ...f, uri: vscode.Uri.file(path.join(runDir, CHECKPOINTS_DIR, f.file)) }));
    } catch {
      return [];
    }
  }

  /** Args: runDir or a Runs view item, optionally an epoch (the panel's "open checkpoint at this epoch"). */
  async openCheckpoint(arg?: unknown, epoch?: unknown): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri && arg.path.endsWith('.safetensors')) {
      await vscode.commands.executeCommand('vscode.openWith', arg, CHECKPOINT_VIEW_TYPE);
      return arg;
    }
    const runDir = runDirOf(arg) ?? (await this.pickRun('Choose the run whose checkpoint to open'));
    if (!runDir) return undefined;
    const files = await this.checkpointsOf(runDir);
    if (files.length === 0) {
      void vscode.window.showInformationMessage(`${path.basename(runDir)} has no checkpoints (set "checkpoints.every" or "checkpoints.atEnd").`);
      return undefined;
    }
    let uri: vscode.Uri | undefined;
    if (typeof epoch === 'number') uri = checkpointNear(files, epoch)?.uri;
    else if (files.length === 1) uri = files[0].uri;
    else uri = (await vscode.window.showQuickPick(files.map((f) => ({ label: `epoch ${f.epoch}`, description: f.file, uri: f.uri })), { placeHolder: 'Choose a checkpoint' }))?.uri;
    if (!uri) return undefined;
    await vscode.commands.executeCommand('vscode.openWith', uri, CHECKPOINT_VIEW_TYPE);
    return uri;
  }

  /**
   * Two checkpoints to compare, chosen run first (the run list filters by run name, experiment and folder),
   * then epochs of that run: two of them, or one and then a checkpoint of another run.
   */
  async compareCheckpoints(a?: unknown, b?: unknown): Promise<void> {
    const given = [a, b].filter((x): x is vscode.Uri => x instanceof vscode.Uri);
    if (given.length < 2) {
      const picked = await this.pickCheckpoints(2 - given.length, given);
      if (picked.length === 0) return;
      given.push(...picked);
    }
    await compareCheckpoints(given[0], given[1]);
  }

  private async pickCheckpoints(need: number, chosen: vscode.Uri[]): Promise<vscode.Uri[]> {
    const runs: { entry: RunEntry; files: Awaited<ReturnType<Commands['checkpointsOf']>> }[] = [];
    for (const e of await this.allEntries()) {
      const files = await this.checkpointsOf(e.runDir);
      if (files.length) runs.push({ entry: e, files });
    }
    if (runs.reduce((n, r) => n + r.files.length, 0) < need + chosen.length) {
      void vscode.window.showInformationMessage('Comparing needs two checkpoints; the runs have fewer.');
      return [];
    }
    const labels = runTreeLabels(runs.map((r) => r.entry));
    const out: vscode.Uri[] = [];
    type RunItem = vscode.QuickPickItem & { run: (typeof runs)[number] };
    type FileItem = vscode.QuickPickItem & { uri: vscode.Uri };
    while (out.length < need) {
      const taken = new Set([...chosen, ...out].map((u) => u.fsPath));
      const runItems: RunItem[] = runs
        .filter((r) => r.files.some((f) => !taken.has(f.uri.fsPath)))
        .map((r) => ({
          label: labels.get(r.entry.runDir) ?? r.entry.run.runName,
          description: `${r.entry.run.experiment} · ${r.files.length} checkpoint${r.files.length === 1 ? '' : 's'} · ${shortDescription(r.entry.run)}`,
          detail: vscode.workspace.asRelativePath(r.entry.runDir),
          run: r,
        }));
      const first = out.length + chosen.length === 0;
      const run = await vscode.window.showQuickPick(runItems, {
        placeHolder: first ? 'Choose the run of the checkpoints to compare (type to filter by run name)' : 'Choose the run of the other checkpoint',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (!run) return [];
      const left = need - out.length;
      const fileItems: FileItem[] = run.run.files.filter((f) => !taken.has(f.uri.fsPath)).map((f) => ({ label: `epoch ${f.epoch}`, description: f.file, uri: f.uri }));
      const name = run.label;
      if (left > 1 && fileItems.length > 1) {
        const picks = await vscode.window.showQuickPick(fileItems, { canPickMany: true, placeHolder: `Choose two epochs of ${name} (or one, then a checkpoint of another run)` });
        if (!picks || picks.length === 0) return [];
        if (picks.length > left) {
          void vscode.window.showErrorMessage(`Choose at most ${left} checkpoints (you chose ${picks.length}).`);
          continue;
        }
        out.push(...picks.map((p) => p.uri));
      } else {
        const pick = await vscode.window.showQuickPick(fileItems, { placeHolder: `Choose an epoch of ${name}` });
        if (!pick) return [];
        out.push(pick.uri);
      }
    }
    return out;
  }

  async refreshRuns(): Promise<number> {
    return (await this.d.index.refresh()).length;
  }
}
