/**
 * The checkpoint inspector: a CustomReadonlyEditorProvider (viewType `trainingDynamics.checkpoint`) for
 * *.safetensors files, and the checkpoint comparison panel. Thin VS Code glue: all reading and computing happens
 * in a worker thread (dist/checkpointWorker.js, one per open document / comparison); per-tensor results are cached
 * per document; the webview (dist/webview/checkpoint.js) renders. Every message from the worker and from the
 * webview is validated (extension/shared/checkpointProtocol.ts). A file that fails validation shows an error page with
 * the reader's message.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { escapeHtml, scriptedPage } from './webviewPage';
import { isCheckpointWebviewToHost, type CheckpointHostToWebview, type CompareResult, type HeaderView, type OurCheckpoint, type TensorDetail } from '../shared/checkpointProtocol';
import { isWorkerToHost, type HostToWorker, type WorkerToHost } from './checkpointWorkerProtocol';
import { errorText } from '../shared/errors';
import { disposeAll } from './dispose';
import { trustExperimentFile, trustRunDir, type TrustedPlaces, type TrustVerdict } from '../engine/runs/trust';

export const CHECKPOINT_VIEW_TYPE = 'trainingDynamics.checkpoint';
export const CHECKPOINT_COMPARE_VIEW_TYPE = 'trainingDynamics.checkpointCompare';

export interface CheckpointEditorHooks {
  openRunDynamics(runDir: string): void;
  openExperimentFile(path: string): void;
  /** Where a path named by a checkpoint's metadata may point (the workspace, the runs folders, the runs the host knows). */
  trustedPlaces(): TrustedPlaces;
}

/** What the metadata names, checked against the trusted places: the path to open, or why not. */
function metadataTargets(ours: OurCheckpoint | null, places: TrustedPlaces): { dynamics: TrustVerdict | null; experiment: TrustVerdict | null } {
  return {
    dynamics: ours?.runDir ? trustRunDir(ours.runDir, places) : null,
    experiment: ours?.experimentFile ? trustExperimentFile(ours.experimentFile, places) : null,
  };
}

const reasonOf = (v: TrustVerdict | null): string | null => (v && !v.ok ? v.reason : null);

/** A failure reported by the worker (code from SafetensorsError, or WORKER for a crashed worker). */
class WorkerFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Request = Exclude<HostToWorker, { type: 'cancel' }> extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Reply = Exclude<WorkerToHost, { type: 'progress' } | { type: 'error' }>;

/** One worker thread, started on first use; requests are answered in order. A crash fails what is pending. */
class WorkerClient implements vscode.Disposable {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; progress?: (f: number, label: string) => void }>();

  constructor(private readonly script: string) {}

  request(req: Request, progress?: (fraction: number, label: string) => void): Promise<Reply> {
    return this.start(req, progress).done;
  }

  /** Sends a request; `id` can be passed to cancel(). */
  start(req: Request, progress?: (fraction: number, label: string) => void): { id: number; done: Promise<Reply> } {
    const id = this.nextId++;
    let w: Worker;
    try {
      w = this.ensure();
    } catch (err) {
      const done = Promise.reject(new WorkerFailure('WORKER', `cannot start the checkpoint worker (${(err as Error).message}); run \`npm run build\``));
      done.catch(() => undefined);
      return { id, done };
    }
    const done = new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      w.postMessage({ ...req, id });
    });
    return { id, done };
  }

  /** Asks the worker to stop a request at its next chunk (it then fails with code CANCELLED). */
  cancel(id: number): void {
    if (this.pending.has(id)) this.worker?.postMessage({ type: 'cancel', id });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.on('message', (raw: unknown) => {
      if (!isWorkerToHost(raw)) return; // malformed: ignore (the request then fails on exit or stays owned by its caller)
      const p = this.pending.get(raw.id);
      if (!p) return;
      if (raw.type === 'progress') p.progress?.(raw.fraction, raw.label);
      else {
        this.pending.delete(raw.id);
        if (raw.type === 'error') p.reject(new WorkerFailure(raw.code, raw.message));
        else p.resolve(raw);
      }
    });
    const fail = (message: string) => {
      if (this.worker === w) this.worker = undefined;
      const all = [...this.pending.values()];
      this.pending.clear();
      for (const p of all) p.reject(new WorkerFailure('WORKER', message));
    };
    w.on('error', (err) => fail(`the checkpoint worker failed: ${err.message}`));
    w.on('exit', (code) => fail(`the checkpoint worker stopped (exit code ${code})`));
    this.worker = w;
    return w;
  }

  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new WorkerFailure('CANCELLED', 'closed'));
    this.pending.clear();
    void w?.terminate();
  }
}

