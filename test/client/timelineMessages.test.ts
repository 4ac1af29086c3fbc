/**
 * The timeline webview's messages are untrusted: the extension opens a source line only for a
 * well-formed `open` message naming a line the timeline links to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllowedLocations } from '../../client/src/timelineMessages';

const at = (uri: string, line: number) => ({ uri, range: { start: { line, character: 0 }, end: { line, character: 0 } } });

describe('messages from the timeline webview', () => {
  const allowed = new AllowedLocations([at('file:///work/lp.c', 30), at('file:///work/s.klpsim', 6), at('file:///work/lp.c', 30)]);

  it('accepts an open message for a line the timeline shows', () => {
    assert.equal(allowed.size, 2);
    assert.deepEqual(allowed.openRequestOf({ command: 'open', uri: 'file:///work/lp.c', line: 30 }), { uri: 'file:///work/lp.c', line: 30 });
    assert.deepEqual(allowed.openRequestOf({ command: 'open', uri: 'file:///work/s.klpsim', line: 6, extra: true }), { uri: 'file:///work/s.klpsim', line: 6 });
  });

  it('refuses anything else', () => {
    const refused: unknown[] = [
      undefined,
      null,
      'open',
      ['open', 'file:///work/lp.c', 30],
      { command: 'run', uri: 'file:///work/lp.c', line: 30 },
      { command: 'open', uri: 'file:///work/lp.c', line: 31 },
      { command: 'open', uri: 'file:///work/lp.c', line: '30' },
      { command: 'open', uri: 'file:///work/lp.c', line: 30.5 },
      { command: 'open', uri: 'file:///work/lp.c', line: -1 },
      { command: 'open', uri: 'file:///etc/shadow', line: 30 },
      { command: 'open', uri: 'command:workbench.action.terminal.new', line: 0 },
      { command: 'open', line: 30 },
    ];
    for (const message of refused) assert.equal(allowed.openRequestOf(message), undefined, JSON.stringify(message));
  });
});
