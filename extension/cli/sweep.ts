/**
 * `run --sweep|--all` with several points at once (`--jobs N`) and `--resume`.
 *
 * Each point trains in its own trainer process (dist/trainer.js, the one the extension forks) driven by the
 * extension's RunManager, so the CLI and the editor start, stop and repair runs the same way; the sweep's
 * bookkeeping (concurrency rule, point identity, progress, ETA) is engine/sweep. One progress line covers the
 * whole sweep; each run's summary is printed as it finishes (`--json`: one object per finished run on stdout).
 * Ctrl-C stops every running point cleanly (each marked `stopped`) and starts no further one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunJson, StartRunRequest } from '../shared/protocol';
import { listRuns, markInterrupted, readRun, readRunJson } from '../engine/runs';
import { SweepTracker, durationText, planResume, sweepProgressText, utilisation, type PointIdentity } from '../engine/sweep';
import { RunManager } from '../host/runManager';
import { jsonResult, summaryText, trainLossPoints } from './progress';
import type { CliIo } from './io';

/**
 * `--resume`: the points whose newest run in `runsRoot` is not completed. Prints what is skipped (to
 * `human`) and returns the rest, in their order.
 */
export async function resumePoints<P extends PointIdentity & { runName: string }>(points: P[], runsRoot: string, human: (s: string) => void): Promise<P[]> {
  const experiments = new Set(points.map((p) => p.experiment));
  const entries = (await listRuns(runsRoot)).filter((e) => experiments.has(e.run.experiment));
  const plan = planResume(points, entries);
  if (plan.completed.length) {
    human(`resume: ${plan.completed.length} of ${points.length} point${points.length === 1 ? '' : 's'} already completed, skipped: ${plan.completed.map((c) => c.point.runName).join(', ')}\n`);
  }
  for (const w of plan.wasRunning) human(`resume: ${w.point.runName} was left running in ${w.entry.runDir}; running it again\n`);
  return plan.pending;
}

/** CPU time (ms) of this process's children that have ended (Linux: /proc/self/stat cutime + cstime). */
export function childrenCpuMs(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields from `state` (3rd) on: cutime and cstime are the 16th and 17th, in clock ticks (100 a second).
    const ticks = Number(f[13]) + Number(f[14]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

/** Every core's time (ms) since boot, and how much of it was idle (Linux: /proc/stat; idle + iowait), or null. */
export function machineCpuMs(): { totalMs: number; idleMs: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    if (!line.startsWith('cpu ')) return null;
    // user nice system idle iowait irq softirq steal (guest time is already counted in user), in ticks of 10 ms.
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 5 || f.some((x) => !Number.isFinite(x))) return null;
    return { totalMs: f.reduce((a, b) => a + b, 0) * 10, idleMs: (f[3] + f[4]) * 10 };
  } catch {
    return null;
  }
}

/** What the whole machine did between two `machineCpuMs` readings: shares of its cores idle and used by other processes. */
export function machineShares(
  a: { totalMs: number; idleMs: number } | null,
  b: { totalMs: number; idleMs: number } | null,
  ownCpuMs: number | null,
): { idle: number; others: number } | null {
  if (!a || !b || ownCpuMs === null) return null;
  const total = b.totalMs - a.totalMs;
  if (!(total > 0)) return null;
  const idle = Math.min(1, Math.max(0, (b.idleMs - a.idleMs) / total));
  return { idle, others: Math.max(0, 1 - idle - ownCpuMs / total) };
}

/** The trainer process script: dist/trainer.js beside the bundle, or the source (run through tsx). */
function trainerPath(): string {
  const js = path.join(__dirname, 'trainer.js');
  if (fs.existsSync(js)) return js;
  return path.join(__dirname, '..', 'trainer', 'main.ts');
}

/** The closing line of a sweep: counts, wall time, and how busy the cores were. */
export function sweepSummaryText(o: {
  total: number;
  completed: number;
  failed: number;
  stopped: number;
  notStarted: number;
  wallMs: number;
  cpuMs: number | null;
  jobs: number;
  cores: number;
  /** The whole machine meanwhile (machineShares): a core busy with another process is not one the sweep left idle. */
  machine?: { idle: number; others: number } | null;
}): string {
  const parts = [`${o.completed} completed`];
  if (o.failed) parts.push(`${o.failed} failed`);
  if (o.stopped) parts.push(`${o.stopped} stopped`);
  if (o.notStarted) parts.push(`${o.notStarted} not started`);
  const u = o.cpuMs === null ? null : utilisation(o.cpuMs, o.wallMs, o.cores);
  const cpu =
    o.cpuMs === null || u === null
      ? 'CPU time not measured on this platform'
      : `CPU ${(o.cpuMs / 1000).toFixed(1)} s, cores ${(100 * u).toFixed(0)} % busy (CPU / (wall × ${o.cores} cores))` +
        (o.machine ? `; machine ${(100 * o.machine.idle).toFixed(0)} % idle, ${(100 * o.machine.others).toFixed(0)} % used by other processes` : '');
  return `sweep: ${o.total} point${o.total === 1 ? '' : 's'} in ${durationText(o.wallMs)} (${(o.wallMs / 1000).toFixed(1)} s), ${o.jobs} at once — ${parts.join(', ')}; ${cpu}\n`;
}

