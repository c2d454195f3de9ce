/**
 * What `activate` returns: a small API for the integration tests (and other extensions) to observe runs
 * without reaching into the UI. Pure of `vscode`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DynamicsDrawnState, RunJson, RunStatus } from '../shared/protocol';
import type { StudyDrawnState, StudyDriveAction } from '../shared/studyProtocol';
import type { RunManager } from './runManager';
import type { RunsIndex } from './runsIndex';
import { withLiveRuns } from './runsModel';
import type { SlurmMonitor } from './slurmMonitor';

export interface PanelStateSource {
  getState(): Promise<DynamicsDrawnState | undefined>;
}

/** The extension host's event-loop delay over a measured stretch (perf_hooks.monitorEventLoopDelay). */
export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Number of delay samples taken (one per ~10 ms of an idle loop). */
  samples: number;
}

export interface EventLoopMeter {
  read(): EventLoopDelay;
  stop(): EventLoopDelay;
}

/** The Study panel's file and runs, and what its webview draws. */
export interface StudyPanelState {
  file: string | null;
  experiment: string | null;
  runs: number;
  drawn: StudyDrawnState | null;
}

export interface StudyStateSource {
  getState(): Promise<StudyPanelState | undefined>;
  drive(action: StudyDriveAction): Promise<void>;
}

export interface RunsViewSource {
  readonly refreshes: { full: number; groups: number; rows: number };
  rowDescription(runDir: string): string | null;
}

export interface TrainingDynamicsApi {
  /** Every run on disk (re-read now), with the live run.json of runs in progress. */
  listRuns(): Promise<{ runDir: string; run: RunJson }[]>;
  /** Run directories of runs whose trainer process is alive. */
  activeRuns(): string[];
  /** The run directory of the run that started last in this window. */
  lastStartedRunDir(): string | undefined;
  /** Resolves with run.json once the run has one of `statuses` (default: any final status); rejects on timeout. */
  waitForRun(runDir: string, statuses?: RunStatus[], timeoutMs?: number): Promise<RunJson>;
  /**
   * What the Dynamics panel's webview shows and has drawn, asked of it: its runs, the data points per chart, the
   * last epoch drawn per run, and the redraws since the previous question (count, slowest, slowest per chart);
   * undefined when no panel is open.
   */
  panelState(): ReturnType<PanelStateSource['getState']>;
  /**
   * The Runs view: how often the whole tree, some experiments' runs, and only the live runs' rows were refreshed so
   * far, and the description of one run's row as the tree last got it (null: not shown).
   */
  runsView(runDir?: string): { full: number; groups: number; rows: number; description: string | null };
  /** Starts measuring the extension host's event-loop delay (until `stop()`). */
  measureEventLoop(): EventLoopMeter;
  /** The Study panel's experiment and what it draws (curve means, heatmap cells), if one is open. */
  studyState(): ReturnType<StudyStateSource['getState']>;
  /** Acts on the open Study panel as a user does: a picker's option, a click on a run's point or cell. */
  studyDrive(action: StudyDriveAction): Promise<void>;
  /** The Slurm arrays followed (asks Slurm first): per task its state and run. */
  slurmArrays(): Promise<{ jobId: string; experiment: string; summary: string; ended: boolean; tasks: { task: number; runName: string; state: string | null; runDir: string | null; status: RunStatus | null; reason: string | null }[] }[]>;
}

const FINAL: RunStatus[] = ['completed', 'failed', 'stopped'];

export function createApi(manager: RunManager, index: RunsIndex, panels: PanelStateSource, study: StudyStateSource, slurm: Pick<SlurmMonitor, 'poll' | 'arrays'>, tree: RunsViewSource, pollMs = 250): TrainingDynamicsApi {
  const current = async (runDir: string): Promise<RunJson | undefined> => {
    try {
      return await manager.runJson(runDir);
    } catch {
      return undefined; // run.json not written yet
    }
  };
  return {
    async listRuns() {
      return withLiveRuns(await index.refresh(), manager.activeRuns());
    },
    activeRuns: () => manager.activeRunDirs(),
    lastStartedRunDir: () => manager.lastStartedRunDir(),
    waitForRun(runDir, statuses = FINAL, timeoutMs = 120_000) {
      return new Promise<RunJson>((resolve, reject) => {
        let last: RunJson | undefined;
        let settled = false;
        const finish = (err: Error | null, run?: RunJson) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearInterval(poll);
          sub.dispose();
          if (err) reject(err);
          else resolve(run!);
        };
        const check = (run: RunJson | undefined) => {
          if (run) last = run;
          // A live run's final status only counts once its process is gone (run.json then is final).
          if (run && statuses.includes(run.status) && (run.status === 'running' || !manager.isActive(runDir))) finish(null, run);
        };
        const sub = manager.onDidChangeRun((e) => e.runDir === runDir && check(e.run));
        const poll = setInterval(() => void current(runDir).then(check), pollMs);
        const timer = setTimeout(
          () => finish(new Error(`Run ${runDir} did not reach ${statuses.join('/')} within ${timeoutMs} ms (last status: ${last?.status ?? 'unknown'})`)),
          timeoutMs,
        );
        void current(runDir).then(check);
      });
    },
    panelState: () => panels.getState(),
    runsView: (runDir) => ({ ...tree.refreshes, description: runDir ? tree.rowDescription(runDir) : null }),
    measureEventLoop() {
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      const read = (): EventLoopDelay => ({ p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6, samples: h.count });
      return {
        read,
        stop() {
          h.disable();
          return read();
        },
      };
    },
    studyState: () => study.getState(),
    studyDrive: (action) => study.drive(action),
    async slurmArrays() {
      await slurm.poll();
      return slurm.arrays.map((a) => ({
        jobId: a.manifest.jobId,
        experiment: a.manifest.experiment,
        summary: a.summary,
        ended: a.ended,
        tasks: a.tasks.map((t) => ({
          task: t.task,
          runName: t.runName,
          state: t.state?.state ?? null,
          runDir: t.entry?.runDir ?? null,
          status: t.entry?.run.status ?? null,
          reason: t.entry?.run.reason ?? null,
        })),
      }));
    },
  };
}
