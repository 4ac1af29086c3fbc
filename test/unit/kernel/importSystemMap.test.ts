import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  guessArchitecture,
  importSystemMap,
  looksLikeSymbolMap,
  patchableFromFtraceLocations,
  releaseFromFileName,
} from '../../../server/src/kernel/importSystemMap';
import { kernelModelFromJson } from '../../../server/src/kernel/load';

const fixtures = join(__dirname, '../../fixtures/kernel');
const mapPath = join(fixtures, 'System.map-6.1.0-99-amd64');
const mapText = readFileSync(mapPath, 'utf8');
const kallsymsPath = join(fixtures, 'kallsyms-6.1.0-99-amd64');
const kallsymsText = readFileSync(kallsymsPath, 'utf8');

function importMap() {
  const r = importSystemMap(mapText, { fileName: mapPath });
  assert.deepEqual(r.errors, []);
  assert.ok(r.model);
  return r.model;
}

describe('System.map import', () => {
  test('release, version and architecture are derived from the file name', () => {
    const m = importMap();
    assert.equal(m.release, '6.1.0-99-amd64');
    assert.deepEqual(m.version, { major: 6, minor: 1, patch: 0 });
    assert.equal(m.architecture, 'x86_64');
    assert.equal(m.formatVersion, 1);
    assert.equal((m.provenance as Record<string, unknown>).importer, 'System.map');
    assert.deepEqual(m.loadedModules, []);
  });

  test('symbols keep file order, and lookup counts duplicates in that order', () => {
    const m = importMap();
    const names = m.objects.vmlinux.symbols.map((s) => s.name);
    assert.deepEqual(names, mapText.trim().split('\n').map((l) => l.split(' ')[2]));
    const model = kernelModelFromJson(m, 'fixture').model!;
    assert.deepEqual(
      model.lookup('vmlinux', 'type_show').map((s) => s.address),
      ['ffffffff81001000', 'ffffffff81001080', 'ffffffff83000100'],
    );
    assert.equal(model.lookup('vmlinux', 'type_show.cold').length, 1);
    assert.equal(model.lookup('vmlinux', 'names').length, 2);
    // Leading zeros are dropped so addresses are canonical.
    assert.equal(model.lookup('vmlinux', '__per_cpu_start')[0].address, '0');
  });

  test('text sizes are the distance to the next higher address', () => {
    const m = importMap();
    const size = (name: string) => m.objects.vmlinux.symbols.find((s) => s.name === name)?.size;
    assert.equal(size('type_show'), 0x40);
    assert.equal(size('startup_64'), 0xf00);
    // Aliases at one address both reach the next distinct address.
    assert.equal(size('_stext'), 0x100);
    assert.equal(size('_text'), 0x100);
    assert.equal(size('arch_cpu_idle'), 0x2000 - 0x1140);
    assert.equal(size('init_only_helper'), 0x100);
    // Data symbols get no size (kallsyms sizes are only meaningful for text).
    assert.equal(size('linux_banner'), undefined);
    assert.equal(size('kexec_control_code_size'), undefined);
  });

  test('notPatchable from the section markers', () => {
    const np = importMap().objects.vmlinux.notPatchable ?? {};
    assert.equal(np.do_syscall_64, 'noinstr section');
    assert.equal(np.exc_nmi_helper, 'noinstr section');
    assert.equal(np.entry_SYSCALL_64, 'entry text');
    assert.equal(np.asm_sysvec_apic_timer_interrupt, 'irqentry text');
    assert.equal(np.start_kernel, 'init text, freed after boot');
    assert.equal(np.init_only_helper, 'init text, freed after boot');
    // Marker symbols are not functions; softirq entry text is traceable; a name with a
    // patchable copy elsewhere is not listed (the list is by name).
    for (const name of ['__noinstr_text_start', '_sinittext', '__do_softirq', 'type_show', 'schedule', 'linux_banner']) {
      assert.equal(np[name], undefined, name);
    }
  });

  test('patchable from ftrace call sites, init text excluded, aliases included', () => {
    const m = importSystemMap(mapText, {
      fileName: mapPath,
      ftraceLocations: {
        vmlinux: ['ffffffff81000104', 'ffffffff81001044', 'ffffffff810010c4', 'ffffffff83000004', 'ffffffff81000000'],
      },
    }).model!;
    assert.deepEqual(m.objects.vmlinux.patchable?.sort(), ['_stext', '_text', 'cmdline_proc_show', 'schedule', 'startup_64']);
    const model = kernelModelFromJson(m, 'x').model!;
    assert.deepEqual(model.isPatchable('vmlinux', 'schedule'), { patchable: true });
    assert.equal(model.isPatchable('vmlinux', 'type_show').patchable, false);
    assert.equal(model.isPatchable('vmlinux', 'start_kernel').reason, 'init text, freed after boot');
  });

  test('patchableFromFtraceLocations ignores sites past the end of a sized function', () => {
    const syms = [
      { name: 'a', type: 't', address: '1000', size: 0x10 },
      { name: 'b', type: 't', address: '1100', size: 0x10 },
    ];
    assert.deepEqual(patchableFromFtraceLocations(syms, ['1004', '1050', '1100', 'f00']), ['a', 'b']);
  });

  test('maxCallSiteOffset drops sites that do not start a symbol (FTRACE_MCOUNT_MAX_OFFSET)', () => {
    const syms = [
      { name: 'a', type: 't', address: '1000' },
      { name: 'b', type: 't', address: '1100' },
      { name: 'c', type: 'T', address: '1200' },
    ];
    assert.deepEqual(patchableFromFtraceLocations(syms, ['1000', '1140', '1204'], [], 0), ['a']);
    assert.deepEqual(patchableFromFtraceLocations(syms, ['1000', '1140', '1204'], [], 4), ['a', 'c']);
  });

  test('unknown lines give errors with line numbers', () => {
    const text = mapText.replace('ffffffff810010c0 T schedule', 'ffffffff810010c0 schedule').replace('ffffffff82000000 D linux_banner', 'garbage here');
    const r = importSystemMap(text, { fileName: mapPath });
    assert.equal(r.model, undefined);
    assert.deepEqual(r.errors.map((e) => e.line), [9, 26]);
    assert.match(r.errors[0].message, /^line 10: not a symbol line/);
  });

  test('release, version and architecture can be passed or are required', () => {
    let r = importSystemMap(mapText);
    assert.deepEqual(r.errors.map((e) => e.jsonPath), ['/release']);
    r = importSystemMap(mapText, { release: 'custom', version: { major: 6, minor: 6, patch: 1 } });
    assert.deepEqual(r.errors.map((e) => e.jsonPath), []);
    assert.equal(r.model?.architecture, 'x86_64', 'guessed from entry_SYSCALL_64');
    r = importSystemMap('ffffffff81000000 T _stext\n', { release: '6.6.1-custom' });
    assert.deepEqual(r.errors.map((e) => e.jsonPath), ['/architecture']);
    r = importSystemMap('ffffffff81000000 T _stext\n', { release: '6.6.1-custom', architecture: 'riscv64' });
    assert.equal(r.model?.architecture, 'riscv64');
    assert.deepEqual(r.model?.version, { major: 6, minor: 6, patch: 1 });
  });
});

