import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkEnableCalls,
  checkEnableMissing,
  checkExitDisables,
  checkLicense,
  checkModinfo,
  checkPatchMod,
} from '../../../server/src/checks/skeleton';
import { apiCall, enableCall, fn, livepatchModule, patch, object, func, samplePatch } from './builders';
import { fakeKernel } from './fakeKernel';
import { assertMessage, run, single } from './harness';

describe('LP-MODINFO-MISSING', () => {
  it('points at the klp_patch and quotes the kernel refusal', () => {
    const module = livepatchModule({ modinfo: false, name: 'lp_cmdline' });
    const found = single(run(checkModinfo, module), 'LP-MODINFO-MISSING');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, module.patches[0].nameLocation);
    assertMessage(found, 'MODULE_INFO(livepatch, "Y")', '"livepatch: module lp_cmdline is not marked as a livepatch module"', '-EINVAL');
    assert.equal(found.data?.insertText, 'MODULE_INFO(livepatch, "Y");');
  });
  it('is silent with the tag, and before 4.7 where the tag did not exist', () => {
    assert.deepEqual(run(checkModinfo, livepatchModule()), []);
    assert.deepEqual(run(checkModinfo, livepatchModule({ modinfo: false }), fakeKernel({ version: '4.6' })), []);
  });
});

describe('LP-LICENSE', () => {
  it('flags a non-GPL licence on the MODULE_LICENSE string', () => {
    const module = livepatchModule({ license: 'Proprietary' });
    const found = single(run(checkLicense, module), 'LP-LICENSE');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, module.license!.location);
    assertMessage(found, 'MODULE_LICENSE("Proprietary") is not GPL-compatible', 'Unknown symbol klp_enable_patch (err -2)', '-ENOENT');
  });
  it('flags a missing licence on the patch', () => {
    const module = livepatchModule({ license: null });
    const found = single(run(checkLicense, module), 'LP-LICENSE');
    assert.deepEqual(found.location, module.patches[0].nameLocation);
    assertMessage(found, 'has no MODULE_LICENSE');
  });
  it('accepts every GPL-compatible spelling', () => {
    for (const license of ['GPL', 'GPL v2', 'Dual BSD/GPL', 'Dual MIT/GPL', 'GPL and additional rights'])
      assert.deepEqual(run(checkLicense, livepatchModule({ license })), []);
  });
});

describe('LP-ENABLE-MISSING', () => {
  it('flags a patch never passed to klp_enable_patch()', () => {
    const module = livepatchModule({ enableCalls: [] });
    const found = single(run(checkEnableMissing, module), 'LP-ENABLE-MISSING');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, module.patches[0].nameLocation);
    assertMessage(found, "patch 'patch' is never passed to klp_enable_patch()");
  });
  it('is silent when the patch is enabled or the argument cannot be named', () => {
    assert.deepEqual(run(checkEnableMissing, livepatchModule()), []);
    assert.deepEqual(run(checkEnableMissing, livepatchModule({ enableCalls: [enableCall(undefined)] })), []);
  });
});

