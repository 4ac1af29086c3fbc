import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNewFuncDefined, checkNewFuncInit, checkNewFuncName, checkStaticLocals } from '../../../server/src/checks/replacements';
import { fn, func, livepatchModule, object, patch, replacement } from './builders';
import { assertMessage, run, single } from './harness';

function moduleWithReplacement(newFunc: string, definitions: ReturnType<typeof fn>[], oldName = 'cmdline_proc_show') {
  return livepatchModule({ patches: [patch('patch', [object(undefined, [func(oldName, newFunc)])])], functions: definitions });
}

const entryOf = (module: ReturnType<typeof livepatchModule>) => module.patches[0].objects[0].funcs[0];

describe('LP-NEWFUNC-UNDEFINED', () => {
  it('flags a new_func the module does not define, on the new_func value', () => {
    const module = moduleWithReplacement('fixed_cmdline_show', []);
    const found = single(run(checkNewFuncDefined, module), 'LP-NEWFUNC-UNDEFINED');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, entryOf(module).newFunc!.location);
    assertMessage(found, "new_func 'fixed_cmdline_show' is not defined in this module");
  });
  it('says so when new_func names a variable', () => {
    const module = moduleWithReplacement('fixed_cmdline_show', []);
    entryOf(module).newFunc!.isFunction = false;
    assertMessage(single(run(checkNewFuncDefined, module), 'LP-NEWFUNC-UNDEFINED'), "new_func 'fixed_cmdline_show' is not a function");
  });
  it('is silent when the replacement is defined', () => {
    assert.deepEqual(run(checkNewFuncDefined, livepatchModule()), []);
  });
});

describe('LP-NEWFUNC-INIT', () => {
  it('flags an __init replacement, relating its definition', () => {
    const definition = replacement('livepatch_cmdline_proc_show', { annotations: ['__init'] });
    const module = moduleWithReplacement('livepatch_cmdline_proc_show', [definition]);
    const found = single(run(checkNewFuncInit, module), 'LP-NEWFUNC-INIT');
    assert.equal(found.severity, 'error');
    assert.deepEqual(found.location, entryOf(module).newFunc!.location);
    assert.deepEqual(found.related[0].location, definition.nameLocation);
    assertMessage(found, "replacement 'livepatch_cmdline_proc_show' is __init", "keeps redirecting 'cmdline_proc_show' into it");
  });
  it('follows calls into __init helpers', () => {
    const helper = fn('setup_banner', { annotations: ['__init'] });
    const module = moduleWithReplacement('livepatch_cmdline_proc_show', [
      replacement('livepatch_cmdline_proc_show', { calls: ['format_line'] }),
      fn('format_line', { calls: ['setup_banner'] }),
      helper,
    ]);
    const found = single(run(checkNewFuncInit, module), 'LP-NEWFUNC-INIT');
    assertMessage(found, "calls __init function 'setup_banner' (livepatch_cmdline_proc_show → format_line → setup_banner)");
    assert.deepEqual(found.related[0].location, helper.nameLocation);
  });
  it('is silent for ordinary replacements', () => {
    assert.deepEqual(run(checkNewFuncInit, livepatchModule()), []);
  });
});

describe('LP-NEWFUNC-NAME', () => {
  it('flags a non-static replacement that reuses the original name, on its definition', () => {
    const definition = replacement('cmdline_proc_show', { isStatic: false });
    const module = moduleWithReplacement('cmdline_proc_show', [definition]);
    const found = single(run(checkNewFuncName, module), 'LP-NEWFUNC-NAME');
    assert.equal(found.severity, 'information');
    assert.deepEqual(found.location, definition.nameLocation);
    assertMessage(found, 'is not static and has the same name as the function it replaces');
    assert.deepEqual(found.related[0].location, entryOf(module).oldName!.location);
  });
  it('is silent for a static, prefixed replacement', () => {
    assert.deepEqual(run(checkNewFuncName, livepatchModule()), []);
  });
});

describe('LP-STATIC-LOCAL', () => {
  it('flags each function-scope static on its declaration', () => {
    const definition = replacement('livepatch_cmdline_proc_show', { staticLocals: ['calls'] });
    const module = moduleWithReplacement('livepatch_cmdline_proc_show', [definition]);
    const found = single(run(checkStaticLocals, module), 'LP-STATIC-LOCAL');
    assert.equal(found.severity, 'warning');
    assert.deepEqual(found.location, definition.staticLocals[0].location);
    assertMessage(found, "static 'calls' in replacement 'livepatch_cmdline_proc_show' is a new variable that starts at zero");
  });
  it('flags *_once helpers on the definition name', () => {
    const definition = replacement('livepatch_cmdline_proc_show', { calls: ['seq_printf', 'pr_warn_once'] });
    const found = single(run(checkStaticLocals, moduleWithReplacement('livepatch_cmdline_proc_show', [definition])), 'LP-STATIC-LOCAL');
    assert.deepEqual(found.location, definition.nameLocation);
    assertMessage(found, 'uses pr_warn_once()');
  });
  it('is silent without static state', () => {
    assert.deepEqual(run(checkStaticLocals, livepatchModule()), []);
  });
});
