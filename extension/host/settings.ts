/** The extension's settings, read in one place. */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isBackendChoice, type BackendChoice } from '../shared/protocol';
import type { ProbeIntervalDefaults } from './experimentModel';
import { concurrencyBackend, effectiveConcurrency } from '../engine/sweep/concurrency';
import { nativeBuilt } from '../engine/fast/native';

const SECTION = 'trainingDynamics';
export const DEFAULT_RUNS_FOLDER = '.training-dynamics/runs';

/** `maxConcurrentRuns`; 0 means the CLI's default for this machine and backend (engine/sweep/concurrency.ts). */
export function maxConcurrentRuns(): number {
  return effectiveConcurrency(vscode.workspace.getConfiguration(SECTION).get('maxConcurrentRuns'), os.cpus().length, concurrencyBackend(backend(), nativeBuilt()));
}

export function backend(): BackendChoice {
  const b = vscode.workspace.getConfiguration(SECTION).get<string>('backend');
  return isBackendChoice(b) ? b : 'auto';
}

export function probeDefaults(scope?: vscode.Uri): ProbeIntervalDefaults {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const num = (k: string) => {
    const v = c.get<unknown>(k);
    return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null;
  };
  return { activationsEvery: num('probes.activationsEvery'), spectrumEvery: num('probes.spectrumEvery') };
}

/**
 * The runs root for a file (its workspace folder's `runsFolder`; relative paths resolve against that
 * folder). A file outside every workspace folder uses the first folder, else the file's own directory.
 */
export function runsRootFor(uri: vscode.Uri | undefined): string {
  const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
  const setting = vscode.workspace.getConfiguration(SECTION, folder?.uri ?? uri).get<string>('runsFolder')?.trim() || DEFAULT_RUNS_FOLDER;
  if (path.isAbsolute(setting)) return setting;
  const base = folder?.uri.fsPath ?? (uri ? path.dirname(uri.fsPath) : os.homedir());
  return path.join(base, setting);
}

/** Every runs root of the workspace (one per folder; the same absolute path only once). */
export function allRunsRoots(): string[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return [...new Set(folders.map((f) => runsRootFor(f.uri)))];
}

export function affectsRuns(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.runsFolder`);
}

export function affectsConcurrency(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.maxConcurrentRuns`);
}

/** Defaults of *Run Sweep on Slurm…* (`trainingDynamics.slurm.*`); unset or 0 = the CLI's default. */
export interface SlurmDefaults {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  maxParallel?: number;
  sbatchArgs: string[];
}

export function slurmDefaults(scope?: vscode.Uri): SlurmDefaults {
  const c = vscode.workspace.getConfiguration(`${SECTION}.slurm`, scope);
  const str = (k: string) => {
    const v = c.get<unknown>(k);
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const int = (k: string) => {
    const v = c.get<unknown>(k);
    return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
  };
  const args = c.get<unknown>('sbatchArgs');
  return {
    partition: str('partition'),
    time: str('time'),
    cpusPerTask: int('cpusPerTask'),
    maxParallel: int('maxParallel'),
    sbatchArgs: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string' && a.trim() !== '').map((a) => a.trim()) : [],
  };
}
