import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDuplicateStates, checkPrevStateContext, checkStateIdZero, checkUndeclaredStates } from '../../../server/src/checks/states';
import type { KlpState } from '../../../server/src/model/types';
import { callbackFn, func, livepatchModule, object, patch, state, stateCall, stateTerminator } from './builders';
import { assertMessage, run, single } from './harness';

function moduleWithStates(states: KlpState[], extra = {}) {
  return livepatchModule({
    patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a')], { callbacks: { pre_patch: 'lp_pre_patch' } })], { states, replace: true })],
    functions: [callbackFn('lp_pre_patch', 'pre_patch')],
    ...extra,
  });
}

describe('LP-DUP-STATE', () => {
  it('flags the second id, relating the first', () => {
    const first = state(7, 1);
    const second = state(7, 2);
    const found = single(run(checkDuplicateStates, moduleWithStates([first, second])), 'LP-DUP-STATE');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, second.id!.location);
    assert.deepEqual(found.related[0].location, first.id!.location);
    assertMessage(found, 'state id 7 appears twice', 'first entry (version 1)', 'this one (version 2) is ignored');
  });
  it('is silent for distinct ids', () => {
    assert.deepEqual(run(checkDuplicateStates, moduleWithStates([state(1), state(2)])), []);
  });
});

describe('LP-STATE-ID-ZERO', () => {
  it('flags id 0 before other states, on the id', () => {
    const zero = state(0);
    const found = single(run(checkStateIdZero, moduleWithStates([state(1), zero, state(2)])), 'LP-STATE-ID-ZERO');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, zero.id!.location);
    assertMessage(found, 'state id 0 ends the states array: the 1 state after it is ignored');
  });
  it('treats a state without .id and a { } in the middle alike', () => {
    const noId = state(undefined);
    assertMessage(single(run(checkStateIdZero, moduleWithStates([noId, state(3)])), 'LP-STATE-ID-ZERO'), 'has no .id');
    const early = stateTerminator();
    assert.deepEqual(single(run(checkStateIdZero, moduleWithStates([state(1), early, state(3)])), 'LP-STATE-ID-ZERO').location, early.location);
  });
  it('is silent when only the terminator is 0', () => {
    assert.deepEqual(run(checkStateIdZero, moduleWithStates([state(1), state(2)])), []);
  });
});

describe('LP-STATE-UNDECLARED', () => {
  it('flags klp_get_state(&patch, id) for an id the patch lacks, relating its states', () => {
    const call = stateCall('klp_get_state', 9, { patchArgument: '&patch', idMacro: 'CMDLINE_STATE' });
    const module = moduleWithStates([state(1)], { stateCalls: [call] });
    const found = single(run(checkUndeclaredStates, module), 'LP-STATE-UNDECLARED');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, call.id!.location);
    assert.deepEqual(found.related[0].location, module.patches[0].statesLocation);
    assertMessage(found, "state CMDLINE_STATE (9) is not declared by patch 'patch' (it declares only 1), so klp_get_state() always returns NULL");
  });
  it('flags klp_get_prev_state(id) for an id this module does not declare', () => {
    const call = stateCall('klp_get_prev_state', 4);
    const found = single(run(checkUndeclaredStates, moduleWithStates([state(1)], { stateCalls: [call] })), 'LP-STATE-UNDECLARED');
    assertMessage(found, "state 4 is not declared by this module's patch: klp_get_prev_state() is for taking over");
  });
  it('ignores ids hidden behind an early id 0', () => {
    const call = stateCall('klp_get_state', 2, { patchArgument: '&patch' });
    single(run(checkUndeclaredStates, moduleWithStates([state(1), state(0), state(2)], { stateCalls: [call] })), 'LP-STATE-UNDECLARED');
  });
  it('is silent for declared ids', () => {
    const calls = [stateCall('klp_get_state', 1, { patchArgument: '&patch' }), stateCall('klp_get_prev_state', 1)];
    assert.deepEqual(run(checkUndeclaredStates, moduleWithStates([state(1)], { stateCalls: calls })), []);
  });
});

describe('LP-PREV-STATE-CONTEXT', () => {
  it('flags klp_get_prev_state() in a replacement function', () => {
    const call = stateCall('klp_get_prev_state', 1, {
      enclosingFunction: 'livepatch_a',
      contexts: [{ kind: 'patched-function', oldName: 'cmdline_proc_show' }],
    });
    const found = single(run(checkPrevStateContext, moduleWithStates([state(1)], { stateCalls: [call] })), 'LP-PREV-STATE-CONTEXT');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, "called from the replacement for 'cmdline_proc_show'", 'WARN_ON_ONCE');
  });
  it('flags module_init and helpers reached from outside callbacks', () => {
    const inInit = stateCall('klp_get_prev_state', 1, { enclosingFunction: 'livepatch_init', contexts: [{ kind: 'init' }] });
    const inHelper = stateCall('klp_get_prev_state', 1, { enclosingFunction: 'h', contexts: [{ kind: 'helper', reachedFrom: ['livepatch_init'] }] });
    const findings = run(checkPrevStateContext, moduleWithStates([state(1)], { stateCalls: [inInit, inHelper] }));
    assert.equal(findings.length, 2);
    assertMessage(findings[0], 'called from module_init');
    assertMessage(findings[1], "a helper reached from 'livepatch_init'");
  });
  it('is silent inside callbacks and helpers of callbacks', () => {
    const calls = [
      stateCall('klp_get_prev_state', 1),
      stateCall('klp_get_prev_state', 1, { enclosingFunction: 'h', contexts: [{ kind: 'helper', reachedFrom: ['lp_pre_patch'] }] }),
    ];
    assert.deepEqual(run(checkPrevStateContext, moduleWithStates([state(1)], { stateCalls: calls })), []);
  });
});
