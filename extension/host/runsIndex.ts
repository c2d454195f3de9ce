/**
 * The runs known on disk (every run.json under the runs roots), kept in memory for the Runs view, the
 * CodeLenses ("Show dynamics" where runs exist) and the pickers. Refreshing also repairs stale runs: a
 * run.json that says `running` with no live process behind it (the editor was closed or crashed) is
 * marked failed "interrupted". No `vscode` import: the file watchers that trigger refreshes are wired in
 * extension.ts.
 */
import { Emitter } from './emitter';
import { isStaleRunning } from './runsModel';
import { lastWriteMs, writerAlive, type RunEntry } from '../engine/runs';
import { errorText } from '../shared/errors';

export interface RunsIndexOptions {
  roots: () => string[];
  listRuns: (root: string) => Promise<RunEntry[]>;
  /** Is a process of this window running it? */
  isOurs: (runDir: string) => boolean;
  markInterrupted: (runDir: string, reason: string) => Promise<unknown>;
  log: (line: string) => void;
  /** A running run.json whose directory was not written to for this long is stale. */
  staleMs?: number;
}

export class RunsIndex {
  private entries: RunEntry[] = [];
  private refreshing: Promise<RunEntry[]> | null = null;
  private again = false;
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly options: RunsIndexOptions) {}

  get all(): readonly RunEntry[] {
    return this.entries;
  }

  find(runDir: string): RunEntry | undefined {
    return this.entries.find((e) => e.runDir === runDir);
  }

  /** Re-reads every runs root. Concurrent calls share one pass (and one more pass runs after it if asked). */
  refresh(): Promise<RunEntry[]> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.load().finally(() => {
      this.refreshing = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async load(): Promise<RunEntry[]> {
    const out: RunEntry[] = [];
    for (const root of this.options.roots()) {
      try {
        out.push(...(await this.options.listRuns(root)));
      } catch (err) {
        this.options.log(`Could not list runs in ${root}: ${errorText(err)}`);
      }
    }
    const staleMs = this.options.staleMs ?? 30_000;
    const now = Date.now();
    for (const e of out) {
      if (e.run.status !== 'running' || this.options.isOurs(e.runDir)) continue;
      if (!isStaleRunning(e.run, false, await lastWriteMs(e.runDir), now, staleMs, writerAlive(e.run.writer))) continue;
      try {
        const updated = await this.options.markInterrupted(e.runDir, 'interrupted: the run was still marked running but no trainer process was writing it');
        this.options.log(`Marked ${e.runDir} failed (interrupted)`);
        if (updated && typeof updated === 'object' && 'status' in updated) e.run = updated as RunEntry['run'];
        else e.run = { ...e.run, status: 'failed', reason: 'interrupted' };
      } catch (err) {
        this.options.log(`Could not mark ${e.runDir} interrupted: ${errorText(err)}`);
      }
    }
    this.entries = out;
    this.changed.fire(undefined);
    return out;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
