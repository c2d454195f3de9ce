/**
 * The trainer's start request for a resolved run: one builder for the CLI and the extension's launcher, so a run
 * started from either names its experiment, folder and backend the same way.
 */
import type { BackendChoice, StartRunRequest } from '../../shared/protocol';
import type { ResolvedRun, TrainingConfig } from '../../shared/configTypes';
import { experimentDir } from './layout';

export interface StartOptions {
  /** The experiment file the run came from (null: not a file on disk, e.g. an untitled editor). */
  experimentFile: string | null;
  /** The runs folder; the run goes to `<runsRoot>/<experiment>/`. */
  runsRoot: string;
  backend: BackendChoice;
  /** The config to train instead of the resolved one (the editor's probe-interval defaults applied). */
  config?: TrainingConfig;
}

export function startRunRequest(r: ResolvedRun, o: StartOptions): StartRunRequest {
  return {
    type: 'start',
    experiment: r.experiment,
    experimentFile: o.experimentFile,
    configName: r.configName,
    runName: r.runName,
    sweepValues: r.sweepValues ?? null,
    config: o.config ?? r.config,
    outDir: experimentDir(o.runsRoot, r.experiment),
    backend: o.backend,
  };
}
