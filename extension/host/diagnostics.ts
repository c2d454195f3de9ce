/**
 * The one source of diagnostics in experiment files: the experiment validator (engine/config), on the exact
 * ranges it reports, errors and warnings as the CLI reports them. VS Code's JSON service does not validate these
 * files against schema.json (the extension contributes no `jsonValidation`), so no problem shows twice; a file that
 * names the schema in `$schema` would make the JSON service validate it again, so that gets a warning with a
 * quick fix that removes it. Syntax errors come from the JSON service (jsonc), so they are not repeated here.
 * Refreshed on edit, debounced.
 */
import * as vscode from 'vscode';
import type { ConfigProblem } from '../engine/config';
import { schemaReference } from './experimentAssist';
import { isExperimentUri, type Experiments } from './experiments';

export const DIAGNOSTIC_SOURCE = 'Training Dynamics';
export const SCHEMA_REFERENCE_CODE = 'schema-reference';

/** The problems behind the diagnostics last published, per document (for the quick fixes). */
const published = new Map<string, { d: vscode.Diagnostic; p: ConfigProblem }[]>();

/** The validator's problem behind one of our diagnostics (matched by range and message). */
export function problemOf(doc: vscode.TextDocument, d: vscode.Diagnostic): ConfigProblem | undefined {
  return published.get(doc.uri.toString())?.find((x) => x.d.message === d.message && x.d.range.isEqual(d.range))?.p;
}

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

/** jsonc-parser's syntax errors: VS Code's JSON service already reports them at the same place. */
function isSyntaxError(p: ConfigProblem): boolean {
  return p.path === '' && p.message.startsWith('syntax error: ');
}

export function registerDiagnostics(experiments: Experiments): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('trainingDynamics');
  const timers = new Map<string, NodeJS.Timeout>();

  const update = (doc: vscode.TextDocument) => {
    if (!isExperimentUri(doc.uri) || doc.isClosed) return;
    const parsed = experiments.parse(doc);
    const text = doc.getText();
    const entries = problemsOf(parsed).filter((p) => !isSyntaxError(p)).map((p) => {
      const start = doc.positionAt(p.offset);
      const end = doc.positionAt(p.offset + Math.max(p.length, 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(start, end),
        p.path ? `${p.path}: ${p.message}` : p.message,
        p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
      );
      d.source = DIAGNOSTIC_SOURCE;
      return { d, p };
    });
    published.set(doc.uri.toString(), entries);
    const diagnostics = entries.map((e) => e.d);
    const ref = schemaReference(text);
    if (ref) {
      const d = new vscode.Diagnostic(
        new vscode.Range(doc.positionAt(ref.offset), doc.positionAt(ref.offset + ref.length)),
        '"$schema" makes VS Code\'s JSON service check this file a second time (every problem would show twice); Training Dynamics validates experiment files itself, with completion and hover — remove it',
        vscode.DiagnosticSeverity.Warning,
      );
      d.source = DIAGNOSTIC_SOURCE;
      d.code = SCHEMA_REFERENCE_CODE;
      diagnostics.push(d);
    }
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
      published.delete(doc.uri.toString());
      experiments.forget(doc);
    }),
    { dispose: () => (timers.forEach((t) => clearTimeout(t)), published.clear()) },
  );
}
