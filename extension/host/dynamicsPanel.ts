/**
 * The Dynamics panel: one WebviewPanel (viewType `trainingDynamics.dynamics`) beside the editor that shows one
 * run, or several overlaid (compare / sweep). The host reads snapshots from the RunSource, streams live records
 * to the webview batched (≤ ~10 messages a second, RecordBatcher), and serves the webview's requests (CSV and
 * PNG export, open checkpoint, stop run). A WebviewPanelSerializer brings the panel back after a window reload
 * (the webview's saved state names the run directories; everything is re-read from disk).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { panelOptions } from './webviewPage';
import { SinglePanel } from './singlePanel';
import { WebviewAnswers } from './webviewAnswers';
import { COMPARE_VIEW, RecordBatcher, recordsNotIn, SINGLE_RUN_VIEW, snapshotForView, type BatchMessage } from './recordBatcher';
import { CHART_POINTS } from '../shared/view/lttb';
import { metricsCsv } from '../engine/export/csv';
import { isWebviewToHost, type DynamicsDrawnState, type ExportFormat, type HostToWebview, type RunSnapshot, type WebviewToHost } from '../shared/protocol';
import type { RunSource } from './runSource';
import { errorText } from '../shared/errors';
import { folderRunName, panelTitle } from '../shared/runLabels';
import { confirmSaved, exportBytes, safeFileName, saveExport } from './exportFile';
import { trustedRunDirs, type TrustedPlaces } from '../engine/runs/trust';

export const DYNAMICS_VIEW_TYPE = 'trainingDynamics.dynamics';

/** What the webview saves with setState (and the serializer gets back after a reload). */
interface SavedState {
  runDirs: string[];
  sweepAxes: string[] | null;
}

function isSavedState(x: unknown): x is SavedState {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    Array.isArray(s.runDirs) && s.runDirs.every((d) => typeof d === 'string') &&
    (s.sweepAxes === undefined || s.sweepAxes === null || (Array.isArray(s.sweepAxes) && s.sweepAxes.every((a) => typeof a === 'string')))
  );
}

export interface ShowOptions {
  sweepAxes?: string[] | null;
  preserveFocus?: boolean;
  /** The column of the panel asking (the Study panel): an open Dynamics panel there moves beside it, not over it. */
  besideOf?: vscode.ViewColumn;
}

export class DynamicsPanelManager extends SinglePanel {
  private runDirs: string[] = [];
  private sweepAxes: string[] | null = null;
  /** Open `getState` questions to the webview. */
  private readonly answers = new WebviewAnswers<DynamicsDrawnState>();
  /** The webview has posted `ready` since its content was (re)loaded. */
  private webviewReady = false;
  /** Incremented on every (re)load of what is shown; stale snapshot reads are dropped. */
  private generation = 0;
  private readonly batcher: RecordBatcher;

