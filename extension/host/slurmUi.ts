/**
 * *Run Sweep on Slurm…*: the sweep of an experiment file as a Slurm job array, with the CLI's options
 * (`submit --slurm`: partition, time, cores a task, tasks at once, further #SBATCH options, only the points not
 * completed, or just the script) and the `trainingDynamics.slurm.*` settings as their defaults; submitted
 * through the CLI's own code (engine/sweep/slurmCommands.ts), each task running the CLI shipped with this
 * extension. A status bar item shows the arrays in flight (SlurmMonitor: sacct / squeue) and *Show Slurm
 * Jobs* lists their tasks with their states and runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SlurmError, cliArgv, defaultCpusPerTask, prepareSlurmArray, slurmTaskLog, submitSlurmArray, type SlurmOptions } from '../engine/sweep';
import { nativeBuilt } from '../engine/fast/native';
import type { DynamicsPanelManager } from './dynamicsPanel';
import type { Experiments } from './experiments';
import { ensureTrusted, type Launcher } from './launcher';
import type { SlurmMonitor } from './slurmMonitor';
import * as settings from './settings';
import { errorText } from '../shared/errors';
import { Disposable } from './dispose';
import type { Log } from './log';

/** What the command was asked (from a caller, e.g. a test or a keybinding) instead of through the pickers. */
export interface SlurmRunArgs extends SlurmOptions {
  resume?: boolean;
  dryRun?: boolean;
}

export type SlurmRunResult = { jobId: string; scriptFile: string; tasks: number } | { script: string } | { error: string } | undefined;

function isArgs(x: unknown): x is SlurmRunArgs {
  return typeof x === 'object' && x !== null && !(x instanceof vscode.Uri);
}

/** Node on the compute nodes: this one when the extension host is plain Node (code-server, remote), else `node` from PATH. */
function nodeForTasks(): string {
  return process.versions.electron ? 'node' : process.execPath;
}

