/**
 * The structured event stream of a simulation (`klp simulate --json`, the editor's timeline):
 * every log line, callback, transition state change, task switch, shadow variable and state
 * change, with virtual time and, where known, the source location that caused it.
 */
export interface SourceRef {
  file: string;
  /** 1-based. */
  line: number;
}

/** A task that keeps a transition from completing (the timeline shows its stack). */
export interface StalledTask {
  pid: number;
  comm: string;
  /** Innermost first. */
  stack: { function: string; object: string; source?: SourceRef }[];
}

export type SimEvent =
  | { kind: 'command'; time: number; text: string; line: number }
  | { kind: 'log'; time: number; level: number; text: string }
  | { kind: 'output'; time: number; stream: 'stdout' | 'stderr'; text: string }
  | {
      kind: 'callback';
      time: number;
      patch: string;
      object: string;
      callback: string;
      function: string;
      result?: number;
      source?: SourceRef;
      /** The process it ran in (insmod/rmmod, the shell writing sysfs, a kworker). */
      comm?: string;
      pid?: number;
    }
  | {
      kind: 'transition';
      time: number;
      patch: string;
      phase: 'init' | 'start' | 'complete' | 'cancel' | 'reverse' | 'force' | 'signal' | 'stalled';
      target: 'patched' | 'unpatched';
      /** For `stalled`: the tasks not switched, each with its stack as the stack check saw it. */
      blockers?: StalledTask[];
    }
  | { kind: 'task-switch'; time: number; patch: string; pid: number; comm: string; state: number; how: 'stack-check' | 'exit' | 'idle' | 'signal' | 'force' | 'schedule' }
  | { kind: 'shadow'; time: number; action: 'alloc' | 'free' | 'duplicate' | 'ctor-failed'; id: number; object: string; size?: number; source?: SourceRef }
  | { kind: 'state'; time: number; action: 'installed' | 'removed' | 'replaced'; patch: string; id: number; version: number }
  | { kind: 'module'; time: number; action: 'load' | 'unload' | 'load-failed'; module: string }
  | { kind: 'patch'; time: number; action: 'enabled' | 'disabled' | 'replaced' | 'freed'; patch: string }
  | { kind: 'fault'; time: number; task: string; message: string; source?: SourceRef; stack: string[] }
  | { kind: 'finding'; time: number; code: string; severity: 'error' | 'warning' | 'information'; message: string; source?: SourceRef };
