import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Log } from '../../extension/host/log';

test('the log writes each line with its time, and marks warnings and errors', () => {
  const lines: string[] = [];
  let shown: boolean | undefined;
  const log = new Log({ appendLine: (l) => lines.push(l), show: (p) => (shown = p) }, () => new Date('2026-01-02T03:04:05.678Z'));
  log.info('Queued a');
  log.warn('slow disk');
  log.error('Config "x" cannot run');
  assert.deepEqual(lines, ['[03:04:05] Queued a', '[03:04:05] warning: slow disk', '[03:04:05] error: Config "x" cannot run']);
  log.show();
  assert.equal(shown, true, 'shown without taking the focus');
});
