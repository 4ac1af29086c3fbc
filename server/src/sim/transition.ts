/**
 * kernel/livepatch/transition.c: the consistency model (reference 5). One patch at a time moves
 * every task to the target state; a task switches when its stack holds none of the functions
 * being replaced, on its way out to user space, in the idle loop, from the scheduler (6.4+), when
 * signalled, or when forced. Attempts repeat about once a second of virtual time.
 */
import { callCallback } from './callbacks';
import { freePatch, isObjectLoaded, unpatchObject } from './core';
import { KERN_NOTICE, KERN_WARNING } from './log';
import { functionKey } from './patch';
import type { Simulator } from './simulator';
import type { SimTask } from './tasks';
import { PATCHED, TRANSITION_IDLE, UNPATCHED, type KlpFunc, type KlpPatch } from './types';

/**
 * 4.12-5.0: a registered patch that ends unpatched stays registered (its sysfs tree too); only
 * the module reference taken when it was enabled is dropped, unless the transition was forced.
 */
function releaseRegisteredPatch(patch: KlpPatch): void {
  if (patch.forced) patch.module.forced = true;
  else patch.module.refcount = Math.max(0, patch.module.refcount - 1);
}

/** Failed attempts between fake-signal rounds (SIGNALS_TIMEOUT). */
const signalsTimeout = 15;

type SwitchHow = 'stack-check' | 'exit' | 'idle' | 'signal' | 'force' | 'schedule';

export class Transition {
  /** Failed attempts since the transition (re)started. */
  private attempts = 0;
  private retryScheduled = false;
  /** Idle tasks that failed a check were woken: they switch in the idle loop next time. */
  private readonly kickedIdle = new Set<SimTask>();
  private signalled = false;
  done = false;

  constructor(private readonly sim: Simulator, readonly patch: KlpPatch, public target: number) {}

  private get direction(): string {
    return this.target === PATCHED ? 'patching' : 'unpatching';
  }

  private event(phase: 'init' | 'start' | 'complete' | 'cancel' | 'reverse' | 'force' | 'signal' | 'stalled'): void {
    this.sim.events.push({ kind: 'transition', time: this.sim.seconds(), patch: this.patch.name, phase, target: this.target === PATCHED ? 'patched' : 'unpatched' });
  }

  private funcs(): KlpFunc[] {
    return this.patch.objects.flatMap((o) => o.funcs);
  }

  /** klp_init_transition: every task starts in the opposite state; funcs are "in transition". */
  init(): void {
    this.sim.log.klpDebug(`'${this.patch.name}': initializing ${this.direction} transition`);
    for (const task of this.sim.allTasks()) {
      task.patchState = this.target === PATCHED ? UNPATCHED : PATCHED;
      task.pending = false;
    }
    for (const func of this.funcs()) func.transition = true;
    this.event('init');
  }

  /** A task created during the transition: treated as already switched (it runs new code). */
  stateForNewTask(): number {
    return this.target;
  }

  /** klp_start_transition: mark unswitched tasks pending and announce. */
  start(): void {
    this.sim.log.klp(KERN_NOTICE, `'${this.patch.name}': starting ${this.direction} transition`);
    for (const task of this.sim.allTasks()) task.pending = task.patchState !== this.target;
    this.attempts = 0;
    this.event('start');
  }

