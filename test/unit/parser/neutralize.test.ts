import assert from 'node:assert/strict';
import { test } from 'node:test';
import { neutralizeAnnotations } from '../../../server/src/parser/neutralize';

test('annotations are blanked without moving any offset', () => {
  const source = 'static int __init f(void)\n{ return 0; }\nstatic __printf(2,\n 3) int g(void);\n';
  const { text, annotations } = neutralizeAnnotations(source);
  assert.equal(text.length, source.length);
  assert.equal(text.split('\n').length, source.split('\n').length);
  assert.equal(text.indexOf('f(void)'), source.indexOf('f(void)'));
  assert.ok(!text.includes('__init'));
  assert.ok(!text.includes('__printf'));
  assert.deepEqual(annotations.map((a) => a.name), ['__init', '__printf']);
});

test('comments, strings and preprocessor lines keep their annotations', () => {
  const source = '#define __init __section(".init.text")\n/* __init */ const char *s = "__exit";\n';
  const { text, annotations } = neutralizeAnnotations(source);
  assert.equal(text, source);
  assert.equal(annotations.length, 0);
});

test('an unterminated comment or string does not throw', () => {
  for (const source of ['/* never closed __init', '"never closed __init', "'x", '#define A \\\n']) {
    assert.equal(neutralizeAnnotations(source).text.length, source.length);
  }
});

test('a blanked annotation keeps its line breaks, CRLF ones too, however long it is', () => {
  const long = 'a'.repeat(300);
  const annotation = `__attribute__((aligned(8),\r\n\tsection(".data.${long}"),\n\tused))`;
  const source = `int x ${annotation};\r\nint y;\n`;
  const { text } = neutralizeAnnotations(source);
  const start = source.indexOf('__attribute__');
  // Every character of the annotation is a space but its \r and \n; the rest is untouched.
  const blanked = [...annotation].map((c) => (c === '\r' || c === '\n' ? c : ' ')).join('');
  assert.equal(text, source.slice(0, start) + blanked + source.slice(start + annotation.length));
});
