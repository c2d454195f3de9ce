/**
 * Experiment files (`*.experiment.json`, JSONC): parsing, validation with locations, defaults, sweeps.
 *
 * File shape: `name`, optional `description`, optional `defaults` (a partial config merged into every config),
 * `configs: [{ name, ...partial config }]`, optional `sweep: { configs?: [names], grid: { "dotted.path": [values] } }`
 * expanded into one run per grid point per swept config. Precedence (deep merge, later wins):
 * built-in defaults < task-kind defaults < experiment `defaults` < the config < the sweep point < CLI overrides.
 */
import { findNodeAtLocation, getNodeValue, type Node } from 'jsonc-parser';
import type { ResolvedRun, StudySettings, TrainingConfig } from '../../shared/configTypes';
import { BASE_DEFAULTS, TASK_DEFAULTS } from './defaults';
import { factor, isPrime } from './primes';
import { parseJsonc, schema, schemaAt, didYouMean, type ConfigProblem, type SchemaNode, Validator } from './validate';
import { isObj } from '../../shared/guards';
import { METRIC_DOCS, parseMetricName } from '../study/metrics';
import { CONFIG_AXIS, SEED_AXIS } from '../study/study';
import { machineLimits, preflight, type MachineLimits } from './preflight';

export type { ConfigProblem } from './validate';
export { BASE_DEFAULTS, TASK_DEFAULTS } from './defaults';
export { estimateResources, machineLimits, type MachineLimits } from './preflight';

export interface ConfigLocation {
  name: string;
  index: number;
  /** The config object's range (CodeLens above it). */
  offset: number;
  length: number;
  nameOffset: number;
  /** Problems inside the config, and those inherited from `defaults` or the merge. */
  problems: ConfigProblem[];
  valid: boolean;
}

export interface SweepLocation {
  offset: number;
  length: number;
  configNames: string[];
  runNames: string[];
  /** The swept dotted paths (`grid` keys), in file order. */
  axes: string[];
  problems: ConfigProblem[];
  valid: boolean;
}

export interface ParsedExperiment {
  name: string;
  /** Every problem of the file (syntax, schema, cross-field). */
  problems: ConfigProblem[];
  configs: ConfigLocation[];
  sweep: SweepLocation | null;
  /** The `study` block (schema-checked; axis and metric names checked against the sweep and the metric table). */
  study: StudySettings | null;
}

export function formatProblem(p: ConfigProblem, file?: string): string {
  const where = `${p.path ? `${p.path}: ` : ''}${p.message}`;
  return file ? `${file}:${p.line}:${p.column}: ${where}` : `${where} (line ${p.line}, col ${p.column})`;
}

type Json = Record<string, unknown>;

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isObj(base) || !isObj(over)) return (over === undefined ? structuredClone(base) : structuredClone(over)) as T;
  const out: Json = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out && isObj(out[k]) && isObj(v) ? deepMerge(out[k], v) : structuredClone(v);
  return out as T;
}

export function setPath(obj: Json, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur = obj;
  for (const s of segs.slice(0, -1)) {
    if (!isObj(cur[s])) cur[s] = {};
    cur = cur[s] as Json;
  }
  cur[segs[segs.length - 1]] = structuredClone(value);
}

/** Merges partial configs onto the built-in defaults (task defaults chosen by the final task kind). */
function mergeConfig(layers: unknown[]): TrainingConfig {
  let merged: Json = structuredClone(BASE_DEFAULTS) as unknown as Json;
  let task: Json | undefined;
  for (const layer of layers) {
    if (!isObj(layer)) continue;
    const { task: t, ...rest } = layer;
    merged = deepMerge(merged, rest);
    if (isObj(t)) task = task && t.kind !== undefined && t.kind !== task.kind ? structuredClone(t) : deepMerge(task ?? {}, t);
  }
  const kind = task?.kind as keyof typeof TASK_DEFAULTS | undefined;
  if (task && kind && Object.hasOwn(TASK_DEFAULTS, kind)) merged.task = deepMerge(TASK_DEFAULTS[kind], task);
  // An unknown or missing kind is reported by the schema check; keep the task so no second error follows.
  else if (task) merged.task = task;
  return merged as unknown as TrainingConfig;
}

function valueToken(v: unknown): string {
  // Arrays of numbers (e.g. hidden widths) read as 64x64.
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : Array.isArray(v) && v.every((x) => typeof x === 'number') ? v.join('x') : JSON.stringify(v);
  return s.replace(/[^A-Za-z0-9._=+-]+/g, '-');
}

/** Cartesian product of the grid, in key order, first key slowest. */
export function expandGrid(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  return points;
}

