/**
 * Follows the runs folders for runs written by others — the CLI, another window, Slurm tasks on other machines
 * writing to a shared filesystem: every `intervalMs` it takes the list of run directories with their run.json
 * modification times and fires `onChange` when it differs from the last look. The editor's file watcher
 * (extension.ts) misses these when the runs folder did not exist yet when it started, lies outside the
 * workspace, or sits on a network filesystem that sends no change events; a stat per run a second does not.
 * Runs this window trains are left out (`ignore`): their trainer rewrites run.json every few seconds and their
 * state comes over IPC, so they would re-list every run for nothing while they last.
 * No `vscode` import (unit-tested with node:test).
 */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { RUN_JSON } from '../engine/runs';

async function dirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** `runDir mtime` for every run.json under the roots but the ignored ones, sorted: equal strings mean nothing changed. */
export async function runsSignature(roots: readonly string[], ignore: (runDir: string) => boolean = () => false): Promise<string> {
  const parts: string[] = [];
  for (const root of roots) {
    for (const exp of await dirs(root)) {
      for (const runDir of await dirs(exp)) {
        if (ignore(runDir)) continue;
        try {
          const s = await stat(path.join(runDir, RUN_JSON));
          parts.push(`${runDir} ${s.mtimeMs} ${s.size}`);
        } catch {
          // no run.json (yet)
        }
      }
    }
  }
  return parts.sort().join('\n');
}

export class RunsFolderPoller {
  private timer: NodeJS.Timeout | undefined;
  private last: string | null = null;
  private busy = false;
  private disposed = false;

  constructor(
    private readonly roots: () => string[],
    private readonly onChange: () => void,
    private readonly intervalMs = 1000,
    private readonly ignore: (runDir: string) => boolean = () => false,
  ) {}

  /** Takes the first signature (no event for it) and starts polling. */
  async start(): Promise<void> {
    this.last = await runsSignature(this.roots(), this.ignore);
    if (this.disposed) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  /** One look; fires `onChange` when the runs changed since the last one. */
  async tick(): Promise<void> {
    if (this.busy || this.disposed) return;
    this.busy = true;
    try {
      const sig = await runsSignature(this.roots(), this.ignore);
      if (this.last !== null && sig !== this.last && !this.disposed) this.onChange();
      this.last = sig;
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
  }
}
