/** Helpers shared by the kernel API models. */
import { fault } from '../fault';
import { BlockRequest, type BlockReason, type HostFunction, type HostReturn, type Scheduler, type WakeReason } from '../host';
import type { Machine } from '../machine';
import type { SourceLoc } from '../program';
import type { Task } from '../task';
import type { Val } from '../values';
import type { FormatContext } from './format';

export type HostImpl = (m: Machine, t: Task, args: Val[], site: SourceLoc) => HostReturn;

export function host(name: string, call: HostImpl): HostFunction {
  return { name, call };
}

export const num = (v: Val | undefined): number => (v === undefined ? 0 : Number(v));

export function scheduler(m: Machine, what: string): Scheduler {
  const s = m.env.scheduler;
  if (!s) fault('not-modeled', `not modeled: ${what} (the machine has no scheduler)`);
  return s;
}

export function formatContext(m: Machine): FormatContext {
  return {
    memory: m.memory,
    symbol: (address) => {
      const rec = m.recordAt(address);
      if (rec) return { name: rec.name, offset: 0, size: rec.size, module: rec.module };
      return undefined;
    },
  };
}

/** Reports sleeping with a spinlock held or preemption disabled (the kernel's BUG message). */
export function checkMaySleep(m: Machine, t: Task, site: SourceLoc, what: string): void {
  if (t.atomicDepth > 0) {
    m.emit({
      kind: 'sleep-in-atomic',
      message: `BUG: sleeping function called from invalid context: ${what} (in_atomic(): 1, pid: ${t.id}, name: ${t.name})`,
      task: t.name, file: site.file, line: site.line,
    });
  }
}

/** Suspends the task; `onResume` computes the blocked function's return value. */
export function block(m: Machine, t: Task, site: SourceLoc, reason: BlockReason, onResume: (wake: WakeReason) => HostReturn = () => 0): BlockRequest {
  checkMaySleep(m, t, site, reason.what);
  return new BlockRequest(reason, onResume);
}

export const EINVAL = 22;
export const ERANGE = 34;
export const ENOMEM = 12;
export const E2BIG = 7;
export const ENOSPC = 28;
export const EINTR = 4;