/** Run name of a sweep point: config_lr=0.001_weightDecay=0 (last path segment, full path when ambiguous). */
export function sweepRunName(config: string, point: Record<string, unknown>): string {
  const keys = Object.keys(point);
  const last = keys.map((k) => k.split('.').pop()!);
  const parts = keys.map((k, i) => `${last.filter((l) => l === last[i]).length > 1 ? k.replace(/\./g, '-') : last[i]}=${valueToken(point[k])}`);
  return [config, ...parts].join('_');
}

interface Analysis {
  parsed: ParsedExperiment;
  resolved: Map<string, TrainingConfig>;
  sweepRuns: { configName: string; runName: string; point: Record<string, unknown>; config: TrainingConfig }[];
  value: Json;
}

function inRange(p: ConfigProblem, node: Node | undefined): boolean {
  return !!node && p.offset >= node.offset && p.offset < node.offset + node.length;
}

/** The schema of one config (an entry of `configs`). */
const CONFIG_SCHEMA = schema.properties!.configs.items!;

function crossChecks(v: Validator, cfg: TrainingConfig, path: string, node: Node | undefined, root: Node): void {
  const at = (sub: string) => {
    const segs = sub.split('.');
    return (node && findNodeAtLocation(node, segs)) || node;
  };
  if (!cfg.task || !isObj(cfg.task)) {
    v.report(`${path}.task`, node, `no task: set 'task' in this config or in 'defaults'`, 'error', node?.offset, 1);
    return;
  }
  const t = cfg.task;
  if (!Object.hasOwn(TASK_DEFAULTS, t.kind)) return;
  if (t.kind === 'modular') {
    if (typeof t.p === 'number' && Number.isInteger(t.p) && !isPrime(t.p)) v.report(`${path}.task.p`, at('task.p'), `must be prime (${t.p} = ${factor(t.p)})`);
    if (t.op === 'div' && t.p < 3) v.report(`${path}.task.op`, at('task.op'), `division needs p ≥ 3`);
  }
  const nDense = (cfg.model?.hidden?.length ?? 0) + 1;
  for (const f of cfg.model?.freeze ?? []) {
    if (f >= nDense) v.report(`${path}.model.freeze`, at('model.freeze'), `layer ${f} does not exist (the model has dense layers 0..${nDense - 1})`);
  }
  if (cfg.model && cfg.model.freeze?.length >= nDense) v.report(`${path}.model.freeze`, at('model.freeze'), `every layer is frozen: nothing would train`);
  // Fields of other optimizers (momentum, nesterov with adamw; beta1 with sgd …): valid, but they do nothing.
  const opt = node && findNodeAtLocation(node, ['optimizer']);
  const optName = cfg.optimizer?.name;
  if (opt?.type === 'object' && typeof optName === 'string') {
    for (const prop of opt.children ?? []) {
      const keyNode = prop.children?.[0];
      const key = keyNode?.value;
      const only = typeof key === 'string' ? (schemaAt(`optimizer.${key}`, CONFIG_SCHEMA) as { 'x-optimizers'?: string[] } | null)?.['x-optimizers'] : undefined;
      if (keyNode && only && !only.includes(optName)) {
        v.report(`${path}.optimizer.${key}`, keyNode, `'${key}' has no effect with the '${optName}' optimizer (it applies to ${only.map((o) => `'${o}'`).join(', ')})`, 'warning');
      }
    }
  }
  if (cfg.optimizer?.name === 'adamw' && cfg.optimizer.lr * cfg.optimizer.weightDecay >= 1) {
    v.report(`${path}.optimizer.weightDecay`, at('optimizer.weightDecay'), `lr × weightDecay = ${cfg.optimizer.lr * cfg.optimizer.weightDecay} ≥ 1 would zero or flip the weights every step`);
  }
  void root;
}

let machine: MachineLimits | null = null;

/** Memory and disk pre-flight of a schema-valid config, reported on the field that drives the estimate. */
function preflightChecks(v: Validator, cfg: TrainingConfig, path: string, node: Node | undefined, limits: MachineLimits): void {
  for (const p of preflight(cfg, limits)) {
    const segs = p.path.replace(/\[(\d+)\]/g, '.$1').split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const target = (node && findNodeAtLocation(node, segs)) || (node && findNodeAtLocation(node, segs.slice(0, -1))) || node;
    v.report(`${path}.${p.path}`, target, p.message, p.severity);
  }
}

