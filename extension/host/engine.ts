/**
 * The engine functions the host uses, in one place (engine/config for experiment files, engine/runs for
 * run directories), adapted to the host's small interfaces.
 */
import { formatProblem as formatConfigProblem, parseExperiment as parseExperimentText, resolveRuns as resolveExperimentRuns } from '../engine/config';
export { experimentDir } from '../engine/runs';
import { listRuns as listRunDirs, markInterrupted as markRunInterrupted, readRun as readRunDir, RUN_JSON, writeFileAtomicSync } from '../engine/runs';
import { join } from 'node:path';
import type { ResolvedRun } from '../shared/configTypes';
import type { MetricsRecord, RunJson } from '../shared/protocol';
import type { ExperimentLike, ProblemLike } from './experimentModel';
import type { RunEntry } from './runsModel';

export function parseExperiment(text: string): ExperimentLike {
  return parseExperimentText(text);
}

export function resolveRuns(text: string, select: { config?: string; sweep?: boolean }): { runs: ResolvedRun[]; problems: ProblemLike[] } {
  return resolveExperimentRuns(text, select);
}

export function formatProblem(p: ProblemLike): string {
  return formatConfigProblem(p as Parameters<typeof formatConfigProblem>[0]);
}

export async function readRun(runDir: string): Promise<{ run: RunJson; records: MetricsRecord[] }> {
  return readRunDir(runDir);
}

export async function listRuns(root: string): Promise<RunEntry[]> {
  return listRunDirs(root);
}

export async function markInterrupted(runDir: string, reason: string): Promise<RunJson> {
  return markRunInterrupted(runDir, reason);
}

/**
 * Marks a run whose trainer process is gone and whose run.json still says `running`: engine/runs'
 * markInterrupted (status failed, epochs and summary rebuilt from metrics.jsonl); when the user had asked
 * it to stop, the status is then set to stopped.
 */
export async function markEnded(runDir: string, status: 'failed' | 'stopped', reason: string): Promise<RunJson | undefined> {
  const marked = await markInterrupted(runDir, reason);
  if (status === 'failed' || marked.status !== 'failed' || marked.reason !== reason) return marked;
  const stopped: RunJson = { ...marked, status: 'stopped' };
  writeFileAtomicSync(join(runDir, RUN_JSON), JSON.stringify(stopped, null, 2) + '\n');
  return stopped;
}
