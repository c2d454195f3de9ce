/**
 * `training-dynamics study FILE [--metric NAME]… [--by AXIS[,AXIS]] [--split AXIS] [--runs all|newest]
 *  [--predict FEATURE,OUTCOME] [--out DIR] [--json | --csv]`: the study of an experiment's runs on disk —
 * one row per group (the runs sharing every swept value but the seed, or the `--by` axes), each metric as
 * mean ± std over the group's runs. Defaults come from the file's `study` block. `--json` prints one object
 * (buildStudy's, plus `prediction` when asked for); `--csv` one row per group.
 *
 * Exit 0 done, 2 bad input (unreadable file, unknown flag / axis / metric, no runs yet) with a one-line message.
 */
import * as path from 'node:path';
import { oneFile, OUT_AND_HELP_OPTIONS, parseCommandArgs, readExperimentFile, runsRootOf, UsageError } from './args';
import { parseExperiment } from '../engine/config';
import { axisLabel, buildStudy, parseMetricName, predict, StudyError, type Aggregate, type Prediction, type Study } from '../engine/study';
import { csvCell } from '../engine/export/csv';

import type { OutputIo } from './io';

export const STUDY_USAGE = `Usage:
  training-dynamics study FILE [--metric NAME]... [--by AXIS[,AXIS]] [--split AXIS] [--runs newest|all]
                               [--predict FEATURE,OUTCOME] [--out DIR] [--json | --csv]

Reads the runs of the experiment in FILE (from <workspace>/.training-dynamics/runs, or --out DIR) and prints
one row per group: the runs that share every swept value except training.seed (or only the --by axes),
each metric as mean ± std over them. --runs newest (default) keeps the newest run of each config, point and
seed. --split adds an axis to the grouping. --predict gives Spearman's rho of FEATURE against OUTCOME over
the finished runs with a bootstrap 95 % interval. Metric names: see the README (e.g. finalTestLoss,
generalizationEpoch, sparsity.layer0@500). Defaults come from the file's "study" block.
`;

interface StudyArgs {
  file: string;
  metrics: string[];
  by: string[] | null;
  split: string | null;
  runs: 'newest' | 'all';
  predict: { feature: string; outcome: string } | null;
  out?: string;
  format: 'table' | 'json' | 'csv';
}

/** Parses the arguments of `study` (throws UsageError naming the bad one). */
function parseStudyArgs(args: string[]): StudyArgs | 'help' {
  const parsed = parseCommandArgs('study', args, {
      metric: { type: 'string', short: 'm', multiple: true },
      by: { type: 'string' },
      split: { type: 'string' },
      runs: { type: 'string' },
      predict: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      ...OUT_AND_HELP_OPTIONS,
  });
  const v = parsed.values;
  if (v.help) return 'help';
  const file = oneFile('study', parsed.positionals, 'training-dynamics study FILE [--by AXIS]');
  if (v.json && v.csv) throw new UsageError('study: --json and --csv cannot be used together');
  const runs = v.runs ?? 'newest';
  if (runs !== 'newest' && runs !== 'all') throw new UsageError(`study: --runs must be newest or all (got '${v.runs}')`);
  const metrics = v.metric ?? [];
  for (const m of metrics) if (!parseMetricName(m)) throw new UsageError(`study: --metric: unknown metric '${m}' (the README's Studies section lists them)`);
  let by: string[] | null = null;
  if (v.by !== undefined) {
    by = v.by.split(',').map((s) => s.trim());
    if (by.some((s) => s === '') || by.length > 2) throw new UsageError(`study: --by takes one or two axes, comma-separated (got '${v.by}')`);
  }
  if (v.split !== undefined && v.split.trim() === '') throw new UsageError('study: --split needs an axis');
  let prediction: StudyArgs['predict'] = null;
  if (v.predict !== undefined) {
    const parts = v.predict.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((s) => s === '')) throw new UsageError(`study: --predict takes FEATURE,OUTCOME (got '${v.predict}')`);
    for (const m of parts) if (!parseMetricName(m)) throw new UsageError(`study: --predict: unknown metric '${m}'`);
    prediction = { feature: parts[0], outcome: parts[1] };
  }
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError('study: --out needs a directory');
  return { file, metrics, by, split: v.split ?? null, runs, predict: prediction, out: v.out, format: v.json ? 'json' : v.csv ? 'csv' : 'table' };
}

/** Metrics shown in the table / CSV when none are named: the block's metric, then the usual outcomes that have values. */
function defaultMetrics(study: Study, first: string | undefined): string[] {
  const usual = ['finalTrainLoss', 'finalTestLoss', 'finalTestAcc', 'finalTestR2', 'memorizationEpoch', 'generalizationEpoch'];
  const has = (m: string) => study.runs.some((r) => r.metrics[m] !== null && r.metrics[m] !== undefined);
  const out = first ? [first] : [];
  for (const m of usual) if (!out.includes(m) && has(m)) out.push(m);
  return out;
}

/** 4 significant digits; integers (epochs) as they are. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

/** mean ± std (n/a notes); an event metric's missing values read "never", another metric's "n/a". */
function cell(a: Aggregate | undefined, metric: string): string {
  const none = parseMetricName(metric)?.kind === 'event' ? 'never' : 'n/a';
  if (!a || a.n === 0) return a && a.pending > 0 ? 'pending' : a && a.never > 0 ? none : '—';
  let s = formatNumber(a.mean!);
  if (a.std !== null) s += ` ± ${formatNumber(a.std)}`;
  const notes = [a.never ? `${a.never} ${none}` : '', a.pending ? `${a.pending} pending` : ''].filter(Boolean);
  return notes.length ? `${s} (${notes.join(', ')})` : s;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => [...r[j]].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd()).join('\n') + '\n';
}

