import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ElfError, ElfFile, ET_REL, moduleObjectFromElf, STT_FUNC, STT_OBJECT } from '../../../server/src/kernel/elfSymbols';

const SOURCE = `
int counter[4] = {1, 2, 3, 4};
const int __ksymtab_traced = 0;
static int __attribute__((noinline)) helper(int x) { return x * counter[x & 3]; }
__attribute__((no_instrument_function)) int untraced(int x) { return x + 1; }
int traced(int x) { return helper(x) + untraced(x); }
__attribute__((section(".init.text"))) int init_fn(void) { return traced(1); }
`;

const hasCc = spawnSync('cc', ['--version']).status === 0;
// -mfentry/-mrecord-mcount (the kernel's ftrace flags) exist only for x86.
const x86 = arch() === 'x64';

/** Compiles the test source with cc into a relocatable object, like a .ko. */
function compile(flags: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'klp-elf-'));
  writeFileSync(join(dir, 't.c'), SOURCE);
  const r = spawnSync('cc', ['-c', '-O0', ...flags, 't.c', '-o', 't.o'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(join(dir, 't.o'));
}

describe('ELF symbol reader', { skip: hasCc ? false : 'cc is not installed: cannot build a test object' }, () => {
  test('reads sections and symbols of a relocatable object', () => {
    const elf = ElfFile.fromBuffer(compile([]));
    assert.equal(elf.elfType, ET_REL);
    assert.ok(elf.section('.text'));
    assert.ok(elf.section('.init.text'));
    const syms = elf.symbols();
    assert.equal(syms[0].name, '');
    const byName = new Map(syms.map((s) => [s.name, s]));
    assert.equal(byName.get('counter')?.type, STT_OBJECT);
    assert.equal(byName.get('counter')?.size, 16);
    assert.equal(byName.get('traced')?.type, STT_FUNC);
    assert.ok((byName.get('traced')?.size ?? 0) > 0);
    assert.equal(elf.sections[byName.get('init_fn')!.shndx].name, '.init.text');
  });

  test('symbol order matches the symtab order nm -p prints', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'klp-elf-'));
    const file = join(dir, 't.o');
    writeFileSync(file, compile([]));
    const nm = spawnSync('nm', ['-p', file], { encoding: 'utf8' });
    if (nm.status !== 0) {
      t.skip('nm is not installed');
      return;
    }
    const fromNm = nm.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length === 3 && ['counter', '__ksymtab_traced', 'helper', 'untraced', 'traced', 'init_fn'].includes(f[2]))
      .map((f) => f[2]);
    const elf = ElfFile.open(file);
    try {
      const ours = elf.symbols().map((s) => s.name).filter((n) => fromNm.includes(n));
      assert.deepEqual(ours, fromNm);
    } finally {
      elf.close();
    }
  });

  test('moduleObjectFromElf: FUNC/OBJECT in symtab order, st_size, kallsyms type letters, init left out', () => {
    const elf = ElfFile.fromBuffer(compile([]));
    const obj = moduleObjectFromElf(elf);
    const names = obj.symbols.map((s) => s.name);
    const expectedOrder = elf.symbols().map((s) => s.name).filter((n) => names.includes(n));
    assert.deepEqual(names, expectedOrder);
    assert.deepEqual([...names].sort(), ['__ksymtab_traced', 'counter', 'helper', 'traced', 'untraced']);
    const sym = (n: string) => obj.symbols.find((s) => s.name === n)!;
    assert.equal(sym('counter').size, 16);
    assert.equal(sym('counter').type, 'd');
    assert.equal(sym('helper').type, 't');
    assert.equal(sym('traced').type, 'T', 'exported through __ksymtab_traced');
    assert.equal(sym('__ksymtab_traced').type, 'r');
    assert.notEqual(sym('helper').address, sym('counter').address);
    assert.deepEqual(obj.notPatchable, { init_fn: 'module init text, freed after the module is loaded' });
    assert.equal(obj.patchable, undefined, 'no __mcount_loc without -pg');
  });

  test('patchable from __mcount_loc relocations', { skip: x86 ? false : 'needs x86 -mfentry -mrecord-mcount' }, () => {
    const elf = ElfFile.fromBuffer(compile(['-pg', '-mfentry', '-mrecord-mcount']));
    assert.ok(elf.section('__mcount_loc'));
    const obj = moduleObjectFromElf(elf);
    assert.deepEqual(obj.patchable?.sort(), ['helper', 'traced']);
    assert.equal(obj.notPatchable?.init_fn, 'module init text, freed after the module is loaded');
  });

  test('bad input gives ElfError', () => {
    assert.throws(() => ElfFile.fromBuffer(Buffer.from('not an elf file at all, just text padding it out to 64 bytes.....')), ElfError);
    assert.throws(() => ElfFile.fromBuffer(Buffer.alloc(10)), ElfError);
    const good = compile([]);
    assert.throws(() => ElfFile.fromBuffer(good.subarray(0, 200)), ElfError);
  });
});
