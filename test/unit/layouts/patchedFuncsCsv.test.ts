import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPatchedFuncsFile, parsePatchedFuncs } from '../../../server/src/layouts/patchedFuncsCsv';

/** 0-based line and column of the first occurrence of `needle` at or after line `fromLine`. */
function at(text: string, needle: string, fromLine = 0): { line: number; character: number } {
  const lines = text.split('\n');
  for (let line = fromLine; line < lines.length; line++) {
    const character = lines[line].indexOf(needle);
    if (character >= 0) return { line, character };
  }
  throw new Error(`${needle} not in text`);
}

describe('patched_funcs.csv', () => {
  it('reads blank- and comma-separated lines, comments, a title line and an optional sympos', () => {
    const text = [
      'object, old_func, new_func',
      '# the fix for the cmdline leak',
      '',
      'vmlinux  cmdline_proc_show   klpp_cmdline_proc_show   # trailing comment',
      'ext4,ext4_setattr,klpp_ext4_setattr',
      'vmlinux, tcp_ack.isra.0 ,klpp_tcp_ack, 2\r',
    ].join('\n');
    const list = parsePatchedFuncs('/fix/patched_funcs.csv', text);
    assert.deepEqual(list.problems, []);
    assert.deepEqual(
      list.lines.map((l) => [l.object.value, l.oldName.value, l.newFunc.value, l.sympos?.value]),
      [
        ['vmlinux', 'cmdline_proc_show', 'klpp_cmdline_proc_show', undefined],
        ['ext4', 'ext4_setattr', 'klpp_ext4_setattr', undefined],
        ['vmlinux', 'tcp_ack.isra.0', 'klpp_tcp_ack', 2],
      ],
    );
    const newFunc = list.lines[0].newFunc.location;
    assert.equal(newFunc.file, '/fix/patched_funcs.csv');
    assert.deepEqual(newFunc.range.start, at(text, 'klpp_cmdline_proc_show'));
    assert.equal(newFunc.range.end.character - newFunc.range.start.character, 'klpp_cmdline_proc_show'.length);
    assert.deepEqual(list.lines[2].sympos?.location.range.start, at(text, '2\r'));
  });

  it('reports malformed lines at the field they are about and keeps reading', () => {
    const text = [
      'vmlinux pipe_read',
      'vmlinux,,klpp_pipe_write',
      'vm/linux pipe_read klpp_pipe_read',
      'vmlinux 9pipe klpp_pipe_read',
      'vmlinux pipe_read klpp-pipe-read',
      'vmlinux pipe_read klpp_pipe_read first',
      'vmlinux a b c d',
      'vmlinux pipe_read klpp_pipe_read',
    ].join('\n');
    const list = parsePatchedFuncs('p.csv', text);
    assert.equal(list.lines.length, 1, 'only the last line is well-formed');
    assert.equal(list.lines[0].location.range.start.line, 7);
    const problems = list.problems.map((p) => [p.location.range.start.line, p.location.range.start.character, p.message]);
    assert.equal(problems.length, 7);
    assert.match(String(problems[0][2]), /found 2 fields/);
    assert.deepEqual(problems[1].slice(0, 2), [1, 8], 'the empty field between the commas');
    assert.deepEqual(problems[2].slice(0, 2), [2, 0]);
    assert.match(String(problems[2][2]), /not an object name/);
    assert.deepEqual(problems[3].slice(0, 2), [3, at(text, '9pipe').character]);
    assert.match(String(problems[4][2]), /'klpp-pipe-read' is not a C function name/);
    assert.deepEqual(problems[5].slice(0, 2), [5, at(text, 'first').character]);
    assert.match(String(problems[6][2]), /found 5 fields/);
  });

  it('never throws on odd input', () => {
    for (const text of ['', '\n\n', '#', ',,,', '\u0000\u0001 binary', 'x'.repeat(10_000), 'a b c\n'.repeat(1000)]) {
      const list = parsePatchedFuncs('p.csv', text);
      assert.ok(Array.isArray(list.lines) && Array.isArray(list.problems));
    }
  });

  it('is recognised by its file name only', () => {
    assert.ok(isPatchedFuncsFile('/tree/bsc1/patched_funcs.csv'));
    assert.ok(isPatchedFuncsFile('patched_funcs.csv'));
    assert.ok(!isPatchedFuncsFile('/tree/bsc1/other.csv'));
    assert.ok(!isPatchedFuncsFile('/tree/bsc1/patched_funcs.csv.orig'));
  });
});
