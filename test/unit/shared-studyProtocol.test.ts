import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToStudy, isStudySelection, isStudyToHost, type StudyViewMessage } from '../../extension/shared/studyProtocol';
import { labelColor, scalePosition, viridis } from '../../extension/shared/view/colorScale';
import { contrastRatio } from '../../extension/shared/view/palette';

const selection = { metric: 'finalTestLoss', xAxis: 'model.hidden', yAxis: null, split: null, band: 'minmax' as const, feature: null, outcome: null };

test('study protocol: selections and messages are validated both ways', () => {
  assert.ok(isStudySelection(selection));
  assert.ok(!isStudySelection({ ...selection, band: 'iqr' }));
  assert.ok(!isStudySelection({ ...selection, yAxis: 3 }));
  assert.ok(isStudyToHost({ type: 'select', selection }));
  assert.ok(!isStudyToHost({ type: 'select', selection: { ...selection, metric: 1 } }));
  assert.ok(isStudyToHost({ type: 'openRun', runDirs: ['/r/a'] }));
  assert.ok(!isStudyToHost({ type: 'openRun', runDirs: [] }));
  assert.ok(isStudyToHost({ type: 'saveExport', chart: 'c', format: 'csv', data: 'a,b\n' }));
  assert.ok(!isStudyToHost({ type: 'saveExport', chart: 'c', format: 'png', data: 'not a data url' }));
  assert.ok(!isStudyToHost({ type: 'stopRun', runDir: '/r' }));
  const view: StudyViewMessage = {
    type: 'study', experiment: 'dd', file: '/w/dd.experiment.json', runs: 2, running: 0, axes: ['model.hidden'], metrics: ['finalTestLoss'], selection,
    logX: true, logY: false, marks: [{ axis: 'model.hidden', value: 100, label: 'width = nTrain' }], curves: { metric: 'finalTestLoss', xAxis: 'model.hidden', split: null, numeric: true, curves: [] }, grids: null, prediction: null, message: null,
  };
  assert.ok(isHostToStudy(view));
  assert.ok(!isHostToStudy({ ...view, curves: { curves: 'x' } }));
  assert.ok(!isHostToStudy({ ...view, axes: [1] }));
  assert.ok(!isHostToStudy({ ...view, marks: undefined }));
  assert.ok(!isHostToStudy({ ...view, marks: [{ axis: 'model.hidden', value: '100', label: 'n' }] }));
  assert.ok(!isHostToStudy({ ...view, type: 'show' }));
  // the tests' drive messages, and the panel's answer
  assert.ok(isHostToStudy({ type: 'drive', id: 1, action: { kind: 'pick', picker: 'metric', value: 'finalTestLoss' } }));
  assert.ok(isHostToStudy({ type: 'drive', id: 2, action: { kind: 'click', chart: 'studyHeatmap', runDir: '/r/a' } }));
  assert.ok(!isHostToStudy({ type: 'drive', id: 3, action: { kind: 'pick', picker: 'colour', value: 'x' } }));
  assert.ok(!isHostToStudy({ type: 'drive', id: 4, action: { kind: 'click', chart: 'loss', runDir: '/r/a' } }));
  assert.ok(!isHostToStudy({ type: 'drive', action: { kind: 'click', chart: 'studyCurve', runDir: '/r/a' } }));
  assert.ok(isStudyToHost({ type: 'driven', id: 1, error: null }));
  assert.ok(isStudyToHost({ type: 'driven', id: 1, error: 'no point of /r/a drawn' }));
  assert.ok(!isStudyToHost({ type: 'driven', id: '1', error: null }));
  // what the panel draws, asked by id
  assert.ok(isHostToStudy({ type: 'getState', id: 5 }));
  assert.ok(!isHostToStudy({ type: 'getState' }));
  const drawn = { experiment: 'dd', metric: 'finalTestLoss', curve: [], heatmap: null, scatter: null };
  assert.ok(isStudyToHost({ type: 'state', id: 5, state: drawn }));
  assert.ok(isStudyToHost({ type: 'state', id: 5, state: null }));
  assert.ok(!isStudyToHost({ type: 'state', state: drawn }));
  assert.ok(!isStudyToHost({ type: 'state', id: 5, state: { ...drawn, experiment: undefined } }));
});

test('heatmap colour scale: viridis ends, clamping, log positions, readable labels', () => {
  assert.equal(viridis(0), '#440154');
  assert.equal(viridis(1), '#fde725');
  assert.equal(viridis(-3), '#440154');
  assert.equal(viridis(NaN), '#440154');
  assert.equal(scalePosition(5, 0, 10), 0.5);
  assert.equal(scalePosition(3, 3, 3), 0.5);
  assert.ok(Math.abs(scalePosition(10, 1, 100, true) - 0.5) < 1e-12);
  for (let t = 0; t <= 1; t += 0.05) {
    const fill = viridis(t);
    assert.ok(contrastRatio(labelColor(fill), fill) >= 4.5, `${fill}`);
  }
  assert.equal(labelColor('#fde725'), '#000000');
  assert.equal(labelColor('#440154'), '#ffffff');
});