function predictionText(p: Prediction): string {
  const head = `rho(${p.feature}, ${p.outcome})`;
  if (p.rho === null) return `${head}: ${p.note}\n`;
  const ci = p.ci ? ` [${p.ci.lo.toFixed(3)}, ${p.ci.hi.toFixed(3)}] (${Math.round(p.ci.level * 100)} % bootstrap, ${p.ci.resamples} resamples, seed ${p.ci.seed})` : '';
  const left = [p.missing ? `${p.missing} without a value left out` : '', p.running ? `${p.running} still going left out` : ''].filter(Boolean).join(', ');
  return `${head} = ${p.rho.toFixed(3)}${ci}, n = ${p.n}${left ? `; ${left}` : ''}\n`;
}

export async function studyCommand(args: string[], io: OutputIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof StudyError || err instanceof RangeError) {
      io.stderr(`training-dynamics: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function run(args: string[], io: OutputIo): Promise<number> {
  const a = parseStudyArgs(args);
  if (a === 'help') {
    io.stdout(STUDY_USAGE);
    return 0;
  }
  const { file, text } = readExperimentFile(a.file);
  const parsed = parseExperiment(text);
  if (!parsed.name) throw new UsageError(`${a.file} has no experiment "name": cannot find its runs`);
  const block = parsed.study ?? {};
  const runsRoot = runsRootOf(a.out, file);
  const by = a.by ?? block.by ?? null;
  const split = a.split ?? (a.by === null ? block.split ?? null : null);
  const wanted = a.metrics.length ? a.metrics : [];
  const pred = a.predict ?? (block.predict && a.format !== 'csv' ? block.predict : null);
  const extra = [...wanted, ...(block.metric ? [block.metric] : []), ...(pred ? [pred.feature, pred.outcome] : [])].filter((m) => parseMetricName(m));
  const study = await buildStudy(runsRoot, parsed.name, {
    axes: parsed.sweep?.axes,
    configs: parsed.configs.map((c) => c.name),
    runs: a.runs,
    by: by ?? undefined,
    split,
    metrics: [...new Set(extra)],
  });
  if (study.runs.length === 0) {
    throw new UsageError(`no runs of '${parsed.name}' in ${path.join(runsRoot, parsed.name)} yet: train them first (training-dynamics run ${a.file}${parsed.sweep ? ' --sweep' : ''}${a.out !== undefined ? ` --out ${a.out}` : ''})`);
  }
  const prediction = pred ? predict(study, pred.feature, pred.outcome) : null;
  if (study.running) io.stderr(`training-dynamics: ${study.running} run${study.running === 1 ? ' is' : 's are'} still going: ${study.running === 1 ? 'its' : 'their'} values are partial (marked running)\n`);

  if (a.format === 'json') {
    io.stdout(JSON.stringify(prediction ? { ...study, prediction } : study) + '\n');
    return 0;
  }
  const metrics = wanted.length ? wanted : defaultMetrics(study, block.metric);
  if (a.format === 'csv') {
    const header = [...study.groupBy, 'runs', 'running', ...metrics.flatMap((m) => ['mean', 'std', 'min', 'max', 'n', 'never'].map((f) => `${m}.${f}`))];
    const lines = [header.map(csvCell).join(',')];
    for (const g of study.groups) {
      const fields: (string | number | null)[] = [...study.groupBy.map((ax) => axisLabel(g.point[ax])), g.runs.length, g.running];
      for (const m of metrics) {
        const s = g.metrics[m];
        fields.push(s?.mean ?? null, s?.std ?? null, s?.min ?? null, s?.max ?? null, s?.n ?? 0, s?.never ?? 0);
      }
      lines.push(fields.map((f) => (f === null ? '' : csvCell(String(f)))).join(','));
    }
    io.stdout(lines.join('\n') + '\n');
    return 0;
  }
  // The best loss-curve form is categorical: shown as counts per group when a loss-fit metric is.
  const forms = metrics.some((m) => /lossfit/i.test(m)) && study.groups.some((g) => Object.keys(g.bestLossFit).length > 0);
  const rows: string[][] = [[...(study.groupBy.length ? study.groupBy : ['all runs']), 'runs', ...metrics, ...(forms ? ['bestLossFit'] : [])]];
  for (const g of study.groups) {
    rows.push([
      ...(study.groupBy.length ? study.groupBy.map((ax) => axisLabel(g.point[ax])) : ['']),
      g.running ? `${g.runs.length} (${g.running} running)` : String(g.runs.length),
      ...metrics.map((m) => cell(g.metrics[m], m)),
      ...(forms ? [Object.entries(g.bestLossFit).sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ×${n}`).join(', ') || '—'] : []),
    ]);
  }
  const pooled = study.axes.filter((ax) => !study.groupBy.includes(ax));
  io.stdout(`${study.experiment}: ${study.runs.length} run${study.runs.length === 1 ? '' : 's'} in ${study.groups.length} group${study.groups.length === 1 ? '' : 's'}${pooled.length ? ` (pooled over ${pooled.join(', ')})` : ''}\n`);
  io.stdout(table(rows));
  io.stdout('mean ± std over the runs with a value; "never": finished runs where the event did not happen, "n/a": where the metric does not apply\n');
  if (prediction) io.stdout(predictionText(prediction));
  return 0;
}
