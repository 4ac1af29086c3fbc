/**
 * Tasks as the livepatch consistency model sees them (reference 5.2): every task has a
 * `patch_state` and a pending flag. Two kinds exist in the simulator: the interpreter's own
 * threads (insmod's process, kthreads, workqueue workers) whose stacks are their real frames, and
 * the kernel model's background tasks (idle tasks, daemons) whose stacks are fixed symbol lists.
 */
import type { Task as MachineTask } from '../interp/task';
import { TRANSITION_IDLE } from './types';

export interface StackEntry {
  /** Function name. */
  function: string;
  /** Owning object: "vmlinux" or a module name. */
  object: string;
  /** Where in the sources, for interpreted frames. */
  file?: string;
  line?: number;
}

export type TaskKind = 'user' | 'kthread' | 'idle' | 'worker';

export interface SimTask {
  pid: number;
  comm: string;
  kind: TaskKind;
  patchState: number;
  pending: boolean;
  /** Running on another CPU right now (the stack check refuses running tasks). */
  running: boolean;
  /** Offline CPU's idle task: switched without a check. */
  offline?: boolean;
  /** false: the stack walk fails (klp_try_switch_task: "has an unreliable stack"). */
  reliableStack?: boolean;
  /** Sleeping interruptibly: a fake signal wakes it (reference 5.7). */
  interruptible: boolean;
  /** The stack, innermost first. */
  stack(): StackEntry[];
  /** The interpreter's task, for interpreted threads. */
  machineTask?: MachineTask;
  /** Gone (exited): no longer takes part in transitions. */
  exited: boolean;
}

/** A background task of the kernel model (JSON `tasks`, or the defaults below). */
export interface ModelTaskSpec {
  pid: number;
  comm: string;
  kind: TaskKind;
  /** Innermost first, as /proc/<pid>/stack prints it; "fn [module]" for module functions. */
  stack: string[];
  /** On a CPU right now: the stack check refuses it ("is running"). */
  running?: boolean;
  interruptible?: boolean;
  /** An idle task whose CPU is offline: switched without a check. */
  offline?: boolean;
  /** false: its stack cannot be walked reliably ("has an unreliable stack"). */
  reliableStack?: boolean;
}

/**
 * What a freshly booted two-CPU machine has when the kernel model lists no tasks: the idle tasks,
 * init sleeping in epoll, kthreadd, and an idle kworker. Their stacks are typical x86_64 6.x
 * stacks; patching one of these functions makes the transition wait as it would on a machine.
 */
export const defaultModelTasks: ModelTaskSpec[] = [
  { pid: 0, comm: 'swapper/0', kind: 'idle', stack: ['default_idle', 'default_idle_call', 'do_idle', 'cpu_startup_entry', 'rest_init', 'start_kernel'] },
  { pid: 0, comm: 'swapper/1', kind: 'idle', stack: ['default_idle', 'default_idle_call', 'do_idle', 'cpu_startup_entry', 'start_secondary'] },
  { pid: 1, comm: 'systemd', kind: 'user', interruptible: true, stack: ['__schedule', 'schedule', 'schedule_hrtimeout_range_clock', 'do_epoll_wait', '__x64_sys_epoll_wait', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'] },
  { pid: 2, comm: 'kthreadd', kind: 'kthread', interruptible: true, stack: ['__schedule', 'schedule', 'kthreadd', 'ret_from_fork'] },
  { pid: 40, comm: 'kworker/0:2', kind: 'kthread', interruptible: true, stack: ['__schedule', 'schedule', 'worker_thread', 'kthread', 'ret_from_fork'] },
];

export function modelTask(spec: ModelTaskSpec): SimTask {
  const stack = spec.stack.map((f) => {
    const frame = /^(\S+)\s+\[(\S+)\]$/.exec(f.trim());
    return frame ? { function: frame[1], object: frame[2] } : { function: f.trim(), object: 'vmlinux' };
  });
  return {
    pid: spec.pid,
    comm: spec.comm,
    kind: spec.kind,
    patchState: TRANSITION_IDLE,
    pending: false,
    running: spec.running ?? false,
    interruptible: spec.interruptible ?? spec.kind !== 'idle',
    offline: spec.offline,
    reliableStack: spec.reliableStack,
    stack: () => stack,
    exited: false,
  };
}

export function machineTaskView(task: MachineTask, pid: number, kind: TaskKind, patchState: number): SimTask {
  return {
    pid,
    comm: task.name,
    kind,
    patchState,
    pending: false,
    running: false,
    get interruptible() {
      return /interruptible|wait_event_interruptible|schedule_timeout_interruptible|msleep_interruptible/.test(task.blocked?.reason.what ?? '');
    },
    stack: () =>
      task.stack().map((frame) => ({ function: frame.function, object: frame.module ?? 'vmlinux', file: frame.file, line: frame.line })),
    machineTask: task,
    get exited() {
      return task.state === 'exited' || task.state === 'faulted' || (task.state === 'idle' && task.frames.length === 0 && task.data.finished === true);
    },
  } as SimTask;
}
