import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allChecks, runChecks } from '../../../server/src/checks/index';
import type { LivepatchModule } from '../../../server/src/model/types';
import { callbackFn, func, livepatchModule, object, patch, shadowCall, state, stateCall } from './builders';
import { fakeKernel } from './fakeKernel';
import { codes } from './harness';

describe('runChecks', () => {
  it('finds nothing in a correct module', () => {
    const module = livepatchModule();
    assert.deepEqual(runChecks(module, { kernel: fakeKernel(), modules: [module] }), []);
  });

  it('finds nothing in a correct module that uses callbacks, states and shadow variables', () => {
    const module = livepatchModule({
      patches: [
        patch(
          'patch',
          [
            object(undefined, [func('cmdline_proc_show', 'livepatch_cmdline_proc_show'), func('proc_single_open', 'livepatch_single_open', { sympos: 2 })], {
              callbacks: { pre_patch: 'lp_pre_patch', post_unpatch: 'lp_post_unpatch' },
            }),
            object('ext4', [func('ext4_statfs', 'livepatch_ext4_statfs')]),
          ],
          { replace: true, states: [state(1)] },
        ),
      ],
      functions: [callbackFn('lp_pre_patch', 'pre_patch', { returns: [0, -12] }), callbackFn('lp_post_unpatch', 'post_unpatch')],
      stateCalls: [stateCall('klp_get_state', 1, { patchArgument: '&patch' }), stateCall('klp_get_prev_state', 1)],
      shadowCalls: [
        shadowCall('klp_shadow_get_or_alloc', { id: 1, size: 'sizeof(int)' }),
        shadowCall('klp_shadow_free_all', { id: 1, enclosingFunction: 'lp_post_unpatch', contexts: [{ kind: 'callback', callback: 'post_unpatch' }] }),
      ],
    });
    assert.deepEqual(runChecks(module, { kernel: fakeKernel(), modules: [module] }), []);
  });

  it('gathers the findings of every check', () => {
    const module = livepatchModule({ modinfo: false, license: null, patches: [patch('patch', [object(undefined, [func('show_fdinfo', 'livepatch_x')])])] });
    assert.deepEqual(codes(runChecks(module, { kernel: fakeKernel(), modules: [module] })).sort(), ['LP-LICENSE', 'LP-MODINFO-MISSING', 'LP-SYMBOL-SUFFIX']);
  });

  it('keeps the other checks\' findings when one check throws, and logs it', () => {
    const module = livepatchModule({ license: null });
    // A model shape no check expects: a patch whose objects array is missing altogether.
    (module.patches[0] as { objects: unknown }).objects = undefined;
    const logged: string[] = [];
    const findings = runChecks(module as LivepatchModule, { kernel: fakeKernel(), modules: [module], log: (line) => logged.push(line) });
    assert.ok(codes(findings).includes('LP-LICENSE'));
    assert.ok(logged.length > 0);
    assert.match(logged[0], /^check '[a-z-]+' failed on module livepatch_sample: /);
  });

  it('gives every check a unique name', () => {
    const names = allChecks.map((check) => check.name);
    assert.equal(new Set(names).size, names.length);
  });
});
