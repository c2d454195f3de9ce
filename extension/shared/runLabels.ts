/**
 * Run labels that show only what differs between the runs shown together: the config name when configs differ,
 * the config values that differ (swept values first, short key names unless two would read the same), and the
 * start time only where runs are otherwise identical ("long", "long", "long" → "long · 12:03:15", …).
 * Pure: used by the Dynamics panel's run list, the Study panel and the Runs view.
 */

export interface LabelSource {
  runName: string;
  configName?: string;
  /** The resolved training config; its leaves are compared. */
  config?: unknown;
  sweepValues?: Record<string, unknown> | null;
  /** ISO time the run started. */
  startedAt?: string;
}

export interface RunLabel {
  /** Short label: only what tells this run from the others. */
  label: string;
  /** Every differing value, one `key = value` per line (for tooltips). */
  detail: string;
}

/** Differing values shown in a label at most; the rest are in `detail`. */
export const MAX_LABEL_KEYS = 4;

/** Leaves of a JSON value as `a.b.c` → value text. Arrays are one leaf (`[64,64]`). */
export function flattenConfig(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, valueText(value));
  return out;
}

/** A value as it reads in a label: strings bare, numbers as written, everything else as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '—';
  return JSON.stringify(v);
}

/** The shortest dotted suffix of each key that no other key in `keys` shares. */
export function shortKeys(keys: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of keys) {
    const parts = k.split('.');
    let n = 1;
    const suffix = (key: string, len: number) => key.split('.').slice(-len).join('.');
    while (n < parts.length && keys.some((o) => o !== k && suffix(o, n) === suffix(k, n))) n++;
    out.set(k, suffix(k, n));
  }
  return out;
}

/** Keys whose values are not the same in every run, swept keys first, then in first-seen order. */
export function differingKeys(runs: LabelSource[]): string[] {
  const flat = runs.map(leaves);
  const all: string[] = [];
  const seen = new Set<string>();
  const swept = new Set(runs.flatMap((r) => Object.keys(r.sweepValues ?? {})));
  for (const f of flat) for (const k of f.keys()) if (!seen.has(k)) (seen.add(k), all.push(k));
  const differs = all.filter((k) => new Set(flat.map((f) => f.get(k) ?? '—')).size > 1);
  return [...differs.filter((k) => swept.has(k)), ...differs.filter((k) => !swept.has(k))];
}

function leaves(r: LabelSource): Map<string, string> {
  const f = flattenConfig(r.config ?? {});
  for (const [k, v] of Object.entries(r.sweepValues ?? {})) f.set(k, valueText(v));
  return f;
}

/** Start time as it reads in a label: `HH:MM:SS`, with the date when the runs span more than one day. */
export function timeText(iso: string | undefined, withDate: boolean): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}` : time;
}

/** One label per run, in order. A single run is labelled with its run name. */
export function distinguishingLabels(runs: LabelSource[]): RunLabel[] {
  if (runs.length === 0) return [];
  const names = runs.map((r) => r.configName ?? r.runName);
  const showName = new Set(names).size > 1;
  const keys = runs.length > 1 ? differingKeys(runs) : [];
  const short = shortKeys(keys);
  const flat = runs.map(leaves);
  const labels = runs.map((r, i) => {
    const parts = keys.map((k) => `${short.get(k)}=${flat[i].get(k) ?? '—'}`);
    const shown = parts.slice(0, MAX_LABEL_KEYS);
    if (parts.length > MAX_LABEL_KEYS) shown.push('…');
    const label = [showName || shown.length === 0 ? names[i] : null, ...shown].filter((s): s is string => s !== null).join(' ');
    const detail = [r.runName, ...keys.map((k) => `${k} = ${flat[i].get(k) ?? '—'}`)].join('\n');
    return { label, detail };
  });
  // Runs that still read the same (the same config run again) are told apart by their start time.
  const days = new Set(runs.map((r) => (r.startedAt ?? '').slice(0, 10)));
  const count = new Map<string, number>();
  for (const l of labels) count.set(l.label, (count.get(l.label) ?? 0) + 1);
  return labels.map((l, i) => {
    if ((count.get(l.label) ?? 0) < 2 || !runs[i].startedAt) return l;
    const t = timeText(runs[i].startedAt, days.size > 1);
    return { label: `${l.label} · ${t}`, detail: `${l.detail}\nstarted ${runs[i].startedAt}` };
  });
}

/** A run folder name without its `-YYYYMMDD-HHMMSS-mmm` suffix. */
export function folderRunName(folder: string): string {
  return folder.replace(/-\d{8}-\d{6}-\d{3}$/, '');
}

/**
 * The title of a Dynamics tab: `Dynamics: tiny` for a run, `Dynamics: tiny lr=0.01 weightDecay=0.3` for a sweep
 * point (its config and swept values, not its folder name), `Sweep lr × weightDecay (6 runs)` when comparing the
 * points of one sweep, else `Compare N runs`.
 */
export function panelTitle(runs: LabelSource[], sweepAxes: string[] | null, count = runs.length): string {
  if (count === 0) return 'Dynamics';
  if (count > 1) {
    if (sweepAxes?.length) {
      const short = shortKeys(sweepAxes);
      return `Sweep ${sweepAxes.map((a) => short.get(a)).join(' × ')} (${count} runs)`;
    }
    return `Compare ${count} runs`;
  }
  const r = runs[0];
  if (!r) return 'Dynamics';
  const sv = Object.entries(r.sweepValues ?? {});
  if (sv.length === 0) return `Dynamics: ${r.runName}`;
  const short = shortKeys(sv.map(([k]) => k));
  return `Dynamics: ${[r.configName ?? folderRunName(r.runName), ...sv.map(([k, v]) => `${short.get(k)}=${valueText(v)}`)].join(' ')}`;
}
