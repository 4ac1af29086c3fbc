import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileFixture, load, noErrors, type Loaded } from './helpers';

let m: Loaded;
before(async () => {
  const program = await compileFixture('control', 'control.c');
  noErrors(program);
  m = load(program);
});

test('switch falls through until break and takes default otherwise', () => {
  assert.equal(m.call('switch_fallthrough', 0), 111);
  assert.equal(m.call('switch_fallthrough', 1), 110);
  assert.equal(m.call('switch_fallthrough', 2), 100);
  assert.equal(m.call('switch_fallthrough', 3), -3);
  assert.equal(m.call('switch_fallthrough', 8), 79);
  assert.equal(m.call('switch_fallthrough', 42), -1);
  assert.equal(m.call('switch_no_default', 98), 2);
  assert.equal(m.call('switch_no_default', 0), 5);
});

test('goto unwinds through cleanup labels', () => {
  assert.equal(m.call('goto_cleanup', 0), 3);
  assert.equal(m.call('goto_cleanup', 1), -1);
  assert.equal(m.call('goto_cleanup', 2), 0x100 - 2);
  assert.equal(m.call('goto_cleanup', 3), 0x100 - 3);
});

test('for/while/do loops with break and continue', () => {
  // i: 0+1+2+4+5+6+7 = 25; while: 10 (n=10); do: j=5; for(;;): j=21
  assert.equal(m.call('loops', 10), 25 + 1000 + 50000 + 21000000);
  assert.equal(m.call('nested_break'), 5 * (11 + 0));
});

test('&&, || and ?: evaluate only what C evaluates', () => {
  assert.equal(m.call('short_circuit', 0), 6 + 2 * 10);
  assert.equal(m.call('short_circuit', 1), 5 + 1102 * 10);
  assert.equal(m.call('logical_values', 0, 7), 1);
  assert.equal(m.call('logical_values', 1, 0), 1);
  assert.equal(m.call('logical_values', 1, 3), 11);
});

test('comma, nested ternaries, statement expressions, recursion', () => {
  assert.equal(m.call('comma_and_ternary', 5), 11);
  assert.equal(m.call('comma_and_ternary', -1), 1);
  assert.equal(m.call('comma_and_ternary', 1), 0);
  assert.equal(m.call('statement_expression', 4), 23);
  assert.equal(m.call('recursion', 15), 610);
  assert.equal(m.call('min_max', 3, 9), 309 + 30000);
  assert.equal(m.call('call_in_condition', 2), 2);
});