/** `limits`: the machine the runs are checked against (this one by default). */
function analyse(text: string, limits: MachineLimits = (machine ??= machineLimits())): Analysis {
  const { root, value, validator: v } = parseJsonc(text);
  const resolved = new Map<string, TrainingConfig>();
  const sweepRuns: Analysis['sweepRuns'] = [];
  const configs: ConfigLocation[] = [];
  let sweep: SweepLocation | null = null;
  const obj = isObj(value) ? value : {};
  if (!root || root.type !== 'object') {
    if (root) v.report('', root, 'an experiment file must be a JSON object with "name" and "configs"');
    return { parsed: { name: '', problems: v.problems, configs, sweep, study: null }, resolved, sweepRuns, value: obj };
  }
  v.check(root, schema, '');

  const defaultsNode = findNodeAtLocation(root, ['defaults']);
  const configsNode = findNodeAtLocation(root, ['configs']);
  const seen = new Map<string, number>();
  const dupReported = new Set<number>();
  const entries = configsNode?.type === 'array' ? configsNode.children ?? [] : [];
  entries.forEach((entry, index) => {
    const nameNode = entry.type === 'object' ? findNodeAtLocation(entry, ['name']) : undefined;
    const name = typeof nameNode?.value === 'string' ? nameNode.value : `#${index + 1}`;
    if (nameNode && typeof nameNode.value === 'string') {
      const first = seen.get(name);
      if (first !== undefined) {
        // Both configs are marked: a run by name could not tell which one is meant.
        v.report(`configs[${index}].name`, nameNode, `duplicate config name '${name}' (also configs[${first}]); config names must be unique`);
        if (!dupReported.has(first)) {
          dupReported.add(first);
          const firstName = findNodeAtLocation(entries[first], ['name']);
          v.report(`configs[${first}].name`, firstName, `duplicate config name '${name}' (also configs[${index}]); config names must be unique`);
        }
      } else seen.set(name, index);
    }
    const before = v.problems.length;
    const raw = entry.type === 'object' ? (getNodeValue(entry) as Json) : {};
    const { name: _n, ...partial } = raw;
    void _n;
    const cfg = mergeConfig([obj.defaults, partial]);
    crossChecks(v, cfg, `configs[${index}]`, entry, root);
    if (!v.problems.some((p, i) => p.severity === 'error' && (i >= before || inRange(p, entry) || inRange(p, defaultsNode)))) preflightChecks(v, cfg, `configs[${index}]`, entry, limits);
    const own = v.problems.filter((p, i) => i >= before || inRange(p, entry) || inRange(p, defaultsNode));
    const loc: ConfigLocation = {
      name,
      index,
      offset: entry.offset,
      length: entry.length,
      nameOffset: nameNode?.offset ?? entry.offset,
      problems: own,
      valid: !own.some((p) => p.severity === 'error') && !v.problems.some((p) => p.message.startsWith('syntax error')),
    };
    configs.push(loc);
    if (loc.valid && !resolved.has(name)) resolved.set(name, cfg);
  });
  // A duplicate found later invalidates the config that came first as well.
  for (const i of dupReported) {
    const loc = configs[i];
    loc.problems = v.problems.filter((p) => inRange(p, entries[i]) || (loc.problems.includes(p)));
    loc.valid = false;
    resolved.delete(loc.name);
  }

  const sweepNode = findNodeAtLocation(root, ['sweep']);
  if (sweepNode && isObj(obj.sweep)) {
    const before = v.problems.length;
    const s = obj.sweep as { configs?: unknown; grid?: unknown };
    const names = Array.isArray(s.configs) ? (s.configs.filter((x) => typeof x === 'string') as string[]) : configs.map((c) => c.name);
    names.forEach((n, i) => {
      if (!configs.some((c) => c.name === n)) {
        const hint = didYouMean(n, configs.map((c) => c.name));
        v.report(`sweep.configs[${i}]`, findNodeAtLocation(sweepNode, ['configs', i]), `no config named '${n}'${hint ? ` — did you mean '${hint}'?` : ''}`);
      }
    });
    const grid = isObj(s.grid) ? (s.grid as Record<string, unknown>) : {};
    const configSchema = schema.properties!.defaults as SchemaNode;
    const okGrid: Record<string, unknown[]> = {};
    for (const [path, values] of Object.entries(grid)) {
      const keyNode = findNodeAtLocation(sweepNode, ['grid', path])?.parent?.children?.[0];
      const target = schemaAt(path, configSchema);
      if (!target) {
        const top = path.split('.')[0];
        const hint = didYouMean(path, collectPaths(configSchema));
        v.report(`sweep.grid.${path}`, keyNode, `'${path}' is not a config field${hint ? ` — did you mean '${hint}'?` : top in (configSchema.properties ?? {}) ? '' : ` (top-level fields: ${Object.keys(configSchema.properties ?? {}).join(', ')})`}`);
        continue;
      }
      if (!Array.isArray(values) || values.length === 0) continue; // reported by the schema
      // Each value must satisfy the field's own schema.
      const arrNode = findNodeAtLocation(sweepNode, ['grid', path]);
      (arrNode?.children ?? []).forEach((valueNode, i) => v.check(valueNode, target, `sweep.grid.${path}[${i}]`));
      okGrid[path] = values;
    }
    const points = expandGrid(okGrid);
    const runNames: string[] = [];
    const sweepProblemsStart = v.problems.length;
    for (const n of names) {
      const loc = configs.find((c) => c.name === n);
      // An invalid config's own problems are reported on the config; the sweep does not repeat them.
      if (!loc || !loc.valid) continue;
      const entryValue = getNodeValue(entries[loc.index]) as Json;
      const { name: _n, ...partial } = entryValue;
      void _n;
      for (const point of points) {
        const layer: Json = {};
        for (const [k, val] of Object.entries(point)) setPath(layer, k, val);
        const cfg = mergeConfig([obj.defaults, partial, layer]);
        const runName = sweepRunName(n, point);
        const beforeRun = v.problems.length;
        crossChecks(v, cfg, `sweep(${runName})`, sweepNode, root);
        if (v.problems.length === beforeRun) preflightChecks(v, cfg, `sweep(${runName})`, sweepNode, limits);
        runNames.push(runName);
        if (loc.valid) sweepRuns.push({ configName: n, runName, point, config: cfg });
      }
    }
    void sweepProblemsStart;
    const own = v.problems.slice(before);
    sweep = {
      offset: sweepNode.parent?.offset ?? sweepNode.offset,
      length: sweepNode.parent?.length ?? sweepNode.length,
      configNames: names,
      runNames,
      axes: Object.keys(okGrid),
      problems: own,
      valid: !own.some((p) => p.severity === 'error') && points.length > 0 && names.every((n) => configs.find((c) => c.name === n)?.valid),
    };
  }
  const study = checkStudy(v, root, obj.study, sweep, configs.length);
  return {
    parsed: { name: typeof obj.name === 'string' ? obj.name : '', problems: v.problems, configs, sweep, study },
    resolved,
    sweepRuns,
    value: obj,
  };
}

