/**
 * Redraw throttling for live charts: dirty flags accumulate, and one redraw runs per animation frame, never
 * sooner than `minIntervalMs` after the previous one (100 ms → at most ~10 redraws a second whatever the
 * message rate). Pure: the clock, timer and frame callbacks are injected.
 */
export interface FrameScheduler {
  now(): number;
  setTimer(fn: () => void, ms: number): void;
  requestFrame(fn: () => void): void;
}

export class RedrawThrottle<K> {
  private readonly dirty = new Set<K>();
  private scheduled = false;
  private last = -Infinity;

  constructor(
    private readonly draw: (dirty: Set<K>) => void,
    private readonly scheduler: FrameScheduler,
    private readonly minIntervalMs = 100,
  ) {}

  mark(keys: Iterable<K>): void {
    for (const k of keys) this.dirty.add(k);
    if (this.dirty.size) this.schedule();
  }

  get pending(): boolean {
    return this.scheduled;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.last + this.minIntervalMs - this.scheduler.now());
    this.scheduler.setTimer(() => this.scheduler.requestFrame(() => this.run()), wait);
  }

  private run(): void {
    this.scheduled = false;
    this.last = this.scheduler.now();
    const keys = new Set(this.dirty);
    this.dirty.clear();
    this.draw(keys);
  }
}
