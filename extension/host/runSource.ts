/**
 * What the Dynamics panel (dynamicsPanel.ts) needs from the run manager: snapshots of runs (disk plus the
 * records of a live run that are still in memory), live record / status events, and a way to stop a run.
 * Implemented by RunManager (runManager.ts).
 */
import type * as vscode from 'vscode';
import type { MetricsRecord, RunJson, RunSnapshot } from '../shared/protocol';

export interface RunRecordEvent {
  runDir: string;
  /** In order; several at once (the trainer coalesces them). */
  records: MetricsRecord[];
}

export interface RunChangeEvent {
  runDir: string;
  run: RunJson;
}

export interface RunSource {
  /** The run's run.json and every record so far (for a live run: what is on disk plus what arrived since). */
  readRun(runDir: string): Promise<RunSnapshot>;
  /** A live run produced metrics records. */
  readonly onDidRecord: vscode.Event<RunRecordEvent>;
  /** A run's run.json changed (started, epoch progress, completed, failed, stopped). */
  readonly onDidChangeRun: vscode.Event<RunChangeEvent>;
  /** Ask a live run to stop (no-op for a run that is not active). */
  stop(runDir: string): void;
}
