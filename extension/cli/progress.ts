/**
 * Progress display of one run on the terminal: a one-line bar redrawn in place (at most 10 times a second)
 * when the stream is a TTY, otherwise plain lines at every 10 % of the epochs (and at least every 10 s);
 * events (memorization, generalization, phase transitions, errors) are printed as their own lines. And the
 * final summary block. Written here because the bar is a single line with our own fields; the libraries
 * for it (cli-progress & co.) would need more configuration than this takes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRICS_JSONL } from '../engine/runs/layout';
import { parseMetrics } from '../engine/runs/reader';
import type { DynamicsEvent, EpochRecord, RunJson, TrainerToHost } from '../shared/protocol';
import { lossFitText } from '../shared/view/lossFitCurve';

export interface ProgressOptions {
  write: (s: string) => void;
  tty: boolean;
  columns: number;
  label: string;
  totalEpochs: number;
  now?: () => number;
}

const fmtLoss = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2)) : String(x));
const fmtShort = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(1)) : String(x));
const fmtAcc = (x: number | null): string => (x === null ? '' : x.toFixed(3));

export function epochsPerSecond(r: EpochRecord): number {
  return r.t > 0 ? (r.epoch * 1000) / r.t : 0;
}

/** `train loss 0.01234 acc 1.000 · test loss 2.310 acc 0.540` (R² for regression). */
export function metricsText(r: Pick<EpochRecord, 'trainLoss' | 'trainAcc' | 'testLoss' | 'testAcc'> & Partial<Pick<EpochRecord, 'trainR2' | 'testR2'>>): string {
  const side = (name: string, loss: number, acc: number | null, r2: number | null | undefined) =>
    `${name} loss ${fmtLoss(loss)}` + (acc !== null ? ` acc ${fmtAcc(acc)}` : typeof r2 === 'number' ? ` R² ${r2.toFixed(3)}` : '');
  return `${side('train', r.trainLoss, r.trainAcc, r.trainR2)} · ${side('test', r.testLoss, r.testAcc, r.testR2)}`;
}

export function describeEvent(e: DynamicsEvent): string {
  switch (e.kind) {
    case 'memorization':
      return `epoch ${e.epoch}: memorization (train accuracy reached the threshold)`;
    case 'generalization':
      return `epoch ${e.epoch}: generalization (test metric reached the threshold)`;
    case 'transition':
      return `epoch ${e.epoch}: layer ${e.layer} gradient-norm ${e.changeKind} (confirmed at epoch ${e.detectedAt})`;
  }
}