class CheckpointDocument implements vscode.CustomDocument {
  readonly cache = new Map<string, TensorDetail>();
  private header: Promise<HeaderView> | undefined;

  constructor(
    readonly uri: vscode.Uri,
    readonly worker: WorkerClient,
  ) {}

  headerView(): Promise<HeaderView> {
    if (!this.header) {
      this.header = this.worker.request({ type: 'header', file: this.uri.fsPath }).then((r) => {
        if (r.type !== 'header') throw new WorkerFailure('WORKER', 'unexpected reply from the checkpoint worker');
        return r.header;
      });
      this.header.catch(() => (this.header = undefined));
    }
    return this.header;
  }

  dispose(): void {
    this.worker.dispose();
  }
}

interface Shared {
  context: vscode.ExtensionContext;
  hooks: CheckpointEditorHooks;
}
let shared: Shared | undefined;

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

/** The page: strict CSP (scripts only with the nonce, styles only from the extension), one script, one stylesheet. */
export function checkpointHtml(webview: vscode.Webview, context: vscode.ExtensionContext, mode: 'inspect' | 'compare', title: string): string {
  return scriptedPage(webview, context.extensionUri, {
    script: 'checkpoint',
    style: 'checkpoint',
    title,
    bodyAttrs: `data-mode="${mode}"`,
    body: `<main id="app"><p class="status" id="boot-status">${mode === 'compare' ? 'Comparing…' : 'Reading the header…'}</p></main>
<noscript>This view needs scripts enabled.</noscript>`,
  });
}

/** A page without scripts, for when the inspector's script cannot run (missing bundle, or it never started). */
function staticErrorHtml(webview: vscode.Webview, context: vscode.ExtensionContext, heading: string, message: string): string {
  const css = webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'media', 'checkpoint.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}">
<link rel="stylesheet" href="${css}">
</head>
<body><main><section class="fatal" role="alert"><h2>${escapeHtml(heading)}</h2><p class="fatal-message">${escapeHtml(message)}</p></section></main></body>
</html>`;
}

/**
 * Shows the inspector page, or a static error page when the bundles are missing; if the page's script has not
 * said `ready` within 20 s, replaces it with a static error page (never an endless "Reading…").
 */
function showPage(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, mode: 'inspect' | 'compare', title: string): { ready(): void; dispose(): void } {
  const webview = panel.webview;
  const missing = ['dist/webview/checkpoint.js', 'dist/checkpointWorker.js'].filter((f) => !existsSync(context.asAbsolutePath(f)));
  if (missing.length) {
    webview.html = staticErrorHtml(webview, context, 'The checkpoint inspector is not built', `Missing ${missing.join(', ')}: run \`npm run build\` in the extension folder.`);
    return { ready: () => undefined, dispose: () => undefined };
  }
  webview.html = checkpointHtml(webview, context, mode, title);
  // A hidden webview runs no script: only a page that stayed visible for the whole wait counts as stuck.
  const arm = (): NodeJS.Timeout =>
    setTimeout(() => {
      if (!panel.visible) {
        timer = arm();
        return;
      }
      timer = undefined;
      webview.html = staticErrorHtml(webview, context, 'The checkpoint inspector did not start', 'Its page script did not load within 20 seconds. Reopen the file; if this persists, rebuild the extension (`npm run build`).');
    }, 20_000);
  let timer: NodeJS.Timeout | undefined = arm();
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return { ready: stop, dispose: stop };
}

function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof WorkerFailure) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: errorText(err) };
}

class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider<CheckpointDocument> {
  constructor(private readonly s: Shared) {}

