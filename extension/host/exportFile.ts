/**
 * Saving what a panel exports (chart PNG / SVG / CSV, a run's metrics CSV): a save dialog whose suggested name
 * is a new file name in the folder (so accepting it with Enter saves instead of descending into a folder of
 * that name), the write, and a confirmation with "Open" and "Reveal". One implementation for every panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat } from '../shared/protocol';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { CSV: ['csv'] },
};

export function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'chart';
}

/** The bytes of an export message's data; throws with a user-readable reason when they are not what they claim. */
export function exportBytes(format: ExportFormat, data: string): Uint8Array {
  if (format === 'png') {
    const bytes = Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
    if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) throw new Error('the chart image is not a PNG');
    return bytes;
  }
  return new TextEncoder().encode(data);
}

/** A file name in `dir` starting with `base` that names no existing entry (base.ext, base-2.ext, …). */
async function freeName(dir: string, base: string, ext: string): Promise<string> {
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? `${base}.${ext}` : `${base}-${i}.${ext}`;
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, name)));
    } catch {
      return name;
    }
  }
  return `${base}-${Date.now()}.${ext}`;
}

/**
 * Ask where to save, write, confirm. Returns the file written (undefined: the user cancelled).
 * `dir` is the suggested folder (a run folder, else the first workspace folder).
 */
export async function saveExport(opts: { dir: string | undefined; baseName: string; format: ExportFormat; bytes: Uint8Array; what: string }): Promise<vscode.Uri | undefined> {
  const dir = opts.dir ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const base = safeFileName(opts.baseName);
  const defaultUri = dir ? vscode.Uri.file(path.join(dir, await freeName(dir, base, opts.format))) : undefined;
  const target = await vscode.window.showSaveDialog({
    defaultUri,
    filters: FILTERS[opts.format],
    saveLabel: `Save ${opts.format.toUpperCase()}`,
    title: `Save ${opts.what}`,
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, opts.bytes);
  void confirmSaved(target, opts.what);
  return target;
}

/** "<what> saved to <file>." with Open / Reveal. */
export async function confirmSaved(target: vscode.Uri, what: string): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`${what} saved to ${vscode.workspace.asRelativePath(target)}.`, 'Open', 'Reveal');
  if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', target);
  else if (choice === 'Reveal') {
    if (vscode.workspace.getWorkspaceFolder(target)) await vscode.commands.executeCommand('revealInExplorer', target);
    else await vscode.commands.executeCommand('revealFileInOS', target);
  }
}
