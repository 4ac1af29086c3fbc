import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileProgram, Machine, ReferenceScheduler, type CompiledProgram, type RunResult } from '../../../server/src/interp';
import { compileFixture, noErrors } from './helpers';

let target: CompiledProgram;
let consumer: CompiledProgram;
before(async () => {
  target = await compileFixture('target_mod', 'target.c');
  consumer = await compileFixture('consumer_mod', 'consumer.c');
  noErrors(target);
  noErrors(consumer);
});

function value(r: RunResult): unknown {
  assert.equal(r.status, 'returned', r.status === 'faulted' ? r.fault.message : r.status);
  return (r as { value: unknown }).value;
}

test('two programs share one address space and call each other through exports and pointers', () => {
  const m = new Machine();
  new ReferenceScheduler().attach(m);
  const t = m.loadProgram(target);
  const c = m.loadProgram(consumer);
  const task = m.createTask('insmod');
  assert.equal(value(c.callFunction('consumer_setup', [], task)), 0);
  assert.equal(value(t.callFunction('target_run_all', [5], m.createTask('a'))), 1010);
  assert.equal(m.functionAt(Number(value(c.callFunction('consumer_handler_address', [], m.createTask('b')))))?.module, 'consumer_mod');
});

test('the redirect hook picks the implementation per task (ftrace-style)', () => {
  const patchedTasks = new Set<string>();
  const m: Machine = new Machine({
    env: {
      redirect: (callee, task): number | undefined => (callee.name === 'target_compute' && patchedTasks.has(task.name) ? m.functionAddress('livepatch_target_compute', 'consumer_mod') : undefined),
    },
  });
  const t = m.loadProgram(target);
  m.loadProgram(consumer);
  const original = t.functionAddress('target_compute')!;
  m.hook(original);
  patchedTasks.add('switched');
  assert.equal(value(t.callFunction('target_entry', [10], m.createTask('unswitched'))), 21);
  assert.equal(value(t.callFunction('target_entry', [10], m.createTask('switched'))), 31);
  // Direct calls from the outside go through the hook too.
  assert.equal(value(m.callFunction(original, [10], m.createTask('switched'))), 30);
  m.unhook(original);
  assert.equal(value(t.callFunction('target_entry', [10], m.createTask('switched'))), 21);
});

test('calling a function pointer into an unloaded module faults', () => {
  const m = new Machine();
  const t = m.loadProgram(target);
  const c = m.loadProgram(consumer);
  value(c.callFunction('consumer_setup', [], m.createTask('insmod')));
  m.unloadProgram(c);
  const r = t.callFunction('target_run_all', [1], m.createTask('later'));
  assert.equal(r.status, 'faulted');
  const fault = (r as Extract<RunResult, { status: 'faulted' }>).fault;
  assert.equal(fault.kind, 'use-after-free');
  assert.match(fault.message, /unloaded module consumer_mod: consumer_handler/);
  assert.equal(fault.function, 'target_run_all');
  assert.equal(fault.line, 31);
});

test('resuming a task that slept inside an unloaded module faults instead of running freed code', async () => {
  const sleeper = await compileProgram({ moduleName: 'sleeper_mod', files: { 'sleeper.c': 'int nap(void) { msleep(20); return 1; }\n' } });
  const m = new Machine();
  new ReferenceScheduler().attach(m);
  const h = m.loadProgram(sleeper);
  const t = m.createTask('napper');
  assert.equal(h.callFunction('nap', [], t).status, 'blocked');
  m.unloadProgram(h);
  const r = m.resume(t, 'timeout');
  assert.equal(r.status, 'faulted');
  assert.equal((r as Extract<RunResult, { status: 'faulted' }>).fault.kind, 'use-after-free');
});

test('an export missing at load time resolves once its module is loaded', () => {
  const m = new Machine();
  const c = m.loadProgram(consumer);
  const early = c.callFunction('consumer_setup', [], m.createTask('early'));
  assert.equal(early.status, 'faulted');
  assert.equal((early as Extract<RunResult, { status: 'faulted' }>).fault.message, 'not modeled: target_register');
  m.loadProgram(target);
  assert.equal(value(c.callFunction('consumer_setup', [], m.createTask('late'))), 0);
});

test('THIS_MODULE points at a struct module readable by kernel header type name', () => {
  const m = new Machine();
  const t = m.loadProgram(target);
  const mod = m.readStruct(t.thisModule, 'module');
  assert.equal(mod.name, 'target_mod');
  assert.equal(mod.state, 1);
  m.writeField(t.thisModule, 'module', 'state', 0);
  assert.equal(m.readInt(m.fieldAddress(t.thisModule, 'module', 'state'), 'int'), 0);
});
