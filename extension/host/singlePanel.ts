/**
 * The base of a manager that shows one webview panel at a time (the Dynamics and Study panels): adopting a panel
 * (a new one, or one VS Code restores after a reload) releases the previous panel's listeners, sets up its page
 * and routes its messages to `onMessage`; when the user closes it, `closed()` runs once. Disposing the manager
 * disposes its panel.
 */
import * as vscode from 'vscode';
import { Disposable, disposeAll } from './dispose';
import { setUpPanel, type PageSpec } from './webviewPage';

export abstract class SinglePanel extends Disposable {
  protected panel: vscode.WebviewPanel | undefined;
  /** The current panel's listeners (released when it closes or another panel is adopted). */
  private readonly panelDisposables: vscode.Disposable[] = [];

  constructor(
    protected readonly context: vscode.ExtensionContext,
    private readonly page: PageSpec,
  ) {
    super();
  }

  /** Takes `panel` as the one shown: `adopted()` resets what belonged to the previous one, then the page loads. */
  protected adopt(panel: vscode.WebviewPanel): void {
    disposeAll(this.panelDisposables);
    this.panel = panel;
    this.adopted();
    setUpPanel(panel, this.context.extensionUri, this.page);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((msg: unknown) => void this.onMessage(msg)),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.closed();
        disposeAll(this.panelDisposables);
      }),
    );
  }

  /** A panel was adopted: its webview is not ready yet, and questions to the previous one go unanswered. */
  protected abstract adopted(): void;
  /** The user closed the panel. */
  protected abstract closed(): void;
  /** A message from the webview (unvalidated). */
  protected abstract onMessage(raw: unknown): Promise<void>;

  override dispose(): void {
    this.panel?.dispose();
    disposeAll(this.panelDisposables);
    super.dispose();
  }
}
