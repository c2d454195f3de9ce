/**
 * Where runs live on disk:
 *
 *   <runsRoot>/<experiment>/<runName>-<YYYYMMDD-HHMMSS-mmm>/
 *     run.json                         RunJson (protocol.ts), rewritten atomically (temp file + rename)
 *     metrics.jsonl                    one MetricsRecord a line, append-only
 *     checkpoints/epoch-NNNNNN.safetensors
 *
 * runsRoot defaults to `<workspace>/.training-dynamics/runs`. Timestamps in directory names are UTC, so
 * they sort like `startedAt`. Pure path logic plus one existence probe (workspace detection).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RUNS_FOLDER = path.join('.training-dynamics', 'runs');
export const RUN_JSON = 'run.json';
export const METRICS_JSONL = 'metrics.jsonl';
export const CHECKPOINTS_DIR = 'checkpoints';
export const CHECKPOINT_FORMAT = 'training-dynamics/1';

/** `YYYYMMDD-HHMMSS-mmm` in UTC. */
export function runTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds(), 3)}`
  );
}

/** A name safe as one path component on every OS: anything outside [A-Za-z0-9._=,+-] becomes `_`. */
export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._=,+-]/g, '_').replace(/^\.+/, '_');
  return s.length > 0 ? s.slice(0, 120) : '_';
}

export function experimentDir(runsRoot: string, experiment: string): string {
  return path.join(runsRoot, safeName(experiment));
}

/** Directory name of a run: `<runName>-<timestamp>`. */
export function runDirName(runName: string, started: Date): string {
  return `${safeName(runName)}-${runTimestamp(started)}`;
}

/** `epoch-000120.safetensors`: a checkpoint's file name in CHECKPOINTS_DIR. */
export function checkpointFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}.safetensors`;
}

/** `checkpoints/epoch-000120.safetensors` (relative to the run directory, forward slashes). */
export function checkpointRelPath(epoch: number): string {
  return `${CHECKPOINTS_DIR}/${checkpointFileName(epoch)}`;
}

export interface CheckpointFile {
  file: string;
  epoch: number;
}

/** The checkpoint files (checkpointFileName) of a CHECKPOINTS_DIR listing, newest epoch first. */
export function checkpointFiles(names: string[]): CheckpointFile[] {
  const out: CheckpointFile[] = [];
  for (const file of names) {
    const m = /^epoch-(\d+)\.safetensors$/.exec(file);
    if (m) out.push({ file, epoch: Number(m[1]) });
  }
  return out.sort((a, b) => b.epoch - a.epoch);
}

/** The workspace of an experiment file for the CLI: nearest ancestor holding .git, .vscode or package.json, else the file's folder. */
export function findWorkspaceRoot(experimentFile: string): string {
  const start = path.dirname(path.resolve(experimentFile));
  let dir = start;
  for (;;) {
    if (['.git', '.vscode', 'package.json'].some((m) => fs.existsSync(path.join(dir, m)))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

export function defaultRunsRoot(workspace: string): string {
  return path.join(workspace, RUNS_FOLDER);
}
