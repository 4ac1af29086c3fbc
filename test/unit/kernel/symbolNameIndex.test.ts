import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SymbolNameIndex } from '../../../server/src/kernel/symbolNameIndex';
import type { KernelSymbol } from '../../../server/src/kernel/types';

const symbol = (name: string, index: number): KernelSymbol => ({ name, type: 't', address: (0x1000 + index * 16).toString(16) });

/** What the index must answer: a scan of the whole list, in kallsyms order. */
const scan = (symbols: KernelSymbol[], name: string) => symbols.filter((s) => s.name === name);

describe('SymbolNameIndex', () => {
  it('finds every same-named symbol in kallsyms order, as a fresh array', () => {
    const symbols = ['show', 'open', 'show', 'release', 'show', 'open'].map(symbol);
    const index = new SymbolNameIndex(symbols);
    for (const name of ['show', 'open', 'release']) {
      const found = index.named(name);
      assert.deepEqual(found, scan(symbols, name));
      for (const s of found) assert.ok(symbols.includes(s), 'the model\'s own symbol objects');
    }
    index.named('show').pop();
    assert.equal(index.named('show').length, 3);
  });

  it('answers names it does not hold, including prefixes and the empty name', () => {
    const index = new SymbolNameIndex(['pipe_read', 'pipe_write'].map(symbol));
    for (const name of ['pipe', 'pipe_rea', 'pipe_read_', '', 'PIPE_READ']) {
      assert.deepEqual(index.named(name), []);
      assert.equal(index.has(name), false);
    }
    assert.equal(index.has('pipe_write'), true);
    assert.deepEqual(new SymbolNameIndex([]).named('x'), []);
  });

  it('agrees with a scan on a large list with duplicates and colliding probes', () => {
    const names: string[] = [];
    for (let i = 0; i < 20_000; i++) names.push(i % 7 === 0 ? `dup_${i % 50}` : `fn_${(i * 7919) % 15_000}`);
    const symbols = names.map(symbol);
    const index = new SymbolNameIndex(symbols);
    const byName = new Map<string, KernelSymbol[]>();
    for (const s of symbols) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    for (const [name, expected] of byName) assert.deepEqual(index.named(name), expected, name);
    for (let i = 15_000; i < 15_500; i++) assert.deepEqual(index.named(`fn_${i}`), []);
  });
});
