/**
 * How runs show up outside the Runs view: a status bar item (active runs, epoch progress; click → show
 * dynamics), one cancellable progress notification per running run (cancel = stop), a notification when a
 * run fails (with its reason), and the `trainingDynamics.hasActiveRuns` context key. Progress reaches the
 * workbench at most twice a second (status bar) and once a second (notification): each notification update
 * re-lays out the notification list, which a fast run would otherwise have the page do several times a second.
 */
import * as vscode from 'vscode';
import { progressFraction } from './runOutcome';
import type { ActiveRun, RunFinishedEvent, RunManager } from './runManager';
import { describeRun } from './runsModel';
import { Disposable } from './dispose';
import type { Log } from './log';

export class RunUi extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('trainingDynamics.runs', vscode.StatusBarAlignment.Left, 50));
  private readonly progress = new Map<number, { report: (fraction: number, message: string) => void; done: () => void }>();
  private statusTimer: NodeJS.Timeout | undefined;
  private hasActive: boolean | undefined;

  constructor(private readonly manager: RunManager, private readonly log: Log) {
    super();
    this.item.name = 'Training Dynamics runs';
    this.register(manager.onDidChangeActive(() => this.scheduleStatus()));
    this.register(
      manager.onDidProgress((r) => {
        this.scheduleStatus();
        this.progress.get(r.id)?.report(progressFraction(r.epoch ?? 0, r.totalEpochs), `epoch ${r.epoch ?? 0}/${r.totalEpochs}`);
      }),
    );
    this.register(manager.onDidStart((r) => this.showProgress(r)));
    this.register(manager.onDidFinish((e) => this.onFinished(e)));
    this.register({ dispose: () => clearTimeout(this.statusTimer) });
    this.register({ dispose: () => this.progress.forEach((p) => p.done()) });
    this.updateStatus();
  }

  private scheduleStatus(): void {
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      this.updateStatus();
    }, 500);
  }

  private updateStatus(): void {
    const active = this.manager.activeRuns();
    // A round trip to the workbench: only when the value changes, not with every progress update.
    if (this.hasActive !== active.length > 0) {
      this.hasActive = active.length > 0;
      void vscode.commands.executeCommand('setContext', 'trainingDynamics.hasActiveRuns', this.hasActive);
    }
    if (active.length === 0) {
      this.item.hide();
      return;
    }
    const running = active.filter((a) => a.state !== 'queued');
    const queued = active.length - running.length;
    const first = running[0];
    const progress = first ? ` · ${first.request.runName} ${first.epoch ?? 0}/${first.totalEpochs}` : '';
    this.item.text = `$(pulse) ${running.length} run${running.length === 1 ? '' : 's'}${queued ? ` (+${queued} queued)` : ''}${progress}`;
    this.item.tooltip = active
      .map((a) => `${a.label}: ${a.state === 'queued' ? 'queued' : `${a.state}, epoch ${a.epoch ?? 0}/${a.totalEpochs}`}`)
      .join('\n');
    const dirs = running.map((a) => a.runDir).filter((d): d is string => d !== null);
    this.item.command = dirs.length
      ? { command: 'trainingDynamics.showDynamics', title: 'Show Dynamics', arguments: [dirs[0]] }
      : { command: 'workbench.view.extension.trainingDynamics', title: 'Show Runs' };
    this.item.show();
  }

  private showProgress(r: ActiveRun): void {
    if (this.progress.has(r.id)) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${r.label}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let reported = 0;
          let last = 0;
          this.progress.set(r.id, {
            report: (fraction, message) => {
              const now = Date.now();
              if (now - last < 1000 && fraction < 1) return;
              last = now;
              const increment = Math.max(0, fraction * 100 - reported);
              reported += increment;
              progress.report({ increment, message });
            },
            done: resolve,
          });
          token.onCancellationRequested(() => this.manager.stop(r.id));
        }),
    );
  }

  private onFinished(e: RunFinishedEvent): void {
    this.progress.get(e.id)?.done();
    this.progress.delete(e.id);
    const { status, reason } = e.outcome;
    if (status === 'failed') {
      void vscode.window
        .showErrorMessage(`Run ${e.label} failed: ${reason ?? 'unknown reason'}`, ...(e.runDir ? ['Show Dynamics'] : []), 'Show Log')
        .then((choice) => {
          if (choice === 'Show Dynamics' && e.runDir) void vscode.commands.executeCommand('trainingDynamics.showDynamics', e.runDir);
          if (choice === 'Show Log') this.log.show();
        });
    } else {
      const text = e.run ? describeRun(e.run) : `${status}${reason ? ` (${reason})` : ''}`;
      vscode.window.setStatusBarMessage(`$(${status === 'completed' ? 'pass' : 'debug-stop'}) ${e.label}: ${text}`, 8000);
    }
  }

}
