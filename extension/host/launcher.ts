/**
 * Turning "train this config" / "run this sweep" into queued runs: refuses in untrusted workspaces, refuses
 * configs with errors (naming them and revealing the first), applies the editor's probe-interval defaults,
 * queues the runs, and opens the Dynamics panel beside the editor when they start.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResolvedRun } from '../shared/configTypes';
import type { DynamicsPanelManager } from './dynamicsPanel';
import { formatProblem, resolveRuns, type ConfigProblem } from '../engine/config';
import { listRuns, startRunRequest } from '../engine/runs';
import { SweepTracker, planResume, sweepProgressText } from '../engine/sweep';
import { applyProbeDefaults, describeProblems, explicitProbeIntervals } from './experimentModel';
import type { Experiments } from './experiments';
import type { ActiveRun, RunManager } from './runManager';
import * as settings from './settings';
import { errorText } from '../shared/errors';
import { Disposable, disposeAll } from './dispose';
import type { Log } from './log';

interface Batch {
  ids: Set<number>;
  runDirs: string[];
  sweepAxes: string[] | null;
}

export class Launcher extends Disposable {
  private readonly batches: Batch[] = [];

  constructor(
    private readonly manager: RunManager,
    private readonly experiments: Experiments,
    private readonly panels: DynamicsPanelManager,
    private readonly log: Log,
  ) {
    super();
    this.register(manager.onDidStart((r) => this.onStarted(r)));
    this.register(
      manager.onDidFinish((e) => {
        for (const b of this.batches) b.ids.delete(e.id);
        for (let i = this.batches.length - 1; i >= 0; i--) if (this.batches[i].ids.size === 0) this.batches.splice(i, 1);
      }),
    );
  }

  async trainConfig(uri: vscode.Uri, configName: string): Promise<ActiveRun[]> {
    if (!ensureTrusted()) return [];
    const { text, parsed } = await this.experiments.load(uri);
    const config = parsed.configs.find((c) => c.name === configName);
    if (!config) {
      void vscode.window.showErrorMessage(`No config named "${configName}" in ${path.basename(uri.fsPath)}.`);
      return [];
    }
    const resolved = resolveRuns(text, { config: configName });
    if (!(await this.refuseProblems(uri, `Config "${configName}"`, resolved.problems))) return [];
    return this.enqueue(uri, text, resolved.runs, null);
  }

  /** `resume`: only the points whose newest run is not completed (Resume Sweep). */
  async runSweep(uri: vscode.Uri, opts: { resume?: boolean } = {}): Promise<ActiveRun[]> {
    if (!ensureTrusted()) return [];
    const sweep = await this.sweepPoints(uri, opts);
    if (!sweep) return [];
    const started = this.enqueue(uri, sweep.text, sweep.runs, sweep.axes.length ? sweep.axes : null);
    if (started.length > 1) this.showSweepProgress(sweep.experiment || path.basename(uri.fsPath), started);
    return started;
  }

  /**
   * The sweep's points (Run Sweep, Resume Sweep, Run Sweep on Slurm…), or null after saying why there are none:
   * no sweep, problems in the file (shown, the first revealed), or (`resume`) every point completed.
   */
  async sweepPoints(uri: vscode.Uri, opts: { resume?: boolean } = {}): Promise<{ text: string; experiment: string; runs: ResolvedRun[]; axes: string[] } | null> {
    const { text, parsed } = await this.experiments.load(uri);
    if (!parsed.sweep) {
      void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} has no "sweep".`);
      return null;
    }
    const resolved = resolveRuns(text, { sweep: true });
    if (!(await this.refuseProblems(uri, 'The sweep', resolved.problems))) return null;
    const axes = [...new Set(resolved.runs.flatMap((r) => Object.keys(r.sweepValues ?? {})))];
    let runs = resolved.runs;
    if (opts.resume) {
      const plan = planResume(runs, await listRuns(settings.runsRootFor(uri)));
      this.log.info(`Resume Sweep: ${plan.completed.length} of ${runs.length} points completed, ${plan.pending.length} to run`);
      if (plan.pending.length === 0) {
        void vscode.window.showInformationMessage(`Every point of the sweep in ${path.basename(uri.fsPath)} has completed (${runs.length} runs).`);
        return null;
      }
      runs = plan.pending;
    }
    return { text, experiment: parsed.name, runs, axes };
  }

  private enqueue(uri: vscode.Uri, text: string, runs: ResolvedRun[], sweepAxes: string[] | null): ActiveRun[] {
    if (runs.length === 0) {
      void vscode.window.showErrorMessage('Nothing to run: the selection resolved to no runs.');
      return [];
    }
    const runsRoot = settings.runsRootFor(uri);
    const backend = settings.backend();
    const probeDefaults = settings.probeDefaults(uri);
    const experimentFile = uri.scheme === 'file' || uri.scheme === 'vscode-remote' ? uri.fsPath : null;
    const started = runs.map((r) =>
      this.manager.enqueue(startRunRequest(r, { experimentFile, runsRoot, backend, config: applyProbeDefaults(r.config, explicitProbeIntervals(text, r.configName), probeDefaults) })),
    );
    this.batches.push({ ids: new Set(started.map((s) => s.id)), runDirs: [], sweepAxes });
    const queued = started.filter((s) => s.state === 'queued').length;
    if (queued > 0) {
      vscode.window.setStatusBarMessage(`$(clock) ${queued} run${queued === 1 ? '' : 's'} queued (max ${settings.maxConcurrentRuns()} at once)`, 5000);
    }
    return started;
  }

  /** One cancellable notification for the whole sweep: done / running / queued, failures, ETA; Cancel stops every point. */
  private showSweepProgress(name: string, runs: ActiveRun[]): void {
    const index = new Map(runs.map((r, i) => [r.id, i]));
    const tracker = new SweepTracker(runs.map((r) => r.totalEpochs), Date.now());
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sweep ${name}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        let reported = 0;
        let last = 0;
        const report = (force = false) => {
          const now = Date.now();
          if (!force && now - last < 500) return;
          last = now;
          const s = tracker.snapshot(now);
          const increment = Math.max(0, s.fraction * 100 - reported);
          reported += increment;
          progress.report({ increment, message: sweepProgressText(s) });
          if (s.done === s.total) finish();
        };
        const subs = [
          this.manager.onDidStart((r) => {
            const i = index.get(r.id);
            if (i === undefined) return;
            tracker.start(i);
            report(true);
          }),
          this.manager.onDidProgress((r) => {
            const i = index.get(r.id);
            if (i === undefined || r.epoch === null) return;
            tracker.progress(i, r.epoch);
            report();
          }),
          this.manager.onDidFinish((e) => {
            const i = index.get(e.id);
            if (i === undefined) return;
            tracker.finish(i, e.run && e.run.status !== 'running' ? e.run.status : e.outcome.status);
            report(true);
          }),
        ];
        const finish = () => {
          disposeAll(subs);
          resolve();
        };
        token.onCancellationRequested(() => {
          for (const id of index.keys()) this.manager.stop(id);
        });
        report(true);
      }),
    );
  }

  private onStarted(r: ActiveRun): void {
    const batch = this.batches.find((b) => b.ids.has(r.id));
    if (!batch || !r.runDir) return;
    batch.runDirs.push(r.runDir);
    void this.panels.show([...batch.runDirs], { sweepAxes: batch.sweepAxes, preserveFocus: true }).catch((err: unknown) => {
      this.log.error(`Could not open the Dynamics panel: ${errorText(err)}`);
    });
  }

  /** True when there is nothing blocking; else shows the problems, offers to reveal the first, returns false. */
  private async refuseProblems(uri: vscode.Uri, what: string, problems: ConfigProblem[]): Promise<boolean> {
    if (problems.length === 0) return true;
    const message = describeProblems(what, problems, formatProblem);
    this.log.error(message);
    const first = problems[0];
    await revealProblem(uri, first);
    void vscode.window.showErrorMessage(message, 'Show All Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
    return false;
  }

}

async function revealProblem(uri: vscode.Uri, p: ConfigProblem): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const range = new vscode.Range(doc.positionAt(p.offset), doc.positionAt(p.offset + Math.max(0, p.length)));
  const editor = await vscode.window.showTextDocument(doc, { selection: range, preserveFocus: false, preview: false });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Training starts processes and writes files: refused (with a way out) in an untrusted workspace. */
export function ensureTrusted(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showErrorMessage('Training is disabled in an untrusted workspace. Past runs and checkpoints can still be inspected.', 'Manage Workspace Trust')
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}
