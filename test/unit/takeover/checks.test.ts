/**
 * The takeover checks on hand-built models (test/unit/checks/builders.ts): each test builds a
 * predecessor and a successor and names the order, so what is checked is the rule itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckContext } from '../../../server/src/checks/context';
import {
  checkShadowAllocDup,
  checkShadowCumulativeDrop,
  checkShadowLayoutsAcrossPatches,
  checkStateCompatibility,
  checkStateDeprecated,
  checkStateRevertFree,
  checkStateTakeover,
} from '../../../server/src/checks/takeover/index';
import type { CallbackKind, LivepatchModule } from '../../../server/src/model/types';
import { callbackFn, func, livepatchModule, object, patch, shadowCall, state, stateCall, type ModuleOptions } from '../checks/builders';
import { fakeKernel } from '../checks/fakeKernel';
import { assertMessage, codes, single } from '../checks/harness';

const inCallback = (callback: CallbackKind, enclosingFunction: string) => ({ enclosingFunction, contexts: [{ kind: 'callback' as const, callback }] });

function release(name: string, options: { replace?: boolean; states?: [number, number][]; callbacks?: Partial<Record<CallbackKind, string>> } & ModuleOptions = {}): LivepatchModule {
  const { replace = true, states, callbacks, ...rest } = options;
  return livepatchModule({
    name,
    patches: [
      patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_cmdline_proc_show')], { callbacks })], {
        replace,
        states: states?.map(([id, version]) => state(id, version)),
      }),
    ],
    functions: Object.entries(callbacks ?? {}).map(([kind, fn]) => callbackFn(fn!, kind as CallbackKind)),
    ...rest,
  });
}

/** A context where `modules` load in the given order. */
function inOrder(...modules: LivepatchModule[]): CheckContext {
  return { kernel: fakeKernel(), modules, series: [{ source: 'the livepatch.series setting', entries: modules.map((module) => ({ text: module.name })) }] };
}

/** A context without any series: every other module is a possible predecessor. */
function unordered(...modules: LivepatchModule[]): CheckContext {
  return { kernel: fakeKernel(), modules };
}

describe('LP-STATE-MISSING and LP-STATE-DOWNGRADE', () => {
  it('flag a cumulative successor that drops or lowers an installed state, on .states and on the version', () => {
    const v1 = release('lp_v1', { states: [[1, 2], [2, 1]] });
    const v2 = release('lp_v2', { states: [[1, 1]] });
    const findings = checkStateCompatibility(v2, inOrder(v1, v2));
    assert.deepEqual(codes(findings).sort(), ['LP-STATE-DOWNGRADE', 'LP-STATE-MISSING']);
    const missing = single(findings, 'LP-STATE-MISSING');
    assert.equal(missing.severity, 'error');
    assert.deepEqual(missing.location, v2.patches[0].statesLocation);
    assert.deepEqual(missing.related[0].location, v1.patches[0].states[1].location);
    assertMessage(missing, "'lp_v1' (before this patch in the livepatch.series setting) declares state 2 (version 1)", 'Livepatch patch (lp_v2) is not compatible with the already installed livepatches.');
    assert.deepEqual(missing.data, { stateId: 2, idText: '2', version: 1, predecessor: 'lp_v1', patch: 'patch' });
    const downgrade = single(findings, 'LP-STATE-DOWNGRADE');
    assert.deepEqual(downgrade.location, v2.patches[0].states[0].version!.location);
    assertMessage(downgrade, 'has version 1 here but version 2', 'use 2 or higher');
  });

  it('let a non-cumulative patch ignore states, but not lower them', () => {
    const v1 = release('lp_v1', { states: [[1, 2], [2, 1]] });
    const other = release('lp_other', { replace: false, states: [[1, 1]] });
    assert.deepEqual(codes(checkStateCompatibility(other, inOrder(v1, other))), ['LP-STATE-DOWNGRADE']);
  });

  it('stay silent for the first patch, an equal or higher version, and a replaced predecessor', () => {
    const v1 = release('lp_v1', { states: [[1, 1]] });
    const v2 = release('lp_v2', { states: [[1, 2]] });
    const v3 = release('lp_v3', { states: [[1, 2]] });
    const context = inOrder(v1, v2, v3);
    for (const module of [v1, v2, v3]) assert.deepEqual(checkStateCompatibility(module, context), []);
  });

  it('check against every installed patch: non-cumulative ones stack on the last cumulative one', () => {
    const base = release('lp_base', { states: [[1, 1]] });
    const addon = release('lp_addon', { replace: false, states: [[7, 3]] });
    const next = release('lp_next', { states: [[1, 1]] });
    const missing = single(checkStateCompatibility(next, inOrder(base, addon, next)), 'LP-STATE-MISSING');
    assertMessage(missing, "'lp_addon'", 'state 7 (version 3)');
  });

  it('guess the order without a series, one step milder, and skip a module that is evidently newer', () => {
    const v1 = release('lp_v1', { states: [[1, 1]] });
    const v2 = release('lp_v2', { states: [[1, 2], [2, 1]] });
    assert.deepEqual(checkStateCompatibility(v1, unordered(v1, v2)), [], 'lp_v2 has the higher version: it came later');
    const unrelated = release('lp_unrelated', { states: [[9, 1]] });
    const found = checkStateCompatibility(unrelated, unordered(v2, unrelated));
    assert.equal(found[0]?.severity, 'warning');
    assertMessage(found[0], 'if it is installed when this patch loads: no series gives the order');
  });
});

