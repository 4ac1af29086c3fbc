/**
 * Spinlocks and mutexes as ownership-tracking models (no real concurrency exists: tasks run
 * one at a time). The owner (task id) lives in the lock's first field. Misuse is reported as
 * 'lock' events: unlocking a lock the task does not hold, mutex recursion (the task then
 * blocks forever, as it would deadlock); spinlock recursion is a 'bug' fault. Holding a
 * spinlock counts as atomic context, so sleeping under it is reported (sleep-in-atomic).
 */
import { fault } from '../fault';
import type { HostFunction, HostReturn } from '../host';
import type { Machine } from '../machine';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import { block, host, num, scheduler } from './support';

const owner = (m: Machine, lock: number) => Number(m.memory.s64(lock));
const setOwner = (m: Machine, lock: number, id: number) => m.memory.w64(lock, id);

function lockEvent(m: Machine, t: Task, site: SourceLoc, message: string): void {
  m.emit({ kind: 'lock', message, task: t.name, file: site.file, line: site.line });
}

function spinLock(m: Machine, t: Task, lock: number, site: SourceLoc): HostReturn {
  const o = owner(m, lock);
  if (o === t.id) fault('bug', `BUG: spinlock recursion on CPU#0, ${t.name}/${t.id}`);
  if (o === 0) {
    setOwner(m, lock, t.id);
    t.atomicDepth++;
    return 0;
  }
  // Held by a task that slept with it: wait for it, as a spinning CPU would.
  return block(m, t, site, { channel: `spinlock:${lock}`, what: 'spin_lock' }, () => spinLock(m, t, lock, site));
}

function spinUnlock(m: Machine, t: Task, lock: number, site: SourceLoc): number {
  const o = owner(m, lock);
  if (o !== t.id) {
    lockEvent(m, t, site, o === 0 ? 'spin_unlock of a spinlock that is not locked' : `spin_unlock of a spinlock held by another task (id ${o})`);
    if (o === 0) return 0;
  } else t.atomicDepth = Math.max(0, t.atomicDepth - 1);
  setOwner(m, lock, 0);
  m.env.scheduler?.wake(`spinlock:${lock}`, 1);
  return 0;
}

function mutexLock(m: Machine, t: Task, lock: number, site: SourceLoc): HostReturn {
  const o = owner(m, lock);
  if (o === 0) {
    setOwner(m, lock, t.id);
    return 0;
  }
  if (o === t.id) {
    lockEvent(m, t, site, 'recursive mutex_lock: the task deadlocks on a mutex it already holds');
    return block(m, t, site, { channel: `deadlock:${lock}`, what: 'mutex_lock (deadlock)' });
  }
  scheduler(m, 'mutex_lock contention');
  return block(m, t, site, { channel: `mutex:${lock}`, what: 'mutex_lock' }, () => mutexLock(m, t, lock, site));
}

function mutexUnlock(m: Machine, t: Task, lock: number, site: SourceLoc): number {
  const o = owner(m, lock);
  if (o !== t.id) {
    lockEvent(m, t, site, o === 0 ? 'mutex_unlock of a mutex that is not locked' : `mutex_unlock of a mutex owned by another task (id ${o})`);
    if (o === 0) return 0;
  }
  setOwner(m, lock, 0);
  m.env.scheduler?.wake(`mutex:${lock}`, 1);
  return 0;
}

export const lockApi: HostFunction[] = [
  host('spin_lock', (m, t, a, site) => spinLock(m, t, num(a[0]), site)),
  host('spin_unlock', (m, t, a, site) => spinUnlock(m, t, num(a[0]), site)),
  host('spin_trylock', (m, t, a) => {
    if (owner(m, num(a[0])) !== 0) return 0;
    setOwner(m, num(a[0]), t.id);
    t.atomicDepth++;
    return 1;
  }),
  host('spin_is_locked', (m, _t, a) => (owner(m, num(a[0])) !== 0 ? 1 : 0)),
  host('mutex_lock', (m, t, a, site) => mutexLock(m, t, num(a[0]), site)),
  host('mutex_lock_interruptible', (m, t, a, site) => mutexLock(m, t, num(a[0]), site)),
  host('mutex_lock_killable', (m, t, a, site) => mutexLock(m, t, num(a[0]), site)),
  host('mutex_trylock', (m, t, a) => {
    if (owner(m, num(a[0])) !== 0) return 0;
    setOwner(m, num(a[0]), t.id);
    return 1;
  }),
  host('mutex_unlock', (m, t, a, site) => mutexUnlock(m, t, num(a[0]), site)),
  host('mutex_is_locked', (m, _t, a) => (owner(m, num(a[0])) !== 0 ? 1 : 0)),
  host('preempt_disable', (_m, t) => {
    t.atomicDepth++;
    return 0;
  }),
  host('preempt_enable', (_m, t) => {
    t.atomicDepth = Math.max(0, t.atomicDepth - 1);
    return 0;
  }),
  host('local_irq_disable', (_m, t) => {
    t.atomicDepth++;
    return 0;
  }),
  host('local_irq_enable', (_m, t) => {
    t.atomicDepth = Math.max(0, t.atomicDepth - 1);
    return 0;
  }),
];
