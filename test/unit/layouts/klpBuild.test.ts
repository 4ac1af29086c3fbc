import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Analyzer } from '../../../server/src/analysis/analyzer';
import { isCumulative } from '../../../server/src/checks/series';
import { generatorWritesSkeleton } from '../../../server/src/model/moduleLayout';
import { analyzerOver, layoutsRoot } from './layoutHelpers';

const tree = join(layoutsRoot, 'klp-build');
const cmdline = join(tree, 'cmdline-leak', 'fs', 'proc', 'cmdline.c');
const tcpFix = join(tree, 'livepatch-tcp-fix');
const broken = join(tree, 'livepatch-broken', 'klp_objects.c');

describe('klp-build layout (6.19+)', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await analyzerOver(tree);
  });
  after(() => analyzer.dispose());

  it('maps the KLP_*_CALLBACK helpers onto a generated patch', () => {
    const module = analyzer.moduleOf(cmdline)!;
    assert.equal(module.layout, 'klp-build');
    const [patch] = module.generatedPatches!;
    assert.equal(patch.generatedBy, 'klp-build');
    assert.equal(patch.replace?.value, true, 'init.c sets replace unless built with "no replace"');
    assert.deepEqual(patch.objects[0].callbacks.map((c) => [c.kind, c.definition?.name]), [
      ['pre_patch', 'cmdline_fix_pre_patch'],
      ['post_unpatch', 'cmdline_fix_post_unpatch'],
    ]);
    assert.deepEqual(analyzer.analyze(cmdline).findings, []);
  });

  it('counts the generated module as a cumulative livepatch for the checks across patches', () => {
    const module = analyzer.moduleOf(cmdline)!;
    assert.equal(module.isLivepatch, true);
    assert.deepEqual(module.patches, [], 'nothing written by hand');
    assert.equal(isCumulative(module), true);
    assert.equal(generatorWritesSkeleton(module), true);
  });

  it('reads KLP_SYSCALL_DEFINEx as the system call body it defines', () => {
    const sys = join(tree, 'uname-fix', 'kernel', 'sys.c');
    const module = analyzer.moduleOf(sys)!;
    const body = module.functions.get('__do_sys_newuname')!;
    assert.ok(body, 'the body is a function of the module');
    assert.equal(body.returnType, 'long');
    assert.deepEqual(body.parameterTypes, ['struct new_utsname *']);
    assert.deepEqual(body.annotations, ['KLP_SYSCALL_DEFINE1']);
    assert.ok(body.calls.includes('copy_to_user'));
    assert.equal(module.layout, 'klp-build');
    assert.deepEqual(analyzer.analyze(sys).findings, [], 'no syntax errors');
  });

  it('turns klp_object_ext / klp_func_ext descriptors into objects and funcs', () => {
    const module = analyzer.moduleOf(join(tcpFix, 'klp_objects.c'))!;
    assert.equal(module.name, 'livepatch_tcp_fix');
    assert.equal(module.layout, 'klp-build');
    const objects = module.generatedPatches![0].objects;
    assert.deepEqual(
      objects.map((o) => [o.name?.value ?? 'vmlinux', o.funcs.map((f) => [f.oldName?.value ?? null, f.newFunc?.definition?.file.split('/').pop() ?? null, f.oldSympos?.value ?? null])]),
      [
        ['vmlinux', [['tcp_rcv_established', 'tcp_input.c', 0], ['tcp_ack', 'tcp_input.c', 0], [null, null, null]]],
        ['nf_conntrack', [['nf_conntrack_in', 'nf_conntrack_core.c', null], [null, null, null]]],
      ],
    );
    for (const file of module.files) assert.deepEqual(analyzer.analyze(file).findings, [], file);
  });

  it('reports nr_funcs that does not match the array, and checks the descriptors\' symbols', () => {
    const findings = analyzer.analyze(broken).findings;
    const codes = findings.map((f) => f.code).sort();
    assert.deepEqual(codes, ['LP-ALWAYS-ON-STACK', 'LP-EXT-NR-FUNCS', 'LP-SYMBOL-NOT-FOUND']);
    const count = findings.find((f) => f.code === 'LP-EXT-NR-FUNCS')!;
    assert.match(count.message, /\.nr_funcs is 3 but 'vmlinux_funcs' has 2 entries/);
    const object = analyzer.moduleOf(broken)!.generatedPatches![0].objects[0];
    assert.deepEqual(object.callbacks.map((c) => [c.kind, c.name]), [['post_patch', 'pipe_fix_post_patch']]);
    assert.deepEqual(object.declaredFuncCount && [object.declaredFuncCount.value, object.declaredFuncCount.arrayLength], [3, 2]);
  });
});
