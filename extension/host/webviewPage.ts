/**
 * The HTML shell of our script-driven webviews (Dynamics and Study panels, checkpoint inspector): strict CSP —
 * scripts only with a fresh nonce, styles, images and fonts only from the extension (images also as data: URLs) —
 * one stylesheet from media/, one bundle from dist/webview/; and the set-up the panels share (options, icon, page).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export interface PageSpec {
  /** dist/webview/<script>.js and media/<style>.css. */
  script: string;
  style: string;
  title: string;
  /** Attributes of <body>, already escaped, e.g. `data-mode="inspect"`. */
  bodyAttrs?: string;
  /** The page's markup before the script runs. */
  body: string;
  /**
   * Also allow <style> elements carrying the nonce (announced in a `csp-nonce` meta): the webview UI toolkit
   * (FAST) feature-detects :focus-visible that way. No other inline style is allowed.
   */
  styleNonce?: boolean;
}

export function scriptedPage(webview: vscode.Webview, extensionUri: vscode.Uri, spec: PageSpec): string {
  const nonce = makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${spec.script}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', `${spec.style}.css`));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}${spec.styleNonce ? ` 'nonce-${nonce}'` : ''}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
${spec.styleNonce ? `<meta property="csp-nonce" content="${nonce}">\n` : ''}<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(spec.title)}</title>
</head>
<body${spec.bodyAttrs ? ' ' + spec.bodyAttrs : ''}>
${spec.body}
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/** Webview options of the panels: scripts on, local resources only from dist/ and media/, nothing kept hidden. */
export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: false,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/**
 * Makes `panel` (new, or brought back by a serializer) one of ours: the options, the extension's icon and the
 * page of `spec` (a fresh nonce each time).
 */
export function setUpPanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, spec: PageSpec): void {
  panel.webview.options = panelOptions(extensionUri);
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'training-dynamics.svg');
  panel.webview.html = scriptedPage(panel.webview, extensionUri, spec);
}
