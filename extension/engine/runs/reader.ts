/**
 * Reading run directories back: one run (run.json + metrics.jsonl), every run under a runs root, the
 * runs of one experiment, and repairing a run left `running` by a process that is gone.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMetricsRecord, isRunJson, type MetricsRecord, type RunJson, type RunWriterProcess } from '../../shared/protocol';
import { summarizeRecords } from '../../shared/summary';
import { METRICS_JSONL, RUN_JSON, experimentDir } from './layout';
import { processStart, writeRunJson } from './writer';

export class RunReadError extends Error {}

export interface RunEntry {
  runDir: string;
  run: RunJson;
}

/** Reads and validates run.json. */
export async function readRunJson(runDir: string): Promise<RunJson> {
  const file = path.join(runDir, RUN_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RunReadError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RunReadError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRunJson(value)) throw new RunReadError(`${file} is not a training-dynamics run.json`);
  return value;
}

/**
 * Parses metrics.jsonl text. Lines that are not valid records are skipped: a truncated last line (the
 * process was killed mid-write) is expected; `skipped` counts them.
 */
export function parseMetrics(text: string): { records: MetricsRecord[]; skipped: number } {
  const out = { records: [] as MetricsRecord[], skipped: 0 };
  for (const line of text.split('\n')) takeLine(line, out);
  return out;
}

function takeLine(line: string, out: { records: MetricsRecord[]; skipped: number }): void {
  if (line.trim() === '') return;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    out.skipped++;
    return;
  }
  if (isMetricsRecord(value)) out.records.push(value);
  else out.skipped++;
}

/**
 * parseMetrics, handing the event loop back every `sliceMs` of parsing: the extension host reads a long run's
 * metrics.jsonl (100 MB for 150 000 epochs, seconds of JSON.parse) while every other extension shares its thread.
 */
export async function parseMetricsYielding(text: string, sliceMs = 10): Promise<{ records: MetricsRecord[]; skipped: number }> {
  const out = { records: [] as MetricsRecord[], skipped: 0 };
  const lines = text.split('\n');
  let t = performance.now();
  for (let i = 0; i < lines.length; i++) {
    takeLine(lines[i], out);
    if ((i & 255) === 255 && performance.now() - t > sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      t = performance.now();
    }
  }
  return out;
}

/** run.json and every readable record of metrics.jsonl (missing metrics.jsonl = no records yet). */
export async function readRun(runDir: string): Promise<{ run: RunJson; records: MetricsRecord[] }> {
  const run = await readRunJson(runDir);
  let text = '';
  try {
    text = await readFile(path.join(runDir, METRICS_JSONL), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new RunReadError(`cannot read ${path.join(runDir, METRICS_JSONL)}: ${(err as Error).message}`);
  }
  return { run, records: (await parseMetricsYielding(text)).records };
}

/** What newestFirst orders by: a run entry, or anything naming a run directory and its start. */
export interface DatedRun {
  runDir: string;
  run: Pick<RunJson, 'startedAt'>;
}

/** Newest first: by startedAt, then by directory name. */
export function newestFirst(a: DatedRun, b: DatedRun): number {
  return b.run.startedAt.localeCompare(a.run.startedAt) || b.runDir.localeCompare(a.runDir);
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

async function entriesIn(dirs: string[]): Promise<RunEntry[]> {
  const out: RunEntry[] = [];
  for (const runDir of dirs) {
    try {
      out.push({ runDir, run: await readRunJson(runDir) });
    } catch {
      // not a run directory (or run.json unreadable): not listed
    }
  }
  return out;
}

/** Every run under `<runsRoot>/<experiment>/<run>/`, newest first (by startedAt, then directory name). */
export async function listRuns(runsRoot: string): Promise<RunEntry[]> {
  const out: RunEntry[] = [];
  for (const exp of await subdirs(path.resolve(runsRoot))) out.push(...(await entriesIn(await subdirs(exp))));
  return out.sort(newestFirst);
}

/** Every run of `experiment` (in its folder `<runsRoot>/<experiment>/`), newest first. */
export async function experimentRuns(runsRoot: string, experiment: string): Promise<RunEntry[]> {
  const entries = await entriesIn(await subdirs(experimentDir(path.resolve(runsRoot), experiment)));
  return entries.filter((e) => e.run.experiment === experiment).sort(newestFirst);
}

/**
 * Is the process that writes a run alive? null when this machine cannot tell: the run was written on another
 * host (a cluster node) or by a version that did not record its process.
 */
export function writerAlive(writer: RunWriterProcess | undefined, host = os.hostname()): boolean | null {
  if (!writer || writer.host !== host || !Number.isSafeInteger(writer.pid) || writer.pid <= 0) return null;
  try {
    process.kill(writer.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A process with that pid, but started at another time: the writer is gone and its pid was given to another.
  const start = typeof writer.start === 'string' ? processStart(writer.pid) : null;
  return start === null || start === writer.start;
}

/** When the run last wrote run.json or metrics.jsonl (ms since the epoch; 0: neither exists). */
export async function lastWriteMs(runDir: string): Promise<number> {
  let latest = 0;
  for (const f of [RUN_JSON, METRICS_JSONL]) {
    try {
      latest = Math.max(latest, (await stat(path.join(runDir, f))).mtimeMs);
    } catch {
      // metrics.jsonl does not exist before the first record
    }
  }
  return latest;
}

/**
 * Marks a run that run.json says is `running` but whose process is gone: `status` (failed, or stopped when
 * the user had asked it to stop) with `reason`, epochsCompleted and the summary rebuilt from the metrics that made it to disk, endedAt = the last time
 * the directory was written. Runs in any other status are returned unchanged.
 */
export async function markInterrupted(runDir: string, reason: string, status: 'failed' | 'stopped' = 'failed'): Promise<RunJson> {
  const { run, records } = await readRun(runDir);
  if (run.status !== 'running') return run;
  const summary = summarizeRecords(records, { minEpochs: run.epochsCompleted });
  const lastWrite = await lastWriteMs(runDir);
  const updated: RunJson = {
    ...run,
    status,
    reason,
    endedAt: new Date(lastWrite > 0 ? lastWrite : Date.now()).toISOString(),
    epochsCompleted: summary.epochs,
    summary,
  };
  writeRunJson(runDir, updated);
  return updated;
}
