/**
 * The repository's example livepatch modules run against a minimal stand-in for the
 * simulator: klp_enable_patch walks the klp_patch tables through Machine.readStruct and runs
 * pre_patch callbacks through CallRequest, as the real simulator will.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CallRequest, compileProgram, Machine, ReferenceScheduler, type HostFunction, type HostReturn } from '../../../server/src/interp';
import { noErrors, printkLines } from './helpers';

const examples = join(__dirname, '..', '..', '..', 'examples');

function livepatchCore(m: () => Machine, seen: string[]): Map<string, HostFunction> {
  const enable: HostFunction = {
    name: 'klp_enable_patch',
    call(machine, _task, args): HostReturn {
      const patch = machine.readStruct(Number(args[0]), 'klp_patch');
      const objSize = machine.structType('klp_object').size;
      const funcSize = machine.structType('klp_func').size;
      const callbacks: number[] = [];
      for (let o = Number(patch.objs); ; o += objSize) {
        const obj = machine.readStruct(o, 'klp_object');
        if (!obj.funcs && !obj.name) break;
        for (let f = Number(obj.funcs); ; f += funcSize) {
          const fn = machine.readStruct(f, 'klp_func');
          if (!fn.old_name && !fn.new_func) break;
          seen.push(`${obj.name ? machine.readCString(Number(obj.name)) : 'vmlinux'}:${machine.readCString(Number(fn.old_name))}->${machine.functionAt(Number(fn.new_func))?.name}`);
        }
        const pre = Number((obj.callbacks as Record<string, unknown>).pre_patch);
        if (pre) callbacks.push(pre, o);
      }
      const run = (i: number): HostReturn => {
        if (i >= callbacks.length) return 0;
        return new CallRequest(callbacks[i], [callbacks[i + 1]], (ret) => (ret !== 0 ? ret : run(i + 2)));
      };
      return run(0);
    },
  };
  const getState: HostFunction = {
    name: 'klp_get_state',
    call(machine, _task, args) {
      const patch = machine.readStruct(Number(args[0]), 'klp_patch');
      const size = machine.structType('klp_state').size;
      for (let s = Number(patch.states); s; s += size) {
        const state = machine.readStruct(s, 'klp_state');
        if (!state.id && !state.version) return 0;
        if (state.id === Number(args[1])) return s;
      }
      return 0;
    },
  };
  void m;
  return new Map([[enable.name, enable], [getState.name, getState]]);
}

test('the cmdline example enables: tables are read, pre_patch runs, the new function prints to a seq_file', async () => {
  const program = await compileProgram({
    moduleName: 'livepatch_cmdline',
    files: { 'livepatch-cmdline.c': readFileSync(join(examples, 'cmdline-fix', 'livepatch-cmdline.c'), 'utf8') },
  });
  noErrors(program);
  const seen: string[] = [];
  let machine: Machine | undefined;
  const core = livepatchCore(() => machine!, seen);
  machine = new Machine({ env: { resolve: (name) => core.get(name) } });
  new ReferenceScheduler().attach(machine);
  const handle = machine.loadProgram(program);
  assert.equal(handle.modinfo.get('livepatch'), 'Y');
  assert.equal(handle.modinfo.get('license'), 'GPL');
  const result = machine.callFunction(handle.initFunction!, [], machine.createTask('insmod', 'user'));
  assert.deepEqual(result, { status: 'returned', value: 0 });
  assert.deepEqual(seen, ['vmlinux:cmdline_proc_show->livepatch_cmdline_proc_show']);
  assert.deepEqual(printkLines(machine), ['livepatch_cmdline: cmdline_fix_pre_patch: preparing vmlinux']);
  const patch = machine.readStruct(handle.globalAddress('patch')!, 'klp_patch');
  assert.equal(patch.replace, 1);
  assert.equal(patch.mod, handle.thisModule);
  const seq = machine.kernel.createSeqFile();
  const show = machine.callFunction('livepatch_cmdline_proc_show', [seq, 0], machine.createTask('cat', 'user'));
  assert.deepEqual(show, { status: 'returned', value: 0 });
  assert.equal(machine.kernel.seqFileText(seq), 'this has been live patched\n');
});

test('the shadow-counter example loads and its unmodelled shadow API faults as not modeled', async () => {
  const program = await compileProgram({
    moduleName: 'livepatch_shadow_counter',
    files: { 'livepatch-shadow-counter.c': readFileSync(join(examples, 'shadow-counter', 'livepatch-shadow-counter.c'), 'utf8') },
  });
  noErrors(program);
  const seen: string[] = [];
  const core = livepatchCore(() => machine, seen);
  const machine = new Machine({ env: { resolve: (name) => core.get(name) } });
  const handle = machine.loadProgram(program);
  assert.deepEqual(machine.callFunction(handle.initFunction!, [], machine.createTask('insmod', 'user')), { status: 'returned', value: 0 });
  assert.deepEqual(seen, ['vmlinux:do_sys_openat2->livepatch_do_sys_openat2', 'nf_conntrack:nf_conntrack_in->livepatch_nf_conntrack_in']);
  const r = machine.callFunction('livepatch_do_sys_openat2', [0, 0, 0], machine.createTask('open', 'user'));
  assert.equal(r.status, 'faulted');
  assert.equal(r.status === 'faulted' && r.fault.message, 'not modeled: klp_shadow_get_or_alloc');
});
