/**
 * Entry of the extension-host test suite (extensionTestsPath): VS Code calls `run()` once the window is up
 * and exits with 1 when it rejects. Prints one line per test and a closing `N passed, N failed` line (the
 * runners look for it), then stops every run the tests left and closes the editors.
 */
import * as vscode from 'vscode';
import { runAll } from './harness';
import './suite';

export async function run(): Promise<void> {
  const log = (line: string) => console.log(`[td-test] ${line}`);
  const filter = process.env.TD_TEST_FILTER ? new RegExp(process.env.TD_TEST_FILTER) : undefined;
  log(`extension-host tests in ${vscode.env.appName} ${vscode.version} (pid ${process.pid})`);
  const outcomes = await runAll(log, filter);
  try {
    await vscode.commands.executeCommand('trainingDynamics.stopAllRuns');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  } catch {
    // cleanup only
  }
  const failed = outcomes.filter((o) => !o.ok);
  if (outcomes.length === 0) throw new Error('no test ran (filter matched nothing?)');
  if (failed.length) throw new Error(`${failed.length} of ${outcomes.length} extension-host tests failed: ${failed.map((f) => f.name).join('; ')}`);
}
