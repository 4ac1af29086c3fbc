import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileFixture, load, noErrors, type Loaded } from './helpers';

let m: Loaded;
before(async () => {
  const program = await compileFixture('arith', 'arith.c');
  noErrors(program);
  m = load(program);
});

test('int arithmetic wraps at 32 bits and unsigned wraps below zero', () => {
  assert.equal(m.call('int_overflow'), -2147483648);
  assert.equal(m.call('uint_wrap'), 4294967295);
  assert.equal(m.call('char_wrap'), -128 * 10000 + 0 + 127);
});

test('conversions truncate to the destination width', () => {
  assert.equal(m.call('short_trunc', 70000), 4464);
  assert.equal(m.call('short_trunc', 40000), -25536);
  assert.equal(m.call('u8_trunc', 0x1ff), 0xff);
  assert.equal(m.call('bool_conversion'), 10);
});

test('the usual arithmetic conversions apply to mixed signedness', () => {
  assert.equal(m.call('long_mix', -1, 1), 0);
  assert.equal(m.call('promote_uchar'), 300);
  assert.equal(m.call('negative_to_unsigned_compare'), 1);
});

test('64-bit values beyond 2^53 are exact', () => {
  assert.equal(m.call('ull_wrap'), 0xffffffffffffffffn);
  assert.equal(m.call('s64_mul', 4294967296, 4294967296), 0);
  assert.equal(m.call('s64_mul', 3037000499, 3037000499), 9223372030926249001n);
  assert.equal(m.call('u64_shift', 63), 0x8000000000000000n);
  assert.equal(m.call('u64_shift', 3), 8);
  assert.equal(m.call('s64_shift_right', -16, 2), -4);
  assert.equal(m.call('u32_shift_right', 0x80000000, 31), 1);
  assert.equal(m.call('u64_bits'), 0x7fffffff000000ffn);
  assert.equal(m.call('s64_min_div'), -4611686018427387904n);
  assert.equal(m.call('big_unsigned_add'), 0x10);
});

test('division truncates toward zero; remainder takes the sign of the dividend', () => {
  assert.equal(m.call('div_trunc', -7, 2), -3);
  assert.equal(m.call('mod_sign', -7, 2), -1);
  assert.equal(m.call('ulong_div', 10, 3), 3);
});

test('bit operations, sizes, literals, pointer difference', () => {
  assert.equal(m.call('bitops'), 0xfe);
  assert.equal(m.call('sizes'), 1000000 + 200000 + 40000 + 8000 + 800 + 80 + 1);
  assert.equal(m.call('literals'), 65 + 10 + 16 + 8 + 16);
  assert.equal(m.call('ptrdiff'), 7);
});

test('compound assignment and increments', () => {
  assert.equal(m.call('compound_ops'), 12);
  assert.equal(m.call('inc_dec'), 5775);
});

test('unsigned multiply wraps like the hardware', () => {
  const addr = m.machine.allocKernel(8, 'string');
  m.machine.memory.writeBytes(addr, Buffer.from('abc\0'));
  let h = 7;
  for (const c of 'abc') h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  assert.equal(m.call('hash_mix', 7, addr), h);
});
