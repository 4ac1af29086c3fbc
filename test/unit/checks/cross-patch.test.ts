import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNonCumulative, checkSymposMismatch } from '../../../server/src/checks/cross-patch';
import { func, livepatchModule, object, patch } from './builders';
import { fakeKernel } from './fakeKernel';
import { assertMessage, run, single } from './harness';

function patchModule(name: string, sympos: number | undefined, replace: boolean) {
  return livepatchModule({
    name,
    patches: [patch('patch', [object(undefined, [func('proc_single_open', 'livepatch_open', { sympos })])], { replace })],
  });
}

describe('LP-SYMPOS-MISMATCH', () => {
  it('flags a replace patch spelling position 1 where another patch wrote 0', () => {
    const v1 = patchModule('lp_v1', undefined, false);
    const v2 = patchModule('lp_v2', 1, true);
    const found = single(run(checkSymposMismatch, v2, fakeKernel(), [v1, v2]), 'LP-SYMPOS-MISMATCH');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, v2.patches[0].objects[0].funcs[0].oldSympos!.location);
    assert.deepEqual(found.related[0].location, v1.patches[0].objects[0].funcs[0].oldName!.location);
    assertMessage(found, "old_sympos 1 here but 0 in module 'lp_v1'", "'proc_single_open,1'");
  });
  it('is silent for consistent spellings and for a module alone', () => {
    const v1 = patchModule('lp_v1', 1, false);
    const v2 = patchModule('lp_v2', 1, true);
    assert.deepEqual(run(checkSymposMismatch, v2, fakeKernel(), [v1, v2]), []);
    assert.deepEqual(run(checkSymposMismatch, v2), []);
  });
});

describe('LP-NON-CUMULATIVE', () => {
  it('notes two non-cumulative patches of one function', () => {
    const a = patchModule('lp_a', 1, false);
    const b = patchModule('lp_b', undefined, false);
    const found = single(run(checkNonCumulative, a, fakeKernel(), [a, b]), 'LP-NON-CUMULATIVE');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, a.patches[0].objects[0].funcs[0].oldName!.location);
    assertMessage(found, "also replaced by module 'lp_b'", 'whichever was enabled last runs', 'disabling the other changes nothing');
  });
  it('says which one wins when a series gives the order, and is an error under refuseConflicts', () => {
    const a = patchModule('lp_a', 1, false);
    const b = patchModule('lp_b', undefined, false);
    const series = [{ source: 'the livepatch.series setting', entries: [{ text: 'lp_a' }, { text: 'lp_b' }] }];
    const first = single(checkNonCumulative(a, { kernel: fakeKernel(), modules: [a, b], series }), 'LP-NON-CUMULATIVE');
    assertMessage(first, "'lp_b' is loaded after this patch, so its 'proc_single_open' runs", "disabling 'lp_b' brings back this version");
    const second = single(checkNonCumulative(b, { kernel: fakeKernel(), modules: [a, b], series, policy: { refuseConflicts: true } }), 'LP-NON-CUMULATIVE');
    assert.equal(second.severity, 'error');
    assertMessage(second, "loaded after 'lp_a', this patch's 'proc_single_open' runs", 'refuseConflicts');
  });
  it('is silent when one of them is cumulative', () => {
    const a = patchModule('lp_a', 1, false);
    const b = patchModule('lp_b', 1, true);
    assert.deepEqual(run(checkNonCumulative, a, fakeKernel(), [a, b]), []);
  });
});
