/**
 * A tiny test runner for the extension-host suite. Written here rather than using mocha because the suite is
 * bundled into one file by esbuild and run by two different hosts (@vscode/test-electron and code-server's
 * extension host, which reports only an exit code and console lines): mocha's file loading and reporters add
 * nothing there, while the runs need fixed per-test timeouts, a fixed closing `N passed, N failed` line, and
 * to stop at nothing (every test runs even after a failure; order matters, tests share the runs they start).
 */
import { errorText } from '../../extension/shared/errors';

export interface TestCase {
  name: string;
  fn: () => Promise<void>;
  timeoutMs: number;
}

const cases: TestCase[] = [];

export function test(name: string, timeoutMs: number, fn: () => Promise<void>): void {
  cases.push({ name, fn, timeoutMs });
}

export interface Outcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${name}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Runs every registered test in order; logs one line per test and the summary; returns the outcomes. */
export async function runAll(log: (line: string) => void, filter?: RegExp): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const c of cases) {
    if (filter && !filter.test(c.name)) continue;
    const t0 = Date.now();
    try {
      await withTimeout(c.fn(), c.timeoutMs, c.name);
      out.push({ name: c.name, ok: true, ms: Date.now() - t0 });
      log(`  ok   ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      const msg = errorText(err);
      out.push({ name: c.name, ok: false, ms: Date.now() - t0, error: msg });
      log(`  FAIL ${c.name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${msg.split('\n')[0]}`);
    }
  }
  const passed = out.filter((o) => o.ok).length;
  log(`${passed} passed, ${out.length - passed} failed`);
  return out;
}

/** Polls `probe` until it returns a value that is not undefined; rejects with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > end) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`${what}: not within ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
