/** Messages between the training loop and its evaluation thread (evalWorker.ts), with their guards. */
import { isBackendName, type BackendName } from '../shared/protocol';
import type { TrainingConfig } from '../shared/configTypes';
import { byType, isNum, isObj } from '../shared/guards';

export type EvalRequest =
  | { type: 'init'; config: TrainingConfig; backend: BackendName }
  /** The weights after `epoch`, one array per model parameter in Mlp.params order. */
  | { type: 'eval'; epoch: number; weights: Float32Array[] };

export type EvalReply =
  | { type: 'ready'; backend: BackendName }
  | { type: 'result'; epoch: number; loss: number; correct: number; sse: number }
  | { type: 'error'; message: string };

export function isEvalRequest(x: unknown): x is EvalRequest {
  if (!isObj(x)) return false;
  if (x.type === 'init') return isObj(x.config) && isBackendName(x.backend);
  if (x.type === 'eval') return isNum(x.epoch) && Array.isArray(x.weights) && x.weights.every((w) => w instanceof Float32Array);
  return false;
}

export const isEvalReply = byType<EvalReply>({
  ready: (x) => isBackendName(x.backend),
  result: (x) => isNum(x.epoch) && isNum(x.loss) && isNum(x.correct) && isNum(x.sse),
  error: (x) => typeof x.message === 'string',
});
