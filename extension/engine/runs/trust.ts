/**
 * Trust boundaries for paths that come from outside the host's own knowledge: a checkpoint's `__metadata__`
 * (a downloaded file names whatever folder it likes as its run folder and experiment file) and the run
 * directories a webview saved in its state (restored after a reload). Such a path is used only when it lies
 * inside an open workspace folder or a runs folder the host itself uses, or is a run directory the host knows
 * (one it started or listed); otherwise the caller shows `reason` instead of opening it.
 *
 * Pure: the roots are passed in; paths are compared after path.resolve (no `..` escapes), never by prefix string.
 */
import * as path from 'node:path';

export interface TrustedPlaces {
  /** Open workspace folders. */
  workspaceFolders: readonly string[];
  /** Runs folders the host reads and writes (settings, the workspace's default). */
  runsRoots: readonly string[];
  /** Whether the host knows this run directory (started it, or lists it in the Runs view). */
  isKnownRunDir?: (dir: string) => boolean;
}

export type TrustVerdict = { ok: true; path: string } | { ok: false; reason: string };

/** `child` is `parent` or inside it (both resolved; on case-insensitive platforms pass lower-cased paths). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function placeOf(p: string, places: TrustedPlaces): boolean {
  return places.workspaceFolders.some((w) => isInside(p, w)) || places.runsRoots.some((r) => isInside(p, r)) || (places.isKnownRunDir?.(p) ?? false);
}

function checkPath(value: unknown, what: string): TrustVerdict {
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: `it does not name ${what}` };
  if (value.includes('\0')) return { ok: false, reason: `${what} it names is not a valid path` };
  if (!path.isAbsolute(value)) return { ok: false, reason: `${what} it names (${value}) is not an absolute path` };
  return { ok: true, path: path.resolve(value) };
}

/** A run directory named by a checkpoint or a webview: inside the workspace, a runs folder, or known to the host. */
export function trustRunDir(value: unknown, places: TrustedPlaces): TrustVerdict {
  const v = checkPath(value, 'a run folder');
  if (!v.ok) return v;
  if (placeOf(v.path, places)) return v;
  return { ok: false, reason: `the run folder it names (${v.path}) is outside this workspace and the runs folders Training Dynamics uses` };
}

/** An experiment file named by a checkpoint: an *.experiment.json inside an open workspace folder. */
export function trustExperimentFile(value: unknown, places: TrustedPlaces): TrustVerdict {
  const v = checkPath(value, 'an experiment file');
  if (!v.ok) return v;
  if (!v.path.endsWith('.experiment.json')) return { ok: false, reason: `the file it names (${v.path}) is not an *.experiment.json file` };
  if (places.workspaceFolders.some((w) => isInside(v.path, w))) return v;
  return { ok: false, reason: `the experiment file it names (${v.path}) is outside this workspace` };
}

/** The run directories of a webview's saved state that may be shown again, and those refused (with why). */
export function trustedRunDirs(values: readonly unknown[], places: TrustedPlaces): { dirs: string[]; refused: string[] } {
  const dirs: string[] = [];
  const refused: string[] = [];
  for (const v of values) {
    const t = trustRunDir(v, places);
    if (t.ok) {
      if (!dirs.includes(t.path)) dirs.push(t.path);
    } else refused.push(t.reason);
  }
  return { dirs, refused };
}
