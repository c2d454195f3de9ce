/** Experiment files in the workspace: finding them, parsing them (cached per document version), picking. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseExperiment, type ParsedExperiment } from '../engine/config';

export const EXPERIMENT_GLOB = '**/*.experiment.json';
export const EXPERIMENT_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: EXPERIMENT_GLOB },
  { scheme: 'vscode-remote', pattern: EXPERIMENT_GLOB },
  { scheme: 'untitled', pattern: EXPERIMENT_GLOB },
];

export function isExperimentUri(uri: vscode.Uri): boolean {
  return uri.path.endsWith('.experiment.json');
}

export interface ParsedDoc {
  uri: vscode.Uri;
  text: string;
  parsed: ParsedExperiment;
}

export class Experiments {
  private readonly cache = new Map<string, { version: number; parsed: ParsedExperiment }>();

  /** Parse of the document's current text (edits not yet saved included). */
  parse(doc: vscode.TextDocument): ParsedExperiment {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.parsed;
    const parsed = parseExperiment(doc.getText());
    this.cache.set(key, { version: doc.version, parsed });
    return parsed;
  }

  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }

  async load(uri: vscode.Uri): Promise<ParsedDoc> {
    const doc = await vscode.workspace.openTextDocument(uri);
    return { uri, text: doc.getText(), parsed: this.parse(doc) };
  }

  async findFiles(): Promise<vscode.Uri[]> {
    const uris = await vscode.workspace.findFiles(EXPERIMENT_GLOB, '{**/node_modules/**,**/.training-dynamics/**}', 200);
    return uris.sort((a, b) => vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b)));
  }

  /** The experiment file in the active editor, if any. */
  activeUri(): vscode.Uri | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return uri && isExperimentUri(uri) ? uri : undefined;
  }

  /** The active experiment file, else a pick over the workspace's experiment files. */
  async pickFile(placeHolder: string, filter?: (p: ParsedDoc) => boolean): Promise<vscode.Uri | undefined> {
    const active = this.activeUri();
    if (active && (!filter || filter(await this.load(active)))) return active;
    let uris = await this.findFiles();
    if (filter) {
      const ok: vscode.Uri[] = [];
      for (const u of uris) if (filter(await this.load(u))) ok.push(u);
      uris = ok;
    }
    if (uris.length === 0) {
      void vscode.window.showErrorMessage(
        filter ? 'No experiment file in this workspace has what this command needs.' : 'No *.experiment.json file found in this workspace.',
      );
      return undefined;
    }
    if (uris.length === 1) return uris[0];
    const pick = await vscode.window.showQuickPick(
      uris.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })),
      { placeHolder },
    );
    return pick?.uri;
  }
}
