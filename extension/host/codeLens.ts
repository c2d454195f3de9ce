/**
 * CodeLenses on experiment files: "▶ Train this config" over every config, "▶ Run sweep (N runs)" over the
 * sweep, "Show dynamics" where runs of the config exist. Refreshed when the file changes and when runs
 * appear or finish.
 */
import * as vscode from 'vscode';
import { lensesFor } from './experimentModel';
import type { Experiments } from './experiments';
import type { RunsIndex } from './runsIndex';
import { Disposable } from './dispose';

export class ExperimentCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly experiments: Experiments, private readonly runs: RunsIndex) {
    super();
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.path.endsWith('.experiment.json')) this.changed.fire();
      }),
    );
    this.register(runs.onDidChange(() => this.changed.fire()));
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const parsed = this.experiments.parse(doc);
    const hasRuns = (configName: string) => this.runs.all.some((e) => e.run.experiment === parsed.name && e.run.configName === configName);
    const studyRuns = this.runs.all.filter((e) => e.run.experiment === parsed.name).length;
    return lensesFor(parsed, hasRuns, studyRuns).map((l) => {
      const pos = doc.positionAt(l.offset);
      const range = new vscode.Range(pos, pos);
      switch (l.kind) {
        case 'train':
          return new vscode.CodeLens(range, { title: l.title, command: 'trainingDynamics.trainConfig', arguments: [doc.uri, l.configName], tooltip: `Train "${l.configName}" in a background process` });
        case 'sweep':
          return new vscode.CodeLens(range, { title: l.title, command: 'trainingDynamics.runSweep', arguments: [doc.uri], tooltip: `Train every point of the sweep (${l.runCount} runs, queued)` });
        case 'study':
          return new vscode.CodeLens(range, { title: l.title, command: 'trainingDynamics.showStudy', arguments: [doc.uri], tooltip: `The study of this experiment's ${l.runCount} runs: a metric over the swept axes, seeds averaged` });
        case 'show':
          return new vscode.CodeLens(range, { title: l.title, command: 'trainingDynamics.showDynamics', arguments: [doc.uri, l.configName], tooltip: `Open the latest run of "${l.configName}"` });
      }
    });
  }

  refresh(): void {
    this.changed.fire();
  }
}
