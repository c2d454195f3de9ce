/**
 * Questions the host asks a webview and the webview answers by id (what a panel draws, a test's drive): one
 * pending map, one timeout per question, and every open question rejected when the webview goes away.
 */
export class WebviewAnswers<T> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: T) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  /** Posts the question with a fresh id (`post`) and resolves with the answer to that id. */
  ask(post: (id: number) => void, what: string, timeoutMs: number): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      post(id);
    });
  }

  /** The webview's answer to question `id` (answers to unknown or timed-out questions are dropped). */
  answer(id: number, value: T): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(value);
  }

  /** The webview is gone (closed, reloaded, replaced): no open question will be answered. */
  rejectAll(why: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
  }
}