export class ProgressDisplay {
  private last: EpochRecord | null = null;
  private lastDraw = -Infinity;
  private lastPlainTime = -Infinity;
  private lastPlainDecile = -1;
  private barShown = false;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? Date.now;
  }

  onMessage(m: TrainerToHost): void {
    switch (m.type) {
      case 'started':
        this.line(`${this.o.label}: training ${this.o.totalEpochs} epochs on backend ${m.run.backend} → ${m.runDir}`);
        break;
      case 'record':
        if (m.record.type === 'epoch') this.onEpoch(m.record);
        else if (m.record.type === 'event') this.line(`  ${describeEvent(m.record.event)}`);
        break;
      case 'log':
        if (m.level !== 'info') this.line(`  ${m.level}: ${m.message}`);
        break;
      case 'error':
        this.line(`  error: ${m.message}`);
        break;
      case 'done':
        this.clearBar();
        break;
    }
  }

  private onEpoch(r: EpochRecord): void {
    this.last = r;
    const t = this.now();
    if (this.o.tty) {
      if (t - this.lastDraw >= 100 || r.epoch >= this.o.totalEpochs) {
        this.lastDraw = t;
        this.drawBar();
      }
      return;
    }
    const decile = Math.floor((10 * r.epoch) / Math.max(1, this.o.totalEpochs));
    if (decile > this.lastPlainDecile || t - this.lastPlainTime >= 10_000) {
      this.lastPlainDecile = decile;
      this.lastPlainTime = t;
      this.o.write(`${this.o.label}: ${this.statusText(r)}\n`);
    }
  }

  private statusText(r: EpochRecord): string {
    return `epoch ${r.epoch}/${this.o.totalEpochs} · ${epochsPerSecond(r).toFixed(1)} epochs/s · ${metricsText(r)}`;
  }

  private drawBar(): void {
    const r = this.last;
    if (!r) return;
    const frac = Math.min(1, r.epoch / Math.max(1, this.o.totalEpochs));
    const width = 12;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%`;
    const side = (loss: number, acc: number | null, r2: number | null) =>
      `${fmtShort(loss)}${acc !== null ? ` acc ${acc.toFixed(3)}` : r2 !== null ? ` R² ${r2.toFixed(3)}` : ''}`;
    let text =
      `${this.o.label} ${bar} ${r.epoch}/${this.o.totalEpochs} ${epochsPerSecond(r).toFixed(1)} ep/s` +
      ` | train ${side(r.trainLoss, r.trainAcc, r.trainR2)} | test ${side(r.testLoss, r.testAcc, r.testR2)}`;
    const max = Math.max(20, this.o.columns - 1);
    if (text.length > max) text = text.slice(0, max - 1) + '…';
    this.o.write(`\r\x1b[K${text}`);
    this.barShown = true;
  }

  private clearBar(): void {
    if (this.barShown) this.o.write('\r\x1b[K');
    this.barShown = false;
  }

  /** Prints a line above the bar (the bar is redrawn under it). */
  private line(s: string): void {
    const had = this.barShown;
    this.clearBar();
    this.o.write(s + '\n');
    if (had && this.o.tty) this.drawBar();
  }
}

/**
 * The final summary block of a run, human-readable. `trainLoss` (epoch, training loss) lets the loss-fit line say
 * how far the fit is from the tail of the loss, as the Dynamics panel does (R² alone is ≈ 1 for a fit that
 * plateaus orders of magnitude above the final loss).
 */
export function summaryText(run: RunJson, runDir: string, trainLoss: readonly { x: number; y: number }[] = []): string {
  const s = run.summary;
  const lines: string[] = [];
  const secs = run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : null;
  const head = `${run.runName}: ${run.status}${run.reason ? ` (${run.reason})` : ''}`;
  lines.push(head);
  lines.push(
    `  epochs          ${run.epochsCompleted}/${run.totalEpochs}` +
      (secs !== null ? ` in ${secs.toFixed(1)} s` : '') +
      (s ? ` · ${s.epochsPerSecond.toFixed(1)} epochs/s` : ''),
  );
  lines.push(`  backend         ${run.backend}${run.versions.backendDetail ? ` (${run.versions.backendDetail})` : ''}`);
  if (s?.final) lines.push(`  final           ${metricsText(s.final)}`);
  lines.push(`  memorization    ${s?.memorizationEpoch != null ? `epoch ${s.memorizationEpoch}` : 'never'}`);
  lines.push(`  generalization  ${s?.generalizationEpoch != null ? `epoch ${s.generalizationEpoch}` : 'never'}`);
  const tr = s?.transitions ?? [];
  if (tr.length === 0) lines.push('  transitions     none detected');
  else {
    lines.push('  transitions');
    for (const t of tr) {
      const lead =
        t.leadEpochs === null ? 'no generalization' : t.leadEpochs >= 0 ? `${t.leadEpochs} epochs before generalization` : `${-t.leadEpochs} epochs after generalization`;
      lines.push(`    layer ${t.layer} ${t.kind} at epoch ${t.epoch} (${lead})`);
    }
  }
  if (s?.bestLossFit) lines.push(`  loss curve fit  ${lossFitText(s.bestLossFit, trainLoss)}`);
  lines.push(`  run directory   ${runDir}`);
  return lines.join('\n') + '\n';
}

/** (epoch, training loss) of every epoch record in the run directory's metrics.jsonl (none if it cannot be read). */
export function trainLossPoints(runDir: string): { x: number; y: number }[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, METRICS_JSONL), 'utf8');
  } catch {
    return [];
  }
  const out: { x: number; y: number }[] = [];
  for (const r of parseMetrics(text).records) if (r.type === 'epoch' && Number.isFinite(r.trainLoss)) out.push({ x: r.epoch, y: r.trainLoss });
  return out;
}

/** The `--json` line of a finished run (exactly the documented fields). */
export function jsonResult(run: RunJson, runDir: string): Record<string, unknown> {
  const s = run.summary;
  return {
    config: run.runName,
    status: run.status,
    backend: run.backend,
    epochs: run.epochsCompleted,
    epochsPerSecond: s ? s.epochsPerSecond : null,
    final: {
      trainLoss: s?.final?.trainLoss ?? null,
      trainAcc: s?.final?.trainAcc ?? null,
      testLoss: s?.final?.testLoss ?? null,
      testAcc: s?.final?.testAcc ?? null,
    },
    memorizationEpoch: s?.memorizationEpoch ?? null,
    generalizationEpoch: s?.generalizationEpoch ?? null,
    transitions: (s?.transitions ?? []).map((t) => ({ layer: t.layer, epoch: t.epoch, kind: t.kind })),
    runDir,
  };
}
