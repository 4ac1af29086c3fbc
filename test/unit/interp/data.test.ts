import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileFixture, load, noErrors, type Loaded } from './helpers';

let m: Loaded;
before(async () => {
  const program = await compileFixture('data', 'data.c');
  noErrors(program);
  m = load(program);
});

function str(text: string): number {
  const a = m.machine.allocKernel(text.length + 1, 'test string');
  m.machine.memory.writeBytes(a, Buffer.from(`${text}\0`));
  return a;
}

test('designated and positional initializers at any depth', () => {
  assert.equal(m.call('shape_checks'), 3000000 + 100000 + 10000 + 9000 + 300 + 80 + 3);
  assert.equal(m.call('union_and_bits'), 2000 + 100 + 60 + 1 + 10000);
  assert.equal(m.call('grid_sum'), 10 + 14 * 2 + (20 + 30) * 3 + 6000);
  assert.equal(m.call('enum_names'), 1 + 50 + 600 + 16000 + 'i'.charCodeAt(0));
});

test('pointers to fields and elements, pointer arithmetic', () => {
  assert.equal(m.call('pointers_to_fields'), 15 * 10000 + 13 * 100 + 104 + 2000000);
});

test('function pointers in tables and returned from functions', () => {
  assert.equal(m.call('dispatch', str('mul'), 6, 7), 42);
  assert.equal(m.call('dispatch', str('sub'), 6, 7), -1);
  assert.equal(m.call('dispatch', str('add'), 6, 7), 13);
  assert.equal(m.call('dispatch', str('nope'), 6, 7), -1);
  assert.equal(m.call('function_pointer_return', 1), 43);
  assert.equal(m.call('function_pointer_return', 0), 15);
});

test('static locals are initialized once and persist across calls', () => {
  assert.equal(m.call('static_counter'), 41);
  assert.equal(m.call('static_counter'), 42);
  assert.equal(m.call('static_counter'), 43);
});

test('lists: iteration with container_of, safe deletion, kfree', () => {
  assert.equal(m.call('list_demo', 5), 12345 * 1000 + 9 * 10 + 1);
  assert.equal(m.call('container_of_demo'), 77 + 8 * 1000);
  assert.equal(m.machine.memory.heapInUse, 0);
});

test('struct values: return, copy, by-value arguments, compound literals', () => {
  assert.equal(m.call('struct_values'), 30000 + 1000 + 6 + 2000000);
  assert.equal(m.call('sizeof_structs'), 8000 + 240 + 3);
  assert.equal(m.call('local_array_init', 2), 1600 + 60 + 1);
  assert.equal(m.call('typeof_and_swap'), 215);
});

test('bit-fields: one width per declarator, wraparound within the width, sign extension', () => {
  assert.equal(m.call('multi_bitfields'), 0 + 31 - 1000 + 4);
});
