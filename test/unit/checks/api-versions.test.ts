import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkApiTooNew, checkKallsymsLookup, checkLegacyApi } from '../../../server/src/checks/api-versions';
import { apiCall, func, livepatchModule, object, patch, shadowCall, state, stateCall } from './builders';
import { fakeKernel } from './fakeKernel';
import { assertMessage, codes, run, single } from './harness';

const kernel61 = fakeKernel();
const kernel419 = fakeKernel({ version: '4.19' });
const kernel410 = fakeKernel({ version: '4.10' });

/** The typical pre-5.1 module: register, then enable, unregister in exit. */
function preFiveOneModule() {
  return livepatchModule({
    otherApiCalls: [
      apiCall('klp_register_patch', 'livepatch_init', [{ kind: 'init' }], ['&patch']),
      apiCall('klp_unregister_patch', 'livepatch_init', [{ kind: 'init' }], ['&patch']),
      apiCall('klp_unregister_patch', 'livepatch_exit', [{ kind: 'exit' }], ['&patch']),
    ],
  });
}

describe('LP-LEGACY-API', () => {
  it('flags klp_register_patch() and init-path unregister on 5.1+, leaving exit to LP-EXIT-DISABLES', () => {
    const module = preFiveOneModule();
    const findings = run(checkLegacyApi, module, kernel61);
    assert.deepEqual(codes(findings), ['LP-LEGACY-API', 'LP-LEGACY-API']);
    assert.deepEqual(findings[0].location, module.otherApiCalls[0].location);
    assert.equal(findings[0].severity, 'error');
    assertMessage(findings[0], 'klp_register_patch() was removed in 5.1', 'target kernel 6.1.0-test', 'klp_enable_patch() alone');
    assert.deepEqual(findings[1].location, module.otherApiCalls[1].location);
  });
  it('flags retired fields on the field', () => {
    const module = livepatchModule({
      patches: [
        patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a', { otherFields: ['.old_addr', 'immediate'] })], { otherFields: ['relocs'] })], {
          otherFields: ['immediate'],
        }),
      ],
    });
    const findings = run(checkLegacyApi, module, kernel61);
    const texts = findings.map((f) => f.message.split(' was removed')[0]);
    assert.deepEqual(texts.sort(), ['.immediate', '.immediate', '.old_addr', '.relocs']);
    const oldAddr = findings.find((f) => f.message.startsWith('.old_addr'))!;
    assert.deepEqual(oldAddr.location, module.patches[0].objects[0].funcs[0].otherFields[0].location);
    assertMessage(oldAddr, 'removed in 4.5', '.old_sympos');
  });
  it('flags the 4.13-4.17 shadow argument lists on 4.18+', () => {
    const call = shadowCall('klp_shadow_alloc', { id: 7, argumentTexts: ['obj', '7', 'NULL', 'sizeof(int)', 'GFP_KERNEL'] });
    const found = single(run(checkLegacyApi, livepatchModule({ shadowCalls: [call] }), kernel61), 'LP-LEGACY-API');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, 'takes 6 arguments since 4.18', '5-argument form');
  });
  it('accepts the pre-5.1 style on 4.19 and modern code on 6.1', () => {
    assert.deepEqual(run(checkLegacyApi, preFiveOneModule(), kernel419), []);
    assert.deepEqual(run(checkLegacyApi, livepatchModule({ shadowCalls: [shadowCall('klp_shadow_alloc', { id: 7 })] }), kernel61), []);
  });
});

describe('LP-KALLSYMS-LOOKUP', () => {
  it('flags kallsyms_lookup_name() from 5.7 on, with the loader message', () => {
    const call = apiCall('kallsyms_lookup_name', 'livepatch_init', [{ kind: 'init' }], ['"saved_command_line"']);
    const module = livepatchModule({ name: 'lp_demo', otherApiCalls: [call] });
    const found = single(run(checkKallsymsLookup, module, kernel61), 'LP-KALLSYMS-LOOKUP');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, call.location);
    assertMessage(found, 'not exported to modules since 5.7', '"lp_demo: Unknown symbol kallsyms_lookup_name (err -2)"');
  });
  it('is silent before 5.7', () => {
    const call = apiCall('kallsyms_lookup_name', 'livepatch_init', [{ kind: 'init' }]);
    assert.deepEqual(run(checkKallsymsLookup, livepatchModule({ otherApiCalls: [call] }), fakeKernel({ version: '5.4' })), []);
  });
});

describe('LP-API-TOO-NEW', () => {
  it('flags .replace, .states and the state API before their versions', () => {
    const module = livepatchModule({
      patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a')])], { replace: true, states: [state(1)] })],
      stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch' })],
      otherApiCalls: [apiCall('klp_register_patch', 'livepatch_init', [{ kind: 'init' }])],
    });
    const findings = run(checkApiTooNew, module, kernel419);
    assert.deepEqual(codes(findings), ['LP-API-TOO-NEW', 'LP-API-TOO-NEW', 'LP-API-TOO-NEW']);
    assert.deepEqual(findings[0].location, module.patches[0].replace!.location);
    assertMessage(findings[0], '.replace (atomic replace) was added in 5.1', 'target kernel 4.19.0-test does not have it');
    assert.deepEqual(findings[1].location, module.patches[0].statesLocation);
    assert.deepEqual(findings[2].location, module.stateCalls[0].location);
    assert.equal(findings[2].data?.since, '5.5');
  });
  it('flags callbacks before 4.15 and shadow variables before 4.13 on the callback field and the call', () => {
    const module = livepatchModule({
      patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a')], { callbacks: { pre_patch: 'pre' } })])],
      shadowCalls: [shadowCall('klp_shadow_get', { id: 1 })],
      otherApiCalls: [apiCall('klp_register_patch', 'livepatch_init', [{ kind: 'init' }])],
    });
    const findings = run(checkApiTooNew, module, kernel410);
    assert.deepEqual(findings.map((f) => f.location), [module.patches[0].objects[0].callbacks[0].location, module.shadowCalls[0].location]);
  });
  it('flags the ctor/dtor shadow form on 4.13-4.17', () => {
    const module = livepatchModule({
      shadowCalls: [shadowCall('klp_shadow_free', { id: 1 })],
      otherApiCalls: [apiCall('klp_register_patch', 'livepatch_init', [{ kind: 'init' }])],
    });
    const found = single(run(checkApiTooNew, module, fakeKernel({ version: '4.15' })), 'LP-API-TOO-NEW');
    assertMessage(found, 'the constructor/destructor form of klp_shadow_free() was added in 4.18');
  });
  it('flags klp_enable_patch() without klp_register_patch() before 5.1', () => {
    const module = livepatchModule();
    const found = single(run(checkApiTooNew, module, kernel419), 'LP-API-TOO-NEW');
    assert.deepEqual(found.location, module.enableCalls[0].location);
    assertMessage(found, 'refuses an unregistered patch with -EINVAL');
  });
  it('is silent for a modern module on 6.1 and a register-style module on 4.19', () => {
    const modern = livepatchModule({
      patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a', { sympos: 1 })], { callbacks: { pre_patch: 'pre' } })], { replace: true, states: [state(1)] })],
      stateCalls: [stateCall('klp_get_prev_state', 1)],
      shadowCalls: [shadowCall('klp_shadow_alloc', { id: 1 })],
    });
    assert.deepEqual(run(checkApiTooNew, modern, kernel61), []);
    assert.deepEqual(run(checkApiTooNew, preFiveOneModule(), kernel419), []);
  });
});