  openCustomDocument(uri: vscode.Uri): CheckpointDocument {
    const doc = new CheckpointDocument(uri, new WorkerClient(this.s.context.asAbsolutePath(path.join('dist', 'checkpointWorker.js'))));
    // Start the worker and read the header while the webview loads (a failure is reported when the webview asks).
    if (uri.scheme === 'file') doc.headerView().catch(() => undefined);
    return doc;
  }

  resolveCustomEditor(doc: CheckpointDocument, panel: vscode.WebviewPanel): void {
    const { context, hooks } = this.s;
    const webview = panel.webview;
    webview.options = webviewOptions(context);
    const page = showPage(panel, context, 'inspect', path.basename(doc.uri.fsPath));
    const post = (m: CheckpointHostToWebview) => void webview.postMessage(m);
    let disposed = false;

    // Latest selection wins: one tensor computes at a time; a new selection replaces the queued one and cancels
    // the running one (a large tensor is read in chunks, so it stops within one chunk).
    let queued: { name: string; force: boolean } | null = null;
    let running: { id: number; name: string } | null = null;
    const pump = async () => {
      if (running || !queued || disposed) return;
      const job = queued;
      queued = null;
      const hit = doc.cache.get(job.name);
      if (hit && !(job.force && hit.spectrumForceable)) {
        post({ type: 'tensor', detail: hit });
        void pump();
        return;
      }
      const req = doc.worker.start({ type: 'tensor', file: doc.uri.fsPath, name: job.name, force: job.force }, (fraction, label) => {
        if (!disposed) post({ type: 'progress', name: job.name, fraction, label });
      });
      running = { id: req.id, name: job.name };
      try {
        const r = await req.done;
        if (r.type !== 'tensor') throw new WorkerFailure('WORKER', 'unexpected reply from the checkpoint worker');
        doc.cache.set(job.name, r.detail);
        if (!disposed) post({ type: 'tensor', detail: r.detail });
      } catch (err) {
        const e = failureOf(err);
        if (!disposed && e.code !== 'CANCELLED') post({ type: 'tensorError', name: job.name, message: e.message });
      } finally {
        running = null;
        void pump();
      }
    };

    const sub = webview.onDidReceiveMessage(async (raw: unknown) => {
      if (!isCheckpointWebviewToHost(raw)) return;
      const msg = raw;
      switch (msg.type) {
        case 'ready': {
          page.ready();
          if (doc.uri.scheme !== 'file') {
            post({ type: 'fatal', file: doc.uri.toString(), code: 'IO', message: 'only files on this machine can be inspected' });
            return;
          }
          try {
            const header = await doc.headerView();
            const t = metadataTargets(header.ours, hooks.trustedPlaces());
            post({ type: 'header', header, links: { dynamics: reasonOf(t.dynamics), experiment: reasonOf(t.experiment) } });
          } catch (err) {
            post({ type: 'fatal', file: doc.uri.fsPath, ...failureOf(err) });
          }
          return;
        }
        case 'selectTensor': {
          const hit = doc.cache.get(msg.name);
          if (hit && !(msg.force && hit.spectrumForceable)) {
            post({ type: 'tensor', detail: hit });
            return;
          }
          queued = { name: msg.name, force: msg.force };
          if (running && running.name !== msg.name) doc.worker.cancel(running.id);
          void pump();
          return;
        }
        case 'openDynamics':
        case 'openExperiment': {
          const ours = (await doc.headerView().catch(() => null))?.ours ?? null;
          const t = metadataTargets(ours, hooks.trustedPlaces());
          const target = msg.type === 'openDynamics' ? t.dynamics : t.experiment;
          if (!target) {
            void vscode.window.showInformationMessage(`This checkpoint does not name ${msg.type === 'openDynamics' ? 'its run folder' : 'an experiment file'}.`);
            return;
          }
          // Checked again here: the webview's button is only a request.
          if (!target.ok) {
            void vscode.window.showWarningMessage(`Not opened: ${target.reason}.`);
            return;
          }
          if (msg.type === 'openDynamics') hooks.openRunDynamics(target.path);
          else hooks.openExperimentFile(target.path);
          return;
        }
        case 'compare': {
          const other = await pickOtherCheckpoint(doc.uri);
          if (other) await compareCheckpoints(doc.uri, other);
          return;
        }
      }
    });
    panel.onDidDispose(() => {
      disposed = true;
      if (running) doc.worker.cancel(running.id);
      disposeAll([page, sub]);
    });
  }
}

