/**
 * The evaluation thread (worker_threads): evaluates the test split for the training loop while the loop
 * goes on with the next epoch, so the per-epoch test loss/accuracy costs the training thread only a copy of
 * the weights. It rebuilds the same dataset and model from the resolved config (both are deterministic for
 * the seed), loads the same backend, and for each request sets the weights it is sent and runs
 * evaluate.ts's evaluateSplit — the code the inline mode runs. Bundled as dist/evalWorker.js.
 */
import { parentPort } from 'node:worker_threads';
import { loadBackend, type TF } from './backend';
import { EvalSplit, evaluateSplit, lossKind } from './evaluate';
import { isEvalRequest, type EvalReply } from './evalProtocol';
import { Mlp } from './model/mlp';
import { makeDataset } from './tasks/datasets';
import { errorText } from '../shared/errors';

const port = parentPort;
if (!port) throw new Error('evalWorker.ts runs as a worker thread');
const reply = (m: EvalReply) => port.postMessage(m);

let state: { tf: TF; model: Mlp; split: EvalSplit; loss: 'cross-entropy' | 'mse'; classification: boolean } | null = null;

// One request at a time, in arrival order: an evaluation sent while init is still loading the backend waits.
let queue: Promise<void> = Promise.resolve();
port.on('message', (raw: unknown) => {
  queue = queue
    .then(() => handle(raw))
    .catch((err: unknown) => reply({ type: 'error', message: errorText(err) }));
});

async function handle(raw: unknown): Promise<void> {
  if (!isEvalRequest(raw)) throw new Error('the evaluation thread got a malformed request');
  if (raw.type === 'init') {
    const { tf, backend } = await loadBackend(raw.backend);
    const config = raw.config;
    const data = makeDataset(config.task, config.training.seed);
    const model = new Mlp(tf, config.model, data, config.training.seed);
    const loss = lossKind(config, data);
    state = { tf, model, split: new EvalSplit(tf, model, data.test, data), loss, classification: data.kind === 'classification' };
    reply({ type: 'ready', backend });
    return;
  }
  if (!state) throw new Error('the evaluation thread got a request before init');
  const { tf, model } = state;
  if (raw.weights.length !== model.params.length) throw new Error(`the evaluation thread expects ${model.params.length} tensors, got ${raw.weights.length}`);
  model.params.forEach((q, i) => {
    const w = raw.weights[i];
    const size = q.shape.reduce((a, b) => a * b, 1);
    if (w.length !== size) throw new Error(`the evaluation thread expects ${size} values for ${q.name}, got ${w.length}`);
    const t = tf.tensor(w, q.shape);
    q.variable.assign(t);
    t.dispose();
  });
  const m = evaluateSplit(tf, model, state.split, state.loss, state.classification);
  reply({ type: 'result', epoch: raw.epoch, ...m });
}
