/**
 * The house rule of the layout, read from the sources:
 * - `webview/` imports only the shared floor (`extension/shared/`), `webview/` itself and browser packages; a
 *   panel's folder (`webview/dynamics/`, …) imports `webview/shared/` and itself, not another panel, and only
 *   `webview/shared/toolkit.ts` imports the UI toolkit;
 * - `extension/engine/` and `extension/shared/` import neither `vscode`, the DOM, nor the host, the trainer, the
 *   CLI or the webviews;
 * - `extension/shared/` imports only itself (no engine internals, no Node modules: the webviews bundle it).
 * Imports are listed by TypeScript's own pre-processor (static, dynamic, `require`, type-only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import ts from 'typescript';

const REPO = path.resolve(__dirname, '../..');
const nodeBuiltins = new Set(builtinModules);
/** Globals only the DOM defines (Node's globals such as URL, TextDecoder or setTimeout are not listed). */
const DOM_GLOBALS = new Set([
  'document', 'window', 'navigator', 'HTMLElement', 'HTMLCanvasElement', 'HTMLDivElement', 'Element',
  'customElements', 'localStorage', 'requestAnimationFrame', 'getComputedStyle', 'MutationObserver',
  'acquireVsCodeApi',
]);

type Area = 'webview' | 'shared' | 'engine' | 'other';

function areaOf(rel: string): Area {
  if (rel.startsWith('webview/')) return 'webview';
  if (rel.startsWith('extension/shared/')) return 'shared';
  if (rel.startsWith('extension/engine/')) return 'engine';
  return 'other';
}

/** Repo-relative path a relative specifier names (file extension and `/index` not resolved: prefixes suffice). */
function target(fromRel: string, spec: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
}

/** Identifiers used as free references (not property names, not declarations' own names). */
function domReferences(rel: string, text: string): string[] {
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && DOM_GLOBALS.has(node.text)) {
      const p = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === node) ||
        (ts.isQualifiedName(p) && p.right === node) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) ||
          ts.isMethodDeclaration(p) || ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isBindingElement(p)) &&
          (p as { name?: ts.Node }).name === node);
      if (!isName) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (/\/\/\/\s*<reference\s+lib=["']dom/i.test(text)) found.push('/// <reference lib="dom">');
  return found;
}

/** Every broken rule in one source file (`rel` is its repo-relative path with forward slashes). */
export function importViolations(rel: string, text: string): string[] {
  const area = areaOf(rel);
  if (area === 'other') return [];
  const out: string[] = [];
  const imports = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const spec of imports) {
    const relative = spec.startsWith('.');
    const to = relative ? target(rel, spec) : '';
    const bare = spec.startsWith('node:') ? spec.slice(5) : spec.split('/')[0];
    const isNode = !relative && (spec.startsWith('node:') || nodeBuiltins.has(bare));
    const bad = (why: string): void => void out.push(`${rel}: imports ${spec} (${why})`);
    if (spec === 'vscode') bad('no vscode outside the host');
    if (area === 'webview') {
      if (isNode) bad('the webview runs in a browser');
      if (relative && !to.startsWith('webview/') && !to.startsWith('extension/shared/')) bad('webview/ imports only extension/shared/ and webview/');
      const panel = rel.split('/')[1];
      if (relative && panel !== 'shared' && to.startsWith('webview/') && !to.startsWith('webview/shared/') && !to.startsWith(`webview/${panel}/`)) {
        bad('a panel imports webview/shared/, not another panel');
      }
      if (spec.startsWith('@vscode/webview-ui-toolkit') && rel !== 'webview/shared/toolkit.ts') bad('only webview/shared/toolkit.ts names the UI toolkit');
    } else if (area === 'shared') {
      if (isNode) bad('the shared floor is bundled into the webviews');
      if (relative && !to.startsWith('extension/shared/')) bad('the shared floor imports only itself');
    } else if (area === 'engine') {
      if (relative && !to.startsWith('extension/engine/') && !to.startsWith('extension/shared/')) {
        bad('the engine imports only itself and the shared floor');
      }
    }
  }
  if (area === 'engine' || area === 'shared') for (const name of new Set(domReferences(rel, text))) out.push(`${rel}: uses the DOM (${name})`);
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

test('the sources keep the import rule', () => {
  const files = [...sources('webview'), ...sources('extension/shared'), ...sources('extension/engine')];
  assert.ok(files.filter((f) => f.startsWith('webview/')).length >= 5, 'webview sources found');
  assert.ok(files.filter((f) => f.startsWith('extension/shared/')).length >= 5, 'shared sources found');
  assert.ok(files.filter((f) => f.startsWith('extension/engine/')).length >= 20, 'engine sources found');
  const violations = files.flatMap((f) => importViolations(f, fs.readFileSync(path.join(REPO, f), 'utf8')));
  assert.deepEqual(violations, []);
});

test('the rule catches each kind of breach', () => {
  const cases: [string, string][] = [
    ['webview/dynamics/x.ts', `import { train } from '../../extension/engine/train';`],
    ['webview/dynamics/x.ts', `import type { RunManager } from '../../extension/host/runManager';`],
    ['webview/shared/x.ts', `import * as fs from 'node:fs';`],
    ['extension/engine/x.ts', `import * as vscode from 'vscode';`],
    ['extension/engine/probes/x.ts', `import { RunsIndex } from '../../host/runsIndex';`],
    ['extension/engine/x.ts', `const w = require('../trainer/main');`],
    ['extension/engine/x.ts', `export const width = () => document.body.clientWidth;`],
    ['extension/shared/x.ts', `import { mpDensity } from '../engine/probes/spectra';`],
    ['extension/shared/view/x.ts', `import type { TF } from '../../engine/backend';`],
    ['extension/shared/x.ts', `import { readFileSync } from 'fs';`],
    ['extension/shared/x.ts', `export const el = (t: string) => window.document.createElement(t);`],
    ['extension/shared/x.ts', `const a = await import('../host/api');`],
    ['webview/study/x.ts', `import { Card } from '../dynamics/charts';`],
    ['webview/checkpoint/x.ts', `import { vsCodeButton } from '@vscode/webview-ui-toolkit';`],
  ];
  for (const [rel, text] of cases) assert.ok(importViolations(rel, text).length > 0, `${rel}: ${text}`);
  const fine: [string, string][] = [
    ['webview/dynamics/x.ts', `import { lttbIndices } from '../../extension/shared/view/lttb';\nimport { Chart } from 'chart.js';`],
    ['webview/dynamics/x.ts', `import { el } from '../shared/dom';\nimport { fmt } from './views';`],
    ['webview/shared/toolkit.ts', `import { vsCodeButton } from '@vscode/webview-ui-toolkit';`],
    ['extension/engine/x.ts', `import type { MetricsRecord } from '../shared/protocol';\nimport * as fs from 'node:fs';`],
    ['extension/shared/view/x.ts', `import type { Histogram } from '../protocol';\nconst o = { window: 3 }; o.window;`],
    ['extension/host/x.ts', `import * as vscode from 'vscode';`],
  ];
  for (const [rel, text] of fine) assert.deepEqual(importViolations(rel, text), [], `${rel}: ${text}`);
});
