/**
 * The simulated kernel: one interpreter Machine holding every loaded module's code and memory,
 * the livepatch core's state (patches, func stacks, the transition, shadow variables), the tasks
 * and virtual time. The livepatch rules live in core.ts, patch.ts, transition.ts, shadow.ts and
 * state.ts (named after kernel/livepatch/*.c); module loading in modules.ts; sysfs/procfs in
 * sysfs.ts. This file wires them to the interpreter.
 */
import type { HostFunction } from '../interp/host';
import { kernelApi } from '../interp/kernelApi/index';
import { Machine } from '../interp/machine';
import type { Task as MachineTask } from '../interp/task';
import { ReferenceScheduler } from '../interp/testing/referenceScheduler';
import { fault, type Fault } from '../interp/fault';
import type { KernelModel } from '../kernel/types';
import { versionAtLeast } from '../kernel/types';
import type { SimEvent, SourceRef } from './events';
import { KernelLog, KERN_INFO, KERN_WARNING } from './log';
import { FuncStacks, functionKey } from './patch';
import { livepatchApi } from './api';
import { defaultProcfs } from './procfs';
import { ShadowStore } from './shadow';
import { defaultModelTasks, machineTaskView, modelTask, type ModelTaskSpec, type SimTask, type TaskKind } from './tasks';
import type { Transition } from './transition';
import { TRANSITION_IDLE, type KlpPatch, type SimModule } from './types';

export interface SimulatorOptions {
  /** Budgets for one command's worth of interpreted code. */
  steps?: number;
  memoryBytes?: number;
  callDepth?: number;
}

/** A process as livepatch messages and callbacks see it (comm, pid). */
export interface ProcessIdentity {
  comm: string;
  pid: number;
  kind: 'user' | 'kthread';
}

/** A problem the simulation found (leaks, stalls, faults), reported at the end and in the editor. */
export interface SimFinding {
  code: string;
  severity: 'error' | 'warning' | 'information';
  message: string;
  source?: SourceRef;
}

interface Timer {
  time: number;
  seq: number;
  run: () => void;
}

export class Simulator {
  readonly log = new KernelLog();
  readonly machine: Machine;
  readonly scheduler = new ReferenceScheduler();
  readonly hz: number;
  readonly modules = new Map<string, SimModule>();
  /** Active patches in enable order (klp_patches). */
  readonly patches: KlpPatch[] = [];
  transition: Transition | null = null;
  readonly stacks = new FuncStacks();
  readonly shadows: ShadowStore;
  readonly events: SimEvent[] = [];
  readonly findings: SimFinding[] = [];
  readonly tainted = new Set<string>();
  /** The kernel.ftrace_enabled sysctl (reference 4.1, 6.6). */
  ftraceEnabled = true;
  /**
   * EXPORT_SYMBOL names of the modules the scenario can load, with their module: a reference to
   * one of them binds the referencing module to that module, or fails while it is not loaded.
   */
  readonly moduleExports = new Map<string, string>();
  /** pr_notice_once / pr_warn_once sites of the module loader already printed. */
  readonly printedOnce = new Set<string>();
  private readonly modelTasks: SimTask[];
  private readonly taskViews = new Map<MachineTask, SimTask>();
  private nextPid = 1000;
  private timers: Timer[] = [];
  private timerSeq = 0;
  private readonly hostCache = new Map<string, HostFunction>();
  private readonly livepatchFunctions: Map<string, HostFunction>;
  private readonly builtinApi = kernelApi();
  private faultsSeen = 0;
  /**
   * The process the livepatch core is working for when no interpreted code is running: the
   * insmod/rmmod process around module hooks, the shell writing a sysfs file. Callbacks run in
   * its context (reference 3.1); outside of any, work items run on a kworker.
   */
  private processContext: ProcessIdentity | undefined;
  private kworkerIdentity: ProcessIdentity | undefined;

