/**
 * The run manager: queues training runs, forks one trainer child process per run (the dist/trainer.js
 * bundle, IPC), relays its records and status changes as events, stops runs (stop message, then SIGTERM,
 * then SIGKILL), and decides how a run ended when its process exits (runOutcome.ts).
 *
 * Imports neither `vscode` nor the DOM: the editor glue (notifications, status bar, tree view) subscribes
 * to the events, and node:test drives this class with a fake trainer script.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  isTrainerToHost,
  type MetricsRecord,
  type RunJson,
  type RunSnapshot,
  type RunStatus,
  type StartRunRequest,
} from '../shared/protocol';
import { Emitter } from './emitter';
import { RunQueue } from './runQueue';
import { classifyExit, type ExitOutcome } from './runOutcome';
import { errorText } from '../shared/errors';
import type { LogLevel } from './log';

/** What the manager needs from the run store on disk (engine/runs). */
export interface RunStore {
  readRun(runDir: string): Promise<{ run: RunJson; records: MetricsRecord[] }>;
  /** run.json alone (cheap: the metrics of a long run can be tens of megabytes). */
  readRunJson(runDir: string): Promise<RunJson>;
  /** Marks a run whose process is gone as ended with `status` and `reason`; returns the updated run.json. */
  markEnded(runDir: string, status: 'failed' | 'stopped', reason: string): Promise<RunJson | undefined>;
}

export interface RunManagerOptions {
  /** Absolute path of dist/trainer.js. */
  trainerPath: string;
  /** The Node binary to run it with (the extension host's own: process.execPath). */
  execPath: string;
  maxConcurrent: () => number;
  store: RunStore;
  /** A line for the output channel, at `level` (info unless given). */
  log: (line: string, level?: LogLevel) => void;
  /** After a stop message, wait this long for a clean exit before SIGTERM, and as long again before SIGKILL. */
  stopGraceMs?: number;
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv;
}

export type ActiveRunState = 'queued' | 'starting' | 'running' | 'stopping';

/** A run the manager is responsible for: waiting in the queue or with a live process. */
export interface ActiveRun {
  id: number;
  /** `experiment / runName`, for messages before the run directory exists. */
  label: string;
  request: StartRunRequest;
  state: ActiveRunState;
  runDir: string | null;
  run: RunJson | null;
  /** Last epoch reported by an epoch record (null before the first). */
  epoch: number | null;
  totalEpochs: number;
}

export interface RunFinishedEvent {
  id: number;
  label: string;
  runDir: string | null;
  run: RunJson | null;
  outcome: ExitOutcome;
}

interface Live extends ActiveRun {
  child: ChildProcess | null;
  done: RunJson | null;
  errorMessage: string | null;
  spawnError: string | null;
  stopRequested: boolean;
  timers: NodeJS.Timeout[];
  exited: Promise<void>;
  resolveExited: () => void;
}

export class RunManager {
  private readonly queue: RunQueue<Live>;
  private readonly runs = new Map<number, Live>();
  private lastStarted: string | undefined;
  private disposed = false;

  private readonly recordEmitter = new Emitter<{ runDir: string; records: MetricsRecord[] }>();
  private readonly runEmitter = new Emitter<{ runDir: string; run: RunJson }>();
  private readonly activeEmitter = new Emitter<void>();
  private readonly progressEmitter = new Emitter<ActiveRun>();
  private readonly startedEmitter = new Emitter<ActiveRun>();
  private readonly finishedEmitter = new Emitter<RunFinishedEvent>();

  /** A live run produced metrics records (coalesced by the trainer: one event per batch, in order). */
  readonly onDidRecord = this.recordEmitter.event;
  /** A run's run.json changed (started, ended). */
  readonly onDidChangeRun = this.runEmitter.event;
  /** The set of active runs or their states changed. */
  readonly onDidChangeActive = this.activeEmitter.event;
  /** A live run finished another epoch. */
  readonly onDidProgress = this.progressEmitter.event;
  /** A run's process reported its run directory. */
  readonly onDidStart = this.startedEmitter.event;
  /** A run ended (or was removed from the queue). */
  readonly onDidFinish = this.finishedEmitter.event;

