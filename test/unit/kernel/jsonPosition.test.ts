import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  escapeJsonPointerSegment,
  findJsonSyntaxError,
  locateJsonPointer,
  locateJsonPointers,
  offsetsToPositions,
  parseJsonPointer,
} from '../../../server/src/kernel/jsonPosition';

describe('JSON pointer positions', () => {
  const text = '{\n  "a": [1, {"b/c": true, "d~e": "x\\"y"}],\n  "n": null,\n\t"s": "é",  "last": {"k": [ ] }\n}';

  test('locates values by pointer, with escaped segments', () => {
    assert.deepEqual(locateJsonPointer(text, ''), { offset: 0, line: 0, character: 0 });
    assert.deepEqual(locateJsonPointer(text, '/a'), { offset: 9, line: 1, character: 7 });
    assert.equal(locateJsonPointer(text, '/a/0')?.character, 8);
    assert.equal(locateJsonPointer(text, '/a/1/b~1c')?.character, text.split('\n')[1].indexOf('true'));
    assert.equal(locateJsonPointer(text, '/a/1/d~0e')?.character, text.split('\n')[1].indexOf('"x'));
    assert.deepEqual(locateJsonPointer(text, '/n'), { offset: text.indexOf('null'), line: 2, character: 7 });
    assert.equal(locateJsonPointer(text, '/s')?.line, 3);
    assert.equal(locateJsonPointer(text, '/last/k')?.character, text.split('\n')[3].indexOf('[ ]'));
  });

  test('missing members are absent; several pointers in one pass', () => {
    assert.equal(locateJsonPointer(text, '/zzz'), undefined);
    assert.equal(locateJsonPointer(text, '/a/7'), undefined);
    const found = locateJsonPointers(text, ['/n', '/a/1', '/nope', '/last']);
    assert.deepEqual([...found.keys()].sort(), ['/a/1', '/last', '/n']);
  });

  test('pointer helpers', () => {
    assert.deepEqual(parseJsonPointer('/a~1b/c~0d/0'), ['a/b', 'c~d', '0']);
    assert.deepEqual(parseJsonPointer(''), []);
    assert.equal(escapeJsonPointerSegment('a/b~c'), 'a~1b~0c');
  });

  test('offsetsToPositions handles any order and CRLF', () => {
    const t = 'ab\r\ncd\nef';
    assert.deepEqual(
      offsetsToPositions(t, [8, 0, 5]).map((p) => [p.line, p.character]),
      [
        [2, 1],
        [0, 0],
        [1, 1],
      ],
    );
  });
});

describe('JSON syntax errors', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['missing comma', '{"a": 1\n "b": 2}', 1, 1, /expected ',' or '}'/],
    ['trailing comma', '{"a": [1, 2,]}', 0, 12, /expected a value/],
    ['unterminated string', '{"a": "abc', 0, 6, /unterminated string/],
    ['bad escape', '{"a": "\\q"}', 0, 7, /invalid escape/],
    ['control character', '{"a": "x\ty"}', 0, 8, /control character/],
    ['single quotes', "{'a': 1}", 0, 1, /property name in double quotes/],
    ['bad number', '{"a": -}', 0, 6, /invalid number/],
    ['leading zeros are two tokens', '{"a": 01}', 0, 7, /expected ',' or '}'/],
    ['garbage after', '{} x', 0, 3, /after the end/],
    ['empty', '  ', 0, 2, /empty document/],
    ['truncated', '{"a": [1,', 0, 9, /unexpected end of input/],
    ['missing colon', '{"a" 1}', 0, 5, /expected ':'/],
  ];
  for (const [name, text, line, character, message] of cases) {
    test(name, () => {
      assert.throws(() => JSON.parse(text));
      const e = findJsonSyntaxError(text);
      assert.ok(e, 'an error is found');
      assert.match(e.message, message);
      assert.deepEqual([e.position.line, e.position.character], [line, character]);
    });
  }

  test('valid JSON (also with a BOM) has no error', () => {
    assert.equal(findJsonSyntaxError('{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}'), undefined);
    assert.equal(findJsonSyntaxError('\ufeff[]'), undefined);
  });
});
