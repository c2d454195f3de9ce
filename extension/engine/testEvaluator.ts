/**
 * Where the per-epoch test evaluation runs. "thread": on a worker thread (evalWorker.ts), so on a machine with
 * a second core the training loop does not wait for it — the loop hands over a copy of the weights and goes
 * on with the next epoch; results come back in order. "inline": on the training thread, at once (one core, the
 * tfjs-node backend — which runs its own thread pool —, or when the worker script cannot be found).
 * Both run evaluate.ts's evaluateSplit on the same backend, so they give the same numbers. On the native fast
 * path (NativeEvaluator) the thread is a libuv worker running the addon's own forward pass on a copy of the
 * weights, taken when the evaluation is asked for.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TF } from './backend';
import type { BackendName } from '../shared/protocol';
import type { TrainingConfig } from '../shared/configTypes';
import { evaluateSplit, type EvalSplit, type SplitMetrics } from './evaluate';
import { isEvalReply, type EvalRequest } from './evalProtocol';
import type { Mlp } from './model/mlp';
import type { FastMlp } from './fast/fastMlp';

export type EvaluationMode = 'thread' | 'inline';

export interface TestEvaluator {
  readonly mode: EvaluationMode;
  /** Test metrics of the weights after `epoch`; `weights` are copies in Mlp.params order (the thread keeps them). */
  evaluate(epoch: number, weights: () => Float32Array[]): Promise<SplitMetrics>;
  dispose(): Promise<void>;
}

export class InlineEvaluator implements TestEvaluator {
  readonly mode = 'inline';
  constructor(
    private readonly tf: TF,
    private readonly model: Mlp,
    private readonly split: EvalSplit,
    private readonly loss: 'cross-entropy' | 'mse',
    private readonly classification: boolean,
  ) {}

  evaluate(): Promise<SplitMetrics> {
    try {
      return Promise.resolve(evaluateSplit(this.tf, this.model, this.split, this.loss, this.classification));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async dispose(): Promise<void> {}
}

/** How to start the evaluation thread from here: the bundle's dist/evalWorker.js, or the source through tsx. */
function workerFactory(): (() => Worker) | null {
  const js = path.join(__dirname, 'evalWorker.js');
  if (fs.existsSync(js)) return () => new Worker(js);
  const ts = path.join(__dirname, 'evalWorker.ts');
  if (fs.existsSync(ts)) return () => new Worker(`require('tsx/cjs'); require(${JSON.stringify(ts)});`, { eval: true });
  return null;
}

export class ThreadEvaluator implements TestEvaluator {
  readonly mode = 'thread';
  private readonly worker: Worker;
  private readonly queue: { epoch: number; resolve: (m: SplitMetrics) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  private closed = false;

  constructor(start: () => Worker, config: TrainingConfig, backend: BackendName) {
    this.worker = start();
    this.worker.on('message', (raw: unknown) => {
      if (!isEvalReply(raw)) return this.fail('the evaluation thread sent a malformed message');
      if (raw.type === 'ready') return;
      if (raw.type === 'error') return this.fail(`the evaluation thread failed: ${raw.message}`);
      const next = this.queue.shift();
      if (!next || next.epoch !== raw.epoch) return this.fail(`the evaluation thread answered for epoch ${raw.epoch}, out of order`);
      next.resolve({ loss: raw.loss, correct: raw.correct, sse: raw.sse });
    });
    this.worker.on('error', (err) => this.fail(`the evaluation thread failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(`the evaluation thread exited unexpectedly (code ${code})`);
    });
    this.post({ type: 'init', config, backend });
  }

  private post(m: EvalRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = new Error(message);
    for (const p of this.queue.splice(0)) p.reject(this.failure);
  }

  evaluate(epoch: number, weights: () => Float32Array[]): Promise<SplitMetrics> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ epoch, resolve, reject });
      const w = weights();
      this.post({ type: 'eval', epoch, weights: w }, w.map((a) => a.buffer as ArrayBuffer));
    });
  }

  async dispose(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the evaluation thread was closed'));
    await this.worker.terminate();
  }
}

/**
 * The evaluator for a run: a thread when there is a second core, the backend is wasm or cpu (tfjs-node
 * already uses every core) and the worker script exists; `want` forces a mode (`inline` always works).
 */
export function pickEvaluation(backend: string, want: EvaluationMode | 'auto' = 'auto'): { mode: EvaluationMode; start: (() => Worker) | null } {
  if (want === 'inline') return { mode: 'inline', start: null };
  const start = workerFactory();
  const eligible = start !== null && (backend === 'wasm' || backend === 'cpu') && (want === 'thread' || os.cpus().length > 1);
  return eligible ? { mode: 'thread', start } : { mode: 'inline', start: null };
}

/**
 * The native fast path's evaluator: the addon's evaluation of the test split, on a libuv worker thread
 * ('thread': the weights are copied at the call and the training loop steps on beside it) or at once on the
 * training thread ('inline'). Same numbers either way.
 */
export class NativeEvaluator implements TestEvaluator {
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fast: FastMlp,
    readonly mode: EvaluationMode,
  ) {}

  evaluate(): Promise<SplitMetrics> {
    try {
      if (this.mode === 'inline') return Promise.resolve(this.fast.evaluate(1));
      const p = this.fast.evaluateAsync(1);
      this.inFlight = Promise.all([this.inFlight, p.catch(() => {})]);
      return p;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Waits for the evaluations still running (they read the model's buffers). */
  async dispose(): Promise<void> {
    await this.inFlight;
  }
}

/**
 * Where the native path evaluates: a worker thread when the process may use a second core (its CPU affinity:
 * a Slurm task given one core evaluates inline); `want` forces a mode.
 */
export function pickNativeEvaluation(want: EvaluationMode | 'auto' = 'auto'): EvaluationMode {
  if (want !== 'auto') return want;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cores > 1 ? 'thread' : 'inline';
}
