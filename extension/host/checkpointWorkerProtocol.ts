/**
 * Requests and replies between the checkpoint editor (host/checkpointEditor.ts) and its worker thread
 * (host/checkpointWorker.ts), beside the worker. The data they carry (HeaderView, TensorDetail, CompareResult)
 * is the checkpoint protocol's (shared/checkpointProtocol.ts), which the webview reads too. Every reply is
 * checked with isWorkerToHost before the host uses it, every request with isHostToWorker before the worker does.
 */
import { byType, isCount, isFraction, isStr } from '../shared/guards';
import { isCompareResult, isHeaderView, isTensorDetail, type CompareResult, type HeaderView, type TensorDetail } from '../shared/checkpointProtocol';

export type HostToWorker =
  | { type: 'header'; id: number; file: string }
  | { type: 'tensor'; id: number; file: string; name: string; force: boolean }
  | { type: 'compare'; id: number; fileA: string; fileB: string }
  /** Stop request `id` at its next chunk (it then fails with code CANCELLED). */
  | { type: 'cancel'; id: number };

export type WorkerToHost =
  | { type: 'header'; id: number; header: HeaderView }
  | { type: 'tensor'; id: number; detail: TensorDetail }
  | { type: 'compare'; id: number; result: CompareResult }
  | { type: 'progress'; id: number; fraction: number; label: string }
  | { type: 'error'; id: number; code: string; message: string };

const isHostToWorkerByType = byType<HostToWorker>({
  header: (x) => isStr(x.file),
  tensor: (x) => isStr(x.file) && isStr(x.name) && typeof x.force === 'boolean',
  compare: (x) => isStr(x.fileA) && isStr(x.fileB),
  cancel: () => true,
});
export const isHostToWorker = (x: unknown): x is HostToWorker => isHostToWorkerByType(x) && isCount(x.id);

const isWorkerToHostByType = byType<WorkerToHost>({
  header: (x) => isHeaderView(x.header),
  tensor: (x) => isTensorDetail(x.detail),
  compare: (x) => isCompareResult(x.result),
  progress: (x) => isFraction(x.fraction) && isStr(x.label),
  error: (x) => isStr(x.code) && isStr(x.message),
});
export const isWorkerToHost = (x: unknown): x is WorkerToHost => isWorkerToHostByType(x) && isCount(x.id);
