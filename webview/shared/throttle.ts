/**
 * Redraw throttling for live charts: dirty flags accumulate, and one redraw runs per animation frame, never
 * sooner than `minIntervalMs` after the previous one started (100 ms → at most ~10 redraws a second whatever
 * the message rate), and never sooner than its own duration after it ended: when redraws get slow (many
 * points, a busy machine) they take at most half of the thread, which the page shares with the workbench in a
 * browser. That pause is capped (`maxPauseMs`, 300 ms), so one very slow redraw (a GC, a busy machine) does not
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
    private readonly maxPauseMs = 300,
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

/**
 * Which dirty charts to redraw now. Charts on screen redraw whenever their data changes; charts scrolled out of
 * view redraw for new data at most every `offscreenMs` (a fast run would otherwise repaint canvases nobody
 * sees several times a second, which in a browser costs the whole page frames). A forced redraw (a control,
 * the theme, a status change, new runs) and a chart coming into view redraw at once. Pure: the clock is passed in.
 */
export class OffscreenPolicy<K> {
  private readonly onScreen = new Set<K>();
  private readonly forced = new Set<K>();
  private readonly deferred = new Set<K>();
  private readonly lastDrawn = new Map<K, number>();

  constructor(private readonly offscreenMs = 2000) {}

  /** These keys redraw at the next redraw whether on screen or not. */
  force(keys: Iterable<K>): void {
    for (const k of keys) this.forced.add(k);
  }

  /** Visibility changed; true when `key` came into view with a redraw deferred (the caller marks it dirty). */
  setOnScreen(key: K, visible: boolean): boolean {
    if (!visible) {
      this.onScreen.delete(key);
      return false;
    }
    this.onScreen.add(key);
    if (!this.deferred.has(key)) return false;
    this.forced.add(key);
    return true;
  }

  /**
   * Of the dirty keys, those to draw now; the others are deferred, and `retryInMs` says when to mark them dirty
   * again (null: none deferred).
   */
  select(dirty: Iterable<K>, now: number): { draw: K[]; retryInMs: number | null } {
    const draw: K[] = [];
    let retry = Infinity;
    for (const k of dirty) {
      const last = this.lastDrawn.get(k);
      const due = last === undefined ? 0 : last + this.offscreenMs - now;
      if (this.forced.has(k) || this.onScreen.has(k) || due <= 0) {
        draw.push(k);
        this.lastDrawn.set(k, now);
        this.deferred.delete(k);
      } else {
        this.deferred.add(k);
        retry = Math.min(retry, due);
      }
    }
    this.forced.clear();
    return { draw, retryInMs: Number.isFinite(retry) ? retry : null };
  }

  /** The keys whose redraw is deferred. */
  get deferredKeys(): K[] {
    return [...this.deferred];
  }

  /** The charts were replaced (new runs shown): nothing is deferred or known to be on screen. */
  reset(): void {
    this.onScreen.clear();
    this.forced.clear();
    this.deferred.clear();
    this.lastDrawn.clear();
  }
}
