/**
 * The per-epoch quantities the Dynamics panel charts, named once: losses, accuracies and R² of train and test, and
 * per tensor its gradient norm, weight norm and update ratio. The panel's model files each epoch record's values
 * into its series by these names, and a long run goes to the panel as columns of them — per quantity, the epochs
 * LTTB keeps for the panel's width and the values there — rather than as every epoch record that some quantity
 * needs (a 16 000-epoch run was 13 000 records, 9 MB; as columns it is about 1 MB, and no more for 160 000 epochs).
 *
 * Pure: no DOM, no `vscode`.
 */
import type { EpochColumns, EpochRecord, MetricsRecord } from '../protocol';
import { lttbIndices } from './lttb';

export type Quantity = 'trainLoss' | 'testLoss' | 'trainAcc' | 'testAcc' | 'trainR2' | 'testR2' | 'grad' | 'weight' | 'ratio';

/** Quantities measured per tensor (a column per tensor, named `prefix:tensor`). */
const PER_TENSOR: Record<string, Quantity> = { g: 'grad', w: 'weight', u: 'ratio' };
const PREFIX: Partial<Record<Quantity, string>> = { grad: 'g', weight: 'w', ratio: 'u' };
const WHOLE: readonly Quantity[] = ['trainLoss', 'testLoss', 'trainAcc', 'testAcc', 'trainR2', 'testR2'];

/** Quantities whose charts are logarithmic: they are decimated on log10(y), and only y > 0 is drawn. */
export const LOG_QUANTITIES: ReadonlySet<Quantity> = new Set<Quantity>(['trainLoss', 'testLoss', 'grad', 'ratio']);

export interface EpochValue {
  quantity: Quantity;
  /** The tensor of a per-tensor quantity, else null. */
  tensor: string | null;
  /** null: not measured this epoch (accuracy of a regression, R² of a classification). */
  y: number | null;
}

/** The charted values of one epoch record. */
export function epochValues(r: EpochRecord): EpochValue[] {
  const out: EpochValue[] = WHOLE.map((quantity) => ({ quantity, tensor: null, y: r[quantity as keyof EpochRecord] as number | null }));
  for (const [t, v] of Object.entries(r.gradNorms)) out.push({ quantity: 'grad', tensor: t, y: v });
  for (const [t, v] of Object.entries(r.weightNorms)) out.push({ quantity: 'weight', tensor: t, y: v });
  for (const [t, v] of Object.entries(r.updateRatios)) out.push({ quantity: 'ratio', tensor: t, y: v });
  return out;
}

/** The column name of a quantity: `trainLoss`, …, or `g:layers.0.kernel` (gradient norm), `w:…`, `u:…`. */
export function columnName(quantity: Quantity, tensor: string | null): string {
  const p = PREFIX[quantity];
  return p ? `${p}:${tensor ?? ''}` : quantity;
}

/** The quantity a column name stands for (null: not one of them). */
export function parseColumnName(name: string): { quantity: Quantity; tensor: string | null } | null {
  if ((WHOLE as readonly string[]).includes(name)) return { quantity: name as Quantity, tensor: null };
  const i = name.indexOf(':');
  const q = i > 0 && Object.prototype.hasOwnProperty.call(PER_TENSOR, name.slice(0, i)) ? PER_TENSOR[name.slice(0, i)] : undefined;
  return q ? { quantity: q, tensor: name.slice(i + 1) } : null;
}

const drawable = (q: Quantity, y: number | null): y is number => y !== null && Number.isFinite(y) && (!LOG_QUANTITIES.has(q) || y > 0);

/**
 * Per charted quantity (of `only`, when given), at most `maxPoints` (epoch, value) pairs of these records' epoch
 * records: LTTB's picks (on log10(y) for logarithmic charts), which keep every peak and trough, and the first and
 * last epoch. Plain loops over the records rather than epochValues (no object per value): the extension host builds
 * these from a 160 000-epoch run.
 */
export function epochColumns(records: readonly MetricsRecord[], maxPoints: number, only: ReadonlySet<Quantity> | null = null): EpochColumns {
  type Col = { xs: number[]; ys: number[] };
  const whole: (Col | undefined)[] = [];
  const tensors = { grad: new Map<string, Col>(), weight: new Map<string, Col>(), ratio: new Map<string, Col>() };
  const add = (map: Map<string, Col>, q: Quantity, values: Record<string, number>, epoch: number) => {
    for (const t in values) {
      const y = values[t];
      if (!drawable(q, y)) continue;
      let c = map.get(t);
      if (!c) map.set(t, (c = { xs: [], ys: [] }));
      c.xs.push(epoch);
      c.ys.push(y);
    }
  };
  for (const r of records) {
    if (r.type !== 'epoch') continue;
    for (let k = 0; k < WHOLE.length; k++) {
      const y = r[WHOLE[k] as 'trainLoss'] as number | null;
      if (!drawable(WHOLE[k], y)) continue;
      const c = (whole[k] ??= { xs: [], ys: [] });
      c.xs.push(r.epoch);
      c.ys.push(y);
    }
    add(tensors.grad, 'grad', r.gradNorms, r.epoch);
    add(tensors.weight, 'weight', r.weightNorms, r.epoch);
    add(tensors.ratio, 'ratio', r.updateRatios, r.epoch);
  }
  const out: EpochColumns = {};
  const pick = (q: Quantity, tensor: string | null, c: Col) => {
    const shape = LOG_QUANTITIES.has(q) ? c.ys.map(Math.log10) : c.ys;
    const keep = lttbIndices(c.xs, shape, c.xs.length, maxPoints);
    out[columnName(q, tensor)] = [Array.from(keep, (i) => c.xs[i]), Array.from(keep, (i) => c.ys[i])];
  };
  const wanted = (q: Quantity) => only === null || only.has(q);
  WHOLE.forEach((q, k) => whole[k] && wanted(q) && pick(q, null, whole[k]));
  for (const q of ['grad', 'weight', 'ratio'] as const) if (wanted(q)) for (const [t, c] of tensors[q]) pick(q, t, c);
  return out;
}
