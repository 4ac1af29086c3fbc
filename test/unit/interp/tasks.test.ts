import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { CompiledProgram } from '../../../server/src/interp';
import { compileFixture, load, noErrors, printkLines } from './helpers';

let program: CompiledProgram;
before(async () => {
  program = await compileFixture('lp_threads', 'threads.c');
  noErrors(program);
});

test('HZ is 250 by default and msecs_to_jiffies rounds up', () => {
  const m = load(program);
  assert.equal(m.call('convert_time', 1000), 250);
  assert.equal(m.call('convert_time', 1), 1);
  assert.equal(m.call('convert_time', 6), 2);
});

test('a kthread loops with msleep; while blocked its stack shows functions and lines', () => {
  const m = load(program);
  const insmod = m.machine.createTask('insmod', 'user');
  assert.deepEqual(m.handle.callFunction('start_threads', [], insmod), { status: 'returned', value: 0 });
  m.scheduler.runFor(0);
  const poller = m.machine.tasks.find((t) => t.name === 'lp_poller/0');
  assert.ok(poller);
  assert.equal(poller.state, 'blocked');
  assert.equal(poller.blocked?.reason.what, 'msleep(1000)');
  assert.equal(poller.blocked?.reason.until, 251);
  const stack = poller.stack();
  assert.deepEqual(stack.map((s) => [s.function, s.module, s.line, s.host]), [
    ['msleep', undefined, 24, true],
    ['poll_once', 'lp_threads', 24, false],
    ['poller_fn', 'lp_threads', 33, false],
  ]);
  assert.deepEqual(printkLines(m.machine), ['lp_threads: poller started as lp_poller/0']);
});

test('work items run later on a worker; delayed work waits for its time; completions wake waiters', () => {
  const m = load(program);
  const insmod = m.machine.createTask('insmod', 'user');
  m.handle.callFunction('start_threads', [], insmod);
  const waiter = m.machine.createTask('waiter', 'user');
  const wait = m.handle.callFunction('wait_ready', [], waiter);
  assert.equal(wait.status, 'blocked');
  m.scheduler.runFor(1);
  // The immediate work ran at time 0, the delayed one is due at 125 jiffies.
  assert.equal(m.call('read_work_state'), 100000 + 0);
  m.scheduler.runFor(200);
  assert.equal(m.call('read_work_state'), 200000 + 125);
  assert.equal(waiter.state, 'blocked');
  m.scheduler.runFor(600);
  // Third poll finished at 3 * 251 = 753 jiffies: the waiter got work_runs back.
  assert.equal(waiter.state, 'exited');
  assert.equal(waiter.exitValue, 2);
  assert.ok(m.scheduler.faults.length === 0, JSON.stringify(m.scheduler.faults.map((f) => f.fault.message)));
});

test('kthread_stop wakes the thread, waits for it and returns its result', () => {
  const m = load(program);
  m.handle.callFunction('start_threads', [], m.machine.createTask('insmod', 'user'));
  m.scheduler.runFor(1000);
  const rmmod = m.machine.createTask('rmmod', 'user');
  const stop = m.handle.callFunction('stop_threads', [], rmmod);
  assert.equal(stop.status, 'blocked');
  assert.equal(rmmod.stack()[0].function, 'kthread_stop');
  m.scheduler.runFor(1000);
  assert.equal(rmmod.state, 'exited');
  const polls = Number(rmmod.exitValue);
  assert.ok(polls >= 4, `polls ${polls}`);
  assert.equal(printkLines(m.machine).at(-1), `lp_threads: poller stopping after ${polls} polls`);
});

test('sleeping under a spinlock and unlocking an unowned mutex are reported', () => {
  const m = load(program);
  const t = m.machine.createTask('t', 'user');
  assert.equal(m.handle.callFunction('sleep_under_spinlock', [], t).status, 'blocked');
  const sleep = m.machine.events.find((e) => e.kind === 'sleep-in-atomic');
  assert.ok(sleep && sleep.kind === 'sleep-in-atomic');
  assert.equal(sleep.line, 85);
  m.scheduler.runFor(10);
  assert.equal(t.state, 'exited');
  m.call('bad_unlock');
  const lock = m.machine.events.find((e) => e.kind === 'lock');
  assert.ok(lock && lock.kind === 'lock');
  assert.match(lock.message, /mutex_unlock of a mutex that is not locked/);
});

test('flush_work waits for a running work item; cancel_work_sync removes a pending one', () => {
  const m = load(program);
  // Queued once: the second queue_work of a pending item returns false.
  assert.equal(m.call('queue_slow'), 10);
  m.scheduler.runFor(0);
  const flusher = m.machine.createTask('flusher', 'user');
  assert.equal(m.handle.callFunction('flush_slow', [], flusher).status, 'blocked');
  assert.equal(flusher.stack()[0].function, 'flush_work');
  m.scheduler.runFor(100);
  assert.equal(flusher.state, 'exited');
  assert.equal(flusher.exitValue, 1);
  assert.equal(m.call('queue_slow'), 10);
  assert.equal(m.call('cancel_slow'), 10 + 1);
  m.scheduler.runFor(500);
  assert.equal(m.call('flush_slow'), 1);
});