  constructor(readonly kernel: KernelModel, readonly options: SimulatorOptions = {}) {
    this.hz = Number(kernel.config.get('CONFIG_HZ') ?? 250) || 250;
    this.shadows = new ShadowStore(this);
    this.livepatchFunctions = livepatchApi(this);
    this.machine = new Machine({
      memoryBytes: options.memoryBytes ?? 64 * 1024 * 1024,
      budgets: { steps: options.steps ?? 5_000_000, callDepth: options.callDepth ?? 200 },
      env: {
        resolve: (name) => this.resolveKernelFunction(name),
        relocate: (name, from) => (from ? this.modules.get(from)?.klpRelocated?.get(name) : undefined),
        redirect: (callee, task) => this.ftraceHandler(callee.address, task),
        event: (event) => {
          if (event.kind === 'printk') this.log.print(event.level, event.text);
          else if (event.kind === 'warning') this.warnSplat(event.message, `${event.file}:${event.line}`, event.function);
          else if (event.kind === 'lock' || event.kind === 'sleep-in-atomic') this.log.print(KERN_WARNING, event.message);
          else if (event.kind === 'stack-dump') this.dumpStack(event.task, event.frames);
        },
      },
    });
    this.scheduler.attach(this.machine);
    this.log.now = () => this.seconds();
    this.log.onLine((line) => this.events.push({ kind: 'log', time: line.time, level: line.level, text: line.text }));
    const raw = kernel.raw as { tasks?: ModelTaskSpec[] };
    // The task list is in creation order, which pids follow: for_each_process_thread() order.
    this.modelTasks = (Array.isArray(raw.tasks) && raw.tasks.length ? raw.tasks : defaultModelTasks).map(modelTask).sort((a, b) => a.pid - b.pid);
    for (const name of kernel.loadedModules) {
      this.modules.set(name, { name, state: 'LIVE', isLivepatch: false, refcount: 0, forced: false, klpAlive: true });
    }
  }

  // ---- time ----------------------------------------------------------------------------------

  get jiffies(): number {
    return this.scheduler.time;
  }
  seconds(): number {
    return this.scheduler.time / this.hz;
  }
  version(major: number, minor: number): boolean {
    return versionAtLeast(this.kernel.version, major, minor);
  }

  /** Runs `run` at virtual time `time` (jiffies), after everything due earlier. */
  addTimer(time: number, run: () => void): void {
    this.timers.push({ time, seq: this.timerSeq++, run });
    this.timers.sort((a, b) => a.time - b.time || a.seq - b.seq);
  }

