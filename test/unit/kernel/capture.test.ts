import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { captureKernelModel, liveFileSystem, type CaptureFileSystem } from '../../../server/src/kernel/capture';
import { kernelModelFromJson } from '../../../server/src/kernel/load';
import { validateKernelModelJson } from '../../../server/src/kernel/validate';

/** A fake machine: a map of paths to contents or errors (the capture code sees only this). */
function fakeMachine(files: Record<string, string | Buffer | { error: string }>): CaptureFileSystem {
  return {
    read: (path) => {
      const v = files[path];
      if (v === undefined) return { error: 'ENOENT' };
      return typeof v === 'string' ? Buffer.from(v) : v;
    },
    list: (path) => {
      const v = files[path];
      if (v && typeof v === 'object' && 'error' in v) return v;
      const prefix = `${path}/`;
      const names = new Set(Object.keys(files).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('/')[0]));
      return names.size ? [...names] : { error: 'ENOENT' };
    },
    architecture: () => 'x86_64',
  };
}

const kallsyms = [
  'ffffffff81000000 T _stext',
  'ffffffff81001000 t c_start',
  'ffffffff81002000 T cmdline_proc_show',
  'ffffffff81003000 t c_start',
  'ffffffffc0001000 t nfs_show [nfs]',
  'ffffffffc0002000 T nfs_init [nfs]',
].join('\n');

test('capture: symbols, modules, config, filters, livepatches, tasks and procfs from the machine', () => {
  const result = captureKernelModel(
    fakeMachine({
      '/proc/version': 'Linux version 6.8.0-31-generic (buildd@lcy02) (gcc 13.2.0) #31-Ubuntu SMP\n',
      '/proc/kallsyms': kallsyms,
      '/proc/modules': 'nfs 397312 0 - Live 0xffffffffc0000000\n',
      '/proc/config.gz': gzipSync('CONFIG_LIVEPATCH=y\nCONFIG_HAVE_RELIABLE_STACKTRACE=y\nCONFIG_HZ=250\n'),
      '/sys/kernel/tracing/available_filter_functions': 'c_start\ncmdline_proc_show\nnfs_show [nfs]\n',
      '/sys/kernel/livepatch/lp_fix/enabled': '1\n',
      '/sys/kernel/livepatch/lp_fix/transition': '0\n',
      '/sys/kernel/livepatch/lp_fix/vmlinux/patched': '1\n',
      '/sys/kernel/livepatch/lp_fix/vmlinux/cmdline_proc_show,1/x': '',
      '/proc/1/stat': '1 (systemd) S 0 1 1 0 -1 4194560 0 0\n',
      '/proc/1/stack': '[<0>] do_epoll_wait+0x4c2/0x510\n[<0>] __x64_sys_epoll_wait+0x6e/0x110\n',
      '/proc/2/stat': '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0\n',
      '/proc/2/stack': { error: 'EACCES' },
      '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz ro\n',
    }),
  );
  assert.equal(result.error, undefined);
  const model = result.model!;
  assert.deepEqual(validateKernelModelJson(model), []);
  assert.equal(model.release, '6.8.0-31-generic');
  assert.deepEqual(model.version, { major: 6, minor: 8, patch: 0 });
  assert.equal(model.objects.vmlinux.symbols.filter((s) => s.name === 'c_start').length, 2);
  assert.deepEqual(model.objects.nfs.symbols.map((s) => s.name), ['nfs_show', 'nfs_init']);
  assert.deepEqual(model.objects.nfs.patchable, ['nfs_show']);
  assert.deepEqual(model.loadedModules, ['nfs']);
  assert.equal(model.config?.CONFIG_HZ, '250');
  assert.equal(model.features?.reliableStacktrace, true);
  assert.deepEqual(model.livepatches, [{ name: 'lp_fix', enabled: true, transition: false, replace: undefined, objects: [{ name: 'vmlinux', patched: true, functions: ['cmdline_proc_show,1'] }] }]);
  const tasks = model.tasks as { comm: string; kind: string; stack: string[] }[];
  assert.deepEqual(tasks.map((t) => [t.comm, t.kind, t.stack]), [
    ['systemd', 'user', ['do_epoll_wait', '__x64_sys_epoll_wait']],
    ['kthreadd', 'kthread', []],
  ]);
  assert.deepEqual(model.procfs, {
    '/proc/cmdline': { function: 'cmdline_proc_show', content: 'BOOT_IMAGE=/vmlinuz ro\n' },
    '/proc/version': { function: 'version_proc_show', content: 'Linux version 6.8.0-31-generic (buildd@lcy02) (gcc 13.2.0) #31-Ubuntu SMP\n' },
  });
  assert.ok(result.notes.some((n) => n.includes('/proc/<pid>/stack') && n.includes('1 of 2')));
  // The captured model loads like any other.
  const loaded = kernelModelFromJson(JSON.parse(JSON.stringify(model)), 'captured');
  assert.deepEqual(loaded.errors, []);
  assert.equal(loaded.model!.lookup('vmlinux', 'c_start').length, 2);
});

test('capture: unreadable sources become notes; no symbol table is an error', () => {
  const partial = captureKernelModel(fakeMachine({ '/proc/version': 'Linux version 6.1.0-50-amd64 (x)\n', '/proc/kallsyms': kallsyms.replace(/ffffffff[0-9a-f]{8}/g, '0000000000000000') }));
  assert.ok(partial.model);
  assert.ok(partial.notes.some((n) => n.includes('kptr_restrict')));
  assert.ok(partial.notes.some((n) => n.startsWith('/proc/modules')));
  assert.ok(partial.notes.some((n) => n.startsWith('available_filter_functions')));
  const none = captureKernelModel(fakeMachine({ '/proc/kallsyms': { error: 'EACCES' } }));
  assert.equal(none.model, undefined);
  assert.match(none.error!, /permission denied/);
});

test('capture of this machine, when it has a readable /proc/kallsyms', { skip: !existsSync('/proc/kallsyms') && 'no /proc/kallsyms here' }, () => {
  const result = captureKernelModel(liveFileSystem());
  assert.ok(result.model, result.error);
  assert.deepEqual(validateKernelModelJson(result.model), []);
  assert.ok(result.model.objects.vmlinux.symbols.length > 1000);
  assert.ok(join('/', result.model.release).length > 1);
});