  constructor(
    context: vscode.ExtensionContext,
    private readonly source: RunSource,
    private readonly trustedPlaces: () => TrustedPlaces,
  ) {
    super(context, {
      script: 'dynamics',
      style: 'dynamics',
      title: 'Dynamics',
      body: '<div id="app"><p class="waiting">Loading…</p></div>',
      styleNonce: true,
    });
    this.batcher = this.register(
      new RecordBatcher((messages) => this.sendBatch(messages), {
        now: () => Date.now(),
        setTimer: (fn, ms) => setTimeout(fn, ms),
        clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
      }),
    );
    this.register(
      source.onDidRecord((e) => {
        if (this.panel && this.runDirs.includes(e.runDir)) this.batcher.addRecords(e.runDir, e.records);
      }),
    );
    this.register(
      source.onDidChangeRun((e) => {
        if (!this.panel || !this.runDirs.includes(e.runDir)) return;
        // A run whose live records were thinned is read again from disk (every record) once it has ended.
        if (e.run.status !== 'running' && this.batcher.thinned(e.runDir)) void this.load().catch((err: unknown) => this.reportError('Could not show the run', err));
        else this.batcher.setStatus(e.runDir, e.run);
      }),
    );
    this.register(
      vscode.window.registerWebviewPanelSerializer(DYNAMICS_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          this.adopt(panel);
          const saved = isSavedState(state) ? state : { runDirs: [], sweepAxes: null };
          // The saved state comes from the webview: only run folders inside the workspace, a runs folder or known
          // to the host are read again.
          const { dirs, refused } = trustedRunDirs(saved.runDirs, this.trustedPlaces());
          if (refused.length) void vscode.window.showWarningMessage(`The restored Dynamics panel leaves out ${refused.length === 1 ? 'a run' : `${refused.length} runs`}: ${refused.join('; ')}.`);
          this.runDirs = dirs;
          this.sweepAxes = saved.sweepAxes ?? null;
          panel.title = this.titleFor([]);
          // The content is loaded by `ready` (the webview posts it as soon as its script runs).
        },
      }),
    );
  }

  /** Open (or reuse) the panel beside the editor and show these runs. */
  async show(runDirs: string[], options: ShowOptions = {}): Promise<void> {
    const preserveFocus = options.preserveFocus ?? true;
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        DYNAMICS_VIEW_TYPE,
        'Dynamics',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
        panelOptions(this.context.extensionUri),
      );
      this.adopt(panel);
    } else {
      const over = options.besideOf !== undefined && this.panel.viewColumn === options.besideOf;
      this.panel.reveal(over ? vscode.ViewColumn.Beside : undefined, preserveFocus);
    }
    this.runDirs = [...runDirs];
    this.sweepAxes = options.sweepAxes ?? null;
    await this.load();
  }

  /** The editor's cursor moved to another config: switch an open panel to its run (never opens one). */
  followIfOpen(runDirs: string[]): void {
    if (!this.panel) return;
    if (runDirs.length === this.runDirs.length && runDirs.every((d, i) => d === this.runDirs[i])) return;
    this.runDirs = [...runDirs];
    this.sweepAxes = null;
    void this.load().catch((err: unknown) => this.reportError('Could not show the run', err));
  }

  /** The runs the open panel shows (undefined: no panel is open). */
  get shownRunDirs(): readonly string[] | undefined {
    return this.panel ? [...this.runDirs] : undefined;
  }

  /**
   * What the panel's webview shows and has drawn (runs, points per chart, last epoch per run, redraw times since
   * the previous question), asked of it; undefined when no panel is open and ready.
   */
  async getState(timeoutMs = 10_000): Promise<DynamicsDrawnState | undefined> {
    if (!this.panel || !this.webviewReady) return undefined;
    return this.answers.ask((id) => this.post({ type: 'getState', id }), 'the Dynamics panel was asked what it draws', timeoutMs);
  }

  // ---------------------------------------------------------------------------------------------------------

  protected adopted(): void {
    this.webviewReady = false;
    this.answers.rejectAll('the Dynamics panel was replaced');
  }

  protected closed(): void {
    this.runDirs = [];
    this.answers.rejectAll('the Dynamics panel was closed');
    this.generation++;
    this.batcher.clear();
  }

  /** Read the snapshots of the runs shown and post them (once the webview is ready). */
  private async load(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const gen = ++this.generation;
    const runDirs = [...this.runDirs];
    panel.title = this.titleFor([]);
    if (!this.webviewReady) return; // `ready` triggers the load
    this.batcher.pause();
    this.batcher.clear();
    this.batcher.forgetThinned();
    this.batcher.resetFlow();
    const results = await Promise.all(
      runDirs.map(async (d) => {
        try {
          return await this.source.readRun(d);
        } catch (err) {
          return { error: `${path.basename(d)}: ${errorMessage(err)}` };
        }
      }),
    );
    if (gen !== this.generation || this.panel !== panel) return;
    const snapshots = results.filter((r): r is RunSnapshot => 'run' in r);
    const failures = results.filter((r): r is { error: string } => 'error' in r);
    if (failures.length) void vscode.window.showWarningMessage(`Could not read ${failures.length === 1 ? 'a run' : `${failures.length} runs`}: ${failures.map((f) => f.error).join('; ')}`);
    this.runDirs = snapshots.map((s) => s.runDir);
    panel.title = this.titleFor(snapshots);
    // Records that arrived live while the snapshot was read: keep only those the snapshot does not hold.
    const held = snapshots.map((s) => {
      const p = this.batcher.take(s.runDir);
      return { runDir: s.runDir, records: p ? recordsNotIn(s.records, p.records) : [], status: p?.status ?? null };
    });
    this.batcher.clear();
    // As much as the charts can draw (past CHART_POINTS epochs, LTTB's picks per series as columns), not every epoch.
    const view = snapshots.length > 1 ? COMPARE_VIEW : SINGLE_RUN_VIEW;
    this.post({ type: 'show', runs: snapshots.map((s) => ({ ...s, ...snapshotForView(s.records, CHART_POINTS, view) })), sweepAxes: this.sweepAxes });
    // They follow the snapshot through the batcher (at the panel's rate, thinned if they are many).
    for (const h of held) {
      if (h.records.length) this.batcher.addRecords(h.runDir, h.records);
      if (h.status) this.batcher.setStatus(h.runDir, h.status);
    }
    this.batcher.resume();
  }

  private titleFor(snapshots: RunSnapshot[]): string {
    const runs = snapshots.length ? snapshots.map((s) => s.run) : this.runDirs.slice(0, 1).map((d) => ({ runName: folderRunName(path.basename(d)) }));
    return panelTitle(runs, this.sweepAxes, this.runDirs.length);
  }

  private sendBatch(messages: BatchMessage[]): void {
    if (!this.panel || !this.webviewReady) return;
    for (const m of messages) if (this.runDirs.includes(m.runDir)) this.post(m);
  }

  private post(message: HostToWebview): void {
    void this.panel?.webview.postMessage(message);
  }

  protected async onMessage(raw: unknown): Promise<void> {
    if (!isWebviewToHost(raw)) return; // ignore anything that is not our protocol
    const msg: WebviewToHost = raw;
    try {
      switch (msg.type) {
        case 'ready':
          this.webviewReady = true;
          await this.load();
          return;
        case 'received':
          this.batcher.acknowledge(msg.seq);
          return;
        case 'state':
          this.answers.answer(msg.id, msg.state);
          return;
        case 'exportCsv':
          await this.exportCsv(msg.runDir);
          return;
        case 'saveExport':
          await this.saveExport(msg.chart, msg.format, msg.data);
          return;
        case 'openCheckpoint':
          if (!this.runDirs.includes(msg.runDir)) return;
          await vscode.commands.executeCommand('trainingDynamics.openCheckpoint', msg.runDir, msg.epoch ?? undefined);
          return;
        case 'stopRun':
          if (this.runDirs.includes(msg.runDir)) this.source.stop(msg.runDir);
          return;
      }
    } catch (err) {
      this.reportError(`${msg.type} failed`, err);
    }
  }

  private async exportCsv(runDir: string): Promise<void> {
    if (!this.runDirs.includes(runDir)) return;
    const snap = await this.source.readRun(runDir);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(runDir, `${safeFileName(snap.run.runName)}-metrics.csv`)),
      filters: { CSV: ['csv'] },
      saveLabel: 'Export CSV',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(metricsCsv(snap.records)));
    void confirmSaved(target, 'Metrics');
  }

  private async saveExport(chart: string, format: ExportFormat, data: string): Promise<void> {
    const bytes = exportBytes(format, data);
    const run = this.runDirs.length === 1 ? path.basename(this.runDirs[0]) : `compare-${this.runDirs.length}`;
    await saveExport({ dir: this.runDirs[0], baseName: `${run}-${chart}`, format, bytes, what: `Chart "${chart}" (${format.toUpperCase()})` });
  }

  private reportError(what: string, err: unknown): void {
    void vscode.window.showErrorMessage(`Training Dynamics: ${what}: ${errorMessage(err)}`);
  }
}

function errorMessage(err: unknown): string {
  const m = errorText(err);
  return m.split('\n')[0];
}
