/**
 * A task (kernel thread of control): its explicit frame stack, so it can block in the middle
 * of any function and be resumed later, and so its stack can be inspected while it sleeps.
 */
import type { Fault, StackFrame } from './fault';
import type { Frame } from './frame';
import type { BlockRequest } from './host';
import type { Val } from './values';

export type TaskState = 'idle' | 'running' | 'blocked' | 'exited' | 'faulted';

export class Task {
  readonly frames: Frame[] = [];
  state: TaskState = 'idle';
  /** Set while blocked. */
  blocked: BlockRequest | null = null;
  /** Value the outermost call returned, once exited. */
  exitValue: Val | undefined;
  fault: Fault | undefined;
  /** Spinlocks held (sleeping with one held is reported). */
  atomicDepth = 0;
  /** kthread_stop() was called for this thread. */
  shouldStop = false;
  /** The state set by set_current_state(). */
  sleepState = 0;
  /** Number of completed runs of kthread functions etc. (free for the scheduler's use). */
  data: Record<string, unknown> = {};

  constructor(
    readonly id: number,
    readonly name: string,
    /** Address of the task's struct task_struct. */
    readonly address: number,
    readonly kind: 'kthread' | 'user' | 'worker' | 'idle',
  ) {}

  /** The stack, innermost frame first (filled in by Machine.stackOf). */
  stack: () => StackFrame[] = () => [];
}
