/**
 * Running the author's C code from inside the simulated kernel: callbacks (reference 3), and
 * module init/exit. The code runs in the context of a process (its comm and pid: what
 * `current`, printk's callers and WARN show), on a short-lived interpreter task of its own so
 * the calling task's frames stay as they are; if the code sleeps, virtual time runs until it
 * returns.
 */
import type { Val } from '../interp/values';
import type { ProcessIdentity, Simulator } from './simulator';
import { objectDisplayName, type KlpCallbacks, type KlpObject } from './types';

/** Longest a nested call may sleep before it is reported as stuck (virtual seconds). */
const maxNestedSleepSeconds = 600;
const EFAULT = -14;

/**
 * Calls C code at `address` in the context of `process` and returns its value (undefined when
 * it faulted or got stuck).
 */
export function runNested(sim: Simulator, address: number, args: Val[], process: ProcessIdentity): Val | undefined {
  const machine = sim.machine;
  const comm = process.comm;
  const task = sim.newTask(comm, process.kind, process.pid);
  const saved = machine.current;
  try {
    let result = machine.callFunction(address, args, task);
    const deadline = sim.jiffies + maxNestedSleepSeconds * sim.hz;
    while (result.status === 'blocked') {
      if (task.state !== 'blocked') break;
      if (sim.jiffies >= deadline) {
        sim.findings.push({ code: 'SIM-STUCK', severity: 'error', message: `${comm}: still sleeping after ${maxNestedSleepSeconds} s (${task.blocked?.reason.what ?? 'blocked'})` });
        return undefined;
      }
      sim.scheduler.runFor(Math.max(1, sim.hz / 10));
      if (task.state !== 'blocked') {
        result = task.state === 'faulted' && task.fault ? { status: 'faulted', fault: task.fault } : { status: 'returned', value: task.exitValue ?? 0 };
      }
    }
    if (result.status === 'faulted') {
      sim.reportFault(comm, result.fault);
      return undefined;
    }
    return result.status === 'returned' ? result.value : undefined;
  } finally {
    machine.current = saved;
    task.data.finished = true;
  }
}

/**
 * Runs one callback of an object, if set, and returns pre_patch's value (0 for the others and
 * for absent callbacks). A faulting pre_patch counts as -EFAULT.
 */
export function callCallback(sim: Simulator, object: KlpObject, kind: keyof KlpCallbacks): number {
  const address = object.callbacks[kind];
  if (!address || object.dynamic) return 0;
  const fn = sim.machine.functionAt(address);
  // Callbacks run in whatever process the core works for (3.1): insmod during
  // klp_enable_patch() or a target module's load, rmmod for its removal, the shell writing
  // `enabled`, the kworker of the transition's delayed work.
  const process = sim.currentProcess();
  const value = runNested(sim, address, [object.address], process);
  const result = value === undefined ? (kind === 'pre_patch' ? EFAULT : 0) : kind === 'pre_patch' ? Number(value) | 0 : 0;
  sim.events.push({
    kind: 'callback',
    time: sim.seconds(),
    patch: object.patch.name,
    object: objectDisplayName(object),
    callback: kind,
    function: fn?.name ?? `0x${address.toString(16)}`,
    comm: process.comm,
    pid: process.pid,
    ...(kind === 'pre_patch' ? { result } : {}),
  });
  return result;
}
