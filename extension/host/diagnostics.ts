/**
 * Diagnostics from the experiment validator (engine/config) on the exact ranges it reports. VS Code's JSON
 * service adds the schema's own squiggles; these add what a schema cannot say (cross-field rules, duplicate
 * config names, sweep paths that do not exist, "did you mean"). Refreshed on edit, debounced.
 */
import * as vscode from 'vscode';
import type { ConfigProblem } from '../engine/config';
import { isExperimentUri, type Experiments } from './experiments';

const DEBOUNCE_MS = 250;

export function problemsOf(parsed: { problems: ConfigProblem[]; configs: { problems: ConfigProblem[] }[]; sweep: { problems: ConfigProblem[] } | null }): ConfigProblem[] {
  const all = [...parsed.problems, ...parsed.configs.flatMap((c) => c.problems), ...(parsed.sweep?.problems ?? [])];
  const seen = new Set<string>();
  return all.filter((p) => {
    const key = `${p.offset}:${p.length}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function registerDiagnostics(experiments: Experiments): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('trainingDynamics');
  const timers = new Map<string, NodeJS.Timeout>();

  const update = (doc: vscode.TextDocument) => {
    if (!isExperimentUri(doc.uri) || doc.isClosed) return;
    const parsed = experiments.parse(doc);
    const diagnostics = problemsOf(parsed).map((p) => {
      const start = doc.positionAt(p.offset);
      const end = doc.positionAt(p.offset + Math.max(p.length, 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(start, end),
        p.path ? `${p.path}: ${p.message}` : p.message,
        p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
      );
      d.source = 'Training Dynamics';
      return d;
    });
    collection.set(doc.uri, diagnostics);
  };
  const schedule = (doc: vscode.TextDocument) => {
    if (!isExperimentUri(doc.uri)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => (timers.delete(key), update(doc)), DEBOUNCE_MS));
  };

  vscode.workspace.textDocuments.forEach(update);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      clearTimeout(timers.get(doc.uri.toString()));
      collection.delete(doc.uri);
      experiments.forget(doc);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
