/**
 * Seeded pseudo-random numbers (mulberry32 for uniforms, Box–Muller for normals). Everything random in a run
 * — data split, label noise, teacher weights, initialisation, batch order — derives from the config seed
 * through a stream of its own, so changing one never shifts another.
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number, stream = 0) {
    // Mix seed and stream into one 32-bit state (splitmix-style), so Rng(1, 0) and Rng(0, 1) differ.
    let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream + 0x632be5ab, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    this.state = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

/** Stream ids, one per use of randomness. */
export const STREAM = { split: 1, labelNoise: 2, teacher: 3, data: 4, noise: 5, init: 6, batches: 7 } as const;
