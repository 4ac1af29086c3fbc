import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suffixVariants } from '../../../server/src/checks/symbolIndex';
import { checkSymbols } from '../../../server/src/checks/symbols';
import { func, livepatchModule, object, patch } from './builders';
import { fakeKernel } from './fakeKernel';
import { assertMessage, codes, run, single } from './harness';

function moduleWith(...objects: ReturnType<typeof object>[]) {
  return livepatchModule({ name: 'lp_symbols', patches: [patch('patch', objects)] });
}

function vmlinuxFunc(oldName: string, sympos?: number) {
  const module = moduleWith(object(undefined, [func(oldName, 'livepatch_a', { sympos })]));
  return { module, func: module.patches[0].objects[0].funcs[0] };
}

describe('LP-SYMBOL-NOT-FOUND', () => {
  it('quotes the kernel refusal on the old_name string', () => {
    const { module, func: entry } = vmlinuxFunc('cmdline_proc_shw');
    const found = single(run(checkSymbols, module), 'LP-SYMBOL-NOT-FOUND');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, entry.oldName!.location);
    assert.equal(
      found.message,
      `symbol 'cmdline_proc_shw' not found in symbol table of vmlinux (the kernel refuses the patch: "livepatch: symbol 'cmdline_proc_shw' not found in symbol table", -EINVAL)`,
    );
  });
  it('says the module is refused instead when the object is not loaded', () => {
    const module = moduleWith(object('nfsd', [func('nfsd_nope', 'livepatch_a')]));
    const found = single(run(checkSymbols, module), 'LP-SYMBOL-NOT-FOUND');
    assertMessage(found, "when 'nfsd' loads, the kernel refuses that module");
  });
  it('is silent for a unique existing function', () => {
    assert.deepEqual(run(checkSymbols, vmlinuxFunc('cmdline_proc_show').module), []);
    assert.deepEqual(run(checkSymbols, vmlinuxFunc('proc_single_open', 2).module), []);
  });
});

describe('LP-OBJ-WRONG', () => {
  it('names the object that defines the symbol', () => {
    const { module, func: entry } = vmlinuxFunc('ext4_statfs');
    const found = single(run(checkSymbols, module), 'LP-OBJ-WRONG');
    assert.deepEqual(found.location, entry.oldName!.location);
    assertMessage(found, "symbol 'ext4_statfs' is not in vmlinux but in 'ext4'", 'not found in symbol table');
    assert.deepEqual(found.data?.objects, ['ext4']);
  });
});

describe('LP-SYMBOL-SUFFIX', () => {
  it('lists the suffixed variants', () => {
    const { module, func: entry } = vmlinuxFunc('show_fdinfo');
    const found = single(run(checkSymbols, module), 'LP-SYMBOL-SUFFIX');
    assert.deepEqual(found.location, entry.oldName!.location);
    assertMessage(found, "which has 'show_fdinfo.isra.0' instead", '"livepatch: symbol \'show_fdinfo\' not found in symbol table"');
    assert.deepEqual(found.data?.candidates, ['show_fdinfo.isra.0']);
  });
  it('also finds the plain name for a wrong suffix, and the index ignores unknown objects', () => {
    const kernel = fakeKernel();
    assert.deepEqual(suffixVariants(kernel, 'vmlinux', 'cmdline_proc_show.part.0'), ['cmdline_proc_show']);
    assert.deepEqual(suffixVariants(kernel, 'vmlinux', 'show_fdinfo.isra.0'), []);
    assert.deepEqual(suffixVariants(kernel, 'no_such_module', 'x'), []);
  });
});

describe('LP-SYMPOS-NEEDED and LP-SYMPOS-RANGE', () => {
  it('lists the addresses of an ambiguous name and the kernel\'s (null) object name', () => {
    const { module, func: entry } = vmlinuxFunc('proc_single_open');
    const found = single(run(checkSymbols, module), 'LP-SYMPOS-NEEDED');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, entry.oldName!.location);
    assertMessage(found, 'occurs 2 times in vmlinux (at ffffffff81000600, ffffffff81000700)', "in object '(null)'");
    assert.deepEqual(found.data?.positions, [1, 2]);
  });
  it('flags a position beyond the matches on the old_sympos value', () => {
    const { module, func: entry } = vmlinuxFunc('proc_single_open', 3);
    const found = single(run(checkSymbols, module), 'LP-SYMPOS-RANGE');
    assert.deepEqual(found.location, entry.oldSympos!.location);
    assertMessage(found, "occurs 2 times in vmlinux", `"livepatch: symbol position 3 for symbol 'proc_single_open' in object 'vmlinux' not found"`);
  });
  it('accepts position 1 for a unique symbol', () => {
    assert.deepEqual(run(checkSymbols, vmlinuxFunc('cmdline_proc_show', 1).module), []);
  });
});

describe('LP-OBJECT-NOT-LOADED', () => {
  it('says a known module is patched when it loads', () => {
    const module = moduleWith(object('nfsd', [func('nfsd_dispatch', 'livepatch_a')]));
    const found = single(run(checkSymbols, module), 'LP-OBJECT-NOT-LOADED');
    assert.equal(found.severity, 'information');
    assert.deepEqual(found.location, module.patches[0].objects[0].name!.location);
    assertMessage(found, "module 'nfsd' is not loaded", 'patched when it loads');
  });
  it('says an unknown module is not checked', () => {
    const module = moduleWith(object('xfs', [func('xfs_anything', 'livepatch_a')]));
    const findings = run(checkSymbols, module);
    assert.deepEqual(codes(findings), ['LP-OBJECT-NOT-LOADED']);
    assertMessage(findings[0], "does not know module 'xfs'", 'not checked');
  });
  it('is silent for a loaded module', () => {
    assert.deepEqual(run(checkSymbols, moduleWith(object('ext4', [func('ext4_statfs', 'livepatch_a')]))), []);
  });
});

describe('patchability', () => {
  it('LP-NOTRACE-TARGET gives the model\'s reason and the ftrace refusal', () => {
    const { module, func: entry } = vmlinuxFunc('do_syscall_64');
    const found = single(run(checkSymbols, module), 'LP-NOTRACE-TARGET');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, entry.oldName!.location);
    assertMessage(found, "'do_syscall_64' cannot be patched: noinstr section", `"livepatch: failed to find location for function 'do_syscall_64'"`);
  });
  it('LP-NOTRACE-TARGET flags a data symbol', () => {
    const found = single(run(checkSymbols, vmlinuxFunc('jiffies').module), 'LP-NOTRACE-TARGET');
    assertMessage(found, 'is a data symbol (type D)');
  });
  it('LP-INIT-CODE is a warning for init text', () => {
    const found = single(run(checkSymbols, vmlinuxFunc('proc_cmdline_init').module), 'LP-INIT-CODE');
    assert.equal(found.severity, 'warning');
    assertMessage(found, 'is init code (init text (.init.text))', 'pre_patch/post_patch callback');
  });
  it('LP-ALWAYS-ON-STACK warns for scheduler entry points', () => {
    const found = single(run(checkSymbols, vmlinuxFunc('schedule').module), 'LP-ALWAYS-ON-STACK');
    assert.equal(found.severity, 'warning');
  });
  it('says nothing when patchability is unknown', () => {
    const kernel = fakeKernel({ notPatchable: {} });
    assert.deepEqual(run(checkSymbols, vmlinuxFunc('do_syscall_64').module, kernel), []);
  });
});