describe('LP-STATE-TAKEOVER', () => {
  const v1 = () => release('lp_v1', { states: [[1, 1]], callbacks: { pre_patch: 'v1_pre_patch' }, stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch', ...inCallback('pre_patch', 'v1_pre_patch') })] });

  it('flags pre_patch using an inherited state without klp_get_prev_state()', () => {
    const predecessor = v1();
    const get = stateCall('klp_get_state', 1, { patchArgument: '&patch', ...inCallback('pre_patch', 'v2_pre_patch') });
    const v2 = release('lp_v2', { states: [[1, 1]], callbacks: { pre_patch: 'v2_pre_patch' }, stateCalls: [get] });
    const found = single(checkStateTakeover(v2, inOrder(predecessor, v2)), 'LP-STATE-TAKEOVER');
    assert.deepEqual(found.location, get.location);
    assert.deepEqual(found.related[1].location, predecessor.stateCalls[0].location);
    assertMessage(found, "'v2_pre_patch' sets up state 1", "'lp_v1' (before this patch in the livepatch.series setting) set this state up already");
  });

  it('accepts klp_get_prev_state() in pre_patch or post_patch, and ignores the first release', () => {
    const predecessor = v1();
    const v2 = release('lp_v2', {
      states: [[1, 1]],
      callbacks: { pre_patch: 'v2_pre_patch', post_patch: 'v2_post_patch' },
      stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch', ...inCallback('pre_patch', 'v2_pre_patch') }), stateCall('klp_get_prev_state', 1, inCallback('post_patch', 'v2_post_patch'))],
    });
    assert.deepEqual(checkStateTakeover(v2, inOrder(predecessor, v2)), []);
    assert.deepEqual(checkStateTakeover(predecessor, inOrder(predecessor, v2)), []);
  });
});

describe('LP-STATE-REVERT-FREE', () => {
  it('flags post_unpatch freeing an inherited state or the predecessor\'s shadow variables unguarded', () => {
    const v1 = release('lp_v1', { states: [[1, 1]], shadowCalls: [shadowCall('klp_shadow_get_or_alloc', { id: 5 })] });
    const get = stateCall('klp_get_state', 1, { patchArgument: '&patch', ...inCallback('post_unpatch', 'v2_post_unpatch') });
    const free = shadowCall('klp_shadow_free_all', { id: 5, ...inCallback('post_unpatch', 'v2_post_unpatch') });
    const v2 = release('lp_v2', {
      states: [[1, 1]],
      callbacks: { post_unpatch: 'v2_post_unpatch' },
      functions: [callbackFn('v2_post_unpatch', 'post_unpatch', { calls: ['kfree', 'klp_shadow_free_all'] })],
      stateCalls: [get],
      shadowCalls: [free],
    });
    const found = checkStateRevertFree(v2, inOrder(v1, v2));
    // One guard at the top of post_unpatch fixes both, so the shadow free is not reported apart.
    assert.deepEqual(codes(found), ['LP-STATE-REVERT-FREE']);
    assert.deepEqual(found[0].location, get.location);
    const shadowOnly = release('lp_v2', {
      states: [[1, 1]],
      callbacks: { post_unpatch: 'v2_post_unpatch' },
      functions: [callbackFn('v2_post_unpatch', 'post_unpatch', { calls: ['klp_shadow_free_all'] })],
      shadowCalls: [free],
    });
    const shadowFinding = single(checkStateRevertFree(shadowOnly, inOrder(v1, shadowOnly)), 'LP-STATE-REVERT-FREE');
    assert.deepEqual(shadowFinding.location, free.location);
    assertMessage(shadowFinding, 'klp_shadow_free_all(5) in post_unpatch', 'tie the id to a klp_state');
  });

  it('is silent when post_unpatch asks klp_get_prev_state()', () => {
    const v1 = release('lp_v1', { states: [[1, 1]] });
    const v2 = release('lp_v2', {
      states: [[1, 1]],
      callbacks: { post_unpatch: 'v2_post_unpatch' },
      functions: [callbackFn('v2_post_unpatch', 'post_unpatch', { calls: ['kfree'] })],
      stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch', ...inCallback('post_unpatch', 'v2_post_unpatch') }), stateCall('klp_get_prev_state', 1, inCallback('post_unpatch', 'v2_post_unpatch'))],
    });
    assert.deepEqual(checkStateRevertFree(v2, inOrder(v1, v2)), []);
  });
});

describe('LP-STATE-DEPRECATED', () => {
  it('flags a state carried forward that nothing uses any more, when the predecessor used it', () => {
    const v1 = release('lp_v1', { states: [[1, 1]], stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch' })] });
    const v2 = release('lp_v2', { states: [[1, 1]] });
    const found = single(checkStateDeprecated(v2, inOrder(v1, v2)), 'LP-STATE-DEPRECATED');
    assert.deepEqual(found.location, v2.patches[0].states[0].id!.location);
    assertMessage(found, "set up the state's data", 'release what the predecessor set up in post_patch');
    const quiet = release('lp_v1', { states: [[1, 1]] });
    assert.deepEqual(checkStateDeprecated(v2, inOrder(quiet, v2)), [], 'a state the predecessor only declared needs nothing');
  });
});

describe('LP-SHADOW-CUMULATIVE-DROP', () => {
  it('flags a cumulative successor that neither uses, frees nor declares the predecessor\'s shadow id', () => {
    const alloc = shadowCall('klp_shadow_get_or_alloc', { id: 5 });
    const free = shadowCall('klp_shadow_free_all', { id: 5, dtor: 'sv_dtor', ...inCallback('post_unpatch', 'v1_post_unpatch') });
    const v1 = release('lp_v1', { callbacks: { post_unpatch: 'v1_post_unpatch' }, shadowCalls: [alloc, free] });
    const v2 = release('lp_v2');
    const found = single(checkShadowCumulativeDrop(v2, inOrder(v1, v2)), 'LP-SHADOW-CUMULATIVE-DROP');
    assert.deepEqual(found.location, v2.patches[0].replace!.location);
    assert.deepEqual(found.related.map((item) => item.location), [alloc.location, free.location]);
    assertMessage(found, 'frees them only in its unpatch callbacks, which never run once it is replaced');
    assert.deepEqual(found.data?.ids, [{ shadowId: 5, idText: '5', dtor: 'sv_dtor' }]);
  });

  it('is silent when the successor frees, reads or declares a state for the id, or is not cumulative', () => {
    const v1 = release('lp_v1', { shadowCalls: [shadowCall('klp_shadow_get_or_alloc', { id: 5 })] });
    for (const v2 of [
      release('lp_v2', { shadowCalls: [shadowCall('klp_shadow_get', { id: 5 })] }),
      release('lp_v2', { states: [[5, 1]] }),
      release('lp_v2', { replace: false }),
    ])
      assert.deepEqual(checkShadowCumulativeDrop(v2, inOrder(v1, v2)), []);
  });
});

describe('LP-SHADOW-ALLOC-DUP', () => {
  it('flags klp_shadow_alloc() of an id the predecessor allocated', () => {
    const v1 = release('lp_v1', { shadowCalls: [shadowCall('klp_shadow_get_or_alloc', { id: 5 })] });
    const alloc = shadowCall('klp_shadow_alloc', { id: 5 });
    const v2 = release('lp_v2', { shadowCalls: [alloc, shadowCall('klp_shadow_free_all', { id: 5, ...inCallback('post_unpatch', 'x') })] });
    const found = single(checkShadowAllocDup(v2, inOrder(v1, v2)), 'LP-SHADOW-ALLOC-DUP');
    assert.deepEqual(found.location, alloc.location);
    assertMessage(found, 'Duplicate shadow variable', 'klp_shadow_get_or_alloc()');
  });

  it('flags variables freed only one by one, which survive a disable and meet the next load', () => {
    const alloc = shadowCall('klp_shadow_alloc', { id: 5 });
    const module = release('lp_v1', { shadowCalls: [alloc, shadowCall('klp_shadow_free', { id: 5, enclosingFunction: 'livepatch_release' })] });
    assertMessage(single(checkShadowAllocDup(module, inOrder(module)), 'LP-SHADOW-ALLOC-DUP'), 'freed only one by one');
  });

  it('is silent when post_unpatch frees them all, and leaves never-freed ids to LP-SHADOW-LEAK', () => {
    const cleaned = release('lp_v1', {
      callbacks: { post_unpatch: 'v1_post_unpatch' },
      shadowCalls: [shadowCall('klp_shadow_alloc', { id: 5 }), shadowCall('klp_shadow_free_all', { id: 5, ...inCallback('post_unpatch', 'v1_post_unpatch') })],
    });
    assert.deepEqual(checkShadowAllocDup(cleaned, inOrder(cleaned)), []);
    const leaking = release('lp_v1', { shadowCalls: [shadowCall('klp_shadow_alloc', { id: 5 })] });
    assert.deepEqual(checkShadowAllocDup(leaking, inOrder(leaking)), []);
  });
});

describe('LP-SHADOW-ID across patches', () => {
  /** A call whose model says what type it works with (as fileFacts reads it from the tree). */
  const typed = (api: 'klp_shadow_alloc' | 'klp_shadow_get_or_alloc' | 'klp_shadow_get', types: { resultType?: string; sizeType?: string }) =>
    Object.assign(shadowCall(api, { id: 5 }), types);
  const withRecords = (module: LivepatchModule, records: Record<string, string[]>) => {
    module.records = new Map(Object.entries(records).map(([name, fields]) => [name, { name, fields, location: module.shadowCalls[0].location }]));
    return module;
  };

  it('knows nothing without types in the model: size texts alone are never compared', () => {
    const v1 = release('lp_v1', { shadowCalls: [shadowCall('klp_shadow_alloc', { id: 5, size: 'sizeof(struct a)' })] });
    const v2 = release('lp_v2', { shadowCalls: [shadowCall('klp_shadow_get_or_alloc', { id: 5, size: 'sizeof(struct b)' })] });
    assert.deepEqual(checkShadowLayoutsAcrossPatches(v2, inOrder(v1, v2)), []);
  });

  it('compares the result type of the successor with the size type of the predecessor', () => {
    const v1 = release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'struct sv_a' })] });
    const v2 = release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'long' })] });
    const found = single(checkShadowLayoutsAcrossPatches(v2, inOrder(v1, v2)), 'LP-SHADOW-ID');
    assertMessage(found, 'read here as long', 'allocates it as struct sv_a');
    assert.deepEqual(found.related[0].location, v1.shadowCalls[0].location);
  });

  it('compares the members of one struct name as each module defines it', () => {
    const v1 = withRecords(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'struct sv' })] }), { 'struct sv': ['unsigned long count'] });
    const same = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'struct sv' })] }), { 'struct sv': ['unsigned long count'] });
    assert.deepEqual(checkShadowLayoutsAcrossPatches(same, inOrder(v1, same)), []);
    const grown = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'struct sv' })] }), { 'struct sv': ['unsigned long count', 'pid_t last'] });
    const found = single(checkShadowLayoutsAcrossPatches(grown, inOrder(v1, grown)), 'LP-SHADOW-ID');
    assertMessage(found, 'struct sv { unsigned long count; pid_t last; }', 'struct sv { unsigned long count; }');
  });

  it('does not report what it cannot tell apart: equal sizes, renamed structs with equal members, unknown typedefs', () => {
    const pairs: [{ resultType?: string; sizeType?: string }, { resultType?: string; sizeType?: string }][] = [
      [{ sizeType: 'u64' }, { resultType: 'unsigned long' }],
      [{ sizeType: 'sv_t' }, { resultType: 'struct sv' }],
      [{ sizeType: 'struct old_name' }, { resultType: 'struct new_name' }],
    ];
    for (const [theirs, mine] of pairs) {
      const v1 = withRecords(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', theirs)] }), { 'struct old_name': ['int a'] });
      const v2 = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', mine)] }), { 'struct new_name': ['int a'] });
      assert.deepEqual(checkShadowLayoutsAcrossPatches(v2, inOrder(v1, v2)), [], JSON.stringify([theirs, mine]));
    }
    const v1 = release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'u32' })] });
    const v2 = release('lp_v2', { shadowCalls: [typed('klp_shadow_get_or_alloc', { sizeType: 'unsigned long' })] });
    assertMessage(single(checkShadowLayoutsAcrossPatches(v2, inOrder(v1, v2)), 'LP-SHADOW-ID'), 'used here as unsigned long', 'allocates it as u32');
  });

  it('follows the typedefs of each module to the type they name', () => {
    const withTypedefs = (module: LivepatchModule, typedefs: Record<string, string>) => {
      module.typedefs = new Map(Object.entries(typedefs));
      return module;
    };
    // sv_t in the predecessor is struct sv there; the successor grew struct sv.
    const v1 = withTypedefs(withRecords(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'sv_t' })] }), { 'struct sv': ['int a'] }), { sv_t: 'struct sv' });
    const grown = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'struct sv' })] }), { 'struct sv': ['int a', 'long b'] });
    assertMessage(single(checkShadowLayoutsAcrossPatches(grown, inOrder(v1, grown)), 'LP-SHADOW-ID'), 'struct sv { int a; long b; }', 'allocates it as sv_t (struct sv) { int a; }');
    const same = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'struct sv' })] }), { 'struct sv': ['int a'] });
    assert.deepEqual(checkShadowLayoutsAcrossPatches(same, inOrder(v1, same)), []);
    // A chain of typedefs to a scalar: 4 bytes against 8.
    const counted = withTypedefs(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'cnt_t' })] }), { cnt_t: 'raw_cnt_t', raw_cnt_t: 'unsigned int' });
    const wide = release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'unsigned long' })] });
    assertMessage(single(checkShadowLayoutsAcrossPatches(wide, inOrder(counted, wide)), 'LP-SHADOW-ID'), 'allocates it as cnt_t (unsigned int)');
    // A typedef cycle (broken code) ends the walk instead of hanging it, and tells nothing.
    const cyclic = withTypedefs(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'a_t' })] }), { a_t: 'b_t', b_t: 'a_t' });
    assert.deepEqual(checkShadowLayoutsAcrossPatches(wide, inOrder(cyclic, wide)), []);
  });

  it('compares an anonymous struct known by its typedef name by its members', () => {
    const v1 = withRecords(release('lp_v1', { shadowCalls: [typed('klp_shadow_alloc', { sizeType: 'sv_t' })] }), { sv_t: ['int a'] });
    const changed = withRecords(release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'sv_t' })] }), { sv_t: ['long a'] });
    assertMessage(single(checkShadowLayoutsAcrossPatches(changed, inOrder(v1, changed)), 'LP-SHADOW-ID'), 'sv_t { long a; }', 'sv_t { int a; }');
    // Against a scalar it is a record too.
    const scalar = release('lp_v2', { shadowCalls: [typed('klp_shadow_get', { resultType: 'unsigned long' })] });
    single(checkShadowLayoutsAcrossPatches(scalar, inOrder(v1, scalar)), 'LP-SHADOW-ID');
  });
});
