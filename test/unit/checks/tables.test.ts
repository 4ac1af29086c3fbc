import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkDuplicateFuncs,
  checkDuplicateObjects,
  checkIncompleteFuncs,
  checkObjectNames,
  checkObjectsWithoutFuncs,
  checkOldNameLengths,
  checkTerminators,
} from '../../../server/src/checks/tables';
import { func, funcTerminator, livepatchModule, object, patch, state } from './builders';
import { fakeKernel } from './fakeKernel';
import { assertMessage, codes, run, single } from './harness';

function moduleWith(...objects: ReturnType<typeof object>[]) {
  return livepatchModule({ name: 'lp_tables', patches: [patch('patch', objects)] });
}

describe('LP-TERMINATOR', () => {
  it('points at the closing brace of a funcs array without { }', () => {
    const module = moduleWith(object(undefined, [func('cmdline_proc_show', 'livepatch_a')], { terminated: false }));
    const found = single(run(checkTerminators, module), 'LP-TERMINATOR');
    assert.equal(found.severity, 'error');
    const end = module.patches[0].objects[0].funcsArrayLocation!.range.end;
    assert.deepEqual(found.location.range, { start: { line: end.line, character: end.character - 1 }, end });
    assertMessage(found, "function array 'funcs' has no { } terminator");
    assert.equal(found.data?.insertText, '{ }');
  });
  it('covers the object and state arrays too', () => {
    const module = livepatchModule({
      patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_a')])], { objectsTerminated: false, states: [state(1)], statesTerminated: false })],
    });
    const findings = run(checkTerminators, module);
    assert.deepEqual(codes(findings), ['LP-TERMINATOR', 'LP-TERMINATOR']);
    assertMessage(findings[0], "object array 'objs'");
    assertMessage(findings[1], "state array 'states'");
    assert.equal(findings[1].location.range.end, module.patches[0].statesArrayLocation!.range.end);
  });
  it('flags a { } in the middle that hides later entries', () => {
    const early = funcTerminator();
    const module = moduleWith(object(undefined, [func('cmdline_proc_show', 'livepatch_a'), early, func('meminfo_proc_show', 'livepatch_b')]));
    const found = single(run(checkTerminators, module), 'LP-TERMINATOR');
    assert.deepEqual(found.location, early.location);
    assertMessage(found, 'the 1 entry after it is silently ignored');
  });
  it('is silent for terminated arrays', () => {
    assert.deepEqual(run(checkTerminators, livepatchModule({ patches: [patch('patch', [object(undefined, [func('a', 'livepatch_a')])], { states: [state(1)] })] })), []);
  });
});

describe('LP-OBJ-NO-FUNCS', () => {
  it('explains that a vmlinux object without funcs truncates the array', () => {
    const module = moduleWith(object(undefined, [], { noFuncs: true }), object('ext4', [func('ext4_statfs', 'livepatch_a')]));
    const found = single(run(checkObjectsWithoutFuncs, module), 'LP-OBJ-NO-FUNCS');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, module.patches[0].objects[0].location);
    assertMessage(found, 'takes it for the array terminator', 'the 1 object after it are silently ignored');
  });
  it('points at the name of a named object without funcs', () => {
    const module = moduleWith(object('ext4', [], { noFuncs: true }));
    const found = single(run(checkObjectsWithoutFuncs, module), 'LP-OBJ-NO-FUNCS');
    assert.deepEqual(found.location, module.patches[0].objects[0].name!.location);
    assertMessage(found, "object 'ext4' has no .funcs", '-EINVAL');
  });
  it('accepts a callback-only object with an empty { } array', () => {
    assert.deepEqual(run(checkObjectsWithoutFuncs, moduleWith(object('ext4', [], { callbacks: { pre_patch: 'pre' } }))), []);
  });
});

describe('LP-FUNC-INCOMPLETE', () => {
  it('flags an entry without new_func on the entry', () => {
    const module = moduleWith(object(undefined, [func('cmdline_proc_show', undefined)]));
    const found = single(run(checkIncompleteFuncs, module), 'LP-FUNC-INCOMPLETE');
    assert.deepEqual(found.location, module.patches[0].objects[0].funcs[0].location);
    assertMessage(found, 'has .old_name "cmdline_proc_show" but no .new_func', '-EINVAL');
  });
  it('flags an entry without old_name', () => {
    const found = single(run(checkIncompleteFuncs, moduleWith(object(undefined, [func(undefined, 'livepatch_a')]))), 'LP-FUNC-INCOMPLETE');
    assertMessage(found, "has .new_func 'livepatch_a' but no .old_name");
  });
  it('is silent for complete entries', () => {
    assert.deepEqual(run(checkIncompleteFuncs, livepatchModule()), []);
  });
});

