/**
 * The webview side of the VS Code bridge, typed by the page's state and the messages it posts (the Dynamics
 * panel's WebviewToHost by default). `acquireVsCodeApi` may be called once per page; both panels get it here.
 */
import type { WebviewToHost } from '../../extension/shared/protocol';

export interface VsCodeApi<S, M = WebviewToHost> {
  postMessage(message: M): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown, unknown>;

let api: VsCodeApi<unknown, unknown> | undefined;

export function vscodeApi<S, M = WebviewToHost>(): VsCodeApi<S, M> {
  if (!api) api = acquireVsCodeApi();
  return api as VsCodeApi<S, M>;
}