  /** The functions a task must not be sleeping in (5.6), as stack-entry keys with their old_name. */
  private forbidden(): Map<string, string> {
    const keys = new Map<string, string>();
    const implementationKey = (address: number): string | undefined => {
      const fn = this.sim.machine.functionAt(address);
      return fn ? functionKey(fn.module ?? 'vmlinux', fn.name) : undefined;
    };
    for (const object of this.patch.objects) {
      if (!object.patched) continue;
      for (const func of object.funcs) {
        let key: string | undefined;
        if (this.target === PATCHED) {
          const below = this.sim.stacks.below(func);
          key = below && !below.nop ? implementationKey(below.newFunc) : func.oldKey;
        } else key = func.nop ? func.oldKey : implementationKey(func.newFunc);
        if (key) keys.set(key, func.oldName);
        // Frames know no sympos: match the first same-named symbol too.
        if (key) keys.set(key.replace(/#\d+$/, '#1'), func.oldName);
      }
    }
    return keys;
  }

  private switchTask(task: SimTask, how: SwitchHow): void {
    task.patchState = this.target;
    task.pending = false;
    this.sim.events.push({ kind: 'task-switch', time: this.sim.seconds(), patch: this.patch.name, pid: task.pid, comm: task.comm, state: this.target, how });
  }

  /** klp_try_switch_task: the stack check of one task; returns whether it switched. */
  private trySwitch(task: SimTask, forbidden: Map<string, string>, how: SwitchHow = 'stack-check'): boolean {
    if (task.patchState === this.target) return true;
    if (task.running && task.machineTask === undefined) {
      this.sim.log.klpDebug(`klp_try_switch_task: ${task.comm}:${task.pid} is running`, true);
      return false;
    }
    const stack = task.stack();
    // The reliable stack walker fails (or the stack is deeper than the 100 entries checked).
    if (task.reliableStack === false || stack.length > 100) {
      this.sim.log.klpDebug(`klp_try_switch_task: ${task.comm}:${task.pid} has an unreliable stack`, true);
      return false;
    }
    for (const entry of stack) {
      const oldName = forbidden.get(functionKey(entry.object, entry.function));
      if (oldName !== undefined) {
        this.sim.log.klpDebug(`klp_try_switch_task: ${task.comm}:${task.pid} is sleeping on function ${oldName}`, true);
        return false;
      }
    }
    this.switchTask(task, how);
    return true;
  }

  /** klp_try_complete_transition: one attempt over every task. */
  tryComplete(): void {
    if (this.done) return;
    const reliable = this.sim.kernel.features?.reliableStacktrace !== false;
    const forbidden = this.forbidden();
    let complete = true;
    // for_each_process_thread() first, then the idle task of every possible CPU (5.5).
    const tasks = this.sim.allTasks();
    const ordered = [...tasks.filter((t) => t.kind !== 'idle'), ...tasks.filter((t) => t.kind === 'idle')];
    const running: SimTask[] = [];
    for (const task of ordered) {
      if (task.patchState === this.target && !task.pending) continue;
      if (task.kind === 'idle') {
        if (task.offline || this.kickedIdle.has(task)) {
          this.switchTask(task, 'idle');
          continue;
        }
        if (reliable && this.trySwitch(task, forbidden)) continue;
        this.kickedIdle.add(task);
        complete = false;
        continue;
      }
      if (!reliable || !this.trySwitch(task, forbidden)) {
        complete = false;
        if (task.running && !task.machineTask && task.kind === 'user') running.push(task);
      }
    }
    if (complete) {
      this.complete(true);
      return;
    }
    // A user task running on another CPU is in user space: the next interrupt from user mode
    // returns through the kernel exit path, where it switches without a check (5.5 item 2).
    for (const task of running) this.switchTask(task, 'exit');
    // Automatic fake signals since 5.1; before, only the sysfs `signal` attribute (4.15-5.0).
    if (this.sim.version(5, 1) && this.attempts > 0 && this.attempts % signalsTimeout === 0) this.sendSignals(forbidden);
    this.attempts++;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryScheduled) return;
    this.retryScheduled = true;
    const hz = this.sim.hz;
    // round_jiffies_relative(HZ): about a second from now, on a whole-second boundary.
    const due = Math.max(this.sim.jiffies + 1, Math.round((this.sim.jiffies + hz) / hz) * hz);
    this.sim.addTimer(due, () => {
      this.retryScheduled = false;
      // klp_transition_work_fn runs on a kworker: its completion callbacks run there.
      if (this.sim.transition === this) this.sim.inProcess(this.sim.kworker(), () => this.tryComplete());
    });
  }

  /**
   * The sysfs `signal` attribute (4.15-5.0): the administrator asks for a signal round; the
   * notice is printed on every round then (the once-per-transition rule came with 5.1).
   */
  signalFromSysfs(): void {
    this.sendSignals(this.forbidden(), true);
  }

  /** klp_send_signals: user tasks are kicked through the signal path, kthreads woken. */
  private sendSignals(forbidden: Map<string, string>, manual = false): void {
    if (!this.signalled || manual) this.sim.log.klp(KERN_NOTICE, 'signaling remaining tasks');
    this.signalled = true;
    this.event('signal');
    for (const task of this.sim.allTasks()) {
      if (!task.pending || task.patchState === this.target) continue;
      if (task.kind === 'user' && task.interruptible) this.switchTask(task, 'signal');
      else if (task.machineTask && task.interruptible) {
        this.sim.scheduler.wakeUp(task.machineTask);
      } else if (task.kind === 'kthread' && task.interruptible && !task.machineTask && this.sim.version(6, 4)) {
        // A woken kthread never returns to user space; only the scheduler hook (6.4+) can
        // switch it, with a check of its own stack, when it goes back to sleep.
        this.trySwitch(task, forbidden, 'signal');
      }
    }
  }

  /**
   * The scheduler hook (5.5 item 4): a pending task that schedules checks its own stack.
   * 6.4-6.15 hook cond_resched() only; since 6.16 __schedule() for TASK_FREEZABLE sleeps.
   * Plain sleeps such as msleep() are not hooked, so those tasks wait for the periodic attempt.
   */
  scheduleHook(): void {
    if (this.done || !this.sim.version(6, 4)) return;
    const hooked = this.sim.version(6, 16) ? (what: string) => /freezable/i.test(what) : (what: string) => what === 'cond_resched';
    let forbidden: Map<string, string> | undefined;
    for (const task of this.sim.allTasks()) {
      if (!task.machineTask || !task.pending || task.patchState === this.target) continue;
      if (task.machineTask.state !== 'blocked' || !hooked(task.machineTask.blocked?.reason.what ?? '')) continue;
      forbidden ??= this.forbidden();
      this.trySwitch(task, forbidden, 'schedule');
    }
  }

  /** A task returning to user space switches without a check (5.5 item 2). */
  taskExit(task: SimTask): void {
    if (!this.done && task.pending && task.patchState !== this.target) this.switchTask(task, 'exit');
  }

  /** klp_complete_transition (5.3). `fromAttempt` is false for the cancel path. */
  complete(fromAttempt: boolean): void {
    const sim = this.sim;
    const patch = this.patch;
    this.done = true;
    sim.log.klpDebug(`'${patch.name}': completing ${this.direction} transition`);
    const replaced: KlpPatch[] = [];
    if (this.target === PATCHED && patch.replace) {
      for (const old of sim.patches) {
        if (old === patch) continue;
        old.enabled = false;
        for (const object of old.objects) if (object.patched) unpatchObject(sim, object);
        replaced.push(old);
      }
      for (const object of patch.objects) {
        for (const func of object.funcs.filter((f) => f.nop)) {
          if (func.patched && sim.stacks.remove(func) && func.oldFunc !== undefined) sim.machine.unhook(func.oldFunc);
        }
        object.funcs = object.funcs.filter((f) => !f.nop);
      }
      patch.objects = patch.objects.filter((o) => !o.dynamic);
    }
    if (this.target === UNPATCHED) for (const object of patch.objects) if (object.patched) unpatchObject(sim, object);
    for (const func of this.funcs()) func.transition = false;
    for (const task of sim.allTasks()) {
      task.patchState = TRANSITION_IDLE;
      task.pending = false;
    }
    for (const object of patch.objects) {
      if (!isObjectLoaded(object)) continue;
      if (this.target === PATCHED) callCallback(sim, object, 'post_patch');
      else if (object.postUnpatchEnabled) {
        callCallback(sim, object, 'post_unpatch');
        object.postUnpatchEnabled = false;
      } else object.postUnpatchEnabled = false;
    }
    sim.log.klp(KERN_NOTICE, `'${patch.name}': ${this.direction} complete`);
    this.event('complete');
    sim.transition = null;
    for (const state of patch.states) {
      sim.events.push({ kind: 'state', time: sim.seconds(), action: this.target === PATCHED ? 'installed' : 'removed', patch: patch.name, id: state.id, version: state.version });
    }
    if (!fromAttempt) {
      if (patch.registered) releaseRegisteredPatch(patch);
      return;
    }
    if (!patch.enabled) {
      sim.events.push({ kind: 'patch', time: sim.seconds(), action: 'disabled', patch: patch.name });
      if (patch.registered) releaseRegisteredPatch(patch);
      else freePatch(sim, patch);
    } else {
      for (const old of replaced) {
        sim.events.push({ kind: 'patch', time: sim.seconds(), action: 'replaced', patch: old.name });
        freePatch(sim, old);
      }
    }
  }

  /** klp_cancel_transition: the enable failed after init (2.5). */
  cancel(): void {
    this.sim.log.klpDebug(`'${this.patch.name}': canceling patching transition, going to unpatch`);
    this.target = UNPATCHED;
    this.event('cancel');
    this.complete(false);
  }

  /** klp_reverse_transition (5.9): flip the direction; no init line, no pre callbacks. */
  reverse(): void {
    const from = this.target === PATCHED ? 'patching to unpatching' : 'unpatching to patching';
    this.sim.log.klpDebug(`'${this.patch.name}': reversing transition from ${from}`);
    for (const task of this.sim.allTasks()) task.pending = false;
    this.patch.enabled = !this.patch.enabled;
    this.target = this.target === PATCHED ? UNPATCHED : PATCHED;
    this.kickedIdle.clear();
    this.signalled = false;
    this.event('reverse');
    // klp_reverse_transition() ends with klp_start_transition(): the attempt that completes
    // the reversed transition is the periodic one already scheduled (a transition still in
    // progress always has one pending), not a synchronous one inside the sysfs write.
    this.start();
    this.scheduleRetry();
  }

  /** klp_force_transition (5.8). */
  force(): void {
    this.sim.log.klp(KERN_WARNING, 'forcing remaining tasks to the patched state');
    for (const task of this.sim.allTasks()) if (task.patchState !== this.target || task.pending) this.switchTask(task, 'force');
    if (this.target === UNPATCHED) this.patch.forced = true;
    else if (this.patch.replace) for (const other of this.sim.patches) if (other !== this.patch) other.forced = true;
    this.event('force');
  }

  /** Tasks still blocking the transition, with their stacks (for `wait transition`). */
  blockers(): SimTask[] {
    return this.sim.allTasks().filter((t) => t.patchState !== this.target || t.pending);
  }
}