export class SlurmUi extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('trainingDynamics.slurm', vscode.StatusBarAlignment.Left, 49));

  constructor(
    private readonly extensionPath: string,
    private readonly monitor: SlurmMonitor,
    private readonly experiments: Experiments,
    private readonly launcher: Launcher,
    private readonly panels: DynamicsPanelManager,
    private readonly log: Log,
  ) {
    super();
    this.item.name = 'Training Dynamics Slurm jobs';
    this.item.command = 'trainingDynamics.showSlurmJobs';
    this.register(monitor.onDidChange(() => this.updateStatus()));
    this.register(vscode.commands.registerCommand('trainingDynamics.runSweepOnSlurm', (a?: unknown, b?: unknown) => this.guard(() => this.runSweepOnSlurm(a, b))));
    this.register(vscode.commands.registerCommand('trainingDynamics.showSlurmJobs', () => this.guard(() => this.showJobs())));
    this.updateStatus();
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      void vscode.window.showErrorMessage(`Training Dynamics: ${errorText(err)}`);
      return undefined;
    }
  }

  /** Args: (uri?, options?) or (options). Without options it asks, starting from the settings. */
  async runSweepOnSlurm(a?: unknown, b?: unknown): Promise<SlurmRunResult> {
    if (!ensureTrusted()) return undefined;
    const given = isArgs(a) ? a : isArgs(b) ? b : undefined;
    const uri = a instanceof vscode.Uri ? a : await this.experiments.pickFile('Choose the experiment file whose sweep to run on Slurm', (p) => p.parsed.sweep !== null);
    if (!uri) return undefined;
    const defaults = settings.slurmDefaults(uri);
    const backend = settings.backend();
    let args: SlurmRunArgs | undefined = given ?? {
      partition: defaults.partition,
      time: defaults.time,
      cpusPerTask: defaults.cpusPerTask,
      maxParallel: defaults.maxParallel,
      sbatchArgs: defaults.sbatchArgs,
    };
    if (!given) args = await this.askOptions(path.basename(uri.fsPath), args, defaultCpusPerTask(backend, nativeBuilt()));
    if (!args) return undefined;
    const sweep = await this.launcher.sweepPoints(uri, { resume: args.resume });
    if (!sweep) return { error: 'nothing to submit' };
    const runsRoot = settings.runsRootFor(uri);
    const array = prepareSlurmArray({
      points: sweep.runs.map((r) => ({ ...r, experiment: r.experiment || sweep.experiment })),
      experimentFile: uri.fsPath,
      runsRoot,
      cli: cliArgv(this.extensionPath, nodeForTasks()),
      backend: backend === 'auto' ? undefined : backend,
      options: { ...args, cpusPerTask: args.cpusPerTask ?? defaultCpusPerTask(backend, nativeBuilt()) },
    });
    if (args.dryRun) {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'shellscript', content: array.script }), { preview: false });
      return { script: array.script };
    }
    try {
      const s = await submitSlurmArray(array, { what: 'Run Sweep on Slurm' });
      this.log.info(`Run Sweep on Slurm: array job ${s.jobId}, ${array.points.length} tasks (${s.scriptFile}); runs → ${path.dirname(array.logDir)}`);
      void vscode.window.showInformationMessage(`Submitted ${sweep.experiment || path.basename(uri.fsPath)} to Slurm: array job ${s.jobId}, ${array.points.length} task${array.points.length === 1 ? '' : 's'}.`, 'Show Jobs', 'Open Script').then((c) => {
        if (c === 'Show Jobs') void vscode.commands.executeCommand('trainingDynamics.showSlurmJobs');
        if (c === 'Open Script') void vscode.window.showTextDocument(vscode.Uri.file(s.scriptFile));
      });
      void this.monitor.poll();
      return { jobId: s.jobId, scriptFile: s.scriptFile, tasks: array.points.length };
    } catch (err) {
      if (!(err instanceof SlurmError)) throw err;
      this.log.warn(`Run Sweep on Slurm: ${err.message}`);
      const script = err.scriptFile;
      void vscode.window.showErrorMessage(`Training Dynamics: ${err.message}`, ...(script ? ['Open Script'] : [])).then((c) => {
        if (c && script) void vscode.window.showTextDocument(vscode.Uri.file(script));
      });
      return { error: err.message };
    }
  }

  /** One pick with the options as items: choosing one edits it, *Submit* or *Show the script* goes on. */
  private async askOptions(file: string, start: SlurmRunArgs, autoCpus: number): Promise<SlurmRunArgs | undefined> {
    const o: SlurmRunArgs = { ...start, sbatchArgs: [...(start.sbatchArgs ?? [])] };
    type Item = vscode.QuickPickItem & { key: string };
    for (;;) {
      const items: Item[] = [
        { key: 'submit', label: `$(rocket) Submit ${o.resume ? 'the points not completed' : 'every point'}`, description: 'sbatch' },
        { key: 'dry', label: '$(file-code) Show the script only', description: '--dry-run' },
        { key: '', label: 'Options', kind: vscode.QuickPickItemKind.Separator },
        { key: 'partition', label: `Partition: ${o.partition ?? '(the cluster’s default)'}`, description: '--partition' },
        { key: 'time', label: `Time limit a task: ${o.time ?? '(the partition’s default)'}`, description: '--time' },
        { key: 'cpus', label: `Cores a task: ${o.cpusPerTask ?? `${autoCpus} (for this backend)`}`, description: '--cpus-per-task' },
        { key: 'max', label: `Tasks at once: ${o.maxParallel ?? 'no limit'}`, description: '--max-parallel' },
        { key: 'args', label: `Further #SBATCH options: ${o.sbatchArgs?.length ? o.sbatchArgs.join(' ') : 'none'}`, description: '--sbatch-arg' },
        { key: 'resume', label: `${o.resume ? '$(check)' : '$(circle-large-outline)'} Only the points whose newest run is not completed`, description: '--resume' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: `Run Sweep on Slurm: ${file}`, placeHolder: 'Submit, or choose an option to change it (defaults: trainingDynamics.slurm.* settings)' });
      if (!pick) return undefined;
      switch (pick.key) {
        case 'submit':
          return o;
        case 'dry':
          return { ...o, dryRun: true };
        case 'resume':
          o.resume = !o.resume;
          break;
        case 'partition':
          o.partition = await this.askText('Partition (empty: the cluster’s default)', o.partition, (v) => (/^[\w.,-]*$/.test(v) ? null : 'a partition name: letters, digits, . , _ -'));
          break;
        case 'time':
          o.time = await this.askText('Time limit of each task: 30, 2:00:00, 1-12:00:00 (empty: the partition’s default)', o.time, (v) => (/^[\d:-]*$/.test(v) ? null : 'a Slurm time such as 30, 2:00:00 or 1-12:00:00'));
          break;
        case 'cpus':
          o.cpusPerTask = await this.askInt(`Cores each task asks for (empty: ${autoCpus})`, o.cpusPerTask);
          break;
        case 'max':
          o.maxParallel = await this.askInt('At most this many tasks at once (empty: no limit)', o.maxParallel);
          break;
        case 'args': {
          const v = await this.askText('Further #SBATCH options, separated by spaces (--account=proj --mem=4G)', o.sbatchArgs?.join(' '), (s) =>
            s.split(/\s+/).filter(Boolean).every((a) => a.startsWith('-')) ? null : 'each option starts with - (e.g. --mem=4G)',
          );
          o.sbatchArgs = v ? v.split(/\s+/).filter(Boolean) : [];
          break;
        }
      }
    }
  }

  private async askText(prompt: string, value: string | undefined, check: (v: string) => string | null): Promise<string | undefined> {
    const v = await vscode.window.showInputBox({ prompt, value: value ?? '', validateInput: (s) => check(s.trim()) });
    if (v === undefined) return value;
    return v.trim() || undefined;
  }

  private async askInt(prompt: string, value: number | undefined): Promise<number | undefined> {
    const v = await this.askText(prompt, value === undefined ? undefined : String(value), (s) => (s === '' || (/^\d+$/.test(s) && Number(s) >= 1) ? null : 'a positive integer'));
    return v === undefined ? undefined : Number(v);
  }

  private updateStatus(): void {
    const active = this.monitor.active;
    if (active.length === 0) {
      this.item.hide();
      return;
    }
    const head = active.length === 1 ? `job ${active[0].manifest.jobId}: ${active[0].summary}` : `${active.length} arrays: ${active.map((a) => `${a.manifest.jobId} ${a.summary}`).join('; ')}`;
    this.item.text = `$(server-environment) Slurm ${head}`;
    this.item.tooltip = this.monitor.problem ? `Slurm could not be asked: ${this.monitor.problem}` : `${active.map((a) => `${a.manifest.experiment} (job ${a.manifest.jobId}): ${a.summary}`).join('\n')}\nClick to list the tasks.`;
    this.item.show();
  }

  /** The arrays' tasks: state from Slurm, run status; choosing one opens its run (or its Slurm log before it has one). */
  async showJobs(): Promise<void> {
    await this.monitor.poll();
    const arrays = this.monitor.arrays;
    if (arrays.length === 0) {
      void vscode.window.showInformationMessage(
        this.monitor.problem ? `No Slurm array found, and Slurm could not be asked: ${this.monitor.problem}` : 'No Slurm array of this workspace’s sweeps (Run Sweep on Slurm… submits one).',
      );
      return;
    }
    type Item = vscode.QuickPickItem & { runDir?: string; log?: string };
    const items: Item[] = [];
    for (const a of arrays) {
      items.push({ label: `${a.manifest.experiment} · job ${a.manifest.jobId} · ${a.summary}`, kind: vscode.QuickPickItemKind.Separator });
      for (const t of a.tasks) {
        const state = t.state ? `${t.state.state}${t.state.detail ? ` (${t.state.detail})` : ''}` : 'state unknown';
        const run = t.entry ? `run ${t.entry.run.status}${t.entry.run.reason ? `: ${t.entry.run.reason}` : ''}` : 'no run yet';
        const log = slurmTaskLog(path.dirname(a.manifestFile), a.manifest.experiment, a.manifest.jobId, t.task);
        items.push({ label: t.runName, description: `task ${t.task} · ${state}`, detail: run, runDir: t.entry?.runDir, log });
      }
    }
    const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Slurm tasks of the sweeps: choose one to show its run (or its log)', matchOnDescription: true, matchOnDetail: true });
    if (!pick) return;
    if (pick.runDir) await this.panels.show([pick.runDir], { preserveFocus: false });
    else if (pick.log && fs.existsSync(pick.log)) await vscode.window.showTextDocument(vscode.Uri.file(pick.log));
    else void vscode.window.showInformationMessage(`${pick.label} has no run and no log yet.`);
  }
}
