/**
 * The boundary between the interpreter and the world around it (the simulator and the kernel
 * API models). Interpreted code reaches nothing else: no files, network, processes or timers
 * exist on this interface.
 */
import type { Machine } from './machine';
import type { SourceLoc } from './program';
import type { Task } from './task';
import type { Val } from './values';

/** Why a blocked task was resumed. */
export type WakeReason = 'timeout' | 'woken' | 'signal';

/** What a task waits for while blocked. */
export interface BlockReason {
  /** Wake at this virtual time (jiffies) at the latest. */
  until?: number;
  /**
   * Wait channel: the scheduler resumes the task when `Scheduler.wake(channel)` names it.
   * Channels used by the kernel API models: `completion:<addr>`, `mutex:<addr>`,
   * `work-done:<addr>`, `task-exit:<task id>`, `wakeup:<task id>` (wake_up_process).
   */
  channel?: string;
  /** Short description for stacks and logs ("msleep(1000)"). */
  what: string;
}

/** Returned by a host function to suspend the calling task. */
export class BlockRequest {
  constructor(
    readonly reason: BlockReason,
    /** Computes the function's return value once resumed (may block again). */
    readonly onResume: (wake: WakeReason) => HostReturn = () => 0,
  ) {}
}

/** Returned by a host function to call a C function (or another host function) first. */
export class CallRequest {
  constructor(
    /** Function address. */
    readonly fn: number,
    readonly args: Val[],
    /** Receives the callee's return value; returns this host function's result. */
    readonly then: (value: Val) => HostReturn = (v) => v,
  ) {}
}

export type HostReturn = Val | undefined | void | BlockRequest | CallRequest;

export interface HostFunction {
  readonly name: string;
  /**
   * `args` are the converted argument values (pointers as addresses); variadic arguments follow
   * the named ones. `site` is the call's source location.
   */
  call(machine: Machine, task: Task, args: Val[], site: SourceLoc): HostReturn;
}

/** Identity of a function for the redirect hook. */
export interface FunctionIdentity {
  address: number;
  name: string;
  /** undefined for host (kernel) functions. */
  module: string | undefined;
}

export type MachineEvent =
  | { kind: 'printk'; level: number; text: string; module: string | undefined; task: string; continuation: boolean }
  | { kind: 'warning'; message: string; module: string | undefined; function: string; file: string; line: number; task: string }
  | { kind: 'lock'; message: string; task: string; file: string; line: number }
  | { kind: 'sleep-in-atomic'; message: string; task: string; file: string; line: number }
  | { kind: 'stack-dump'; task: string; frames: string[] }
  | { kind: 'note'; message: string };

/** Requests from the kernel API models to whoever schedules tasks (the simulator). */
export interface Scheduler {
  /** Current virtual time in jiffies. */
  now(): number;
  /** A kthread created by kthread_create: runs entry(arg) once woken. */
  createThread(entry: number, arg: Val, name: string, creator: Task): Task;
  /** wake_up_process: start a created thread or wake a sleeping task; true if it was woken. */
  wakeUp(task: Task): boolean;
  /** Wakes tasks blocked on `channel` (all of them, or at most `count`). */
  wake(channel: string, count?: number): void;
  /** queue_work/queue_delayed_work: false if the work was already pending. */
  queueWork(work: number, fn: number, delayTicks: number, queue: number): boolean;
  /** mod_delayed_work: (re)arm with a new delay; true if it was pending. */
  modifyWork?(work: number, fn: number, delayTicks: number, queue: number): boolean;
  /** Removes a pending work item; true if it was pending. */
  cancelWork(work: number): boolean;
  /** Whether the work function is running right now (cancel_work_sync/flush_work wait). */
  workRunning(work: number): boolean;
  /** Whether the work item is queued (pending, possibly with a delay). */
  workPending(work: number): boolean;
  /** Whether any work is pending or running (flush_scheduled_work waits on `work-done:*`). */
  anyWork?(): boolean;
}

/** The simulator's side of the boundary. Every member is optional. */
export interface HostEnvironment {
  /** Functions not defined by any loaded program: kernel functions the simulator models. */
  resolve?(name: string, from: string | undefined): HostFunction | undefined;
  /**
   * Livepatch relocations: the address a module's reference to `name` was relocated to by
   * someone other than the module loader (the livepatch core's .klp.sym symbols, which may name
   * another module's static data or functions). Consulted before any other resolution.
   */
  relocate?(name: string, from: string | undefined): number | undefined;
  /** Data symbols not defined by any program (kernel globals): their address, if modelled. */
  global?(name: string, from: string | undefined): number | undefined;
  /**
   * Called for calls of hooked functions only (Machine.hook): returns the address of the
   * implementation this task should reach, or undefined to keep the callee.
   */
  redirect?(callee: FunctionIdentity, task: Task): number | undefined;
  /** printk output, warnings and other events. */
  event?(event: MachineEvent): void;
  scheduler?: Scheduler;
}