describe('LP-DUP-OBJECT', () => {
  it('flags the second object with the first as related', () => {
    const module = moduleWith(object('ext4', [func('ext4_statfs', 'livepatch_a')]), object('ext4', [func('ext4_file_read_iter', 'livepatch_b')]));
    const found = single(run(checkDuplicateObjects, module), 'LP-DUP-OBJECT');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, module.patches[0].objects[1].name!.location);
    assert.deepEqual(found.related[0].location, module.patches[0].objects[0].name!.location);
    assertMessage(found, "sysfs: cannot create duplicate filename '/kernel/livepatch/lp_tables/ext4'", '-EEXIST');
  });
  it('treats two vmlinux objects as duplicates', () => {
    single(run(checkDuplicateObjects, moduleWith(object(undefined, [func('a', 'livepatch_a')]), object(undefined, [func('b', 'livepatch_b')]))), 'LP-DUP-OBJECT');
  });
  it('is silent for distinct objects', () => {
    assert.deepEqual(run(checkDuplicateObjects, moduleWith(object(undefined, [func('a', 'livepatch_a')]), object('ext4', [func('b', 'livepatch_b')]))), []);
  });
});

describe('LP-DUP-FUNC', () => {
  it('treats old_sympos 0 and 1 as the same sysfs directory', () => {
    const module = moduleWith(object(undefined, [func('proc_single_open', 'livepatch_a'), func('proc_single_open', 'livepatch_b', { sympos: 1 })]));
    const found = single(run(checkDuplicateFuncs, module), 'LP-DUP-FUNC');
    const funcs = module.patches[0].objects[0].funcs;
    assert.deepEqual(found.location, funcs[1].oldName!.location);
    assert.deepEqual(found.related[0].location, funcs[0].oldName!.location);
    assertMessage(found, 'old_sympos 0 and 1 both mean the first match', "'/kernel/livepatch/lp_tables/vmlinux/proc_single_open,1'", '-EEXIST');
  });
  it('accepts the same name at different positions', () => {
    const module = moduleWith(object(undefined, [func('proc_single_open', 'livepatch_a', { sympos: 1 }), func('proc_single_open', 'livepatch_b', { sympos: 2 })]));
    assert.deepEqual(run(checkDuplicateFuncs, module), []);
  });
});

describe('object names', () => {
  it('LP-OBJNAME-VMLINUX warns on the name string', () => {
    const module = moduleWith(object('vmlinux', [func('cmdline_proc_show', 'livepatch_a')]));
    const found = single(run(checkObjectNames, module), 'LP-OBJNAME-VMLINUX');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, module.patches[0].objects[0].name!.location);
    assertMessage(found, 'leave .name unset for vmlinux');
  });
  it('LP-OBJNAME-DASH suggests the underscore name', () => {
    const module = moduleWith(object('nf-conntrack', [func('nf_conntrack_in', 'livepatch_a')]));
    const found = single(run(checkObjectNames, module), 'LP-OBJNAME-DASH');
    assert.equal(found.severity, 'error');
    assert.equal(found.data?.replacement, 'nf_conntrack');
    assertMessage(found, "the module is 'nf_conntrack'", 'never patched');
  });
  it('LP-NAME-LENGTH uses MODULE_NAME_LEN 56 on 64-bit and 60 on 32-bit', () => {
    const name = 'x'.repeat(57);
    const found = single(run(checkObjectNames, moduleWith(object(name, [func('a', 'livepatch_a')]))), 'LP-NAME-LENGTH');
    assertMessage(found, 'is 57 characters', 'MODULE_NAME_LEN (56)');
    assert.deepEqual(run(checkObjectNames, moduleWith(object(name, [func('a', 'livepatch_a')])), fakeKernel({ architecture: 'i386' })), []);
  });
  it('LP-NAME-LENGTH uses KSYM_NAME_LEN 512 from 6.1 and 128 before', () => {
    const long = 'f'.repeat(200);
    const module = moduleWith(object(undefined, [func(long, 'livepatch_a')]));
    assert.deepEqual(run(checkOldNameLengths, module), []);
    const found = single(run(checkOldNameLengths, module, fakeKernel({ version: '5.15' })), 'LP-NAME-LENGTH');
    assert.deepEqual(found.location, module.patches[0].objects[0].funcs[0].oldName!.location);
    assertMessage(found, 'KSYM_NAME_LEN (128');
  });
  it('is silent for ordinary names', () => {
    assert.deepEqual(run(checkObjectNames, moduleWith(object('ext4', [func('ext4_statfs', 'livepatch_a')]))), []);
  });
});
