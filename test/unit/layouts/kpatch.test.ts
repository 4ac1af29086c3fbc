import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Analyzer } from '../../../server/src/analysis/analyzer';
import { analyzerOver, embeddedKernel, layoutsRoot, withConfig } from './layoutHelpers';

const tree = join(layoutsRoot, 'kpatch');
const uptime = join(tree, 'cve-2023-uptime', 'fs', 'proc', 'uptime.c');
const ext4Inode = join(tree, 'bz2210004-ext4', 'fs', 'ext4', 'inode.c');
const meminfo = join(tree, 'bz2210005-meminfo', 'meminfo.c');
const fork = join(tree, 'bz2210006-fork-stamp', 'kernel', 'fork.c');

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

  it('reads kpatch\'s old shadow API as klp_shadow_* calls keyed by the name string', () => {
    const text = readFileSync(fork, 'utf8');
    const module = analyzer.moduleOf(fork)!;
    assert.equal(module.layout, 'kpatch');
    assert.ok(module.isLivepatch);
    // [api it becomes, as written, id as written, line] for each call of the fixture, in order.
    const lines = text.split('\n');
    const written = lines.flatMap((line, index) => {
      const match = line.match(/(kpatch_shadow_(\w+))\(\w+, ([^,)]+)/);
      return match ? [[`klp_shadow_${match[2]}`, match[1], match[3], index]] : [];
    });
    assert.equal(written.length, 5);
    assert.deepEqual(
      module.shadowCalls.map((c) => [c.api, c.writtenAs, c.id?.text, c.location.range.start.line]),
      written,
    );
    const alloc = module.shadowCalls[0];
    assert.equal(alloc.id?.value, undefined, 'a name, not a number');
    assert.equal(alloc.idMacro, 'SHADOW_FORK_STAMP');
    assert.equal(alloc.sizeType, 'struct fork_stamp');
  });

  it('suggests the kernel\'s API at each call, and the shadow checks see the calls', () => {
    const module = analyzer.moduleOf(fork)!;
    const findings = analyzer.analyze(fork).findings;
    const suggestions = findings.filter((f) => f.code === 'LP-KPATCH-SHADOW');
    assert.deepEqual(suggestions.map((f) => f.location), module.shadowCalls.map((c) => c.location));
    assert.ok(suggestions.every((f) => f.severity === 'information'));
    assert.match(suggestions[0].message, /^kpatch_shadow_alloc\(\) is kpatch's old shadow API.*klp_shadow_alloc\(obj, id, size, gfp, ctor, ctor_data\)/);
    // "wakeups" is allocated and never freed; the fork stamp is freed under the same macro.
    const wakeupsAlloc = module.shadowCalls.find((c) => c.api === 'klp_shadow_alloc' && c.id?.text === '"wakeups"')!;
    assert.deepEqual(findings.filter((f) => f.code === 'LP-SHADOW-LEAK').map((f) => f.location), [wakeupsAlloc.location]);
    // kpatch_shadow_free(obj, name) is kpatch's own shape, not the kernel's 4.13-4.17 form.
    assert.ok(findings.every((f) => f.code !== 'LP-LEGACY-API' && f.code !== 'LP-API-TOO-NEW'), JSON.stringify(findings.map((f) => f.code)));
    for (const code of skeletonCodes) assert.ok(!findings.some((f) => f.code === code), code);
  });
});
