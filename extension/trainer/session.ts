/**
 * One training run, from a start request to its final run.json: loads the backend, creates the run
 * directory, trains while streaming every record to `emit` and to metrics.jsonl, writes checkpoints, and
 * ends with status completed / stopped / failed. Shared by the CLI (in-process) and the trainer child
 * process (extension/trainer/main.ts), so both write exactly the same directories.
 */
import type { CheckpointRecord, MetricsRecord, RunJson, StartRunRequest, TrainerToHost } from '../shared/protocol';
import { backendLabel, loadBackend, type LoadedBackend } from '../engine/backend';
import { train } from '../engine/train';
import { SummaryTracker } from '../shared/summary';
import { RunWriter } from '../engine/runs';
import { version as packageVersion } from '../../package.json';
import { errorLine } from '../shared/errors';

export const STOPPED_BY_USER = 'stopped by user';

/** The run directory could not be created (bad --out / runs folder); nothing was written. */
export class RunDirError extends Error {}

export interface SessionControl {
  stopRequested: boolean;
}

export interface SessionOptions {
  /** Folder holding tfjs-backend-wasm's .wasm files (default: next to the bundle, else node_modules). */
  wasmDir?: string;
  /** Called as soon as the run directory exists (the child's crash handler marks it failed through this). */
  onWriter?: (writer: RunWriter) => void;
}

function versionsOf(loaded: LoadedBackend | null): Record<string, string> {
  const v: Record<string, string> = { node: process.versions.node, 'training-dynamics': packageVersion };
  if (loaded) {
    const tfv = loaded.tf.version as Record<string, string> | undefined;
    if (tfv?.['tfjs-core']) v['tfjs-core'] = tfv['tfjs-core'];
    if (tfv?.tfjs) v.tfjs = tfv.tfjs;
    v.backendDetail = loaded.detail;
  }
  return v;
}

export async function runSession(
  req: StartRunRequest,
  emit: (m: TrainerToHost) => void,
  control: SessionControl,
  opts: SessionOptions = {},
): Promise<RunJson> {
  let loaded: LoadedBackend | null = null;
  let backendError: string | null = null;
  try {
    loaded = await loadBackend(req.backend, { wasmDir: opts.wasmDir });
  } catch (err) {
    backendError = errorLine(err);
  }

  let writer: RunWriter;
  try {
    writer = RunWriter.create(req.outDir, {
      experiment: req.experiment,
      experimentFile: req.experimentFile,
      configName: req.configName,
      runName: req.runName,
      sweepValues: req.sweepValues,
      config: req.config,
      backend: loaded ? backendLabel(loaded) : `${req.backend} (unavailable)`,
      versions: versionsOf(loaded),
      totalEpochs: req.config.training.epochs,
    });
  } catch (err) {
    throw new RunDirError(`cannot create a run directory in ${req.outDir}: ${errorLine(err)}`);
  }
  opts.onWriter?.(writer);
  emit({ type: 'started', runDir: writer.runDir, run: writer.run });

  const started = Date.now();
  const tracker = new SummaryTracker();
  const record = (r: MetricsRecord) => {
    writer.append(r);
    emit({ type: 'record', record: r });
  };
  const fail = (message: string): RunJson => {
    const epochs = tracker.lastEpoch?.epoch ?? 0;
    const run = writer.finish('failed', message, tracker.summary(epochs, Date.now() - started), epochs);
    emit({ type: 'error', message, runDir: writer.runDir });
    emit({ type: 'done', run });
    return run;
  };

  if (!loaded) return fail(backendError ?? 'the backend could not load');
  emit({ type: 'log', level: 'info', message: `backend ${backendLabel(loaded)}: ${loaded.detail}` });

  try {
    const result = await train(loaded.tf, req.config, {
      onRecord: record,
      onCheckpoint: (epoch, tensors) => {
        const rel = writer.writeCheckpoint(epoch, tensors);
        const rec: CheckpointRecord = { type: 'checkpoint', epoch, path: rel };
        record(rec);
      },
      shouldStop: () => control.stopRequested,
      summary: tracker,
    }, { native: loaded.native });
    const stopped = result.status === 'stopped';
    const run = writer.finish(stopped ? 'stopped' : 'completed', stopped ? STOPPED_BY_USER : null, result.summary, result.epochsCompleted);
    emit({ type: 'done', run });
    return run;
  } catch (err) {
    return fail(errorLine(err));
  }
}
