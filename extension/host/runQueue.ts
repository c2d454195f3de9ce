/**
 * The run queue: at most `capacity()` runs execute at once, the rest wait in FIFO order. Pure bookkeeping —
 * the run manager starts a process when `startNext` hands it an item and calls `finish` when it exits.
 */
export interface QueueEntry<T> {
  id: number;
  item: T;
}

export class RunQueue<T> {
  private nextId = 1;
  private readonly waiting: QueueEntry<T>[] = [];
  private readonly running = new Map<number, QueueEntry<T>>();

  /** `capacity` is read each time (the setting can change while runs wait); values below 1 count as 1. */
  constructor(private readonly capacity: () => number) {}

  enqueue(item: T): number {
    const id = this.nextId++;
    this.waiting.push({ id, item });
    return id;
  }

  /** Moves as many waiting entries to running as capacity allows and returns them, oldest first. */
  startNext(): QueueEntry<T>[] {
    const cap = Math.max(1, Math.floor(this.capacity()));
    const started: QueueEntry<T>[] = [];
    while (this.running.size < cap && this.waiting.length > 0) {
      const e = this.waiting.shift()!;
      this.running.set(e.id, e);
      started.push(e);
    }
    return started;
  }

  /** A running entry ended. Returns false if it was not running. */
  finish(id: number): boolean {
    return this.running.delete(id);
  }

  /** Removes a waiting entry (stop before it started). Returns the entry, or undefined if not waiting. */
  cancel(id: number): QueueEntry<T> | undefined {
    const i = this.waiting.findIndex((e) => e.id === id);
    return i < 0 ? undefined : this.waiting.splice(i, 1)[0];
  }

  /** Removes every waiting entry and returns them. */
  cancelAll(): QueueEntry<T>[] {
    return this.waiting.splice(0, this.waiting.length);
  }

  isWaiting(id: number): boolean {
    return this.waiting.some((e) => e.id === id);
  }

  isRunning(id: number): boolean {
    return this.running.has(id);
  }

  get waitingEntries(): readonly QueueEntry<T>[] {
    return this.waiting;
  }

  get runningEntries(): QueueEntry<T>[] {
    return [...this.running.values()];
  }
}
