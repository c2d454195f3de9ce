/**
 * RunWriter: creates a run directory and keeps it current while the run trains. Every write is synchronous
 * on purpose: a record appended is in the kernel before the next line of training runs, so a process that
 * is killed loses at most the record being written, and an uncaught-exception handler can still mark
 * run.json failed without awaiting anything. run.json and checkpoints are written to a temporary file and
 * renamed over the target, so a reader never sees half of one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EpochRecord, MetricsRecord, RunJson, RunStatus, RunSummary, RunWriterProcess } from '../../shared/protocol';
import { encodeSafetensors } from '../safetensors/write';
import { CHECKPOINT_FORMAT, CHECKPOINTS_DIR, METRICS_JSONL, RUN_JSON, checkpointRelPath, runDirName } from './layout';

/** The fields of run.json a caller provides; the writer fills id, status, timings and progress. */
export type NewRunInfo = Pick<
  RunJson,
  'experiment' | 'experimentFile' | 'configName' | 'runName' | 'sweepValues' | 'config' | 'backend' | 'versions' | 'totalEpochs'
>;

export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * On Windows a rename over a file another process has open (the extension host reading run.json) fails
 * with EPERM/EBUSY/EACCES for a moment; retry briefly, as graceful-fs does.
 */
function renameWithRetrySync(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 10 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 * (attempt + 1));
    }
  }
}

/** Atomically replaces `file` with `data` (temp file in the same directory, then rename). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    renameWithRetrySync(tmp, file);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing to clean up
    }
    throw err;
  }
}

export class RunWriter {
  /** How often (ms) progress alone rewrites run.json. */
  static progressIntervalMs = 2000;

  private metricsFd: number | null;
  private lastRunWrite = 0;
  private latestEpoch: EpochRecord | null = null;
  private closed = false;

  private constructor(readonly runDir: string, private current: RunJson) {
    this.metricsFd = fs.openSync(path.join(runDir, METRICS_JSONL), 'a');
    this.writeRunJson();
  }

  /**
   * Creates `<outDir>/<runName>-<timestamp>/` (with `-2`, `-3`… if that name is taken), writes run.json
   * with status `running` and opens metrics.jsonl for appending.
   */
  static create(outDir: string, info: NewRunInfo, now: Date = new Date()): RunWriter {
    fs.mkdirSync(outDir, { recursive: true });
    const base = runDirName(info.runName, now);
    let name = base;
    for (let i = 2; ; i++) {
      try {
        fs.mkdirSync(path.join(outDir, name));
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw err;
        name = `${base}-${i}`;
      }
    }
    const runDir = path.resolve(outDir, name);
    const run: RunJson = {
      formatVersion: 1,
      id: name,
      experiment: info.experiment,
      experimentFile: info.experimentFile,
      configName: info.configName,
      runName: info.runName,
      sweepValues: info.sweepValues,
      config: info.config,
      status: 'running',
      reason: null,
      backend: info.backend,
      versions: info.versions,
      startedAt: now.toISOString(),
      endedAt: null,
      epochsCompleted: 0,
      totalEpochs: info.totalEpochs,
      summary: null,
      writer: writerProcess(),
    };
    return new RunWriter(runDir, run);
  }

  get run(): RunJson {
    return this.current;
  }

  get finished(): boolean {
    return this.closed;
  }

  /** Latest epoch record appended (its metrics go into checkpoint metadata). */
  get lastEpochRecord(): EpochRecord | null {
    return this.latestEpoch;
  }

  /** Appends one record as one line of metrics.jsonl; epoch records also advance epochsCompleted. */
  append(record: MetricsRecord): void {
    if (this.metricsFd === null) throw new Error(`run ${this.current.id} is closed`);
    fs.writeSync(this.metricsFd, JSON.stringify(record) + '\n');
    if (record.type === 'epoch') {
      this.latestEpoch = record;
      this.progress(record.epoch);
    }
  }

  /** Records progress; run.json is rewritten at most every `progressIntervalMs`. */
  progress(epochsCompleted: number): void {
    if (epochsCompleted > this.current.epochsCompleted) this.current = { ...this.current, epochsCompleted };
    if (Date.now() - this.lastRunWrite >= RunWriter.progressIntervalMs) this.writeRunJson();
  }

  /** Sets fields of run.json and rewrites it now (e.g. the summary so far). */
  update(patch: Partial<Pick<RunJson, 'summary' | 'backend' | 'versions'>>): void {
    this.current = { ...this.current, ...patch };
    this.writeRunJson();
  }

  /**
   * Writes `checkpoints/epoch-NNNNNN.safetensors` with the tensors as given (F32, `layers.K.kernel` [in,out],
   * `layers.K.bias`) and the run's config, epoch and latest metrics in `__metadata__`. Returns the path
   * relative to the run directory.
   */
  writeCheckpoint(epoch: number, tensors: CheckpointTensor[]): string {
    const rel = checkpointRelPath(epoch);
    const file = path.join(this.runDir, ...rel.split('/'));
    fs.mkdirSync(path.join(this.runDir, CHECKPOINTS_DIR), { recursive: true });
    const metadata: Record<string, string> = {
      format: CHECKPOINT_FORMAT,
      config: JSON.stringify(this.current.config),
      epoch: String(epoch),
      metrics: JSON.stringify(this.latestEpoch),
      experiment: this.current.experiment,
      runName: this.current.runName,
      runDir: this.runDir,
      experimentFile: this.current.experimentFile ?? '',
    };
    const bytes = encodeSafetensors(
      tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: t.data })),
      metadata,
    );
    writeFileAtomicSync(file, bytes);
    return rel;
  }

  /** Final status: rewrites run.json with status, reason, end time and summary, and closes metrics.jsonl. */
  finish(status: Exclude<RunStatus, 'running'>, reason: string | null, summary: RunSummary | null, epochsCompleted?: number): RunJson {
    this.current = {
      ...this.current,
      status,
      reason,
      endedAt: new Date().toISOString(),
      summary: summary ?? this.current.summary,
      epochsCompleted: Math.max(this.current.epochsCompleted, epochsCompleted ?? 0),
    };
    this.writeRunJson();
    this.close();
    return this.current;
  }

  /** Closes metrics.jsonl without changing the status (idempotent). */
  close(): void {
    this.closed = true;
    if (this.metricsFd !== null) {
      try {
        fs.closeSync(this.metricsFd);
      } finally {
        this.metricsFd = null;
      }
    }
  }

  private writeRunJson(): void {
    writeRunJson(this.runDir, this.current);
    this.lastRunWrite = Date.now();
  }
}

/** The one writer of run.json: the run writer and the marking of interrupted runs both go through it. */
export function writeRunJson(runDir: string, run: RunJson): void {
  writeFileAtomicSync(path.join(runDir, RUN_JSON), JSON.stringify(run, null, 2) + '\n');
}

/** When process `pid` started, where the system tells (Linux /proc: starttime in clock ticks since boot), else null. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** This process, as run.json names its writer. */
function writerProcess(): RunWriterProcess {
  const start = processStart(process.pid);
  return { pid: process.pid, host: os.hostname(), ...(start !== null ? { start } : {}) };
}
