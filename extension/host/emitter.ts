/**
 * A minimal event emitter whose `event` has the same shape as `vscode.Event<T>`, so pure modules (the run
 * manager) can publish events without importing `vscode` and still be handed to code that expects
 * `vscode.Event`. (vscode.EventEmitter itself only exists inside the editor, which node:test cannot load.)
 */
export interface DisposableLike {
  dispose(): unknown;
}

export type Listener<T> = (e: T) => unknown;

export interface EventLike<T> {
  (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: DisposableLike[]): DisposableLike;
}

export class Emitter<T> implements DisposableLike {
  private listeners = new Set<Listener<T>>();
  private disposed = false;

  readonly event: EventLike<T> = (listener, thisArgs, disposables) => {
    const bound: Listener<T> = thisArgs === undefined ? listener : (e) => listener.call(thisArgs, e);
    if (!this.disposed) this.listeners.add(bound);
    const subscription = { dispose: () => void this.listeners.delete(bound) };
    disposables?.push(subscription);
    return subscription;
  };

  /** Calls every listener; a throwing listener is reported through `onError` and does not stop the others. */
  fire(data: T, onError: (err: unknown) => void = () => {}): void {
    for (const l of [...this.listeners]) {
      try {
        l(data);
      } catch (err) {
        onError(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}
