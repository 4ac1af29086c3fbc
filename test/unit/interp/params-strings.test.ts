import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { CompiledProgram } from '../../../server/src/interp';
import { compileFixture, load, noErrors } from './helpers';

let params: CompiledProgram;
let strings: CompiledProgram;
before(async () => {
  params = await compileFixture('lp_params', 'params.c');
  strings = await compileFixture('lp_strings', 'strings.c');
  noErrors(params);
  noErrors(strings);
});

test('module parameters are registered with their declared types and descriptions', () => {
  const m = load(params);
  const p = m.handle.params.map((x) => [x.name, x.type, x.perm.toString(8)]);
  assert.deepEqual(p, [
    ['count', 'int', '644'], ['mask', 'uint', '444'], ['offset', 'long', '644'], ['limit', 'ulong', '644'],
    ['verbose', 'bool', '644'], ['label', 'charp', '644'], ['small', 'short', '644'], ['usmall', 'ushort', '644'],
    ['value', 'int', '600'], ['name', 'string', '644'],
  ]);
  assert.equal(m.handle.params[0].description, 'how many');
});

test('parameters read back as sysfs prints them', () => {
  const m = load(params);
  const get = (n: string) => m.handle.getParam(n);
  assert.deepEqual(['count', 'mask', 'offset', 'limit', 'verbose', 'label', 'small', 'usmall', 'value', 'name'].map(get),
    ['3', '255', '-5', '10', 'N', 'default', '-2', '2', '9', 'abc']);
});

test('setting parameters parses like the kernel and is visible to the module', () => {
  const m = load(params);
  assert.equal(m.handle.setParam('count', '7\n'), 0);
  assert.equal(m.handle.setParam('verbose', 'Y'), 0);
  assert.equal(m.handle.setParam('label', 'patched'), 0);
  assert.equal(m.handle.setParam('value', '0x10'), 0);
  assert.equal(m.call('param_summary'), 7000 + 100 + 7 + 160000);
  assert.equal(m.handle.getParam('label'), 'patched');
  assert.equal(m.handle.setParam('count', 'abc'), -22);
  assert.equal(m.handle.setParam('small', '40000'), -34);
  assert.equal(m.handle.setParam('verbose', 'maybe'), -22);
  assert.equal(m.handle.setParam('name', 'toolongname'), -28);
  assert.equal(m.handle.setParam('name', 'xy'), 0);
  assert.equal(m.handle.getParam('name'), 'xy');
  assert.equal(m.handle.setParam('nope', '1'), -2);
  assert.equal(m.handle.getParam('count'), '7');
});

test('string, memory, formatting and parsing functions', () => {
  const m = load(strings);
  assert.equal(m.call('string_ops'), 11 + 100 + 1000 + 10000 + 100000 + 1000000);
  assert.equal(m.call('mem_ops'), 400 + 0 + 1);
  assert.equal(m.call('format_ops'), 14 * 100 + 7 * 10 + 1);
  assert.equal(m.call('parse_ops'), 11111);
  const s = m.machine.allocKernel(8, 's');
  m.machine.memory.writeBytes(s, Buffer.from('hello\0'));
  const found = Number(m.call('dup_and_search', s));
  assert.equal(m.machine.readCString(found), 'llo');
  assert.equal(m.machine.memory.heapInUse, 6);
});
