/**
 * Redraw throttling for live charts: dirty flags accumulate, and one redraw runs per animation frame, never
 * sooner than `minIntervalMs` after the previous one started (100 ms → at most ~10 redraws a second whatever
 * the message rate), and never sooner than its own duration after it ended: when redraws get slow (many
 * points, a busy machine) they take at most half of the thread, which the page shares with the workbench in a
 * browser. That pause is capped (`maxPauseMs`, 500 ms), so one very slow redraw (a GC, a busy machine) does not
 * leave the charts a second or more behind the run. Pure: the clock, timer and frame callbacks are injected.
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
  private nextAt = -Infinity;

  constructor(
    private readonly draw: (dirty: Set<K>) => void,
    private readonly scheduler: FrameScheduler,
    private readonly minIntervalMs = 100,
    private readonly maxPauseMs = 500,
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
    const wait = Math.max(0, this.last + this.minIntervalMs - this.scheduler.now(), this.nextAt - this.scheduler.now());
    this.scheduler.setTimer(() => this.scheduler.requestFrame(() => this.run()), wait);
  }

  private run(): void {
    this.scheduled = false;
    this.last = this.scheduler.now();
    const keys = new Set(this.dirty);
    this.dirty.clear();
    this.draw(keys);
    const end = this.scheduler.now();
    this.nextAt = end + Math.min(end - this.last, this.maxPauseMs);
  }
}