/** Another .safetensors file to compare with: the siblings in the same folder (a run's checkpoints), or browse. */
async function pickOtherCheckpoint(self: vscode.Uri): Promise<vscode.Uri | undefined> {
  const dir = path.dirname(self.fsPath);
  let siblings: string[] = [];
  try {
    siblings = (await readdir(dir)).filter((f) => f.endsWith('.safetensors') && path.join(dir, f) !== self.fsPath).sort().reverse();
  } catch {
    siblings = [];
  }
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const items: Item[] = siblings.map((f) => ({ label: f, description: 'same folder', uri: vscode.Uri.file(path.join(dir, f)) }));
  items.push({ label: '$(folder-opened) Browse…' });
  const pick = await vscode.window.showQuickPick(items, { placeHolder: `Compare ${path.basename(self.fsPath)} with…` });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { safetensors: ['safetensors'] }, defaultUri: vscode.Uri.file(dir), openLabel: 'Compare' });
  return chosen?.[0];
}

/**
 * Compares two checkpoints in a panel: per tensor ‖W₁−W₀‖/‖W₀‖, cosine similarity, shift of the top eigenvalue
 * and of λ+. For our checkpoints W₀ is the earlier epoch; otherwise `a` is W₀.
 */
export async function compareCheckpoints(a: vscode.Uri, b: vscode.Uri): Promise<void> {
  if (!shared) {
    void vscode.window.showErrorMessage('The checkpoint inspector is not active.');
    return;
  }
  if (a.scheme !== 'file' || b.scheme !== 'file') {
    void vscode.window.showErrorMessage('Only checkpoint files on this machine can be compared.');
    return;
  }
  const { context } = shared;
  const title = `${path.basename(a.fsPath)} ↔ ${path.basename(b.fsPath)}`;
  const panel = vscode.window.createWebviewPanel(CHECKPOINT_COMPARE_VIEW_TYPE, title, vscode.ViewColumn.Active, { ...webviewOptions(context), retainContextWhenHidden: true });
  const page = showPage(panel, context, 'compare', title);
  const worker = new WorkerClient(context.asAbsolutePath(path.join('dist', 'checkpointWorker.js')));
  const post = (m: CheckpointHostToWebview) => void panel.webview.postMessage(m);
  let result: Promise<CompareResult> | undefined;
  const sub = panel.webview.onDidReceiveMessage(async (raw: unknown) => {
    if (!isCheckpointWebviewToHost(raw) || raw.type !== 'ready') return;
    page.ready();
    result ??= worker
      .request({ type: 'compare', fileA: a.fsPath, fileB: b.fsPath }, (fraction, label) => post({ type: 'compareProgress', fraction, label }))
      .then((r) => {
        if (r.type !== 'compare') throw new WorkerFailure('WORKER', 'unexpected reply from the checkpoint worker');
        return r.result;
      });
    try {
      const r = await result;
      // The worker puts the earlier epoch first: name the panel W₀ → W₁.
      panel.title = `${path.basename(r.fileA)} → ${path.basename(r.fileB)}`;
      post({ type: 'compare', result: r });
    } catch (err) {
      result = undefined;
      post({ type: 'fatal', file: `${a.fsPath} / ${b.fsPath}`, ...failureOf(err) });
    }
  });
  panel.onDidDispose(() => disposeAll([page, sub, worker]));
}

export function registerCheckpointEditor(context: vscode.ExtensionContext, hooks: CheckpointEditorHooks): vscode.Disposable {
  shared = { context, hooks };
  const reg = vscode.window.registerCustomEditorProvider(CHECKPOINT_VIEW_TYPE, new CheckpointEditorProvider(shared), {
    supportsMultipleEditorsPerDocument: true,
    webviewOptions: { retainContextWhenHidden: false },
  });
  return new vscode.Disposable(() => {
    reg.dispose();
    shared = undefined;
  });
}
