/**
 * Optimizers as PyTorch defines them, written on tfjs ops (tfjs has no AdamW, and its Adam folds ε
 * differently). Each `step` takes the loss gradients and updates the variables in place.
 *
 * - sgd:      g ← ∇ + wd·w;                  w ← w − lr·g
 * - momentum: g ← ∇ + wd·w; b ← μ·b + g;    w ← w − lr·(nesterov ? g + μ·b : b)        (torch.optim.SGD)
 * - adam:     g ← ∇ + wd·w (coupled L2);     Adam step below                             (torch.optim.Adam)
 * - adamw:    w ← w·(1 − lr·wd) (decoupled, Loshchilov & Hutter), then the Adam step on ∇  (torch.optim.AdamW)
 * Adam step: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from '../backend';
import type { OptimizerConfig, ScheduleConfig } from '../../shared/configTypes';

export class Optimizer {
  private t = 0;
  private readonly slots = new Map<string, { m?: tfc.Variable; v?: tfc.Variable }>();

  constructor(private readonly tf: TF, readonly cfg: OptimizerConfig) {}

  /** Applies one update with learning rate `lr` to each (name, variable) from its gradient. */
  step(lr: number, params: { name: string; variable: tfc.Variable }[], grads: Map<string, tfc.Tensor>): void {
    const tf = this.tf;
    const c = this.cfg;
    this.t += 1;
    const t = this.t;
    tf.tidy(() => {
      for (const { name, variable: w } of params) {
        let g = grads.get(name);
        if (!g) continue;
        const slot = this.slots.get(name) ?? {};
        this.slots.set(name, slot);
        if (c.name !== 'adamw' && c.weightDecay !== 0) g = tf.add(g, tf.mul(w, c.weightDecay));
        switch (c.name) {
          case 'sgd':
            w.assign(tf.sub(w, tf.mul(g, lr)));
            break;
          case 'momentum': {
            slot.m ??= tf.variable(tf.zerosLike(w), false);
            const buf = t === 1 ? g : tf.add(tf.mul(slot.m, c.momentum), g);
            slot.m.assign(buf);
            const d = c.nesterov ? tf.add(g, tf.mul(buf, c.momentum)) : buf;
            w.assign(tf.sub(w, tf.mul(d, lr)));
            break;
          }
          case 'adam':
          case 'adamw': {
            slot.m ??= tf.variable(tf.zerosLike(w), false);
            slot.v ??= tf.variable(tf.zerosLike(w), false);
            const m = tf.add(tf.mul(slot.m, c.beta1), tf.mul(g, 1 - c.beta1));
            const v = tf.add(tf.mul(slot.v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
            slot.m.assign(m);
            slot.v.assign(v);
            const bc1 = 1 - Math.pow(c.beta1, t);
            const bc2 = 1 - Math.pow(c.beta2, t);
            const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), c.eps);
            const base = c.name === 'adamw' && c.weightDecay !== 0 ? tf.mul(w, 1 - lr * c.weightDecay) : w;
            w.assign(tf.sub(base, tf.mul(tf.div(m, denom), lr / bc1)));
            break;
          }
        }
      }
    });
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m?.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }
}

/**
 * Learning rate at (0-based) optimizer step `step` of `totalSteps`: linear warmup from lr/warmupSteps to lr
 * over the warmup, then constant or cosine decay to lr·minLrFraction.
 */
export function learningRate(lr: number, s: ScheduleConfig, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const warmup = Math.max(0, Math.round(s.warmupEpochs * stepsPerEpoch));
  if (warmup > 0 && step < warmup) return (lr * (step + 1)) / warmup;
  if (s.type === 'constant') return lr;
  const span = Math.max(1, totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  const min = lr * s.minLrFraction;
  return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
}