describe('LP-ENABLE-OUTSIDE-INIT and LP-ENABLE-PATCH', () => {
  it('flags a call outside module_init, with module_init as related', () => {
    const call = enableCall('patch', { enclosingFunction: 'some_work_fn' });
    const module = livepatchModule({ enableCalls: [call], functions: [fn('some_work_fn')] });
    const found = single(run(checkEnableCalls, module), 'LP-ENABLE-OUTSIDE-INIT');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, "called from 'some_work_fn', not from the module_init function 'livepatch_init'");
    assert.deepEqual(found.related[0].location, module.init!.location);
  });
  it('flags an ignored result', () => {
    const call = enableCall('patch', { resultReturned: false });
    const found = single(run(checkEnableCalls, livepatchModule({ enableCalls: [call] })), 'LP-ENABLE-OUTSIDE-INIT');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, 'is not returned', 'stays loaded with no patch applied');
  });
  it('flags a second call of the same patch, pointing back at the first', () => {
    const first = enableCall('patch');
    const second = enableCall('patch');
    const found = single(run(checkEnableCalls, livepatchModule({ enableCalls: [first, second] })), 'LP-ENABLE-OUTSIDE-INIT');
    assert.deepEqual(found.location, second.location);
    assert.deepEqual(found.related[0].location, first.location);
    assertMessage(found, 'second time');
  });
  it('flags a call without any module_init', () => {
    const found = single(run(checkEnableCalls, livepatchModule({ init: null })), 'LP-ENABLE-OUTSIDE-INIT');
    assertMessage(found, 'has no module_init()');
  });
  it('accepts a helper that only module_init reaches', () => {
    const call = enableCall('patch', { enclosingFunction: 'enable_it' });
    const module = livepatchModule({
      enableCalls: [call],
      functions: [fn('livepatch_init', { calls: ['enable_it'], annotations: ['__init'] }), fn('enable_it')],
    });
    assert.deepEqual(run(checkEnableCalls, module), []);
  });
  it('flags a call passing something that is not the module\'s klp_patch', () => {
    const call = enableCall('other_patch');
    const found = single(run(checkEnableCalls, livepatchModule({ enableCalls: [call] })), 'LP-ENABLE-PATCH');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, "'&other_patch', which is not a struct klp_patch defined in this module");
  });
  it('is silent for the canonical `return klp_enable_patch(&patch);`', () => {
    assert.deepEqual(run(checkEnableCalls, livepatchModule()), []);
  });
});

describe('LP-PATCH-MOD', () => {
  it('flags a missing .mod on the patch name', () => {
    const module = livepatchModule({ patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_x')])], { mod: null })] });
    const found = single(run(checkPatchMod, module), 'LP-PATCH-MOD');
    assert.deepEqual(found.location, module.patches[0].nameLocation);
    assertMessage(found, 'has no .mod = THIS_MODULE', '-EINVAL');
  });
  it('flags a .mod that is not THIS_MODULE on the value', () => {
    const module = livepatchModule({ patches: [patch('patch', [], { mod: 'NULL' })] });
    const found = single(run(checkPatchMod, module), 'LP-PATCH-MOD');
    assert.deepEqual(found.location, module.patches[0].mod!.location);
    assertMessage(found, ".mod is 'NULL' instead of THIS_MODULE");
  });
  it('flags a patch without .objs', () => {
    const module = livepatchModule({ patches: [patch('patch', [], { noObjects: true })] });
    const found = single(run(checkPatchMod, module), 'LP-PATCH-MOD');
    assertMessage(found, 'has no .objs');
  });
  it('accepts THIS_MODULE and its expansion', () => {
    assert.deepEqual(run(checkPatchMod, livepatchModule()), []);
    assert.deepEqual(run(checkPatchMod, livepatchModule({ patches: [patch('patch', [], { mod: '&__this_module' })] })), []);
  });
});

describe('LP-EXIT-DISABLES', () => {
  it('flags klp_unregister_patch() in module_exit on 5.1 and later', () => {
    const call = apiCall('klp_unregister_patch', 'livepatch_exit', [{ kind: 'exit' }], ['&patch']);
    const found = single(run(checkExitDisables, livepatchModule({ otherApiCalls: [call] })), 'LP-EXIT-DISABLES');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, 'module_exit calls klp_unregister_patch(), which was removed in 5.1');
  });
  it('finds the call through a helper of module_exit even without call contexts', () => {
    const call = apiCall('klp_disable_patch', 'teardown', [], ['&patch']);
    const module = livepatchModule({
      otherApiCalls: [call],
      functions: [fn('livepatch_exit', { returnType: 'void', calls: ['teardown'] }), fn('teardown', { returnType: 'void' })],
    });
    single(run(checkExitDisables, module), 'LP-EXIT-DISABLES');
  });
  it('is silent before 5.1, where that was the required teardown', () => {
    const call = apiCall('klp_unregister_patch', 'livepatch_exit', [{ kind: 'exit' }], ['&patch']);
    assert.deepEqual(run(checkExitDisables, livepatchModule({ otherApiCalls: [call] }), fakeKernel({ version: '4.19' })), []);
    assert.deepEqual(run(checkExitDisables, livepatchModule({ patches: [samplePatch()] })), []);
  });
});