  constructor(private readonly options: RunManagerOptions) {
    this.queue = new RunQueue<Live>(options.maxConcurrent);
  }

  /** Queues a run; it starts as soon as the concurrency limit allows. Returns its id. */
  enqueue(request: StartRunRequest): ActiveRun {
    if (this.disposed) throw new Error('the run manager has been disposed');
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    const live: Live = {
      id: 0,
      label: `${request.experiment} / ${request.runName}`,
      request,
      state: 'queued',
      runDir: null,
      run: null,
      epoch: null,
      totalEpochs: request.config.training.epochs,
      child: null,
      done: null,
      errorMessage: null,
      spawnError: null,
      stopRequested: false,
      timers: [],
      exited,
      resolveExited,
    };
    live.id = this.queue.enqueue(live);
    this.runs.set(live.id, live);
    this.options.log(`Queued ${live.label}`);
    this.pump();
    this.fireActive();
    return this.view(live);
  }

  /** Runs waiting or with a live process, in queue order (running first). */
  activeRuns(): ActiveRun[] {
    return [...this.runs.values()].map((r) => this.view(r));
  }

  /** Run directories of runs with a live process. */
  activeRunDirs(): string[] {
    return [...this.runs.values()].filter((r) => r.runDir !== null).map((r) => r.runDir!);
  }

  lastStartedRunDir(): string | undefined {
    return this.lastStarted;
  }

  isActive(runDir: string): boolean {
    return this.findByDir(runDir) !== undefined;
  }

  /**
   * Snapshot of a run: its records from metrics.jsonl (the trainer writes each record there before sending it,
   * so the file holds at least what came over IPC; nothing is kept in memory), and for a live run its latest
   * run.json from IPC.
   */
  async readRun(runDir: string): Promise<RunSnapshot> {
    const { run, records } = await this.options.store.readRun(runDir);
    const live = this.findByDir(runDir);
    return { runDir, run: live?.run ?? run, records };
  }

  /** run.json of a run: the live one from IPC, else the file. */
  async runJson(runDir: string): Promise<RunJson> {
    const live = this.findByDir(runDir);
    if (live?.run) return live.run;
    return this.options.store.readRunJson(runDir);
  }

  /** Stops a run given its run directory or its id: a queued run is removed, a live one asked to stop. */
  stop(target: string | number): boolean {
    const live = typeof target === 'number' ? this.runs.get(target) : this.findByDir(target);
    if (!live) return false;
    if (this.queue.cancel(live.id)) {
      this.runs.delete(live.id);
      this.options.log(`Removed ${live.label} from the queue`);
      live.resolveExited();
      this.finishedEmitter.fire(
        { id: live.id, label: live.label, runDir: null, run: null, outcome: { status: 'stopped', reason: 'removed from the queue before it started', repairRunJson: false } },
        this.reportListenerError,
      );
      this.fireActive();
      return true;
    }
    this.requestStop(live);
    return true;
  }

  stopAll(): number {
    let n = 0;
    for (const e of this.queue.cancelAll()) {
      this.runs.delete(e.id);
      e.item.resolveExited();
      this.finishedEmitter.fire(
        { id: e.id, label: e.item.label, runDir: null, run: null, outcome: { status: 'stopped', reason: 'removed from the queue before it started', repairRunJson: false } },
        this.reportListenerError,
      );
      n++;
    }
    for (const live of this.runs.values()) {
      this.requestStop(live);
      n++;
    }
    this.fireActive();
    return n;
  }

