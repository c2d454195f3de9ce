/**
 * The Runs view: runs grouped by experiment (newest first) with a status icon and
 * `status · epochs · test acc · generalized @`, runs waiting in the queue, and live epoch progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { RunJson } from '../shared/protocol';
import type { ActiveRun, RunManager } from './runManager';
import { describeRun, groupRuns, runTreeLabels, shortDescription, statusIcon, withLiveRuns } from './runsModel';
import type { RunEntry } from '../engine/runs';
import type { RunsIndex } from './runsIndex';

export type RunsNode =
  | { kind: 'experiment'; experiment: string; runs: RunEntry[] }
  | { kind: 'run'; runDir: string; run: RunJson; liveEpoch: number | null; label: string }
  | { kind: 'queued'; id: number; label: string; experiment: string };

const STATUS_COLOR: Record<string, string | undefined> = {
  completed: 'testing.iconPassed',
  failed: 'testing.iconFailed',
  stopped: 'testing.iconSkipped',
};

/** The run directory a command argument from this view (or a plain string) stands for. */
export function runDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object' && (arg as RunsNode).kind === 'run') return (arg as { runDir: string }).runDir;
  return undefined;
}

export class RunsTreeProvider extends Disposable implements vscode.TreeDataProvider<RunsNode> {
  private readonly changed = this.register(new vscode.EventEmitter<RunsNode | RunsNode[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private progressTimer: NodeJS.Timeout | undefined;
  /** The run rows last handed to the tree, by run folder: epoch progress refreshes only the live runs' rows. */
  private readonly shown = new Map<string, Extract<RunsNode, { kind: 'run' }>>();
  /** The experiment rows last handed to the tree, what each held, and their order: a change relists only those that changed. */
  private readonly experiments = new Map<string, Extract<RunsNode, { kind: 'experiment' }>>();
  private readonly held = new Map<string, string>();
  private order: string | null = null;
  private listTimer: NodeJS.Timeout | undefined;
  /** How often the whole tree, some experiments' runs, and only live rows were refreshed (for the integration tests). */
  readonly refreshes = { full: 0, groups: 0, rows: 0 };

  constructor(private readonly index: RunsIndex, private readonly manager: RunManager) {
    super();
    // Runs listed again (the index changed, a run was queued, started or ended): a moment later, only the experiments
    // whose runs changed are listed again — a run starting in a workspace of hundreds of runs does not have the
    // workbench render every row again (which took it ~0.4 s a time, three times per run start).
    const relist = () => (this.listTimer ??= setTimeout(() => {
      this.listTimer = undefined;
      this.refreshChanged();
    }, 100));
    this.register(index.onDidChange(relist));
    this.register(manager.onDidChangeActive(relist));
    this.register({ dispose: () => clearTimeout(this.listTimer) });
    // Epoch progress: at most two updates a second, however fast the epochs come, of the live runs' rows only
    // (a study's hundreds of rows are not sent to the workbench again twice a second).
    this.register(
      manager.onDidProgress(() => {
        this.progressTimer ??= setTimeout(() => {
          this.progressTimer = undefined;
          this.refreshLiveRows();
        }, 500);
      }),
    );
    this.register({ dispose: () => clearTimeout(this.progressTimer) });
  }

  private refreshAll(): void {
    this.refreshes.full++;
    this.changed.fire(undefined);
  }

  private refreshChanged(): void {
    const active = this.manager.activeRuns();
    const groups = this.groups(active);
    if (this.order === null || groups.map((g) => g.experiment).join('\n') !== this.order) return this.refreshAll();
    const changed: RunsNode[] = [];
    for (const g of groups) {
      const node = this.experiments.get(g.experiment);
      if (!node) return this.refreshAll();
      const what = holding(g, active);
      if (this.held.get(g.experiment) === what) continue;
      node.runs = g.runs;
      this.held.set(g.experiment, what);
      changed.push(node);
    }
    if (!changed.length) return;
    this.refreshes.groups++;
    this.changed.fire(changed);
  }

  /** The experiments (newest run first) with their runs on disk and live, and those with only queued runs. */
  private groups(active: ActiveRun[]): { experiment: string; runs: RunEntry[] }[] {
    const groups = groupRuns(this.entriesWithLive(active));
    for (const a of active) {
      if (a.state === 'queued' && !groups.some((g) => g.experiment === a.request.experiment)) groups.push({ experiment: a.request.experiment, runs: [] });
    }
    return groups;
  }

  /** The description of a run's row as last handed to the tree (null: not shown). */
  rowDescription(runDir: string): string | null {
    const row = this.shown.get(runDir);
    return row ? String(this.getTreeItem(row).description ?? '') : null;
  }

  private refreshLiveRows(): void {
    const rows: RunsNode[] = [];
    for (const a of this.manager.activeRuns()) {
      if (a.state === 'queued' || !a.runDir) continue;
      const row = this.shown.get(a.runDir);
      // Not shown (its experiment is collapsed, the view was never open): it is listed with its epoch when it is.
      if (!row) continue;
      row.liveEpoch = a.epoch ?? null;
      if (a.run) row.run = a.run;
      rows.push(row);
    }
    if (!rows.length) return;
    this.refreshes.rows++;
    this.changed.fire(rows);
  }

  getChildren(node?: RunsNode): RunsNode[] {
    const active = this.manager.activeRuns();
    if (!node) {
      // A full listing: the rows are handed out anew (those of collapsed experiments are not asked for).
      this.shown.clear();
      this.held.clear();
      const groups = this.groups(active);
      this.order = groups.map((g) => g.experiment).join('\n');
      const nodes = groups.map((g) => {
        let n = this.experiments.get(g.experiment);
        if (n) n.runs = g.runs;
        else n = { kind: 'experiment', experiment: g.experiment, runs: g.runs };
        this.held.set(g.experiment, holding(g, active));
        return n;
      });
      this.experiments.clear();
      for (const n of nodes) this.experiments.set(n.experiment, n);
      return nodes;
    }
    if (node.kind !== 'experiment') return [];
    const queued: RunsNode[] = active
      .filter((a) => a.state === 'queued' && a.request.experiment === node.experiment)
      .map((a) => ({ kind: 'queued', id: a.id, label: a.request.runName, experiment: a.request.experiment }));
    const live = new Map(active.filter((a) => a.runDir).map((a) => [a.runDir!, a]));
    const labels = runTreeLabels(node.runs);
    const rows = node.runs.map((e) => {
      const row = { kind: 'run' as const, runDir: e.runDir, run: e.run, liveEpoch: live.get(e.runDir)?.epoch ?? null, label: labels.get(e.runDir) ?? e.run.runName };
      this.shown.set(e.runDir, row);
      return row;
    });
    return [...queued, ...rows];
  }

  /** Disk entries, with the in-memory run.json of live runs (newer than the disk) and live runs not yet listed. */
  private entriesWithLive(active: ActiveRun[]): RunEntry[] {
    return withLiveRuns(this.index.all, active);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'experiment': {
        const item = new vscode.TreeItem(node.experiment, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.experiment}`;
        item.contextValue = 'experiment';
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
        return item;
      }
      case 'queued': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `queued:${node.id}`;
        item.contextValue = 'run.queued';
        item.iconPath = new vscode.ThemeIcon(statusIcon('queued'));
        item.description = 'queued';
        return item;
      }
      case 'run': {
        const { run } = node;
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.runDir}`;
        item.contextValue = `run.${run.status}`;
        const color = STATUS_COLOR[run.status];
        item.iconPath = new vscode.ThemeIcon(statusIcon(run.status), color ? new vscode.ThemeColor(color) : undefined);
        item.description = shortDescription(run, node.liveEpoch);
        item.tooltip = tooltip(node.runDir, run, node.liveEpoch);
        item.command = { command: 'trainingDynamics.showDynamics', title: 'Show Dynamics', arguments: [node.runDir] };
        return item;
      }
    }
  }

}

/** What an experiment's rows show but live epochs: its queued runs, its runs with their status and results. */
function holding(g: { experiment: string; runs: RunEntry[] }, active: ActiveRun[]): string {
  const queued = active.filter((a) => a.state === 'queued' && a.request.experiment === g.experiment).map((a) => a.id);
  const runs = g.runs.map((e) => [e.runDir, e.run.status, e.run.status === 'running' ? null : e.run.epochsCompleted, e.run.endedAt ?? null, e.run.reason ?? null, e.run.summary ? 1 : 0]);
  return JSON.stringify([queued, runs]);
}

function tooltip(runDir: string, run: RunJson, liveEpoch: number | null): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${run.runName}** — ${run.experiment}\n\n`);
  md.appendMarkdown(`${describeRun(run, liveEpoch)}\n\n`);
  if (run.reason) md.appendMarkdown(`Reason: ${run.reason}\n\n`);
  if (run.sweepValues) md.appendMarkdown(`Sweep: \`${JSON.stringify(run.sweepValues)}\`\n\n`);
  md.appendMarkdown(`Backend: ${run.backend} · started ${new Date(run.startedAt).toLocaleString()}${run.endedAt ? ` · ended ${new Date(run.endedAt).toLocaleString()}` : ''}\n\n`);
  const s = run.summary;
  if (s) {
    md.appendMarkdown(`Memorization epoch: ${s.memorizationEpoch ?? 'never'} · generalization epoch: ${s.generalizationEpoch ?? 'never'}\n\n`);
    if (s.transitions.length) md.appendMarkdown(`Transitions: ${s.transitions.map((t) => `layer ${t.layer} ${t.kind} @ ${t.epoch}`).join(', ')}\n\n`);
  }
  md.appendMarkdown(`\`${path.basename(runDir)}\``);
  return md;
}
