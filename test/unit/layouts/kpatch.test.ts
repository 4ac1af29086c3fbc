import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Analyzer } from '../../../server/src/analysis/analyzer';
import { analyzerOver, embeddedKernel, layoutsRoot, withConfig } from './layoutHelpers';

const tree = join(layoutsRoot, 'kpatch');
const uptime = join(tree, 'cve-2023-uptime', 'fs', 'proc', 'uptime.c');
const ext4Inode = join(tree, 'bz2210004-ext4', 'fs', 'ext4', 'inode.c');
const meminfo = join(tree, 'bz2210005-meminfo', 'meminfo.c');

/** Findings a hand-written module would get for lacking what kpatch-build generates. */
const skeletonCodes = ['LP-MODINFO-MISSING', 'LP-LICENSE', 'LP-ENABLE-MISSING', 'LP-ENABLE-OUTSIDE-INIT', 'LP-PATCH-MOD', 'LP-TERMINATOR'];

describe('kpatch layout', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await analyzerOver(tree);
  });
  after(() => analyzer.dispose());

  it('maps the callback macros onto a generated patch of vmlinux', () => {
    const module = analyzer.moduleOf(uptime)!;
    assert.equal(module.layout, 'kpatch');
    assert.deepEqual(module.patches, [], 'no hand-written klp_patch');
    const [patch] = module.generatedPatches!;
    assert.equal(patch.generatedBy, 'kpatch');
    assert.equal(patch.objects.length, 1);
    assert.equal(patch.objects[0].name, undefined, 'vmlinux');
    assert.deepEqual(patch.objects[0].callbacks.map((c) => [c.kind, c.name, c.definition?.name]), [
      ['pre_patch', 'uptime_pre_patch', 'uptime_pre_patch'],
      ['post_unpatch', 'uptime_post_unpatch', 'uptime_post_unpatch'],
    ]);
    assert.deepEqual(analyzer.analyze(uptime).findings, [], 'no skeleton findings, no syntax errors');
  });

  it('takes the object from the kernel tree\'s Makefile and the target config', async () => {
    const module = analyzer.moduleOf(ext4Inode)!;
    assert.equal(module.layout, 'kpatch');
    const object = module.generatedPatches![0].objects[0];
    assert.equal(object.name?.value, 'ext4', 'obj-$(CONFIG_EXT4_FS) with CONFIG_EXT4_FS=m');
    assert.deepEqual(object.callbacks.map((c) => c.kind), ['post_patch', 'post_unpatch']);
    // Shadow calls know their role through the generated callbacks.
    const freeAll = module.shadowCalls.find((c) => c.api === 'klp_shadow_free_all')!;
    assert.deepEqual(freeAll.contexts, [{ kind: 'callback', callback: 'post_unpatch' }]);
    assert.equal(freeAll.id?.value, 0x2210004);
    const builtIn = await analyzerOver(join(tree, 'bz2210004-ext4'), withConfig(embeddedKernel(), { CONFIG_EXT4_FS: 'y' }));
    try {
      assert.equal(builtIn.moduleOf(ext4Inode)!.generatedPatches![0].objects[0].name, undefined, 'built in: vmlinux');
    } finally {
      builtIn.dispose();
    }
    const codes = analyzer.analyze(ext4Inode).findings.map((f) => f.code);
    for (const code of skeletonCodes) assert.ok(!codes.includes(code), `${code} for a kpatch file`);
  });

  it('checks the callbacks: kpatch\'s patch_object type is fine, a wrong return type is not', () => {
    const findings = analyzer.analyze(meminfo).findings;
    assert.deepEqual(findings.map((f) => [f.code, f.message.match(/callback '(\w+)'/)?.[1]]), [
      ['LP-CB-SIGNATURE', 'meminfo_pre_patch'],
      ['LP-CB-SIGNATURE', 'meminfo_pre_unpatch'],
    ]);
    assert.ok(analyzer.analyze(uptime).findings.every((f) => f.code !== 'LP-CB-SIGNATURE'), 'int (patch_object *) is the kpatch spelling');
  });
});
