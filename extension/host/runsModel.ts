/**
 * Pure model of the Runs view: past runs grouped by experiment, newest first, with the one-line
 * description (status, epochs, final test accuracy, generalization epoch) and the icon for each status.
 */
import type { RunJson, RunStatus } from '../shared/protocol';
import { distinguishingLabels, timeText } from '../shared/runLabels';
import { newestFirst, type RunEntry } from '../engine/runs/reader';
import type { CheckpointFile } from '../engine/runs/layout';

/**
 * The one merge of on-disk runs with this window's live ones: a live run's in-memory run.json (newer than the
 * disk) replaces its entry, and live runs not yet listed are added. Disk order first, then the new live runs.
 */
export function withLiveRuns(disk: readonly RunEntry[], live: readonly { runDir?: string | null; run?: RunJson | null }[]): RunEntry[] {
  const byDir = new Map<string, RunEntry>(disk.map((e) => [e.runDir, e]));
  for (const a of live) if (a.runDir && a.run) byDir.set(a.runDir, { runDir: a.runDir, run: a.run });
  return [...byDir.values()];
}

export interface ExperimentGroup {
  experiment: string;
  runs: RunEntry[];
}

export function groupRuns(entries: RunEntry[]): ExperimentGroup[] {
  const groups = new Map<string, RunEntry[]>();
  for (const e of entries) {
    const list = groups.get(e.run.experiment) ?? [];
    list.push(e);
    groups.set(e.run.experiment, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([experiment, runs]) => ({ experiment, runs: runs.sort(newestFirst) }));
}

/** The newest run of a config of an experiment (any status), if there is one. */
export function latestRunOf(entries: RunEntry[], experiment: string, configName: string): RunEntry | undefined {
  return entries.filter((e) => e.run.experiment === experiment && e.run.configName === configName).sort(newestFirst)[0];
}

/** Newest run of each sweep point of an experiment: the runs a sweep comparison overlays. */
export function latestSweepRuns(entries: RunEntry[], experiment: string, runNames: string[]): RunEntry[] {
  const out: RunEntry[] = [];
  for (const name of runNames) {
    const latest = entries.filter((e) => e.run.experiment === experiment && e.run.runName === name).sort(newestFirst)[0];
    if (latest) out.push(latest);
  }
  return out;
}

/**
 * Tree labels of an experiment's runs: the run name, and where several runs share it, what tells them apart
 * (a config value that was changed between them, else the start time): `long · 12:03:15`.
 */
export function runTreeLabels(entries: RunEntry[]): Map<string, string> {
  const byName = new Map<string, RunEntry[]>();
  for (const e of entries) byName.set(e.run.runName, [...(byName.get(e.run.runName) ?? []), e]);
  const out = new Map<string, string>();
  for (const [name, group] of byName) {
    if (group.length === 1) {
      out.set(group[0].runDir, name);
      continue;
    }
    const labels = distinguishingLabels(group.map((e) => ({ ...e.run, configName: undefined, runName: name })));
    group.forEach((e, i) => out.set(e.runDir, labels[i].label.startsWith(name) ? labels[i].label : `${name} · ${labels[i].label}`));
  }
  return out;
}

/** When a run started, short: the time today, else the date and time. */
export function startedText(run: RunJson, now = new Date()): string {
  const d = new Date(run.startedAt);
  if (Number.isNaN(d.getTime())) return '';
  return timeText(run.startedAt, d.toDateString() !== now.toDateString()).replace(/:\d\d$/, '');
}

function fmtAcc(x: number | null | undefined): string | null {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : null;
}

/** `completed · 3000/3000 epochs · test acc 0.981 · generalized @ 1240` (parts that are unknown are left out). */
export function describeRun(run: RunJson, liveEpoch?: number | null): string {
  const parts: string[] = [run.status];
  const epochs = liveEpoch ?? run.epochsCompleted;
  parts.push(`${epochs}/${run.totalEpochs} epochs`);
  const final = run.summary?.final;
  const acc = fmtAcc(final?.testAcc);
  if (acc !== null) parts.push(`test acc ${acc}`);
  else if (final && Number.isFinite(final.testLoss)) parts.push(`test loss ${final.testLoss.toPrecision(3)}`);
  const gen = run.summary?.generalizationEpoch;
  if (typeof gen === 'number') parts.push(`generalized @ ${gen}`);
  else if (run.summary && run.status === 'completed') parts.push('never generalized');
  return parts.join(' · ');
}

/**
 * The Runs view's description, short enough for a narrow sidebar (the icon shows the status; the tooltip has
 * everything): `acc 0.981 · gen @1240 · 12:03`, `running 12/50`, `stopped 40/100 · 09:15`.
 */
export function shortDescription(run: RunJson, liveEpoch?: number | null, now = new Date()): string {
  const parts: string[] = [];
  const epochs = liveEpoch ?? run.epochsCompleted;
  if (run.status !== 'completed') parts.push(`${run.status} ${epochs}/${run.totalEpochs}`);
  const final = run.summary?.final;
  const acc = fmtAcc(final?.testAcc);
  if (acc !== null) parts.push(`acc ${acc}`);
  else if (final && Number.isFinite(final.testLoss)) parts.push(`loss ${final.testLoss.toPrecision(3)}`);
  const gen = run.summary?.generalizationEpoch;
  if (typeof gen === 'number') parts.push(`gen @${gen}`);
  else if (run.summary && run.status === 'completed') parts.push('never generalized');
  const t = startedText(run, now);
  if (t) parts.push(t);
  return parts.join(' · ');
}

/** Codicon id for a run's status. */
export function statusIcon(status: RunStatus | 'queued'): string {
  switch (status) {
    case 'running':
      return 'pulse';
    case 'completed':
      return 'pass';
    case 'failed':
      return 'error';
    case 'stopped':
      return 'debug-stop';
    case 'queued':
      return 'clock';
  }
}

/**
 * A run.json that still says `running` with no process of ours behind it. While the process that writes it is
 * alive (`writerAlive`, when this machine can tell: the CLI in a terminal, another window's trainer) it is not
 * stale, however long its epochs take; otherwise (the process is gone, or it runs on another host, or an older
 * version wrote the file) it is stale when neither run.json nor metrics.jsonl changed for `staleMs` — which also
 * leaves a Slurm task's own outcome time to be written first.
 */
export function isStaleRunning(run: RunJson, isOurs: boolean, lastWriteMs: number, nowMs: number, staleMs: number, writerAlive: boolean | null = null): boolean {
  if (run.status !== 'running' || isOurs || writerAlive === true) return false;
  return nowMs - lastWriteMs > staleMs;
}

/**
 * The swept axes shared by a set of runs (for the sweep landscape), or null when the runs are not all
 * points of one sweep (some lack sweep values, or they sweep different paths).
 */
export function sharedSweepAxes(entries: RunEntry[]): string[] | null {
  if (entries.length === 0) return null;
  let axes: string[] | null = null;
  for (const e of entries) {
    const v = e.run.sweepValues;
    if (!v) return null;
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return null;
    if (axes === null) axes = keys;
    else if (axes.join('\u0000') !== keys.join('\u0000')) return null;
  }
  return axes;
}

/** The runs of an experiment that are points of its (latest) sweep: newest run of each swept run name. */
export function sweepRunsOf(entries: RunEntry[], experiment: string): RunEntry[] {
  const names = [...new Set(entries.filter((e) => e.run.experiment === experiment && e.run.sweepValues).map((e) => e.run.runName))];
  return latestSweepRuns(entries.filter((e) => e.run.sweepValues), experiment, names);
}

/** The checkpoint at `epoch`, else the latest one before it, else the earliest one. */
export function checkpointNear<T extends CheckpointFile>(files: T[], epoch: number): T | undefined {
  return files.find((f) => f.epoch <= epoch) ?? files[files.length - 1];
}