  /** Lets tasks, work items and timers run until virtual time `until` (jiffies). */
  advanceTo(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.timers[0];
      const stop = next && next.time <= until ? next.time : until;
      if (stop > this.scheduler.time) this.scheduler.runFor(stop - this.scheduler.time);
      else this.scheduler.runFor(0);
      this.scheduler.time = Math.max(this.scheduler.time, stop);
      this.collectFaults();
      this.afterScheduling();
      if (next && next.time <= this.scheduler.time) {
        this.timers.shift();
        next.run();
        continue;
      }
      if (this.scheduler.time >= until) return;
    }
  }

  /** Runs whatever is runnable now without advancing time. */
  settle(): void {
    this.advanceTo(this.scheduler.time);
  }

  hasTimers(): boolean {
    return this.timers.length > 0;
  }

  // ---- tasks ---------------------------------------------------------------------------------

  /**
   * A new interpreted task (a process running a command, a kthread, a worker). With `pid`, it is
   * a context of an existing process (code the kernel runs on that process's behalf).
   */
  newTask(name: string, kind: TaskKind, pid?: number): MachineTask {
    const task = this.machine.createTask(name, kind === 'idle' ? 'kthread' : kind);
    this.viewOf(task, kind, pid);
    return task;
  }

  /** A pid for a new process (the scenario's processes get 1000, 1001, ...). */
  allocatePid(): number {
    return this.nextPid++;
  }

  /** Runs `run` with the livepatch core working for `process` (see processContext). */
  inProcess<T>(process: ProcessIdentity, run: () => T): T {
    const saved = this.processContext;
    this.processContext = process;
    try {
      return run();
    } finally {
      this.processContext = saved;
    }
  }

  /**
   * Whose context kernel code runs in right now: the interpreted task that called into the
   * core (insmod running a module's init), else the process set by inProcess, else a kworker
   * (the transition's delayed work, reference 5.7).
   */
  currentProcess(): ProcessIdentity {
    const current = this.machine.current;
    if (current) {
      const view = this.viewOf(current);
      return { comm: view.comm, pid: view.pid, kind: view.kind === 'user' ? 'user' : 'kthread' };
    }
    return this.processContext ?? this.kworker();
  }

  /** The kworker of system_wq: the model's first idle kworker, or one made on first use. */
  kworker(): ProcessIdentity {
    if (!this.kworkerIdentity) {
      const model = this.modelTasks.find((t) => t.kind === 'kthread' && t.comm.startsWith('kworker/'));
      this.kworkerIdentity = model ? { comm: model.comm, pid: model.pid, kind: 'kthread' } : { comm: 'kworker/0:1', pid: this.allocatePid(), kind: 'kthread' };
    }
    return this.kworkerIdentity;
  }

  viewOf(task: MachineTask, kind?: TaskKind, pid?: number): SimTask {
    let view = this.taskViews.get(task);
    if (!view) {
      const inferred: TaskKind = kind ?? (task.kind === 'user' ? 'user' : task.kind === 'worker' ? 'worker' : 'kthread');
      // A new task copies its parent's patch state (fork, reference 5.5); the parent of every
      // interpreted task is already switched or the transition target is not reached yet.
      const initial = this.transition ? this.transition.stateForNewTask() : TRANSITION_IDLE;
      // One pid space for the whole simulation: the task_struct (what task_pid_nr() and
      // current->pid read) gets the pid that /proc and the livepatch messages show.
      pid ??= this.nextPid++;
      this.machine.memory.w32(this.machine.fieldAddress(task.address, 'task_struct', 'pid'), pid);
      this.machine.memory.w32(this.machine.fieldAddress(task.address, 'task_struct', 'tgid'), pid);
      view = machineTaskView(task, pid, inferred, initial);
      this.taskViews.set(task, view);
    }
    return view;
  }

  /** Every task that takes part in transitions: model tasks and live interpreted tasks. */
  allTasks(): SimTask[] {
    for (const task of this.machine.tasks) this.viewOf(task);
    const live = [...this.taskViews.values()].filter((t) => !t.exited);
    return [...this.modelTasks, ...live];
  }

  taskByPid(pid: number): SimTask | undefined {
    return this.allTasks().find((t) => t.pid === pid);
  }

  private afterScheduling(): void {
    this.transition?.scheduleHook();
  }

  private collectFaults(): void {
    const faults = this.scheduler.faults;
    for (; this.faultsSeen < faults.length; this.faultsSeen++) {
      const { task, fault } = faults[this.faultsSeen];
      this.reportFault(task.name, fault);
    }
  }

  /** A fault in interpreted code: an oops-like log entry, a timeline event and a finding. */
  reportFault(task: string, fault: Fault): void {
    const where = fault.file ? `${fault.file}:${fault.line}` : '';
    // Some fault messages already name the function ("... exhausted in f"): say it once.
    const message = fault.function ? fault.message.replace(new RegExp(` in ${fault.function}$`), '') : fault.message;
    this.log.print(KERN_WARNING, `klp-simulate: ${task}: ${message}${fault.function ? ` in ${fault.function}()` : ''}${where ? ` at ${where}` : ''}`);
    const source = fault.file ? { file: fault.file, line: fault.line } : undefined;
    this.events.push({ kind: 'fault', time: this.seconds(), task, message, source, stack: (fault.stack ?? []).map((f) => `${f.function}${f.module ? ` [${f.module}]` : ''}`) });
    this.findings.push({ code: fault.kind === 'not-modeled' ? 'SIM-NOT-MODELED' : 'SIM-FAULT', severity: 'error', message: `${task}: ${message}${fault.function ? ` in ${fault.function}()` : ''}`, source });
  }

  // ---- code ----------------------------------------------------------------------------------

  /**
   * Kernel functions interpreted code may call: the livepatch API (into this simulator), the
   * kernel API models, and vmlinux functions the kernel model knows (callable only when modelled,
   * e.g. procfs show functions; otherwise a clear "not modeled" fault).
   */
  resolveKernelFunction(name: string): HostFunction | undefined {
    const cached = this.hostCache.get(name);
    if (cached) return cached;
    const fn = this.livepatchFunctions.get(name) ?? this.taskFunction(name) ?? this.modelledVmlinuxFunction(name);
    if (fn) this.hostCache.set(name, fn);
    return fn;
  }

  /** The host function standing for a vmlinux symbol (so it has an address to patch). */
  vmlinuxFunction(name: string): HostFunction {
    const existing = this.resolveKernelFunction(name) ?? this.builtinApi.get(name);
    if (existing) {
      this.hostCache.set(name, existing);
      return existing;
    }
    const stub: HostFunction = {
      name,
      call: () => fault('not-modeled', `not modeled: ${name} (a vmlinux function the kernel model has no behaviour for)`),
    };
    this.hostCache.set(name, stub);
    return stub;
  }

  /** procfs files the model maps to the vmlinux function that produces them. */
  procfsFiles(): Record<string, { function: string; content: string }> {
    const fromModel = (this.kernel.raw as { procfs?: Record<string, { function: string; content: string }> }).procfs;
    return fromModel && Object.keys(fromModel).length ? fromModel : defaultProcfs(this.kernel);
  }

  /**
   * kthread_create, with the new thread registered at once: its pid is the one the creator
   * reads right after kthread_run() and the one the livepatch per-task messages print.
   */
  private taskFunction(name: string): HostFunction | undefined {
    if (name !== 'kthread_create') return undefined;
    const builtin = this.builtinApi.get(name);
    if (!builtin) return undefined;
    return {
      name,
      call: (machine, task, args, site) => {
        const address = builtin.call(machine, task, args, site);
        const created = typeof address === 'number' ? machine.taskByAddress(address) : undefined;
        if (created) this.viewOf(created, 'kthread');
        return address;
      },
    };
  }

  private modelledVmlinuxFunction(name: string): HostFunction | undefined {
    for (const file of Object.values(this.procfsFiles())) {
      if (file.function !== name) continue;
      const content = file.content;
      // show(struct seq_file *m, void *v): the model's content goes into the seq_file.
      return {
        name,
        call: (machine, _task, args) => {
          const seq = Number(args[0] ?? 0);
          machine.kernel.seqText.set(seq, (machine.kernel.seqText.get(seq) ?? '') + content);
          return 0;
        },
      };
    }
    return undefined;
  }

  /** Address of the original implementation of a function of an object, creating vmlinux stubs. */
  originalAddress(object: string, name: string): number | undefined {
    if (object === 'vmlinux') return this.machine.hostFunction(this.vmlinuxFunction(name)).address;
    const module = this.modules.get(object);
    if (module?.program) return module.program.functionAddress(name);
    // A module of the kernel model (not interpreted): a stub record keyed by object and name.
    const stubName = `${object}:${name}`;
    let stub = this.hostCache.get(stubName);
    if (!stub) {
      stub = { name, call: () => fault('not-modeled', `not modeled: ${name} [${object}]`) };
      this.hostCache.set(stubName, stub);
    }
    return this.machine.hostFunction(stub).address;
  }

  /** The ftrace handler for hooked functions (reference 4.2). */
  private ftraceHandler(address: number, task: MachineTask): number | undefined {
    const key = this.stacks.keyOfOriginal(address);
    if (!key) return undefined;
    const state = this.viewOf(task).patchState;
    return this.stacks.resolve(key, state) ?? address;
  }

  /** Key of a stack frame's function for the transition's stack check. */
  frameKey(object: string, name: string): string {
    return functionKey(object, name);
  }

  // ---- output ----------------------------------------------------------------------------------

  /** Pid of the task running interpreted code right now (0 outside of any task). */
  currentPid(): number {
    const task = this.machine.current;
    return task ? this.viewOf(task).pid : 0;
  }

  /** print_tainted(): one column per taint flag, in the kernel's order ('G' for not P). */
  taintText(): string {
    const order = this.version(6, 0) ? 'PFSRMBUDAWCIOELKXTN' : 'PFSRMBUDAWCIOELKXT';
    return [...order].map((flag, i) => (this.tainted.has(flag) ? flag : i === 0 ? 'G' : ' ')).join('');
  }

  /**
   * dump_stack() (dump_stack_print_info + the call trace), abbreviated: the frames have no
   * offsets and there is no register dump or hardware line.
   */
  dumpStack(comm: string, frames: string[], pid = this.currentPid()): void {
    const version = /^#\S*/.exec(String((this.kernel.raw as { utsVersion?: string }).utsVersion ?? '#1'))?.[0] ?? '#1';
    this.log.print(KERN_WARNING, `CPU: 0 PID: ${pid} Comm: ${comm.slice(0, 20)} Tainted: ${this.taintText()} ${this.kernel.release} ${version}`);
    this.log.print(KERN_WARNING, 'Call Trace:');
    this.log.print(KERN_WARNING, ' <TASK>');
    for (const frame of frames) this.log.print(KERN_WARNING, ` ${frame}`);
    this.log.print(KERN_WARNING, ' </TASK>');
  }

  /** WARN() output shape (reference 0.4), abbreviated: message, header, end marker; taints W. */
  warnSplat(message: string | undefined, where: string, fn: string): void {
    this.log.print(KERN_WARNING, '------------[ cut here ]------------');
    if (message) this.log.print(KERN_WARNING, message);
    this.log.print(KERN_WARNING, `WARNING: CPU: 0 PID: ${this.currentPid()} at ${where} ${fn}`);
    this.log.print(KERN_WARNING, '---[ end trace 0000000000000000 ]---');
    this.tainted.add('W');
  }

  printOnce(site: string, level: number, text: string): void {
    if (this.printedOnce.has(site)) return;
    this.printedOnce.add(site);
    this.log.print(level, text);
  }

  info(text: string): void {
    this.log.print(KERN_INFO, text);
  }
}
