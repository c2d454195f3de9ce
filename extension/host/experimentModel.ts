/**
 * Pure helpers over a parsed experiment file (engine/config `parseExperiment`): which config the cursor is
 * in, which CodeLenses to show, how to name a config's problems (what blocks it: engine/config blockingProblems), and which probe intervals the file sets
 * explicitly (so the editor's probe-interval settings fill in only the others).
 */
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import type { TrainingConfig } from '../shared/configTypes';
import type { ConfigLocation, ConfigProblem, ParsedExperiment } from '../engine/config';

/** The config whose object contains `offset` (inclusive of both braces), if any. */
export function configAtOffset(parsed: ParsedExperiment, offset: number): ConfigLocation | undefined {
  return parsed.configs.find((c) => offset >= c.offset && offset <= c.offset + c.length);
}

export type LensSpec =
  | { kind: 'train'; offset: number; configName: string; title: string; valid: boolean }
  | { kind: 'sweep'; offset: number; title: string; runCount: number; valid: boolean }
  | { kind: 'show'; offset: number; configName: string; title: string }
  | { kind: 'study'; offset: number; title: string; runCount: number };

/**
 * Lenses, in document order: "▶ Train this config" over every config (valid or not: running an invalid one
 * names its problems), "Show dynamics" next to it where runs of that config exist, and "▶ Run sweep (N runs)"
 * over the sweep.
 */
export function lensesFor(parsed: ParsedExperiment, hasRuns: (configName: string) => boolean, studyRuns = 0): LensSpec[] {
  const out: LensSpec[] = [];
  for (const c of parsed.configs) {
    const offset = c.nameOffset >= 0 ? c.nameOffset : c.offset;
    out.push({ kind: 'train', offset, configName: c.name, title: c.valid ? '▶ Train this config' : '▶ Train this config (has errors)', valid: c.valid });
    if (c.name && hasRuns(c.name)) out.push({ kind: 'show', offset, configName: c.name, title: 'Show dynamics' });
  }
  if (parsed.sweep) {
    const n = parsed.sweep.runNames.length;
    out.push({
      kind: 'sweep',
      offset: parsed.sweep.offset,
      runCount: n,
      title: parsed.sweep.valid ? `▶ Run sweep (${n} run${n === 1 ? '' : 's'})` : '▶ Run sweep (has errors)',
      valid: parsed.sweep.valid,
    });
    // "Study (N runs)" once the experiment has runs: the sweep's answer, filling in as runs report
    if (studyRuns > 0) out.push({ kind: 'study', offset: parsed.sweep.offset, runCount: studyRuns, title: `Study (${studyRuns} run${studyRuns === 1 ? '' : 's'})` });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** One line for an error message: `Config "x" cannot run: 2 problems — a (line 3, col 5); b (…)`. */
export function describeProblems(what: string, problems: ConfigProblem[], format: (p: ConfigProblem) => string, max = 3): string {
  const shown = problems.slice(0, max).map(format).join('; ');
  const more = problems.length > max ? `; and ${problems.length - max} more` : '';
  return `${what} cannot run: ${problems.length} problem${problems.length === 1 ? '' : 's'} — ${shown}${more}`;
}

// ---------------------------------------------------------------------------------------------------------
// Probe-interval defaults from the editor settings.
// ---------------------------------------------------------------------------------------------------------

export interface ProbeIntervalDefaults {
  activationsEvery: number | null;
  spectrumEvery: number | null;
}

const PROBE_KEYS = ['activationsEvery', 'spectrumEvery'] as const;

function hasPath(root: Node | undefined, path: (string | number)[]): boolean {
  return root !== undefined && findNodeAtLocation(root, path) !== undefined;
}

/** Which of the probe intervals the file sets for this config (in `defaults`, in the config, or swept). */
export function explicitProbeIntervals(text: string, configName: string): Record<(typeof PROBE_KEYS)[number], boolean> {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const configs = root ? findNodeAtLocation(root, ['configs']) : undefined;
  const index = configs?.children?.findIndex((c) => {
    const n = findNodeAtLocation(c, ['name']);
    return n?.value === configName;
  }) ?? -1;
  const sweep = root ? findNodeAtLocation(root, ['sweep']) : undefined;
  const sweptKeys = new Set<string>();
  // Sweep axes are dotted paths, possibly nested one level (e.g. under "grid"): collect every property name.
  const collect = (n: Node | undefined) => {
    for (const p of n?.children ?? []) {
      if (p.type === 'property' && p.children?.[0]) {
        sweptKeys.add(String(p.children[0].value));
        collect(p.children[1]);
      }
    }
  };
  collect(sweep);
  const result = { activationsEvery: false, spectrumEvery: false };
  for (const key of PROBE_KEYS) {
    result[key] =
      hasPath(root, ['defaults', 'probes', key]) ||
      (index >= 0 && hasPath(root, ['configs', index, 'probes', key])) ||
      sweptKeys.has(`probes.${key}`);
  }
  return result;
}

/** The config with the editor's probe-interval defaults applied where the file does not set them. */
export function applyProbeDefaults(
  config: TrainingConfig,
  explicit: Record<(typeof PROBE_KEYS)[number], boolean>,
  defaults: ProbeIntervalDefaults,
): TrainingConfig {
  const probes = { ...config.probes };
  for (const key of PROBE_KEYS) {
    const v = defaults[key];
    if (!explicit[key] && typeof v === 'number' && Number.isInteger(v) && v >= 1) probes[key] = v;
  }
  return { ...config, probes };
}
