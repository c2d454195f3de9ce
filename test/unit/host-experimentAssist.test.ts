import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionsAt, fixesFor, hoverAt, parsePath, schemaReference } from '../../extension/host/experimentAssist';
import { parseExperiment } from '../../extension/engine/config';

/** The text with `|` removed and the offset where it stood. */
function at(src: string): [string, number] {
  const i = src.indexOf('|');
  return [src.slice(0, i) + src.slice(i + 1), i];
}
const labels = (src: string) => completionsAt(...at(src)).map((c) => c.label);

test('parsePath reads the validator paths', () => {
  assert.deepEqual(parsePath('configs[1].optimizer.lr'), ['configs', 1, 'optimizer', 'lr']);
  assert.deepEqual(parsePath('defaults.task.p'), ['defaults', 'task', 'p']);
});

test('optimizer completion offers only the fields of the optimizer in effect', () => {
  const adamw = labels('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "name": "adamw", | } }] }');
  assert.ok(adamw.includes('beta2') && adamw.includes('lr') && adamw.includes('weightDecay'), adamw.join());
  assert.ok(!adamw.includes('momentum') && !adamw.includes('nesterov'), adamw.join());
  assert.ok(!adamw.includes('name'), 'a key already written is not offered again');
  const momentum = labels('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "name": "momentum", | } }] }');
  assert.ok(momentum.includes('momentum') && momentum.includes('nesterov') && !momentum.includes('beta1'), momentum.join());
  // The optimizer set in defaults applies inside a config that does not name one.
  const inherited = labels('{ "name": "e", "defaults": { "optimizer": { "name": "sgd" } }, "configs": [{ "name": "a", "optimizer": { | } }] }');
  assert.ok(!inherited.includes('beta1') && !inherited.includes('momentum') && inherited.includes('lr'), inherited.join());
  // No name anywhere: the built-in default (adamw).
  assert.ok(!labels('{ "name": "e", "configs": [{ "name": "a", "optimizer": { | } }] }').includes('momentum'));
});

test('task completion offers the fields of its kind; without a kind, every kind', () => {
  const modular = labels('{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular", | } }] }');
  assert.ok(modular.includes('p') && modular.includes('trainFraction') && !modular.includes('frequency'), modular.join());
  const fromDefaults = labels('{ "name": "e", "defaults": { "task": { "kind": "sine" } }, "configs": [{ "name": "a", "task": { | } }] }');
  assert.ok(fromDefaults.includes('frequency') && !fromDefaults.includes('p'), fromDefaults.join());
  const none = completionsAt(...at('{ "name": "e", "defaults": { "task": { | } }, "configs": [] }'));
  assert.ok(none.some((c) => c.label === 'kind') && none.some((c) => c.label === 'p') && none.some((c) => c.label === 'frequency'));
  const kindValues = completionsAt(...at('{ "name": "e", "defaults": { "task": { "kind": | } }, "configs": [] }')).map((c) => c.label);
  assert.deepEqual(kindValues, ['"modular"', '"polynomial"', '"sine"', '"teacher"']);
});

test('a completion inserts key and default value; its docs carry default, range and source', () => {
  const lr = completionsAt(...at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { | } }] }')).find((c) => c.label === 'lr')!;
  assert.equal(lr.insert, '"lr": ${1:0.001}');
  assert.equal(lr.detail, 'number · default 0.001 · > 0');
  const wd = completionsAt(...at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { | } }] }')).find((c) => c.label === 'weightDecay')!;
  assert.match(wd.documentation, /Loshchilov & Hutter 2019/);
  const values = completionsAt(...at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "name": "|" } }] }'));
  assert.deepEqual(values.map((v) => v.insert), ['"sgd"', '"momentum"', '"adam"', '"adamw"']);
  // Each completion replaces the token typed so far, quotes included.
  const [t, o] = at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "weightD|" } }] }');
  const w = completionsAt(t, o).find((c) => c.label === 'weightDecay')!;
  assert.equal(t.slice(w.offset, w.offset + w.length), '"weightD"');
  assert.equal(w.insert, '"weightDecay": ${1:0}');
  const [t2, o2] = at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "l|": 1 } }] }');
  assert.equal(completionsAt(t2, o2).find((c) => c.label === 'lr')!.insert, '"lr"', 'a key with a value: the key alone');
});

test('hover: type, default, range, explanation and paper; warns when a field does not apply', () => {
  const [text, off] = at('{ "name": "e", "configs": [{ "name": "a", "optimizer": { "name": "adamw", "mom|entum": 0.9 } }] }');
  const h = hoverAt(text, off)!;
  assert.match(h.markdown, /\*\*optimizer\.momentum\*\* — number · default 0\.9 · ≥ 0, < 1/);
  assert.match(h.markdown, /Polyak 1964/);
  assert.match(h.markdown, /no effect with the `adamw` optimizer/);
  assert.equal(text.slice(h.offset, h.offset + h.length), '"momentum"');
  const [t2, o2] = at('{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular", "p": 2|3 } }] }');
  const p = hoverAt(t2, o2)!;
  assert.match(p.markdown, /\*\*task\.p\*\* — integer · default 97 · ≥ 2/);
  assert.match(p.markdown, /Power et al\. 2022/);
  assert.equal(hoverAt('{ "name": "e" }', 1), null);
});

test('quick fixes: the validator\'s "did you mean" suggestion replaces the key', () => {
  const text = '{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular" }, "optimizer": { "weightDecy": 1 } }] }';
  const [p] = parseExperiment(text).configs.flatMap((c) => c.problems);
  assert.match(p.message, /did you mean 'weightDecay'/);
  const [fix] = fixesFor(text, p);
  assert.equal(fix.title, "Change to 'weightDecay'");
  const edited = text.slice(0, fix.offset) + fix.text + text.slice(fix.offset + fix.length);
  assert.equal(edited, '{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular" }, "optimizer": { "weightDecay": 1 } }] }');
  assert.deepEqual(parseExperiment(edited).configs.flatMap((c) => c.problems), []);
});

test('quick fixes: an out-of-range number is moved to the bound, or the default when the bound is excluded', () => {
  const fix = (text: string) => {
    const probs = parseExperiment(text).configs.flatMap((c) => c.problems);
    assert.equal(probs.length, 1, probs.map((x) => x.message).join());
    return fixesFor(text, probs[0]).map((f) => [f.title, f.text, f.preferred]);
  };
  assert.deepEqual(fix('{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular", "labelNoise": 1.5 } }] }'), [
    ['Change to 1 (the maximum)', '1', true],
    ['Change to 0 (the default)', '0', false],
  ]);
  assert.deepEqual(fix('{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular" }, "optimizer": { "lr": 0 } }] }'), [['Change to 0.001 (the default)', '0.001', true]]);
  assert.deepEqual(fix('{ "name": "e", "configs": [{ "name": "a", "task": { "kind": "modular" }, "optimizer": { "weightDecay": -1 } }] }'), [['Change to 0 (the minimum)', '0', true]]);
});

test('schemaReference: finds $schema and deletes its whole line', () => {
  const text = '{\n  "$schema": "../schema.json",\n  "name": "e"\n}';
  const r = schemaReference(text)!;
  assert.equal(text.slice(r.offset, r.offset + r.length), '"$schema"');
  assert.equal(text.slice(0, r.deleteOffset) + text.slice(r.deleteOffset + r.deleteLength), '{\n  "name": "e"\n}');
  assert.equal(schemaReference('{ "name": "e" }'), null);
});
