/**
 * The kernel log as dmesg shows it (without timestamps), plus the dynamic-debug switches that
 * decide whether the livepatch core's pr_debug lines appear (reference 0.2): "livepatch debug"
 * (`file kernel/livepatch/* +p`) and "per-task debug" (the lines from klp_try_switch_task).
 */

export const KERN_EMERG = 0;
export const KERN_ALERT = 1;
export const KERN_CRIT = 2;
export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_NOTICE = 5;
export const KERN_INFO = 6;
export const KERN_DEBUG = 7;

export interface LogLine {
  level: number;
  text: string;
  /** Virtual time in seconds when it was printed. */
  time: number;
}

export class DynamicDebug {
  /** pr_debug in kernel/livepatch/* outside klp_try_switch_task. */
  livepatch = false;
  /** pr_debug in klp_try_switch_task (per-task lines). */
  perTask = false;

  /**
   * Applies one control-file rule. Supported: `file kernel/livepatch/* +p|-p`,
   * `file <one livepatch file> +p|-p`, `func <name> +p|-p`, `module livepatch +p|-p`.
   * Returns false for a rule the simulator cannot interpret.
   */
  apply(rule: string): boolean {
    const m = /^\s*(file|func|module)\s+(\S+)\s+([+-=])p\s*$/.exec(rule);
    if (!m) return false;
    const [, keyword, target, op] = m;
    const on = op !== '-';
    if (keyword === 'func') {
      if (target === 'klp_try_switch_task') this.perTask = on;
      else if (/^klp_/.test(target) || target === '*') this.livepatch = on;
      else return true; // another subsystem's function: accepted, no livepatch effect
      return true;
    }
    const livepatchScope =
      (keyword === 'module' && target === 'livepatch') ||
      (keyword === 'file' && /^(\*?\/?)?(kernel\/)?livepatch\/(\*|core\.c|transition\.c|patch\.c|shadow\.c|state\.c)$/.test(target));
    if (!livepatchScope) return true;
    this.livepatch = on;
    // The whole-directory rule covers klp_try_switch_task (transition.c) as well.
    if (/\*|transition\.c/.test(target) || keyword === 'module') this.perTask = on;
    return true;
  }
}

export class KernelLog {
  readonly lines: LogLine[] = [];
  readonly debug = new DynamicDebug();
  private listeners: ((line: LogLine) => void)[] = [];
  now: () => number = () => 0;

  onLine(listener: (line: LogLine) => void): void {
    this.listeners.push(listener);
  }

  print(level: number, text: string): void {
    for (const part of text.replace(/\n$/, '').split('\n')) {
      const line = { level, text: part, time: this.now() };
      this.lines.push(line);
      for (const l of this.listeners) l(line);
    }
  }

  /** A line of the livepatch core (`livepatch: ` prefix, reference 0.1). */
  klp(level: number, text: string): void {
    this.print(level, `livepatch: ${text}`);
  }

  /** pr_debug of the livepatch core: printed only when dynamic debug enables it. */
  klpDebug(text: string, perTask = false): void {
    if (perTask ? this.debug.perTask : this.debug.livepatch) this.klp(KERN_DEBUG, text);
  }
}