/** The `study` block's names: axes must be swept (or `config`), metrics must be in the metric table. */
function checkStudy(v: Validator, root: Node, raw: unknown, sweep: SweepLocation | null, nConfigs: number): StudySettings | null {
  if (!isObj(raw)) return null;
  const at = (...segs: (string | number)[]) => findNodeAtLocation(root, ['study', ...segs]);
  const axes = [...(nConfigs > 1 ? [CONFIG_AXIS] : []), ...(sweep?.axes ?? [])].filter((a) => a !== SEED_AXIS);
  const checkAxis = (name: unknown, path: string, node: Node | undefined) => {
    if (typeof name !== 'string') return;
    if (name === SEED_AXIS) v.report(path, node, `'${SEED_AXIS}' is not an axis: seeds are repeats of a point and are averaged`);
    else if (!axes.includes(name)) {
      const hint = didYouMean(name, axes);
      v.report(path, node, `'${name}' is not an axis of this experiment${hint ? ` — did you mean '${hint}'?` : ` (axes: ${axes.join(', ') || 'none: add a sweep'})`}`);
    }
  };
  const checkMetric = (name: unknown, path: string, node: Node | undefined) => {
    if (typeof name === 'string' && !parseMetricName(name)) {
      const hint = didYouMean(name, METRIC_DOCS.map((m) => m.name));
      v.report(path, node, `unknown metric '${name}'${hint ? ` — did you mean '${hint}'?` : ''} (the README lists every metric)`);
    }
  };
  checkMetric(raw.metric, 'study.metric', at('metric'));
  if (Array.isArray(raw.by)) raw.by.forEach((a, i) => checkAxis(a, `study.by[${i}]`, at('by', i)));
  checkAxis(raw.split, 'study.split', at('split'));
  if (isObj(raw.predict)) {
    checkMetric(raw.predict.feature, 'study.predict.feature', at('predict', 'feature'));
    checkMetric(raw.predict.outcome, 'study.predict.outcome', at('predict', 'outcome'));
  }
  if (Array.isArray(raw.marks)) raw.marks.forEach((m, i) => isObj(m) && checkAxis(m.axis, `study.marks[${i}].axis`, at('marks', i, 'axis')));
  return raw as StudySettings;
}

