import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { kernelModelFromJson, loadKernelModelFile, loadKernelModelFromText } from '../../../server/src/kernel/load';
import { NOT_IN_FILTER_FUNCTIONS } from '../../../server/src/kernel/model';
import { versionAtLeast } from '../../../server/src/kernel/types';

const fixtures = join(__dirname, '../../fixtures/kernel');
const smallPath = join(fixtures, 'model-small.json');
const smallText = readFileSync(smallPath, 'utf8');

function small() {
  const r = loadKernelModelFile(smallPath);
  assert.deepEqual(r.errors, []);
  assert.ok(r.model);
  return r.model;
}

describe('loading a model JSON', () => {
  test('a valid model loads with all fields', () => {
    const m = small();
    assert.equal(m.formatVersion, 1);
    assert.equal(m.release, '6.1.0-99-amd64');
    assert.deepEqual(m.version, { major: 6, minor: 1, patch: 170 });
    assert.ok(versionAtLeast(m.version, 6, 1, 170));
    assert.equal(m.architecture, 'x86_64');
    assert.equal(m.config.get('CONFIG_LIVEPATCH'), 'y');
    assert.equal(m.config.get('CONFIG_LOCALVERSION'), '');
    assert.equal(m.config.has('CONFIG_KPROBES'), false);
    assert.deepEqual(m.features, { reliableStacktrace: true });
    assert.deepEqual([...m.objects.keys()], ['vmlinux', 'ext4', 'xfs']);
    assert.deepEqual(m.loadedModules, ['ext4']);
    assert.equal(m.source, smallPath);
    assert.deepEqual(m.raw.tasks, []);
    assert.equal(m.objects.get('vmlinux')?.name, 'vmlinux');
  });

  test('lookup returns same-named symbols in kallsyms order, per object', () => {
    const m = small();
    assert.deepEqual(
      m.lookup('vmlinux', 'type_show').map((s) => s.address),
      ['ffffffff81001000', 'ffffffff81001080'],
    );
    assert.equal(m.lookup('ext4', 'type_show').length, 1);
    assert.deepEqual(m.lookup('vmlinux', 'no_such_function'), []);
    assert.deepEqual(m.lookup('no_such_module', 'type_show'), []);
    // The result is a copy: callers cannot corrupt the index.
    m.lookup('vmlinux', 'type_show').pop();
    assert.equal(m.lookup('vmlinux', 'type_show').length, 2);
  });

  test('objectsDefining lists every object with the name once', () => {
    const m = small();
    assert.deepEqual(m.objectsDefining('type_show'), ['vmlinux', 'ext4']);
    assert.deepEqual(m.objectsDefining('xfs_fs_fill_super'), ['xfs']);
    assert.deepEqual(m.objectsDefining('nothing'), []);
  });

  test('isPatchable uses notPatchable, then the patchable list', () => {
    const m = small();
    assert.deepEqual(m.isPatchable('vmlinux', 'cmdline_proc_show'), { patchable: true });
    assert.deepEqual(m.isPatchable('vmlinux', 'do_syscall_64'), { patchable: false, reason: 'noinstr section' });
    assert.deepEqual(m.isPatchable('vmlinux', 'notrace_helper'), { patchable: false, reason: NOT_IN_FILTER_FUNCTIONS });
    // No patchable list for ext4: unknown, unless the symbol is data.
    assert.equal(m.isPatchable('ext4', 'ext4_file_open').patchable, undefined);
    assert.equal(m.isPatchable('nope', 'x').patchable, undefined);
    assert.equal(m.objects.get('vmlinux')?.patchable?.has('type_show'), true);
    assert.equal(m.objects.get('ext4')?.patchable, undefined);
  });

  test('a data symbol is not patchable even without a patchable list', () => {
    const json = JSON.parse(smallText);
    delete json.objects.vmlinux.patchable;
    const r = kernelModelFromJson(json, 'inline');
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.isPatchable('vmlinux', 'jiffies').patchable, false);
    assert.match(r.model?.isPatchable('vmlinux', 'jiffies').reason ?? '', /not a function/);
  });

  test('optional config, features and loadedModules default to empty', () => {
    const r = loadKernelModelFromText(
      '{"formatVersion":1,"release":"5.15.0","version":{"major":5,"minor":15,"patch":0},"architecture":"arm64","objects":{"vmlinux":{"symbols":[]}}}',
      'inline',
    );
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.config.size, 0);
    assert.deepEqual(r.model?.loadedModules, []);
  });
});

