/**
 * Workqueues: queueing is a request to the Scheduler, which runs work functions later on a
 * worker task. The WORK_STRUCT_PENDING bit in work->data mirrors the pending state (the
 * scheduler clears it with startWork() before running the function). Waiting functions block
 * on `work-done:<addr>` (one item) or `workqueue-idle` (flush_scheduled_work and friends); the
 * scheduler wakes those channels when work finishes.
 */
import type { HostFunction, HostReturn } from '../host';
import type { Machine } from '../machine';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import { block, host, num, scheduler } from './support';

/** work_struct layout: data (8), entry (16), func (8). */
const FUNC_OFFSET = 24;
const PENDING = 1;

function setPending(m: Machine, work: number, on: boolean): void {
  const data = Number(m.memory.s64(work));
  m.memory.w64(work, on ? data | PENDING : data & ~PENDING);
}

/** For schedulers: clears the pending bit and returns the work function to call. */
export function startWork(m: Machine, work: number): number {
  setPending(m, work, false);
  return m.memory.ptr(work + FUNC_OFFSET);
}

function queue(m: Machine, wq: number, work: number, delay: number): number {
  const fn = m.memory.ptr(work + FUNC_OFFSET);
  const queued = scheduler(m, 'queue_work').queueWork(work, fn, Math.max(0, delay), wq);
  if (queued) setPending(m, work, true);
  return queued ? 1 : 0;
}

function waitIdle(m: Machine, t: Task, work: number, site: SourceLoc, what: string): HostReturn {
  const s = scheduler(m, what);
  const busy = () => s.workRunning(work) || s.workPending(work);
  if (!busy()) return 0;
  const again = (): HostReturn => (busy() ? block(m, t, site, { channel: `work-done:${work}`, what }, again) : 1);
  return block(m, t, site, { channel: `work-done:${work}`, what }, again);
}

function cancelSync(m: Machine, t: Task, work: number, site: SourceLoc, what: string): HostReturn {
  const s = scheduler(m, what);
  const wasPending = s.cancelWork(work);
  setPending(m, work, false);
  if (!s.workRunning(work)) return wasPending ? 1 : 0;
  const again = (): HostReturn => (s.workRunning(work) ? block(m, t, site, { channel: `work-done:${work}`, what }, again) : wasPending ? 1 : 0);
  return block(m, t, site, { channel: `work-done:${work}`, what }, again);
}

function flushAll(m: Machine, t: Task, site: SourceLoc, what: string): HostReturn {
  const s = scheduler(m, what);
  const busy = () => s.anyWork?.() ?? false;
  const again = (): HostReturn => (busy() ? block(m, t, site, { channel: 'workqueue-idle', what }, again) : 0);
  return again();
}

export const workqueueApi: HostFunction[] = [
  host('queue_work', (m, _t, a) => queue(m, num(a[0]), num(a[1]), 0)),
  host('queue_work_on', (m, _t, a) => queue(m, num(a[1]), num(a[2]), 0)),
  host('schedule_work', (m, _t, a) => queue(m, m.kernel.address('system_wq')!, num(a[0]), 0)),
  host('queue_delayed_work', (m, _t, a) => queue(m, num(a[0]), num(a[1]), num(a[2]))),
  host('schedule_delayed_work', (m, _t, a) => queue(m, m.kernel.address('system_wq')!, num(a[0]), num(a[1]))),
  host('mod_delayed_work', (m, _t, a) => {
    const s = scheduler(m, 'mod_delayed_work');
    const work = num(a[1]);
    const fn = m.memory.ptr(work + FUNC_OFFSET);
    let pending: boolean;
    if (s.modifyWork) pending = s.modifyWork(work, fn, num(a[2]), num(a[0]));
    else {
      pending = s.cancelWork(work);
      s.queueWork(work, fn, num(a[2]), num(a[0]));
    }
    setPending(m, work, true);
    return pending ? 1 : 0;
  }),
  host('cancel_work', (m, _t, a) => {
    const pending = scheduler(m, 'cancel_work').cancelWork(num(a[0]));
    setPending(m, num(a[0]), false);
    return pending ? 1 : 0;
  }),
  host('cancel_delayed_work', (m, _t, a) => {
    const pending = scheduler(m, 'cancel_delayed_work').cancelWork(num(a[0]));
    setPending(m, num(a[0]), false);
    return pending ? 1 : 0;
  }),
  host('cancel_work_sync', (m, t, a, site) => cancelSync(m, t, num(a[0]), site, 'cancel_work_sync')),
  host('cancel_delayed_work_sync', (m, t, a, site) => cancelSync(m, t, num(a[0]), site, 'cancel_delayed_work_sync')),
  host('flush_work', (m, t, a, site) => waitIdle(m, t, num(a[0]), site, 'flush_work')),
  host('flush_delayed_work', (m, t, a, site) => {
    const s = scheduler(m, 'flush_delayed_work');
    const work = num(a[0]);
    if (s.workPending(work)) {
      const fn = m.memory.ptr(work + FUNC_OFFSET);
      if (s.modifyWork) s.modifyWork(work, fn, 0, m.kernel.address('system_wq')!);
      else {
        s.cancelWork(work);
        s.queueWork(work, fn, 0, m.kernel.address('system_wq')!);
      }
    }
    return waitIdle(m, t, work, site, 'flush_delayed_work');
  }),
  host('flush_scheduled_work', (m, t, _a, site) => flushAll(m, t, site, 'flush_scheduled_work')),
  host('flush_workqueue', (m, t, _a, site) => flushAll(m, t, site, 'flush_workqueue')),
  host('drain_workqueue', (m, t, _a, site) => flushAll(m, t, site, 'drain_workqueue')),
  host('alloc_workqueue', (m) => m.allocKernel(64, 'workqueue_struct')),
  host('destroy_workqueue', (m, t, _a, site) => flushAll(m, t, site, 'destroy_workqueue')),
];
