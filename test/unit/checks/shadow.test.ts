import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkShadowConstructors, checkShadowFreeInExit, checkShadowIdLayouts, checkShadowLeak } from '../../../server/src/checks/shadow';
import { fn, livepatchModule, shadowCall } from './builders';
import { assertMessage, run, single } from './harness';

describe('LP-SHADOW-FREE-IN-EXIT', () => {
  it('warns on klp_shadow_free_all() in module_exit', () => {
    const call = shadowCall('klp_shadow_free_all', { idMacro: 'SV_COUNT', id: 1, enclosingFunction: 'livepatch_exit', contexts: [{ kind: 'exit' }] });
    const found = single(run(checkShadowFreeInExit, livepatchModule({ shadowCalls: [call] })), 'LP-SHADOW-FREE-IN-EXIT');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, 'klp_shadow_free_all(SV_COUNT) runs in module_exit', 'post_unpatch');
  });
  it('is silent for free_all in post_unpatch', () => {
    const call = shadowCall('klp_shadow_free_all', { id: 1, enclosingFunction: 'lp_post_unpatch', contexts: [{ kind: 'callback', callback: 'post_unpatch' }] });
    assert.deepEqual(run(checkShadowFreeInExit, livepatchModule({ shadowCalls: [call] })), []);
  });
});

describe('LP-SHADOW-LEAK', () => {
  it('warns once per id that is allocated and never freed, on the first allocation', () => {
    const first = shadowCall('klp_shadow_alloc', { id: 3 });
    const found = single(run(checkShadowLeak, livepatchModule({ shadowCalls: [first, shadowCall('klp_shadow_get_or_alloc', { id: 3 })] })), 'LP-SHADOW-LEAK');
    assert.deepEqual(found.location, first.location);
    assertMessage(found, 'id 3 are allocated but never freed');
  });
  it('is silent when some path frees the id', () => {
    const calls = [shadowCall('klp_shadow_alloc', { id: 3 }), shadowCall('klp_shadow_free', { id: 3 })];
    assert.deepEqual(run(checkShadowLeak, livepatchModule({ shadowCalls: calls })), []);
  });
});

describe('LP-SHADOW-CTOR-SLEEP', () => {
  it('flags a constructor that sleeps through a helper, on its definition', () => {
    const ctor = fn('counter_ctor', { parameterTypes: ['void *', 'void *', 'void *'], calls: ['fill'] });
    const call = shadowCall('klp_shadow_alloc', { id: 1, ctor: 'counter_ctor' });
    const module = livepatchModule({ shadowCalls: [call, shadowCall('klp_shadow_free_all', { id: 1 })], functions: [ctor, fn('fill', { calls: ['mutex_lock'] })] });
    const found = single(run(checkShadowConstructors, module), 'LP-SHADOW-CTOR-SLEEP');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, ctor.nameLocation);
    assert.deepEqual(found.related[0].location, call.location);
    assertMessage(found, "'counter_ctor' is the constructor of shadow id 1", 'calls mutex_lock(), which may sleep');
  });
  it('flags a destructor that calls the shadow API again as a deadlock', () => {
    const call = shadowCall('klp_shadow_free', { id: 1, dtor: 'dtor' });
    const found = single(run(checkShadowConstructors, livepatchModule({ shadowCalls: [call], functions: [fn('dtor', { calls: ['klp_shadow_get'] })] })), 'LP-SHADOW-CTOR-SLEEP');
    assertMessage(found, 'takes that lock again: deadlock');
  });
  it('is silent for a constructor that only initialises memory', () => {
    const call = shadowCall('klp_shadow_alloc', { id: 1, ctor: 'ctor' });
    assert.deepEqual(run(checkShadowConstructors, livepatchModule({ shadowCalls: [call], functions: [fn('ctor', { calls: ['memcpy'] })] })), []);
  });
});

describe('LP-SHADOW-ID', () => {
  it('flags one id allocated with two sizes, on the second size', () => {
    const first = shadowCall('klp_shadow_alloc', { id: 5, size: 'sizeof(int)' });
    const second = shadowCall('klp_shadow_get_or_alloc', { id: 5, size: 'sizeof(long)' });
    const found = single(run(checkShadowIdLayouts, livepatchModule({ shadowCalls: [first, second] })), 'LP-SHADOW-ID');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, second.size!.location);
    assert.deepEqual(found.related[0].location, first.location);
  });
  it('is silent for a consistent size', () => {
    const calls = [shadowCall('klp_shadow_alloc', { id: 5, size: 'sizeof(int)' }), shadowCall('klp_shadow_get_or_alloc', { id: 5, size: 'sizeof( int )' })];
    assert.deepEqual(run(checkShadowIdLayouts, livepatchModule({ shadowCalls: calls })), []);
  });
});
