/**
 * Completion, hover and quick fixes in experiment files: thin glue over experimentAssist.ts (pure). Quick fixes
 * act on the extension's own diagnostics (diagnostics.ts): "did you mean" replacements, out-of-range numbers
 * moved into range, and removing a `$schema` reference.
 */
import * as vscode from 'vscode';
import { completionsAt, fixesFor, hoverAt, schemaReference } from './experimentAssist';
import { DIAGNOSTIC_SOURCE, SCHEMA_REFERENCE_CODE, problemOf } from './diagnostics';
import { EXPERIMENT_SELECTOR } from './experiments';

class Completions implements vscode.CompletionItemProvider {
  provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
    return completionsAt(doc.getText(), doc.offsetAt(pos)).map((c, i) => {
      const item = new vscode.CompletionItem(c.label, c.kind === 'property' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.Value);
      item.insertText = new vscode.SnippetString(c.insert);
      item.range = new vscode.Range(doc.positionAt(c.offset), doc.positionAt(c.offset + c.length));
      // VS Code matches what is typed in the range (quote included) against the filter text.
      item.filterText = doc.getText(item.range).startsWith('"') && !c.label.startsWith('"') ? `"${c.label}"` : c.label;
      item.detail = c.detail;
      item.documentation = new vscode.MarkdownString(c.documentation);
      item.sortText = String(i).padStart(3, '0');
      return item;
    });
  }
}

class Hovers implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | null {
    const h = hoverAt(doc.getText(), doc.offsetAt(pos));
    if (!h) return null;
    return new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(doc.positionAt(h.offset), doc.positionAt(h.offset + h.length)));
  }
}

class QuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    const text = doc.getText();
    for (const d of context.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      if (d.code === SCHEMA_REFERENCE_CODE) {
        const r = schemaReference(text);
        if (!r) continue;
        const a = new vscode.CodeAction('Remove "$schema" (Training Dynamics validates this file)', vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        a.edit.delete(doc.uri, new vscode.Range(doc.positionAt(r.deleteOffset), doc.positionAt(r.deleteOffset + r.deleteLength)));
        a.diagnostics = [d];
        a.isPreferred = true;
        out.push(a);
        continue;
      }
      const problem = problemOf(doc, d);
      if (!problem) continue;
      for (const f of fixesFor(text, problem)) {
        const a = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        a.edit.replace(doc.uri, new vscode.Range(doc.positionAt(f.offset), doc.positionAt(f.offset + f.length)), f.text);
        a.diagnostics = [d];
        a.isPreferred = f.preferred;
        out.push(a);
      }
    }
    return out;
  }
}

export function registerExperimentEditing(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerCompletionItemProvider(EXPERIMENT_SELECTOR, new Completions(), '"', ':'),
    vscode.languages.registerHoverProvider(EXPERIMENT_SELECTOR, new Hovers()),
    vscode.languages.registerCodeActionsProvider(EXPERIMENT_SELECTOR, new QuickFixes(), { providedCodeActionKinds: QuickFixes.kinds }),
  );
}