/**
 * Trains `requests` with at most `jobs` at once. Returns the CLI's exit code: 0 all completed, 1 one
 * failed, 130 interrupted.
 */
export async function runConcurrent(requests: StartRunRequest[], jobs: number, json: boolean, io: CliIo): Promise<number> {
  const human = json ? io.stderr : io.stdout;
  const cores = os.cpus().length;
  const t0 = Date.now();
  const cpu0 = childrenCpuMs();
  const machine0 = machineCpuMs();
  const ownCpu0 = process.cpuUsage().user + process.cpuUsage().system;
  const tracker = new SweepTracker(
    requests.map((r) => r.config.training.epochs),
    t0,
  );
  let barShown = false;
  let lastDraw = 0;
  let lastPlain = '';
  let lastPlainAt = 0;
  const statusLine = () => `sweep ${sweepProgressText(tracker.snapshot(Date.now()))}`;
  const clearBar = () => {
    if (barShown) io.stderr('\r\x1b[K');
    barShown = false;
  };
  const draw = (force = false) => {
    const now = Date.now();
    if (io.tty) {
      if (!force && now - lastDraw < 200) return;
      lastDraw = now;
      let text = statusLine();
      const max = Math.max(20, io.columns - 1);
      if (text.length > max) text = text.slice(0, max - 1) + '…';
      io.stderr(`\r\x1b[K${text}`);
      barShown = true;
      return;
    }
    const s = tracker.snapshot(now);
    const key = `${s.done}/${s.running}/${s.queued}`;
    if (force || key !== lastPlain || now - lastPlainAt >= 10_000) {
      lastPlain = key;
      lastPlainAt = now;
      io.stderr(statusLine() + '\n');
    }
  };
  /** Prints above the progress line. */
  const above = (write: (s: string) => void, s: string) => {
    clearBar();
    write(s);
    if (io.tty) draw(true);
  };

  const index = new Map<number, number>();
  let failed = 0;
  const manager = new RunManager({
    trainerPath: trainerPath(),
    execPath: process.execPath,
    maxConcurrent: () => jobs,
    store: { readRun, readRunJson, markEnded: (runDir, status, reason) => markInterrupted(runDir, reason, status) },
    log: (line) => {
      // The trainer's own stderr (a crash's stack) and warnings go to the terminal; routine lines do not.
      if (/\] (warn|error): |\] process error|could not/.test(line)) above(io.stderr, `  ${line}\n`);
    },
  });
  const ended: Promise<void>[] = [];
  manager.onDidStart((r) => {
    const i = index.get(r.id);
    if (i === undefined) return;
    tracker.start(i);
    draw(true);
  });
  manager.onDidProgress((r) => {
    const i = index.get(r.id);
    if (i !== undefined && r.epoch !== null) tracker.progress(i, r.epoch);
    draw();
  });
  let notStarted = 0;
  manager.onDidFinish((e) => {
    const i = index.get(e.id);
    if (i === undefined) return;
    if (!e.runDir || !e.run) {
      // Left the queue before it started (Ctrl-C), or could not create its run directory.
      tracker.finish(i, e.outcome.status);
      if (e.outcome.status === 'failed') {
        failed++;
        above(io.stderr, `${requests[i].runName}: failed (${e.outcome.reason ?? 'unknown reason'})\n`);
      } else notStarted++;
      draw(true);
      return;
    }
    const run: RunJson = e.run;
    tracker.finish(i, run.status === 'running' ? e.outcome.status : run.status);
    if (run.status === 'failed' || (run.status === 'running' && e.outcome.status === 'failed')) failed++;
    above(human, summaryText(run, e.runDir, trainLossPoints(e.runDir)));
    if (json) io.stdout(JSON.stringify(jsonResult(run, e.runDir)) + '\n');
    draw(true);
  });

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      io.stderr('\ntraining-dynamics: interrupted again, exiting now (the running points stop themselves)\n');
      process.exit(130);
    }
    interrupted = true;
    above(io.stderr, `\ntraining-dynamics: ${signal}: stopping every running point, starting no new one (Ctrl-C again to quit at once)\n`);
    manager.stopAll();
  };
  if (io.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  human(`sweep: ${requests.length} points, ${jobs} at once (${cores} cores)\n`);
  try {
    for (let i = 0; i < requests.length; i++) {
      const a = manager.enqueue(requests[i]);
      index.set(a.id, i);
      ended.push(manager.whenEnded(a.id));
    }
    draw(true);
    await Promise.all(ended);
  } finally {
    if (io.handleSignals) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    await manager.shutdown(5000);
  }
  clearBar();
  const s = tracker.snapshot(Date.now());
  const cpu1 = childrenCpuMs();
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const own = process.cpuUsage();
  human(
    sweepSummaryText({
      total: requests.length,
      completed: s.completed,
      failed,
      stopped: s.stopped - notStarted,
      notStarted,
      wallMs: Date.now() - t0,
      cpuMs,
      jobs,
      cores,
      // this process's own CPU (driving the runs) is not another process's
      machine: machineShares(machine0, machineCpuMs(), cpuMs === null ? null : cpuMs + (own.user + own.system - ownCpu0) / 1000),
    }),
  );
  if (failed) return 1;
  return interrupted ? 130 : 0;
}
