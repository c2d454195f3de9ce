/** Dynamics panel webview (bootstrap; charts are in the modules next to it). */
import { isHostToWebview, type HostToWebview } from '../../extension/protocol';
import { vscodeApi } from '../shared/vscodeApi';

interface SavedState {
  runDirs: string[];
  sweepAxes: string[] | null;
}

const vscode = vscodeApi<SavedState>();
const app = document.getElementById('app')!;

function onMessage(msg: HostToWebview): void {
  if (msg.type === 'show') {
    vscode.setState({ runDirs: msg.runs.map((r) => r.runDir), sweepAxes: msg.sweepAxes });
    app.textContent = msg.runs.map((r) => `${r.run.runName}: ${r.records.length} records`).join('\n');
    vscode.postMessage({ type: 'state', charts: { records: msg.runs.reduce((n, r) => n + r.records.length, 0) } });
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isHostToWebview(e.data)) onMessage(e.data);
});
vscode.postMessage({ type: 'ready' });