function collectPaths(s: SchemaNode, prefix = ''): string[] {
  const out: string[] = [];
  const props: Record<string, SchemaNode> = {};
  if (s.oneOf) for (const b of s.oneOf) Object.assign(props, b.properties ?? {});
  else Object.assign(props, s.properties ?? {});
  for (const [k, sub] of Object.entries(props)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (sub.properties || sub.oneOf) out.push(...collectPaths(sub, p));
    else out.push(p);
  }
  return out;
}

export function parseExperiment(text: string, limits?: MachineLimits): ParsedExperiment {
  return analyse(text, limits).parsed;
}

export interface RunSelection {
  /** A config name, or a sweep run name. */
  config?: string;
  all?: boolean;
  sweep?: boolean;
  /** Overrides training.epochs. */
  epochs?: number;
}

/**
 * A file-wide problem (syntax, top-level keys, `defaults`): `parsed.problems` lists every problem of the
 * file, and those under `configs[i]` or `sweep` belong to that config or the sweep only.
 */
export function isFileLevel(p: ConfigProblem): boolean {
  return !p.path.startsWith('configs[') && !p.path.startsWith('sweep');
}

/**
 * What keeps a selection from running: the errors (never warnings) of the file as a whole, of each selected
 * config and, for a sweep, of the sweep itself, each once. Empty: the selection runs. The one answer to "can
 * this run" for the extension's commands and the CLI (both through resolveRuns); a config's own `valid` (its
 * CodeLens) leaves out the file-wide errors other than syntax.
 */
export function blockingProblems(parsed: ParsedExperiment, configs: ConfigLocation | readonly ConfigLocation[] | null, sweep: SweepLocation | null = null): ConfigProblem[] {
  const own = configs === null ? [] : 'problems' in configs ? configs.problems : configs.flatMap((c) => c.problems);
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const p of [...parsed.problems.filter(isFileLevel), ...own, ...(sweep?.problems ?? [])]) {
    const key = `${p.offset}:${p.message}`;
    if (p.severity === 'warning' || seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** The runs selected from a file, fully resolved; refuses (problems: blockingProblems, or a name that selects nothing) when it cannot run. */
export function resolveRuns(text: string, select: RunSelection, limits?: MachineLimits): { runs: ResolvedRun[]; problems: ConfigProblem[] } {
  const a = analyse(text, limits);
  const { parsed } = a;
  const experiment = parsed.name || 'experiment';
  const finish = (r: ResolvedRun): ResolvedRun => {
    if (select.epochs !== undefined) r.config.training.epochs = select.epochs;
    return r;
  };
  const runs: ResolvedRun[] = [];
  const selected: ConfigLocation[] = [];
  const unknown: ConfigProblem[] = [];
  const runConfig = (loc: ConfigLocation): void => {
    selected.push(loc);
    if (loc.valid) runs.push(finish({ experiment, configName: loc.name, runName: loc.name, config: structuredClone(a.resolved.get(loc.name)!) }));
  };
  const sweepRun = (s: Analysis['sweepRuns'][number]): void => {
    runs.push(finish({ experiment, configName: s.configName, runName: s.runName, sweepValues: s.point, config: structuredClone(s.config) }));
  };
  if (select.config !== undefined) {
    // Duplicates are invalid, so a name shared by two configs refuses with both problems.
    const locs = parsed.configs.filter((c) => c.name === select.config);
    const sr = a.sweepRuns.find((s) => s.runName === select.config);
    if (locs.length) locs.forEach(runConfig);
    else if (sr) sweepRun(sr);
    else {
      const names = parsed.configs.map((c) => c.name);
      const hint = didYouMean(select.config, [...names, ...a.sweepRuns.map((s) => s.runName)]);
      unknown.push({ path: '', message: `no config named '${select.config}'${hint ? ` — did you mean '${hint}'?` : ''} (configs: ${names.join(', ') || 'none'})`, line: 1, column: 1, offset: 0, length: 1, severity: 'error' });
    }
  }
  if (select.all) parsed.configs.forEach(runConfig);
  let sweep: SweepLocation | null = null;
  if (select.sweep) {
    sweep = parsed.sweep;
    if (!sweep) unknown.push({ path: 'sweep', message: 'this file has no sweep', line: 1, column: 1, offset: 0, length: 1, severity: 'error' });
    else {
      selected.push(...parsed.configs.filter((c) => sweep!.configNames.includes(c.name)));
      if (sweep.valid) a.sweepRuns.forEach(sweepRun);
    }
  }
  const problems = [...blockingProblems(parsed, selected, sweep), ...unknown];
  return problems.length ? { runs: [], problems } : { runs, problems };
}