describe('model errors', () => {
  test('a wrong type deep inside gives the JSON path and the line', () => {
    const text = smallText.replace('"address": "ffffffff81001040", "size": 64', '"address": "ffffffff81001040", "size": "64"');
    const r = loadKernelModelFromText(text, 'bad.json');
    assert.equal(r.model, undefined);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0];
    assert.equal(e.jsonPath, '/objects/vmlinux/symbols/2/size');
    assert.match(e.message, /integer/);
    const line = text.split('\n').findIndex((l) => l.includes('"size": "64"'));
    assert.equal(e.line, line);
    assert.equal(e.character, text.split('\n')[line].indexOf('"64"'));
  });

  test('several errors are all located, including unknown properties and bad addresses', () => {
    const text = smallText
      .replace('"address": "ffffffff81000000"', '"address": "0xffffffff81000000"')
      .replace('"architecture": "x86_64",', '"architecture": "x86_64", "arch": 1,')
      .replace('"ext4_file_open", "type": "t"', '"ext4_file_open", "typ": "t"');
    const r = loadKernelModelFromText(text, 'bad.json');
    const paths = r.errors.map((e) => e.jsonPath).sort();
    assert.deepEqual(paths, ['/arch', '/objects/ext4/symbols/0', '/objects/ext4/symbols/0/typ', '/objects/vmlinux/symbols/0/address']);
    for (const e of r.errors) assert.equal(typeof e.line, 'number', `${e.jsonPath} has a line`);
    const addr = r.errors.find((e) => e.jsonPath.endsWith('/address'));
    assert.match(addr?.message ?? '', /hex/);
    assert.equal(addr?.line, text.split('\n').findIndex((l) => l.includes('0xffffffff81000000')));
  });

  test('semantic checks: vmlinux required, loadedModules must name objects', () => {
    const json = JSON.parse(smallText);
    json.loadedModules = ['ext4', 'nfsd', 'vmlinux'];
    const text = JSON.stringify(json, null, 2);
    let r = loadKernelModelFromText(text, 'x.json');
    const lines = text.split('\n');
    assert.deepEqual(
      r.errors.map((e) => [e.jsonPath, e.line]),
      [
        ['/loadedModules/1', lines.indexOf('    "nfsd",')],
        ['/loadedModules/2', lines.indexOf('    "vmlinux"')],
      ],
    );
    assert.match(r.errors[0].message, /'nfsd' has no entry in objects/);
    delete json.objects.vmlinux;
    json.loadedModules = [];
    r = loadKernelModelFromText(JSON.stringify(json), 'x.json');
    assert.deepEqual(r.errors.map((e) => [e.jsonPath, e.message]), [['/objects', "missing required property 'vmlinux'"]]);
  });

  test('module names with dashes, bad config keys and version/release mismatch are refused', () => {
    const json = JSON.parse(smallText);
    json.objects['nf-conntrack'] = { symbols: [] };
    json.config['LIVEPATCH'] = 'y';
    let r = kernelModelFromJson(json, 'x');
    assert.deepEqual(r.errors.map((e) => e.jsonPath).sort(), ['/config/LIVEPATCH', '/objects/nf-conntrack']);
    const ok = JSON.parse(smallText);
    ok.version.minor = 2;
    r = kernelModelFromJson(ok, 'x');
    assert.deepEqual(r.errors.map((e) => e.jsonPath), ['/version']);
  });

  test('an unknown formatVersion is refused with a clear message', () => {
    const r = loadKernelModelFromText(smallText.replace('"formatVersion": 1', '"formatVersion": 2'), 'x.json');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].jsonPath, '/formatVersion');
    assert.match(r.errors[0].message, /unsupported formatVersion/);
    assert.equal(r.errors[0].line, 1);
  });

  test('broken JSON gives one error with its position', () => {
    const text = '{\n  "formatVersion": 1,\n  "release": "6.1.0"\n  "version": {}\n}';
    const r = loadKernelModelFromText(text, 'broken.json');
    assert.equal(r.model, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /invalid JSON: .*expected ',' or '}'/);
    assert.equal(r.errors[0].line, 3);
    assert.equal(r.errors[0].character, 2);
  });

  test('a huge number of errors is capped', () => {
    const json = JSON.parse(smallText);
    json.objects.vmlinux.symbols = Array.from({ length: 500 }, () => ({ name: 1, type: 'T', address: 'x' }));
    const r = kernelModelFromJson(json, 'x');
    assert.equal(r.errors.length, 51);
    assert.match(r.errors[50].message, /too many errors/);
  });
});

describe('model files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'klp-kernel-'));

  test('a missing file gives exactly one error and no throw', () => {
    const r = loadKernelModelFile(join(dir, 'missing.json'));
    assert.equal(r.model, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /cannot read kernel model file .*missing\.json.*no such file/);
  });

  test('a directory gives one error', () => {
    const r = loadKernelModelFile(dir);
    assert.equal(r.errors.length, 1);
  });

  test('.json.gz loads', () => {
    const file = join(dir, 'model.json.gz');
    writeFileSync(file, gzipSync(smallText));
    const r = loadKernelModelFile(file);
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.lookup('vmlinux', 'type_show').length, 2);
  });

  test('a corrupt .gz gives one error', () => {
    const file = join(dir, 'corrupt.json.gz');
    writeFileSync(file, Buffer.concat([gzipSync(smallText).subarray(0, 40)]));
    const r = loadKernelModelFile(file);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /cannot decompress/);
  });

  test('a BOM and non-ASCII text are accepted', () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\ufeff${smallText.replace('hand-written test fixture', 'fixture — écrit à la main')}`);
    const r = loadKernelModelFile(file);
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.provenance?.note, 'fixture — écrit à la main');
  });

  test('a System.map file is detected by content and imported', () => {
    const r = loadKernelModelFile(join(fixtures, 'System.map-6.1.0-99-amd64'));
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.release, '6.1.0-99-amd64');
    assert.equal(r.model?.architecture, 'x86_64');
    assert.equal(r.model?.lookup('vmlinux', 'type_show').length, 3);
    assert.deepEqual(r.model?.isPatchable('vmlinux', 'do_syscall_64'), { patchable: false, reason: 'noinstr section' });
    assert.equal(r.model?.isPatchable('vmlinux', 'schedule').patchable, undefined);
  });

  test('a listing without a derivable release needs options', () => {
    const file = join(dir, 'symbols.txt');
    writeFileSync(file, readFileSync(join(fixtures, 'System.map-6.1.0-99-amd64')));
    let r = loadKernelModelFile(file);
    assert.equal(r.model, undefined);
    assert.deepEqual(r.errors.map((e) => e.jsonPath), ['/release']);
    r = loadKernelModelFile(file, { release: '6.1.0-99-amd64', version: { major: 6, minor: 1, patch: 170 } });
    assert.deepEqual(r.errors, []);
    assert.equal(r.model?.version.patch, 170);
  });
});
