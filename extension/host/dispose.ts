/**
 * The host's one disposable base (as vscode-hexeditor's `Disposable._register`): a class registers what it
 * owns (subscriptions, emitters, timers as `{ dispose }`) and `dispose()` releases all of it once, in the order
 * registered. Pure (no `vscode`), so the modules node:test loads can use it; `vscode.Disposable` fits
 * DisposableLike, and so does the run manager's `Emitter` event subscription.
 */
import type { DisposableLike } from './emitter';

export abstract class Disposable implements DisposableLike {
  private readonly owned: DisposableLike[] = [];
  private disposed = false;

  /** Owns `d` from now on (disposes it at once if this is already disposed); returns it. */
  protected register<T extends DisposableLike>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }
}

/** Disposes and forgets every element of `list` (in order); the list is empty afterwards. */
export function disposeAll(list: DisposableLike[]): void {
  for (const d of list.splice(0)) d.dispose();
}
