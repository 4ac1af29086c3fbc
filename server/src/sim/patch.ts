/**
 * kernel/livepatch/patch.c: one func stack per original function, newest entry on top, and the
 * ftrace handler's decision of which implementation a call reaches (reference 4.1, 4.2, 4.4).
 */
import type { KlpFunc } from './types';
import { UNPATCHED } from './types';

/** Identity of an original function: object, name and 1-based position among same-named symbols. */
export function functionKey(object: string, name: string, position = 1): string {
  return `${object}:${name}#${position}`;
}

export class FuncStacks {
  /** Head (index 0) is the entry the handler looks at first. */
  private readonly stacks = new Map<string, KlpFunc[]>();
  /** Original implementation address per key (the address calls are hooked on). */
  private readonly originals = new Map<number, string>();

  stack(key: string): KlpFunc[] {
    return this.stacks.get(key) ?? [];
  }

  keyOfOriginal(address: number): string | undefined {
    return this.originals.get(address);
  }

  /** Pushes a func on its stack; returns true when it is the first entry (register the hook). */
  push(func: KlpFunc): boolean {
    const key = func.oldKey!;
    const stack = this.stacks.get(key) ?? [];
    stack.unshift(func);
    this.stacks.set(key, stack);
    func.patched = true;
    if (func.oldFunc !== undefined) this.originals.set(func.oldFunc, key);
    return stack.length === 1;
  }

  /** Removes a func from its stack; returns true when the stack became empty (unhook). */
  remove(func: KlpFunc): boolean {
    const key = func.oldKey!;
    const stack = this.stacks.get(key);
    func.patched = false;
    if (!stack) return false;
    const index = stack.indexOf(func);
    if (index >= 0) stack.splice(index, 1);
    if (stack.length > 0) return false;
    this.stacks.delete(key);
    if (func.oldFunc !== undefined) this.originals.delete(func.oldFunc);
    return true;
  }

  /** The entry directly below `func` on its stack (the code it replaces), if any. */
  below(func: KlpFunc): KlpFunc | undefined {
    const stack = this.stack(func.oldKey!);
    const index = stack.indexOf(func);
    return index >= 0 ? stack[index + 1] : undefined;
  }

  /**
   * The ftrace handler (4.2): which implementation a call of the original at `key` reaches for a
   * task in `taskState`. undefined means "run the original code".
   */
  resolve(key: string, taskState: number): number | undefined {
    const stack = this.stacks.get(key);
    if (!stack || stack.length === 0) return undefined;
    let top = stack[0];
    if (top.transition && taskState === UNPATCHED) {
      const next = stack[1];
      if (!next) return undefined;
      top = next;
    }
    if (top.nop) return undefined;
    return top.newFunc;
  }

  /** Every key with a non-empty stack (for findings and the timeline). */
  keys(): string[] {
    return [...this.stacks.keys()];
  }
}
