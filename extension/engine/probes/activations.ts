/**
 * Activation probes for one hidden layer, from its post-activation outputs on the WHOLE dataset.
 *
 * - Dead unit: its output is exactly 0 for every example of the dataset, train and test (a unit that fires on a
 *   single test example is alive). deadFraction = deadCount / units.
 * - Sparsity: fraction of zero entries of the [nTrain × units] train-set activation matrix.
 * - Entropy: for each unit u, p_u = (number of train examples with output > 0) / nTrain, and
 *   H(u) = −p_u·log₂ p_u − (1 − p_u)·log₂(1 − p_u) (0·log 0 = 0); the layer's entropy is the mean of H(u) over
 *   units, in bits (0 = every unit always or never on, 1 = every unit on for half the examples).
 */
import type { LayerActivationStats } from '../../shared/protocol';

export function layerActivationStats(layer: number, acts: ArrayLike<number>, nExamples: number, units: number, nTrain: number): LayerActivationStats {
  if (acts.length !== nExamples * units) throw new Error(`activations: expected ${nExamples}×${units} values, got ${acts.length}`);
  if (nTrain < 0 || nTrain > nExamples) throw new Error(`activations: nTrain ${nTrain} outside 0..${nExamples}`);
  const alive = new Uint8Array(units);
  const active = new Float64Array(units);
  let zerosTrain = 0;
  for (let i = 0; i < nExamples; i++) {
    const row = i * units;
    const isTrain = i < nTrain;
    for (let u = 0; u < units; u++) {
      const a = acts[row + u];
      if (a !== 0) alive[u] = 1;
      if (isTrain) {
        if (a === 0) zerosTrain++;
        else if (a > 0) active[u]++;
      }
    }
  }
  let dead = 0;
  let entropy = 0;
  for (let u = 0; u < units; u++) {
    if (!alive[u]) dead++;
    const p = nTrain ? active[u] / nTrain : 0;
    if (p > 0 && p < 1) entropy += -p * Math.log2(p) - (1 - p) * Math.log2(1 - p);
  }
  return {
    layer,
    units,
    deadCount: dead,
    deadFraction: units ? dead / units : 0,
    sparsity: nTrain && units ? zerosTrain / (nTrain * units) : 0,
    entropy: units ? entropy / units : 0,
  };
}
