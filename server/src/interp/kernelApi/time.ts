/**
 * Virtual time: jiffies come from Scheduler.now(). Sleeping functions block the task until a
 * jiffy; msleep(ms) sleeps msecs_to_jiffies(ms) + 1 ticks like the kernel; usleep_range and
 * fsleep round up to at least one tick; udelay/mdelay/ndelay busy-wait without advancing the
 * virtual clock (no other task could run meanwhile anyway).
 */
import type { HostFunction, HostReturn } from '../host';
import type { Machine } from '../machine';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import { block, host, num, scheduler } from './support';

const LONG_MAX = Number.MAX_SAFE_INTEGER;
const MAX_JIFFY_OFFSET = 2 ** 62 - 1;

export function msecsToJiffies(m: Machine, ms: number): number {
  if (ms > 0x7fffffff) return MAX_JIFFY_OFFSET;
  return Math.ceil((ms * m.kernel.hz) / 1000);
}
export function usecsToJiffies(m: Machine, us: number): number {
  if (us > 0x7fffffff) return MAX_JIFFY_OFFSET;
  return Math.ceil((us * m.kernel.hz) / 1_000_000);
}

function sleepTicks(m: Machine, t: Task, site: SourceLoc, ticks: number, what: string, result: () => HostReturn = () => 0): HostReturn {
  const s = scheduler(m, what);
  const until = s.now() + ticks;
  const again = (): HostReturn => (s.now() >= until ? result() : block(m, t, site, { until, what }, again));
  return block(m, t, site, { until, what }, again);
}

/** schedule_timeout(): sleeps only if the task set a sleeping state first, like the kernel. */
export function scheduleTimeout(m: Machine, t: Task, site: SourceLoc, timeout: number, what: string): HostReturn {
  const s = scheduler(m, what);
  if (t.sleepState === 0) return timeout === LONG_MAX ? 0 : Math.max(0, timeout);
  const until = timeout >= LONG_MAX || timeout < 0 ? undefined : s.now() + timeout;
  return block(m, t, site, { until, channel: `wakeup:${t.id}`, what }, (wake) => {
    t.sleepState = 0;
    if (until === undefined) return LONG_MAX;
    return wake === 'timeout' ? 0 : Math.max(0, until - s.now());
  });
}

function setState(m: Machine, t: Task, state: number): void {
  t.sleepState = state;
  const type = m.kernel.types().get('task_struct');
  const fld = type?.field('__state');
  if (fld) m.memory.w32(t.address + fld.offset, state);
}

export const timeApi: HostFunction[] = [
  host('msecs_to_jiffies', (m, _t, a) => msecsToJiffies(m, num(a[0]))),
  host('usecs_to_jiffies', (m, _t, a) => usecsToJiffies(m, num(a[0]))),
  host('jiffies_to_msecs', (m, _t, a) => Math.floor((num(a[0]) * 1000) / m.kernel.hz) >>> 0),
  host('jiffies_to_usecs', (m, _t, a) => Math.floor((num(a[0]) * 1_000_000) / m.kernel.hz) >>> 0),
  host('get_jiffies_64', (m) => scheduler(m, 'get_jiffies_64').now()),
  host('ktime_get_ns', (m) => Math.floor((scheduler(m, 'ktime_get_ns').now() * 1e9) / m.kernel.hz)),
  host('ktime_get', (m) => Math.floor((scheduler(m, 'ktime_get').now() * 1e9) / m.kernel.hz)),
  host('ktime_get_real_seconds', (m) => Math.floor(scheduler(m, 'ktime_get_real_seconds').now() / m.kernel.hz)),
  host('msleep', (m, t, a, site) => sleepTicks(m, t, site, msecsToJiffies(m, num(a[0])) + 1, `msleep(${num(a[0])})`)),
  host('msleep_interruptible', (m, t, a, site) => sleepTicks(m, t, site, msecsToJiffies(m, num(a[0])) + 1, `msleep_interruptible(${num(a[0])})`)),
  host('usleep_range', (m, t, a, site) => sleepTicks(m, t, site, Math.max(1, usecsToJiffies(m, num(a[0]))), `usleep_range(${num(a[0])}, ${num(a[1])})`)),
  host('fsleep', (m, t, a, site) => sleepTicks(m, t, site, Math.max(1, usecsToJiffies(m, num(a[0]))), `fsleep(${num(a[0])})`)),
  host('udelay', () => 0),
  host('ndelay', () => 0),
  host('mdelay', () => 0),
  host('__interp_set_current_state', (m, t, a) => {
    setState(m, t, num(a[0]));
    return 0;
  }),
  host('schedule_timeout', (m, t, a, site) => scheduleTimeout(m, t, site, num(a[0]), 'schedule_timeout')),
  host('schedule_timeout_interruptible', (m, t, a, site) => {
    setState(m, t, 1);
    return scheduleTimeout(m, t, site, num(a[0]), 'schedule_timeout_interruptible');
  }),
  host('schedule_timeout_uninterruptible', (m, t, a, site) => {
    setState(m, t, 2);
    return scheduleTimeout(m, t, site, num(a[0]), 'schedule_timeout_uninterruptible');
  }),
  host('schedule_timeout_killable', (m, t, a, site) => {
    setState(m, t, 0x102);
    return scheduleTimeout(m, t, site, num(a[0]), 'schedule_timeout_killable');
  }),
  host('schedule_timeout_idle', (m, t, a, site) => {
    setState(m, t, 0x402);
    return scheduleTimeout(m, t, site, num(a[0]), 'schedule_timeout_idle');
  }),
  host('schedule', (m, t, _a, site) => {
    const s = scheduler(m, 'schedule');
    if (t.sleepState === 0) return block(m, t, site, { until: s.now(), what: 'schedule' });
    return block(m, t, site, { channel: `wakeup:${t.id}`, what: 'schedule' }, () => {
      t.sleepState = 0;
      return 0;
    });
  }),
  // Voluntary preemption points: other tasks may run (and livepatch may switch a kthread here).
  host('cond_resched', (m, t, _a, site) => block(m, t, site, { until: scheduler(m, 'cond_resched').now(), what: 'cond_resched' })),
  host('yield', (m, t, _a, site) => block(m, t, site, { until: scheduler(m, 'yield').now(), what: 'yield' })),
];
