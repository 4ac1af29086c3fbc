import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixturesRoot, moduleOf } from '../../helpers/modelFixtures';

const multi = join(fixturesRoot, 'model', 'multi-file');

test('upstream-style example: patch, objects, funcs, callbacks, states, skeleton', async () => {
  const file = join(fixturesRoot, '..', '..', 'examples', 'cmdline-fix', 'livepatch-cmdline.c');
  const m = await moduleOf([file], [], undefined, 'livepatch_cmdline');
  assert.equal(m.isLivepatch, true);
  assert.equal(m.patches.length, 1);
  const patch = m.patches[0];
  assert.equal(patch.variableName, 'patch');
  assert.equal(patch.mod?.text, 'THIS_MODULE');
  assert.equal(patch.replace?.value, true);
  assert.equal(patch.objectsTerminated, true);
  const [vmlinux, terminator] = patch.objects;
  assert.equal(vmlinux.name, undefined, 'NULL name means vmlinux');
  assert.equal(terminator.isTerminator, true);
  assert.equal(vmlinux.funcs[0].oldName?.value, 'cmdline_proc_show');
  assert.equal(vmlinux.funcs[0].newFunc?.definition?.name, 'livepatch_cmdline_proc_show');
  assert.equal(vmlinux.funcsTerminated, true);
  assert.deepEqual(vmlinux.callbacks.map((c) => [c.kind, c.definition?.name]), [
    ['pre_patch', 'cmdline_fix_pre_patch'],
    ['post_unpatch', 'cmdline_fix_post_unpatch'],
  ]);
  assert.deepEqual(patch.states.map((s) => [s.id?.value, s.version?.value, s.isTerminator]), [[0x1c0de, 2, false], [undefined, undefined, true]]);
  assert.equal(m.init?.name, 'livepatch_cmdline_init');
  assert.deepEqual(m.init?.definition?.annotations, ['__init']);
  assert.equal(m.exit?.definition?.name, 'livepatch_cmdline_exit');
  assert.deepEqual(m.enableCalls.map((c) => [c.enclosingFunction, c.patchName, c.resultReturned]), [['livepatch_cmdline_init', 'patch', true]]);
  assert.ok(m.modinfoLivepatch);
  assert.equal(m.license?.value, 'GPL');
  const pre = m.functions.get('cmdline_fix_pre_patch')!;
  assert.deepEqual(pre.parameterTypes, ['struct klp_object *']);
  assert.equal(pre.returnType, 'int');
  assert.deepEqual(pre.returns.map((r) => r.value), [-22, 0], '-EINVAL evaluates with the errno table');
  assert.equal(m.stateCalls.length, 1);
  assert.deepEqual(m.stateCalls[0].contexts, [{ kind: 'callback', callback: 'pre_patch' }]);
  assert.equal(m.stateCalls[0].id?.value, 0x1c0de);
  assert.equal(m.stateCalls[0].idMacro, 'CMDLINE_FIX_STATE');
});

test('multi-file module: tables, definitions and ids resolved across files and a header', async () => {
  const m = await moduleOf([join(multi, 'main.c'), join(multi, 'funcs.c')], [join(multi, 'ids.h')], undefined, 'lp_multi');
  const funcs = m.patches[0].objects[0].funcs;
  // CONFIG_LP_MULTI_NEVER_SET is not in the config: that entry is compiled out; LP_VENDOR_EXTRA is
  // unknown, so its entry is analysed.
  assert.deepEqual(funcs.map((f) => f.oldName?.value), ['meminfo_proc_show', 'cmdline_proc_show', undefined]);
  assert.equal(funcs[0].newFunc?.definition?.file, join(multi, 'funcs.c'));
  assert.equal(m.patches[0].states[0].id?.value, 0x4c500010);
  assert.equal(m.patches[0].states[0].version?.value, 3);
  assert.equal(m.enableCalls[0].resultReturned, true, 'ret = klp_enable_patch(); return ret;');
  const alloc = m.shadowCalls.find((c) => c.api === 'klp_shadow_get_or_alloc')!;
  assert.equal(alloc.id?.value, 0x4c500001);
  assert.equal(alloc.idMacro, 'LP_SHADOW_SOCK_FLAGS');
  assert.equal(alloc.gfp, 'GFP_ATOMIC');
  assert.equal(alloc.ctor, 'sock_flags_ctor');
  assert.equal(alloc.size?.text, 'sizeof(struct sock_flags_shadow)');
  assert.deepEqual(alloc.contexts, [{ kind: 'helper', reachedFrom: ['lp_multi_fixed_meminfo'] }]);
  const freeAll = m.shadowCalls.find((c) => c.api === 'klp_shadow_free_all')!;
  assert.deepEqual(freeAll.contexts, [{ kind: 'callback', callback: 'post_unpatch' }]);
  const prev = m.stateCalls.find((c) => c.api === 'klp_get_prev_state')!;
  assert.equal(prev.id?.value, 0x4c500010);
});

test('an older target kernel compiles the version-gated code out', async () => {
  const old = { config: new Map([['CONFIG_LIVEPATCH', 'y']]), versionCode: (5 << 16) + (4 << 8), architecture: 'x86_64' };
  const m = await moduleOf([join(multi, 'main.c'), join(multi, 'funcs.c')], [join(multi, 'ids.h')], old, 'lp_multi');
  assert.equal(m.patches[0].states.length, 0);
  assert.equal(m.stateCalls.length, 0);
});

test('kernel annotation macros do not lose function names, and values expand through macros', async () => {
  const m = await moduleOf([join(fixturesRoot, 'model', 'kernel-macros.c')]);
  assert.ok(m.functions.has('livepatch_do_sys_open'));
  assert.ok(m.functions.has('lp_log'));
  assert.deepEqual(m.functions.get('livepatch_update_curr')?.annotations, ['notrace', '__cold']);
  assert.deepEqual(m.functions.get('livepatch_update_curr')?.staticLocals.map((s) => s.name), ['calls']);
  const funcs = m.patches[0].objects[0].funcs;
  assert.equal(funcs[1].oldName?.value, 'update_curr');
  assert.equal(funcs[1].oldSympos?.value, 2);
  assert.equal(m.init?.definition?.name, 'lp_macros_init');
});

test('a half-typed file still yields a model and syntax problems, never a throw', async () => {
  const m = await moduleOf([join(fixturesRoot, 'model', 'half-typed.c')]);
  assert.ok(m.functions.has('livepatch_version_show') || m.patches.length >= 0);
  const { factsOf } = await import('../../helpers/modelFixtures');
  const facts = await factsOf(join(fixturesRoot, 'model', 'half-typed.c'));
  assert.ok(facts.syntaxErrors.length > 0);
});
