/**
 * Faults: the ways interpreted code stops abnormally. A fault ends the task it happened on (like
 * an oops kills the current task) and is reported with where it happened and the task's stack.
 */

export type FaultKind =
  | 'step-budget'
  | 'memory-budget'
  | 'call-depth'
  | 'null-dereference'
  | 'use-after-free'
  | 'out-of-bounds'
  | 'double-free'
  | 'invalid-free'
  | 'read-only'
  | 'not-modeled'
  | 'division-by-zero'
  | 'bad-pointer'
  | 'compile-error'
  | 'bug'
  | 'sleep-in-atomic'
  | 'internal';

/** One frame of a task's stack, innermost first when listed. */
export interface StackFrame {
  function: string;
  /** Module (program) whose implementation this is; undefined for host (kernel model) functions. */
  module: string | undefined;
  file: string;
  /** 1-based line of the statement being executed (the call, for frames below the top). */
  line: number;
  column: number;
  /** Address of the function. */
  address: number;
  host: boolean;
}

export interface Fault {
  kind: FaultKind;
  message: string;
  function: string;
  module: string | undefined;
  file: string;
  line: number;
  column: number;
  /** Innermost first. */
  stack: StackFrame[];
}

/**
 * Thrown inside the machine and turned into a Fault (with location and stack) by the run loop.
 * Not an Error subclass: throwing it must stay cheap and it never escapes the machine.
 */
export class FaultSignal {
  constructor(readonly kind: FaultKind, readonly message: string) {}
}

export function fault(kind: FaultKind, message: string): never {
  throw new FaultSignal(kind, message);
}
