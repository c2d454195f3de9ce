/**
 * Reading a study's runs from disk (through the runs reader) and building the study: the entry point of the
 * CLI. The Study panel, which holds its runs live, calls studyFromRuns (study.ts) directly.
 */
import * as path from 'node:path';
import { experimentRuns, readRun } from '../runs';
import type { StudyRunInput } from './metrics';
import { studyFromRuns, type Study, type StudyOptions } from './study';

/** Reads every run of `experiment` under `runsRoot` (run.json + metrics.jsonl); unreadable runs are skipped. */
export async function loadStudyRuns(runsRoot: string, experiment: string): Promise<StudyRunInput[]> {
  const entries = await experimentRuns(path.resolve(runsRoot), experiment);
  const out: StudyRunInput[] = [];
  for (const e of entries) {
    try {
      const { run, records } = await readRun(e.runDir);
      out.push({ runDir: e.runDir, run, records });
    } catch {
      // a run folder removed or half-written between listing and reading: not part of the study
    }
  }
  return out;
}

/**
 * The study of an experiment's runs on disk: what `training-dynamics study FILE --json` prints.
 *
 * @param runsRoot   the runs folder (`<workspace>/.training-dynamics/runs`, or the CLI's --out)
 * @param experiment the experiment's `name`
 * @param opts       axes / configs from the experiment file, run selection, grouping, extra metrics
 * @returns `{experiment, runs, axes, groupBy, split, axisValues, metrics, groups: [{point, runs, running,
 *   metrics: {NAME: {mean, std, min, max, n, never, pending}}, bestLossFit}], running}`; curves, grids and the
 *   prediction are derived from it with studyCurves / studyGrids / predict (views.ts).
 */
export async function buildStudy(runsRoot: string, experiment: string, opts: StudyOptions = {}): Promise<Study> {
  return studyFromRuns(experiment, await loadStudyRuns(runsRoot, experiment), opts);
}
