/**
 * The `sysctl` scenario command: its two forms parse, malformed ones are reported with their
 * column and nothing runs (the transcript side is test/fixtures/sim/ftrace/sysctl).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../../../server/src/sim/scenario/parse';

describe('sysctl command', () => {
  it('reads a key, or writes one with -w', () => {
    const parsed = parseScenario('sysctl kernel.ftrace_enabled\nsysctl -w kernel/ftrace_enabled=0\n');
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.lines.map((l) => l.command), [
      { kind: 'sysctl', key: 'kernel.ftrace_enabled', value: undefined },
      { kind: 'sysctl', key: 'kernel/ftrace_enabled', value: '0' },
    ]);
  });

  it('reports malformed lines where they are wrong', () => {
    const cases: [string, RegExp, number][] = [
      ['sysctl', /expected a key/, 1],
      ['sysctl -w kernel.ftrace_enabled', /expected <key>=<value>/, 11],
      ['sysctl kernel.ftrace_enabled=0', /use -w/, 8],
      ['sysctl -w =0', /expected <key>=<value>/, 11],
      ['sysctl kernel.a kernel.b', /expected a key/, 1],
      ['sysctl -w kernel.$x=1', /not a sysctl key/, 11],
      ['sysctl kernel/../../sys', /not a sysctl key/, 8],
      ['sysctl .kernel', /not a sysctl key/, 8],
    ];
    for (const [text, message, column] of cases) {
      const parsed = parseScenario(text);
      assert.equal(parsed.lines.length, 0, text);
      assert.equal(parsed.errors.length, 1, text);
      assert.match(parsed.errors[0].message, message, text);
      assert.equal(parsed.errors[0].column, column, text);
    }
  });
});