describe('kallsyms import', () => {
  test('module symbols are grouped per module in file order; pseudo-modules skipped', () => {
    const r = importSystemMap(kallsymsText, { fileName: kallsymsPath });
    assert.deepEqual(r.errors, []);
    const m = r.model!;
    assert.deepEqual(Object.keys(m.objects), ['vmlinux', 'ext4', 'nf_conntrack']);
    assert.deepEqual(m.objects.ext4.symbols.map((s) => s.name), ['ext4_second', 'ext4_first', 'type_show', 'type_show', 'ext4_data']);
    assert.deepEqual(m.loadedModules, ['ext4', 'nf_conntrack']);
    assert.equal((m.provenance as Record<string, unknown>).importer, 'kallsyms');
    assert.deepEqual((m.provenance as Record<string, unknown>).skippedPseudoModules, ['__builtin__ftrace', 'bpf']);
    const model = kernelModelFromJson(m, 'x').model!;
    // Counted in symtab (file) order, not address order.
    assert.deepEqual(model.lookup('ext4', 'type_show').map((s) => s.address), ['ffffffffc0a00100', 'ffffffffc0a00040']);
    assert.deepEqual(model.lookup('vmlinux', 'type_show').length, 2);
    assert.deepEqual(model.objectsDefining('type_show'), ['vmlinux', 'ext4']);
  });

  test('module sizes come from address order within the module', () => {
    const m = importSystemMap(kallsymsText, { fileName: kallsymsPath }).model!;
    const size = (name: string) => m.objects.ext4.symbols.find((s) => s.name === name)?.size;
    assert.equal(size('ext4_first'), 0x40);
    assert.equal(size('ext4_second'), 0x80);
    assert.equal(m.objects.ext4.symbols[3].size, 0x40);
    assert.equal(m.objects.nf_conntrack.symbols[0].size, 0x30);
    assert.equal(m.objects.nf_conntrack.symbols[1].size, undefined);
  });

  test('all-zero addresses (unprivileged read) give no sizes', () => {
    const hidden = kallsymsText.replace(/^[0-9a-f]+/gm, '0000000000000000');
    const r = importSystemMap(hidden, { fileName: kallsymsPath });
    assert.deepEqual(r.errors, []);
    assert.ok(r.model!.objects.vmlinux.symbols.every((s) => s.size === undefined && s.address === '0'));
    assert.match(String((r.model!.provenance as Record<string, unknown>).sizes), /all addresses are zero/);
  });
});

describe('helpers', () => {
  test('looksLikeSymbolMap', () => {
    assert.equal(looksLikeSymbolMap(mapText), true);
    assert.equal(looksLikeSymbolMap('\n\nffffffffc0a00000 t x\t[ext4]\n'), true);
    assert.equal(looksLikeSymbolMap('{"formatVersion":1}'), false);
    assert.equal(looksLikeSymbolMap(''), false);
  });

  test('releaseFromFileName', () => {
    assert.equal(releaseFromFileName('/boot/System.map-6.1.0-50-amd64'), '6.1.0-50-amd64');
    assert.equal(releaseFromFileName('kallsyms-5.14.0-284.el9.x86_64.txt'), '5.14.0-284.el9.x86_64');
    assert.equal(releaseFromFileName('System.map'), undefined);
    assert.equal(releaseFromFileName('System.map-latest'), undefined);
  });

  test('guessArchitecture', () => {
    assert.equal(guessArchitecture('6.1.0-50-arm64', new Set()), 'arm64');
    assert.equal(guessArchitecture('5.14.0-284.el9.x86_64', new Set()), 'x86_64');
    assert.equal(guessArchitecture('6.1.0', new Set(['el0t_64_sync'])), 'arm64');
    assert.equal(guessArchitecture('6.1.0', new Set()), undefined);
  });
});
