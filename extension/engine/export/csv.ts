/**
 * The run's metrics as CSV: one row per epoch (the last record of an epoch wins; rows sorted by epoch).
 * Columns: epoch, t_ms, lr, train_loss, test_loss, train_acc, test_acc, train_r2, test_r2, then for every
 * tensor (in order of first appearance) grad_norm[T], weight_norm[T], update_ratio[T], then for every hidden
 * layer probed dead_fraction[L], sparsity[L], entropy[L] (empty on epochs without an activation probe).
 * Empty cell = no value (null, or the tensor/layer absent that epoch). Numbers keep full precision.
 *
 * Pure: no vscode, no DOM.
 */
import { csvCell } from '../../shared/csv';
import type { ActivationsRecord, EpochRecord, MetricsRecord } from '../../shared/protocol';

export { csvCell };

function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  return String(x);
}

export function metricsCsv(records: readonly MetricsRecord[]): string {
  const epochs = new Map<number, EpochRecord>();
  const activations = new Map<number, ActivationsRecord>();
  const tensors: string[] = [];
  const seenTensor = new Set<string>();
  const layers: number[] = [];
  const seenLayer = new Set<number>();
  const addTensor = (t: string) => {
    if (!seenTensor.has(t)) {
      seenTensor.add(t);
      tensors.push(t);
    }
  };
  for (const r of records) {
    if (r.type === 'epoch') {
      epochs.set(r.epoch, r);
      for (const t of Object.keys(r.gradNorms)) addTensor(t);
      for (const t of Object.keys(r.weightNorms)) addTensor(t);
      for (const t of Object.keys(r.updateRatios)) addTensor(t);
    } else if (r.type === 'activations') {
      activations.set(r.epoch, r);
      for (const l of r.layers) {
        if (!seenLayer.has(l.layer)) {
          seenLayer.add(l.layer);
          layers.push(l.layer);
        }
      }
    }
  }
  layers.sort((a, b) => a - b);
  const header = ['epoch', 't_ms', 'lr', 'train_loss', 'test_loss', 'train_acc', 'test_acc', 'train_r2', 'test_r2'];
  for (const t of tensors) header.push(`grad_norm[${t}]`, `weight_norm[${t}]`, `update_ratio[${t}]`);
  for (const l of layers) header.push(`dead_fraction[${l}]`, `sparsity[${l}]`, `entropy[${l}]`);
  const lines = [header.map(csvCell).join(',')];
  const rows = [...epochs.keys()].sort((a, b) => a - b);
  for (const epoch of rows) {
    const r = epochs.get(epoch)!;
    const cells = [num(r.epoch), num(r.t), num(r.lr), num(r.trainLoss), num(r.testLoss), num(r.trainAcc), num(r.testAcc), num(r.trainR2), num(r.testR2)];
    for (const t of tensors) cells.push(num(r.gradNorms[t]), num(r.weightNorms[t]), num(r.updateRatios[t]));
    const a = activations.get(epoch);
    for (const l of layers) {
      const s = a?.layers.find((x) => x.layer === l);
      cells.push(num(s?.deadFraction), num(s?.sparsity), num(s?.entropy));
    }
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
