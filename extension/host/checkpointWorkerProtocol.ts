/**
 * Requests and replies between the checkpoint editor (host/checkpointEditor.ts) and its worker thread
 * (host/checkpointWorker.ts), beside the worker. The data they carry (HeaderView, TensorDetail, CompareResult)
 * is the checkpoint protocol's (shared/checkpointProtocol.ts), which the webview reads too. Every reply is
 * checked with isWorkerToHost before the host uses it, every request with isHostToWorker before the worker does.
 */
import { isCount, isFraction, isObj, isStr } from '../shared/guards';
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

export function isHostToWorker(x: unknown): x is HostToWorker {
  if (!isObj(x) || !isCount(x.id)) return false;
  switch (x.type) {
    case 'header':
      return isStr(x.file);
    case 'tensor':
      return isStr(x.file) && isStr(x.name) && typeof x.force === 'boolean';
    case 'compare':
      return isStr(x.fileA) && isStr(x.fileB);
    case 'cancel':
      return true;
    default:
      return false;
  }
}

export function isWorkerToHost(x: unknown): x is WorkerToHost {
  if (!isObj(x) || !isCount(x.id)) return false;
  switch (x.type) {
    case 'header':
      return isHeaderView(x.header);
    case 'tensor':
      return isTensorDetail(x.detail);
    case 'compare':
      return isCompareResult(x.result);
    case 'progress':
      return isFraction(x.fraction) && isStr(x.label);
    case 'error':
      return isStr(x.code) && isStr(x.message);
    default:
      return false;
  }
}
