import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Disposable, disposeAll } from '../../extension/host/dispose';
import { Emitter, type DisposableLike } from '../../extension/host/emitter';

class Owner extends Disposable {
  constructor(readonly order: string[]) {
    super();
  }
  own(name: string): void {
    this.register({ dispose: () => this.order.push(name) });
  }
  adopt(d: DisposableLike): void {
    this.register(d);
  }
}

test('a Disposable releases what it registered once, in order; registering after dispose releases at once', () => {
  const order: string[] = [];
  const o = new Owner(order);
  o.own('a');
  o.own('b');
  o.dispose();
  o.dispose();
  assert.deepEqual(order, ['a', 'b']);
  o.own('late');
  assert.deepEqual(order, ['a', 'b', 'late']);
});

test('an emitter subscription registered on a Disposable stops with it; disposeAll empties its list', () => {
  const emitter = new Emitter<number>();
  const seen: number[] = [];
  const o = new Owner([]);
  o.adopt(emitter.event((n) => seen.push(n)));
  emitter.fire(1);
  o.dispose();
  emitter.fire(2);
  assert.deepEqual(seen, [1]);
  const list = [{ dispose: () => seen.push(3) }, { dispose: () => seen.push(4) }];
  disposeAll(list);
  assert.deepEqual([seen, list.length], [[1, 3, 4], 0]);
});
