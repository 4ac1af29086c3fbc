import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCallbackLocking, checkCallbackPositiveReturn, checkCallbackSignatures } from '../../../server/src/checks/callbacks';
import type { CallbackKind } from '../../../server/src/model/types';
import { apiCall, callbackFn, enableCall, fn, func, livepatchModule, object, patch } from './builders';
import { assertMessage, run, single } from './harness';

function moduleWithCallbacks(callbacks: Partial<Record<CallbackKind, string>>, definitions: ReturnType<typeof fn>[], extra = {}) {
  return livepatchModule({
    patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_cmdline_proc_show')], { callbacks })])],
    functions: definitions,
    ...extra,
  });
}

const callbackOf = (module: ReturnType<typeof livepatchModule>, index = 0) => module.patches[0].objects[0].callbacks[index];

describe('LP-CB-SIGNATURE', () => {
  it('flags a void pre_patch on the callback field, relating the definition', () => {
    const definition = fn('lp_pre_patch', { returnType: 'void', parameterTypes: ['struct klp_object *'] });
    const module = moduleWithCallbacks({ pre_patch: 'lp_pre_patch' }, [definition]);
    const found = single(run(checkCallbackSignatures, module), 'LP-CB-SIGNATURE');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, callbackOf(module).location);
    assert.deepEqual(found.related[0].location, definition.nameLocation);
    assertMessage(found, "pre_patch callback 'lp_pre_patch' has type 'void (struct klp_object *)'", "expects 'int (struct klp_object *)'", 'return register');
  });
  it('flags a post_patch taking the wrong parameter', () => {
    const module = moduleWithCallbacks({ post_patch: 'lp_post' }, [fn('lp_post', { returnType: 'void', parameterTypes: ['struct klp_patch *'] })]);
    const found = single(run(checkCallbackSignatures, module), 'LP-CB-SIGNATURE');
    assertMessage(found, "'void (struct klp_patch *)'", "expects 'void (struct klp_object *)'");
  });
  it('accepts the right types however they are spaced', () => {
    const module = moduleWithCallbacks({ pre_patch: 'pre', post_unpatch: 'post' }, [
      fn('pre', { returnType: 'int', parameterTypes: ['struct klp_object*'] }),
      fn('post', { returnType: 'void', parameterTypes: ['struct  klp_object  *'] }),
    ]);
    assert.deepEqual(run(checkCallbackSignatures, module), []);
  });
});

describe('LP-CB-POSITIVE', () => {
  it('flags a positive return on the return statement and suggests the minus sign', () => {
    const definition = callbackFn('lp_pre_patch', 'pre_patch', { returns: [0, { text: 'EINVAL', value: 22 }] });
    const module = moduleWithCallbacks({ pre_patch: 'lp_pre_patch' }, [definition], { name: 'lp_cb' });
    const found = single(run(checkCallbackPositiveReturn, module), 'LP-CB-POSITIVE');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, definition.returns[1].location);
    assert.deepEqual(found.related[0].location, callbackOf(module).location);
    assertMessage(found, 'returns EINVAL (22)', "\"do_init_module: 'lp_cb'->init suspiciously returned 22, it should follow 0/-E convention\"");
    assert.equal(found.data?.replacement, '-EINVAL');
  });
  it('accepts 0 and negative errnos, and ignores other callbacks', () => {
    const module = moduleWithCallbacks({ pre_patch: 'pre', post_patch: 'post' }, [
      callbackFn('pre', 'pre_patch', { returns: [0, -19] }),
      callbackFn('post', 'post_patch', { returns: [1] }),
    ]);
    assert.deepEqual(run(checkCallbackPositiveReturn, module), []);
  });
});

describe('LP-CB-LOCK', () => {
  it('flags klp_enable_patch() reached from a callback through a helper', () => {
    const call = enableCall('patch', { enclosingFunction: 'reenable' });
    const module = moduleWithCallbacks(
      { post_unpatch: 'lp_post_unpatch' },
      [callbackFn('lp_post_unpatch', 'post_unpatch', { calls: ['reenable'] }), fn('reenable')],
      { enableCalls: [enableCall('patch'), call] },
    );
    const found = single(run(checkCallbackLocking, module), 'LP-CB-LOCK');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, call.location);
    assert.deepEqual(found.related[0].location, callbackOf(module).location);
    assertMessage(found, "reached from the post_unpatch callback 'lp_post_unpatch' (lp_post_unpatch → reenable)", 'deadlocks');
  });
  it('flags retired mutex-taking APIs too', () => {
    const call = apiCall('klp_disable_patch', 'lp_pre', [{ kind: 'callback', callback: 'pre_patch' }]);
    const module = moduleWithCallbacks({ pre_patch: 'lp_pre' }, [callbackFn('lp_pre', 'pre_patch')], { otherApiCalls: [call] });
    assert.deepEqual(single(run(checkCallbackLocking, module), 'LP-CB-LOCK').location, call.location);
  });
  it('is silent when only module_init enables the patch', () => {
    const module = moduleWithCallbacks({ pre_patch: 'pre' }, [callbackFn('pre', 'pre_patch')]);
    assert.deepEqual(run(checkCallbackLocking, module), []);
  });
});
