/**
 * Completions: `done` is the struct's first field; waiters block on channel
 * `completion:<addr>` and complete() wakes one of them, complete_all() all.
 */
import type { HostFunction, HostReturn } from '../host';
import type { Machine } from '../machine';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import { block, host, num, scheduler } from './support';

const UINT_MAX = 0xffffffff;

function take(m: Machine, x: number): boolean {
  const done = m.memory.u32(x);
  if (done === 0) return false;
  if (done !== UINT_MAX) m.memory.w32(x, done - 1);
  return true;
}

function wait(m: Machine, t: Task, x: number, site: SourceLoc, timeout: number | undefined, what: string): HostReturn {
  if (take(m, x)) return timeout === undefined ? 0 : Math.max(1, timeout);
  const s = scheduler(m, what);
  const until = timeout === undefined ? undefined : s.now() + timeout;
  const again = (): HostReturn => {
    if (take(m, x)) return until === undefined ? 0 : Math.max(1, until - s.now());
    if (until !== undefined && s.now() >= until) return 0;
    return block(m, t, site, { channel: `completion:${x}`, until, what }, again);
  };
  return block(m, t, site, { channel: `completion:${x}`, until, what }, again);
}

export const completionApi: HostFunction[] = [
  host('complete', (m, _t, a) => {
    const x = num(a[0]);
    const done = m.memory.u32(x);
    if (done !== UINT_MAX) m.memory.w32(x, done + 1);
    m.env.scheduler?.wake(`completion:${x}`, 1);
    return 0;
  }),
  host('complete_all', (m, _t, a) => {
    const x = num(a[0]);
    m.memory.w32(x, UINT_MAX);
    m.env.scheduler?.wake(`completion:${x}`);
    return 0;
  }),
  host('wait_for_completion', (m, t, a, site) => wait(m, t, num(a[0]), site, undefined, 'wait_for_completion')),
  host('wait_for_completion_interruptible', (m, t, a, site) => wait(m, t, num(a[0]), site, undefined, 'wait_for_completion_interruptible')),
  host('wait_for_completion_killable', (m, t, a, site) => wait(m, t, num(a[0]), site, undefined, 'wait_for_completion_killable')),
  host('wait_for_completion_timeout', (m, t, a, site) => wait(m, t, num(a[0]), site, num(a[1]), 'wait_for_completion_timeout')),
  host('wait_for_completion_interruptible_timeout', (m, t, a, site) => wait(m, t, num(a[0]), site, num(a[1]), 'wait_for_completion_interruptible_timeout')),
  host('try_wait_for_completion', (m, _t, a) => (take(m, num(a[0])) ? 1 : 0)),
  host('completion_done', (m, _t, a) => (m.memory.u32(num(a[0])) > 0 ? 1 : 0)),
];
