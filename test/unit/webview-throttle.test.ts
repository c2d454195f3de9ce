import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffscreenPolicy, RedrawThrottle } from '../../webview/shared/throttle';
import { FakeClock } from './export-fixture';

function setup() {
  const clock = new FakeClock();
  const draws: { t: number; keys: string[] }[] = [];
  const frames: (() => void)[] = [];
  const th = new RedrawThrottle<string>((k) => draws.push({ t: clock.t, keys: [...k].sort() }), {
    now: clock.now,
    setTimer: (fn, ms) => void clock.setTimer(fn, ms),
    // a frame arrives 16 ms later
    requestFrame: (fn) => void clock.setTimer(fn, 16),
  });
  return { clock, draws, th, frames };
}

test('redraw throttle: marks at 1 kHz give at most ~10 redraws a second', () => {
  const { clock, draws, th } = setup();
  for (let ms = 0; ms < 3000; ms++) {
    th.mark([ms % 2 ? 'loss' : 'gradNorm']);
    clock.advance(1);
  }
  clock.advance(500);
  assert.ok(draws.length <= 31, `${draws.length} redraws in 3 s`);
  assert.ok(draws.length >= 20, `${draws.length} redraws in 3 s: too few`);
  for (let i = 1; i < draws.length; i++) assert.ok(draws[i].t - draws[i - 1].t >= 100, 'redraws at least 100 ms apart');
});

test('redraw throttle: one redraw gets the union of dirty keys; nothing marked, nothing drawn', () => {
  const { clock, draws, th } = setup();
  clock.advance(1000);
  assert.equal(draws.length, 0);
  th.mark(['a']);
  th.mark(['b', 'a']);
  th.mark([]);
  clock.advance(50);
  assert.deepEqual(draws.map((d) => d.keys), [['a', 'b']]);
  th.mark([]);
  clock.advance(1000);
  assert.equal(draws.length, 1);
  th.mark(['c']);
  assert.equal(th.pending, true);
  clock.advance(200);
  assert.deepEqual(draws[1].keys, ['c']);
});

test('redraw throttle: slow redraws (300 ms) take at most half of the thread', () => {
  const clock = new FakeClock();
  const spans: { start: number; end: number }[] = [];
  const th = new RedrawThrottle<string>(
    () => {
      const start = clock.t;
      clock.t += 300; // the redraw itself takes 300 ms of this thread
      spans.push({ start, end: clock.t });
    },
    { now: clock.now, setTimer: (fn, ms) => void clock.setTimer(fn, ms), requestFrame: (fn) => void clock.setTimer(fn, 16) },
  );
  for (let ms = 0; ms < 10_000; ms += 5) {
    th.mark(['loss']);
    clock.advance(5);
  }
  const busy = spans.reduce((a, s) => a + (s.end - s.start), 0);
  assert.ok(spans.length >= 5, `${spans.length} redraws in 10 s`);
  assert.ok(busy / clock.t <= 0.52, `redraws took ${((100 * busy) / clock.t).toFixed(0)} % of the time`);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i].start - spans[i - 1].end >= 300 - 1e-9, 'less than the redraw time between redraws');
});

test('redraw throttle: after a very slow redraw (900 ms) the next one waits at most 300 ms', () => {
  const clock = new FakeClock();
  const spans: { start: number; end: number }[] = [];
  let cost = 900;
  const th = new RedrawThrottle<string>(
    () => {
      const start = clock.t;
      clock.t += cost;
      cost = 50;
      spans.push({ start, end: clock.t });
    },
    { now: clock.now, setTimer: (fn, ms) => void clock.setTimer(fn, ms), requestFrame: (fn) => void clock.setTimer(fn, 16) },
  );
  for (let ms = 0; ms < 3000; ms += 5) {
    th.mark(['loss']);
    clock.advance(5);
  }
  assert.ok(spans.length >= 3, `${spans.length} redraws`);
  const pause = spans[1].start - spans[0].end;
  assert.ok(pause >= 300 - 1e-9 && pause <= 300 + 16 + 5, `paused ${pause} ms after the 900 ms redraw`);
});


test('offscreen policy: charts out of view redraw for data at most every 2 s; forced and newly visible ones at once', () => {
  const p = new OffscreenPolicy<string>(2000);
  // first draw of every chart, on screen or not
  assert.deepEqual(p.select(['loss', 'benford'], 0), { draw: ['loss', 'benford'], retryInMs: null });
  p.setOnScreen('loss', true);
  // new data 100 ms later: the visible chart redraws, the hidden one waits until 2 s after its last draw
  assert.deepEqual(p.select(['loss', 'benford'], 100), { draw: ['loss'], retryInMs: 1900 });
  assert.deepEqual(p.select(['loss', 'benford'], 1500), { draw: ['loss'], retryInMs: 500 });
  assert.deepEqual(p.deferredKeys, ['benford']);
  assert.deepEqual(p.select(['benford'], 2000), { draw: ['benford'], retryInMs: null });
  // a forced redraw (a control, the theme, a status) draws hidden charts too, once
  assert.deepEqual(p.select(['benford'], 2100).draw, []);
  p.force(['benford']);
  assert.deepEqual(p.select(['benford'], 2200), { draw: ['benford'], retryInMs: null });
  assert.deepEqual(p.select(['benford'], 2300).draw, []);
  // scrolled into view with a redraw deferred: the caller is told to mark it, and it draws at once
  assert.equal(p.setOnScreen('benford', true), true);
  assert.deepEqual(p.select(['benford'], 2400), { draw: ['benford'], retryInMs: null });
  assert.equal(p.setOnScreen('benford', true), false); // nothing deferred
  assert.deepEqual(p.deferredKeys, []);
  // out of view again
  p.setOnScreen('loss', false);
  assert.deepEqual(p.select(['loss'], 2500).draw, []);
  p.reset();
  assert.deepEqual(p.select(['loss'], 2600).draw, ['loss']);
});