  /** Resolves with the run directory once the run has started (null if it ended or left the queue first). */
  whenStarted(id: number): Promise<string | null> {
    const live = this.runs.get(id);
    if (!live) return Promise.resolve(null);
    if (live.runDir) return Promise.resolve(live.runDir);
    return new Promise((resolve) => {
      const subs = [
        this.startedEmitter.event((r) => r.id === id && done(r.runDir)),
        this.finishedEmitter.event((e) => e.id === id && done(e.runDir)),
      ];
      const done = (dir: string | null) => {
        subs.forEach((s) => s.dispose());
        resolve(dir);
      };
    });
  }

  /** Resolves when the run with this id has ended and its outcome was handled. */
  whenEnded(id: number): Promise<void> {
    return this.runs.get(id)?.exited ?? Promise.resolve();
  }

  /** Stops everything and waits (up to `timeoutMs`) for the processes to end; SIGKILLs what is left. */
  async shutdown(timeoutMs = 3000): Promise<void> {
    this.disposed = true;
    const lives = [...this.runs.values()];
    this.stopAll();
    const all = Promise.all(lives.map((l) => l.exited));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const l of this.runs.values()) l.child?.kill('SIGKILL');
  }

  dispose(): void {
    void this.shutdown(0);
    for (const e of [this.recordEmitter, this.runEmitter, this.activeEmitter, this.progressEmitter, this.startedEmitter, this.finishedEmitter]) e.dispose();
  }

  // -------------------------------------------------------------------------------------------------------

  private readonly reportListenerError = (err: unknown) =>
    this.options.log(`A run event listener failed: ${errorText(err)}`);

  private findByDir(runDir: string): Live | undefined {
    for (const r of this.runs.values()) if (r.runDir === runDir) return r;
    return undefined;
  }

  private view(r: Live): ActiveRun {
    const { id, label, request, state, runDir, run, epoch, totalEpochs } = r;
    return { id, label, request, state, runDir, run, epoch, totalEpochs };
  }

  private fireActive(): void {
    this.activeEmitter.fire(undefined, this.reportListenerError);
  }

  private pump(): void {
    if (this.disposed) return;
    for (const e of this.queue.startNext()) this.spawn(e.item);
  }

  private spawn(live: Live): void {
    live.state = 'starting';
    this.options.log(`Starting ${live.label}`);
    let child: ChildProcess;
    try {
      child = fork(this.options.trainerPath, [], {
        execPath: this.options.execPath,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // In desktop VS Code process.execPath is Electron: it must run as plain Node.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...this.options.env },
      });
    } catch (err) {
      live.spawnError = errorText(err);
      void this.onExit(live, null, null);
      return;
    }
    live.child = child;
    const prefix = `[${live.request.runName}]`;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.options.log(`${prefix} ${line}`));
    }
    child.on('message', (msg) => this.onMessage(live, msg));
    child.on('error', (err) => {
      // 'error' fires when spawning fails or a message cannot be sent; 'exit' may or may not follow.
      live.spawnError = err.message;
      this.options.log(`${prefix} process error: ${err.message}`);
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) void this.onExit(live, null, null);
    });
    child.on('exit', (code, signal) => void this.onExit(live, code, signal));
    child.send(live.request, (err) => {
      if (err) this.options.log(`${prefix} could not send the start request: ${err.message}`);
    });
    if (live.stopRequested) this.requestStop(live);
  }

  private onMessage(live: Live, msg: unknown): void {
    if (!isTrainerToHost(msg)) {
      this.options.log(`[${live.request.runName}] ignored a malformed message from the trainer`);
      return;
    }
    switch (msg.type) {
      case 'started':
        live.runDir = msg.runDir;
        live.run = msg.run;
        live.totalEpochs = msg.run.totalEpochs;
        if (live.state === 'starting') live.state = 'running';
        this.lastStarted = msg.runDir;
        this.options.log(`Started ${live.label} (backend ${msg.run.backend}) in ${msg.runDir}`);
        this.runEmitter.fire({ runDir: msg.runDir, run: msg.run }, this.reportListenerError);
        this.startedEmitter.fire(this.view(live), this.reportListenerError);
        this.fireActive();
        break;
      case 'record':
      case 'records': {
        // One batch, one event of each kind, however many records it holds.
        const records = msg.type === 'record' ? [msg.record] : msg.records;
        let epoch: number | null = null;
        for (const r of records) if (r.type === 'epoch') epoch = epoch === null ? r.epoch : Math.max(epoch, r.epoch);
        if (epoch !== null) {
          live.epoch = epoch;
          if (live.run && epoch > live.run.epochsCompleted) live.run = { ...live.run, epochsCompleted: epoch };
          this.progressEmitter.fire(this.view(live), this.reportListenerError);
        }
        if (live.runDir && records.length) this.recordEmitter.fire({ runDir: live.runDir, records }, this.reportListenerError);
        break;
      }
      case 'log':
        this.options.log(`[${live.request.runName}] ${msg.message}`, msg.level);
        break;
      case 'done':
        live.done = msg.run;
        live.run = msg.run;
        break;
      case 'error':
        live.errorMessage = msg.message;
        if (msg.runDir && !live.runDir) live.runDir = msg.runDir;
        this.options.log(`[${live.request.runName}] ${msg.message}`, 'error');
        break;
    }
  }

  private requestStop(live: Live): void {
    live.stopRequested = true;
    const child = live.child;
    if (!child || live.state === 'stopping') return;
    live.state = 'stopping';
    this.options.log(`Stopping ${live.label}`);
    this.fireActive();
    const grace = this.options.stopGraceMs ?? 5000;
    if (child.connected) child.send({ type: 'stop' }, () => {});
    else child.kill('SIGTERM');
    live.timers.push(
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        this.options.log(`${live.label} did not stop within ${grace} ms: SIGTERM`);
        child.kill('SIGTERM');
        live.timers.push(
          setTimeout(() => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            this.options.log(`${live.label} ignored SIGTERM: SIGKILL`);
            child.kill('SIGKILL');
          }, grace),
        );
      }, grace),
    );
  }

  private exitHandled = new Set<number>();

  private async onExit(live: Live, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.exitHandled.has(live.id)) return;
    this.exitHandled.add(live.id);
    for (const t of live.timers) clearTimeout(t);
    const outcome = classifyExit({
      done: live.done,
      errorMessage: live.errorMessage,
      runDir: live.runDir,
      stopRequested: live.stopRequested,
      exitCode: code,
      signal,
      spawnError: live.spawnError,
    });
    let run = live.run;
    if (live.runDir) {
      try {
        const onDisk = await this.options.store.readRunJson(live.runDir);
        run = onDisk;
        if (outcome.repairRunJson && onDisk.status === 'running') {
          const status = outcome.status === 'stopped' ? 'stopped' : 'failed';
          run = (await this.options.store.markEnded(live.runDir, status, outcome.reason ?? status)) ?? onDisk;
        }
      } catch (err) {
        this.options.log(`Could not read or repair ${live.runDir}/run.json: ${errorText(err)}`);
      }
    }
    // The status we report is what run.json says once the process is gone (the trainer's own word if it
    // wrote one), falling back to our classification.
    const finalOutcome: ExitOutcome =
      run && run.status !== 'running'
        ? { ...outcome, status: run.status as Exclude<RunStatus, 'running'>, reason: run.reason ?? outcome.reason }
        : outcome;
    this.queue.finish(live.id);
    this.runs.delete(live.id);
    this.options.log(
      `${live.label} ${finalOutcome.status}${finalOutcome.reason ? `: ${finalOutcome.reason}` : ''}` +
        (code !== null || signal ? ` (exit ${signal ?? code})` : ''),
    );
    if (live.runDir && run) this.runEmitter.fire({ runDir: live.runDir, run }, this.reportListenerError);
    this.finishedEmitter.fire({ id: live.id, label: live.label, runDir: live.runDir, run, outcome: finalOutcome }, this.reportListenerError);
    live.resolveExited();
    this.fireActive();
    this.pump();
  }
}
