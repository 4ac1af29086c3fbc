import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { defaultKernelModel, defaultKernelModelPath, loadKernelModelFile } from '../../../server/src/kernel/load';

describe('embedded default kernel model', () => {
  test('the file exists and passes full validation', () => {
    const path = defaultKernelModelPath();
    assert.ok(existsSync(path), path);
    const r = loadKernelModelFile(path);
    assert.deepEqual(r.errors, []);
  });

  test('defaultKernelModel is loaded once and describes Debian 6.1 x86_64', () => {
    const m = defaultKernelModel();
    assert.equal(defaultKernelModel(), m);
    assert.equal(m.source, 'embedded default');
    assert.equal(m.release, '6.1.0-50-amd64');
    assert.deepEqual(m.version, { major: 6, minor: 1, patch: 176 });
    assert.equal(m.architecture, 'x86_64');
    assert.equal(m.features?.reliableStacktrace, true);
    assert.equal(m.config.get('CONFIG_LIVEPATCH'), 'y');
    assert.equal(m.config.get('CONFIG_HAVE_RELIABLE_STACKTRACE'), 'y');
    const vmlinux = m.objects.get('vmlinux');
    assert.ok(vmlinux);
    assert.ok(vmlinux.symbols.length > 50000, `${vmlinux.symbols.length} symbols`);
    assert.ok(m.loadedModules.length > 0);
    for (const mod of m.loadedModules) assert.ok(m.objects.has(mod), mod);
    assert.ok(m.objects.has('ext4'));
  });

  test('real symbols: lookup, duplicates, patchability', () => {
    const m = defaultKernelModel();
    const cmdline = m.lookup('vmlinux', 'cmdline_proc_show');
    assert.equal(cmdline.length, 1);
    assert.equal(cmdline[0].type, 't');
    assert.ok((cmdline[0].size ?? 0) > 0);
    assert.ok(m.lookup('vmlinux', 'type_show').length > 1, 'static functions with one name exist several times');
    assert.deepEqual(m.isPatchable('vmlinux', 'cmdline_proc_show'), { patchable: true });
    assert.deepEqual(m.isPatchable('vmlinux', 'do_syscall_64'), { patchable: false, reason: 'noinstr section' });
    assert.equal(m.isPatchable('vmlinux', 'start_kernel').reason, 'init text, freed after boot');
    assert.equal(m.isPatchable('ext4', 'ext4_file_open').patchable, true);
    assert.deepEqual(m.objectsDefining('ext4_file_open'), ['ext4']);
  });
});
