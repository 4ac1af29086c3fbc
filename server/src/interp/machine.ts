/**
 * The machine: one address space shared by every loaded program (module), the tasks that run
 * their code, and the dispatch loop. Each task keeps an explicit frame stack (no JS recursion
 * per C call), so a task can block anywhere (msleep inside a helper of a kthread) and be
 * resumed later, and its stack can be inspected while it sleeps.
 *
 * Every call, direct or through a pointer, to C or to a host function, passes one check: if
 * the callee's address is in the hooked set, HostEnvironment.redirect picks the implementation
 * for the calling task (the livepatch ftrace handler).
 */
import { kernelApi } from './kernelApi';
import { KernelData } from './kernelApi/kernelData';
import { paramCodec, type ParamCodec } from './kernelApi/params';
import { FaultSignal, fault, type Fault, type FaultKind, type StackFrame } from './fault';
import { Frame, type FunctionRecord, type Instance } from './frame';
import { BlockRequest, CallRequest, type FunctionIdentity, type HostEnvironment, type HostFunction, type HostReturn, type MachineEvent, type WakeReason } from './host';
import { loadProgram, unloadProgram, type LoadOptions, type ProgramHandle } from './loader';
import { Memory, hex, type Block } from './memory';
import { OP_CALL, OP_EXPR, OP_FAULT, OP_JUMP, OP_JUMP_IF, OP_JUMP_IF_NOT, OP_RETURN, OP_SWITCH, type CompiledProgram, type SourceLoc } from './program';
import { Task } from './task';
import type { CType, StructType } from './types';
import { convertInt, toPointer, type Val } from './values';

export interface Budgets {
  /** Instructions (≈ C statements) one run may execute. */
  steps: number;
  /** Deepest frame stack of a task. */
  callDepth: number;
}

export interface MachineOptions {
  env?: HostEnvironment;
  /** Most bytes of live kmalloc/vmalloc memory. */
  memoryBytes?: number;
  budgets?: Partial<Budgets>;
  /** Timer ticks per second; must match CONFIG_HZ of the compiled programs (default 250). */
  hz?: number;
}

export type RunResult =
  | { status: 'returned'; value: Val }
  | { status: 'blocked'; block: BlockRequest }
  | { status: 'faulted'; fault: Fault };

const defaultBudgets: Budgets = { steps: 10_000_000, callDepth: 256 };

const hostLoc: SourceLoc = { file: '<kernel>', line: 0, column: 0 };

export class Machine {
  readonly memory: Memory;
  env: HostEnvironment;
  budgets: Budgets;
  readonly events: MachineEvent[] = [];
  readonly tasks: Task[] = [];
  /** The task whose code is running (null between runs). */
  current: Task | null = null;
  readonly kernel: KernelData;
  readonly params: ParamCodec = paramCodec;
  private readonly programs: ProgramHandle[] = [];
  private readonly byAddress = new Map<number, FunctionRecord>();
  private readonly hostRecords = new Map<string, FunctionRecord>();
  private readonly hooked = new Set<number>();
  private hostCode: Block;
  private hostCodeNext = 0;
  private nextTaskId = 1;
  /** Call-depth limit of the run in progress. */
  private depthLimit: number;
  private readonly builtins: Map<string, HostFunction>;

  constructor(options: MachineOptions = {}) {
    this.env = options.env ?? {};
    this.memory = new Memory({ heapBytes: options.memoryBytes });
    this.budgets = { ...defaultBudgets, ...options.budgets };
    this.depthLimit = this.budgets.callDepth;
    this.hostCode = this.memory.alloc(0, 'code', 'kernel code', undefined);
    this.builtins = kernelApi();
    this.kernel = new KernelData(this);
    if (options.hz) this.kernel.hz = options.hz;
  }

  // ---- programs ----------------------------------------------------------------------------

  loadProgram(program: CompiledProgram, options: LoadOptions = {}): ProgramHandle {
    return loadProgram(this, program, options);
  }

  /** Frees the program's memory; later calls into it or accesses to its data fault. */
  unloadProgram(handle: ProgramHandle): void {
    unloadProgram(this, handle);
  }

  get loadedPrograms(): readonly ProgramHandle[] {
    return this.programs;
  }

  /** @internal */
  addProgram(handle: ProgramHandle): void {
    this.programs.push(handle);
  }
  /** @internal */
  removeProgram(handle: ProgramHandle): void {
    const i = this.programs.indexOf(handle);
    if (i >= 0) this.programs.splice(i, 1);
  }
  /** @internal */
  registerFunction(rec: FunctionRecord): void {
    this.byAddress.set(rec.address, rec);
  }

  /** The host record (with a stable address) for a host function. */
  hostFunction(fn: HostFunction): FunctionRecord {
    let rec = this.hostRecords.get(fn.name);
    if (!rec || rec.host !== fn) {
      rec = { address: this.hostCode.base + this.hostCodeNext, name: fn.name, module: undefined, code: null, host: fn, inst: null, dead: false, size: 16 };
      this.hostCodeNext += 16;
      this.hostRecords.set(fn.name, rec);
      this.byAddress.set(rec.address, rec);
    }
    return rec;
  }

  /** Resolution order: other programs' exports, the environment, the built-in kernel API. */
  resolveFunctionRecord(name: string, from: Instance | undefined): FunctionRecord | undefined {
    const relocated = from ? this.env.relocate?.(name, from.moduleName) : undefined;
    if (relocated !== undefined) {
      const rec = this.byAddress.get(relocated);
      if (rec) return rec;
    }
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const p = this.programs[i];
      if (p === from || !p.exports.has(name)) continue;
      const slot = p.program.definitions.get(name);
      const rec = slot === undefined ? undefined : p.fns[slot];
      if (rec) return rec;
    }
    const fromEnv = this.env.resolve?.(name, from?.moduleName);
    if (fromEnv) return this.hostFunction(fromEnv);
    const builtin = this.builtins.get(name);
    return builtin ? this.hostFunction(builtin) : undefined;
  }

  resolveSymbolAddress(name: string, from: Instance | undefined): number | undefined {
    const relocated = from ? this.env.relocate?.(name, from.moduleName) : undefined;
    if (relocated !== undefined) return relocated;
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const p = this.programs[i];
      if (p === from || !p.exports.has(name)) continue;
      const slot = p.program.definitions.get(name);
      if (slot !== undefined) return p.addr[slot];
    }
    const fromEnv = this.env.global?.(name, from?.moduleName);
    if (fromEnv !== undefined) return fromEnv;
    const data = this.kernel.address(name);
    if (data !== undefined) return data;
    return this.resolveFunctionRecord(name, from)?.address;
  }

  /** Identity of the function at an address (C or host), if any. */
  functionAt(address: number): FunctionIdentity | undefined {
    const rec = this.byAddress.get(address);
    return rec ? { address: rec.address, name: rec.name, module: rec.module } : undefined;
  }
  /** @internal */
  recordAt(address: number): FunctionRecord | undefined {
    return this.byAddress.get(address);
  }

  /** Looks a function up by name: loaded programs (newest first, statics included), then host. */
  functionAddress(name: string, module?: string): number | undefined {
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const p = this.programs[i];
      if (module !== undefined && p.moduleName !== module) continue;
      const a = p.functionAddress(name);
      if (a !== undefined) return a;
    }
    if (module !== undefined) return undefined;
    return this.resolveFunctionRecord(name, undefined)?.address;
  }

  // ---- redirect hook ------------------------------------------------------------------------

  /** Calls of this function consult HostEnvironment.redirect from now on. */
  hook(address: number): void {
    this.hooked.add(address);
  }
  unhook(address: number): void {
    this.hooked.delete(address);
  }
  isHooked(address: number): boolean {
    return this.hooked.has(address);
  }

  private redirect(rec: FunctionRecord, task: Task): FunctionRecord {
    const target = this.env.redirect?.({ address: rec.address, name: rec.name, module: rec.module }, task);
    if (target === undefined || target === rec.address) return rec;
    const next = this.byAddress.get(target);
    if (!next) fault('bad-pointer', `redirect of ${rec.name} to unknown address ${hex(target)}`);
    return next;
  }

  // ---- tasks -----------------------------------------------------------------------------------

  /** A new task with its own struct task_struct (comm, pid). */
  createTask(name: string, kind: Task['kind'] = 'kthread', pid?: number): Task {
    const id = this.nextTaskId++;
    const address = this.kernel.newTaskStruct(name, pid ?? id, kind);
    const task = new Task(id, name, address, kind);
    task.stack = () => this.stackOf(task);
    this.tasks.push(task);
    return task;
  }

  taskByAddress(address: number): Task | undefined {
    return this.tasks.find((t) => t.address === address);
  }

  /** The task's stack, innermost frame first. */
  stackOf(task: Task): StackFrame[] {
    const out: StackFrame[] = [];
    for (let i = task.frames.length - 1; i >= 0; i--) out.push(this.describeFrame(task.frames[i]));
    return out;
  }

  private describeFrame(f: Frame): StackFrame {
    const rec = f.fn;
    if (rec.code) {
      const code = rec.code.code;
      const ins = code[Math.max(0, Math.min(code.length - 1, f.pc - 1))];
      const loc = f.pc === 0 ? rec.code.loc : ins?.loc ?? rec.code.loc;
      return { function: rec.name, module: rec.module, file: loc.file, line: loc.line, column: loc.column, address: rec.address, host: false };
    }
    const loc = f.callLoc ?? hostLoc;
    return { function: rec.name, module: rec.module, file: loc.file, line: loc.line, column: loc.column, address: rec.address, host: true };
  }

  /** Module whose C code is running on the task (the innermost C frame). */
  currentModule(task: Task): string | undefined {
    for (let i = task.frames.length - 1; i >= 0; i--) if (task.frames[i].fn.code) return task.frames[i].fn.module;
    return undefined;
  }

  /** Name of the innermost C function of the task. */
  currentFunction(task: Task): string | undefined {
    for (let i = task.frames.length - 1; i >= 0; i--) if (task.frames[i].fn.code) return task.frames[i].fn.name;
    return undefined;
  }

  emit(event: MachineEvent): void {
    this.events.push(event);
    this.env.event?.(event);
  }

  // ---- running ------------------------------------------------------------------------------------

  /**
   * Calls a function (C or host, by address or name) on an idle task and runs until it
   * returns, blocks or faults. Goes through the redirect hook like any call.
   */
  callFunction(target: number | string, args: Val[], task: Task, budgets: Partial<Budgets> = {}): RunResult {
    if (task.frames.length > 0) throw new Error(`task ${task.name} is busy (${task.state})`);
    const address = typeof target === 'number' ? target : this.functionAddress(target);
    let rec = address === undefined ? undefined : this.byAddress.get(address);
    if (!rec) throw new Error(`no function at ${String(target)}`);
    task.state = 'running';
    task.fault = undefined;
    task.exitValue = undefined;
    const b = { ...this.budgets, ...budgets };
    this.depthLimit = b.callDepth;
    this.current = task;
    try {
      if (this.hooked.has(rec.address)) rec = this.redirect(rec, task);
      if (rec.dead) fault('use-after-free', `call into unloaded module ${rec.module}: ${rec.name}`);
      const converted = rec.code ? convertArgs(rec.code.type.params, args) : args;
      if (rec.code) {
        this.pushFrame(task, rec, converted, -1, -1, 0);
        return this.run(task, b);
      }
      const host = new Frame(rec, noInstance, this.memory, []);
      host.callLoc = hostLoc;
      task.frames.push(host);
      const result = rec.host!.call(this, task, converted, hostLoc);
      return this.afterHost(task, host, result) ?? this.run(task, b);
    } catch (e) {
      return this.toFault(task, e);
    } finally {
      this.current = null;
    }
  }

  /** Continues a blocked task; `wake` tells the blocking function why. */
  resume(task: Task, wake: WakeReason = 'woken', budgets: Partial<Budgets> = {}): RunResult {
    if (task.state !== 'blocked' || !task.blocked) throw new Error(`task ${task.name} is not blocked (${task.state})`);
    const b = { ...this.budgets, ...budgets };
    const top = task.frames[task.frames.length - 1];
    const block = task.blocked;
    this.depthLimit = b.callDepth;
    task.blocked = null;
    task.state = 'running';
    this.current = task;
    try {
      for (const f of task.frames) if (f.fn.dead) fault('use-after-free', `resumed into unloaded module ${f.fn.module}: ${f.fn.name}`);
      const result = block.onResume(wake);
      return this.afterHost(task, top, result) ?? this.run(task, b);
    } catch (e) {
      return this.toFault(task, e);
    } finally {
      this.current = null;
    }
  }

  private pushFrame(task: Task, rec: FunctionRecord, args: Val[], dest: number, retOff: number, retSize: number): Frame {
    const cf = rec.code!;
    if (task.frames.length >= this.depthLimit) fault('call-depth', `call depth exceeded (${this.depthLimit} frames) calling ${rec.name}`);
    const r: Val[] = new Array(cf.nregs).fill(0);
    const f = new Frame(rec, rec.inst!, this.memory, r);
    if (cf.frameSize > 0) {
      const block = this.memory.alloc(cf.frameSize, 'stack', `stack frame of ${rec.name}`, rec.module);
      f.block = block;
      f.view = block.view;
      f.base = block.base;
    }
    f.dest = dest;
    f.retOff = retOff;
    f.retSize = retSize;
    cf.enter(f, args);
    task.frames.push(f);
    return f;
  }

  /**
   * Handles what a host function returned. Returns the run's result when the task blocked or
   * finished, or null when a C frame is on top and the dispatch loop should continue.
   */
  private afterHost(task: Task, host: Frame, result: HostReturn): RunResult | null {
    for (;;) {
      if (result instanceof BlockRequest) {
        task.blocked = result;
        task.state = 'blocked';
        return { status: 'blocked', block: result };
      }
      if (result instanceof CallRequest) {
        host.cont = result.then;
        let rec = this.byAddress.get(result.fn);
        if (!rec) fault(result.fn === 0 ? 'null-dereference' : 'bad-pointer', `call through invalid function pointer ${hex(result.fn)}`);
        if (this.hooked.has(rec.address)) rec = this.redirect(rec, task);
        if (rec.dead) fault('use-after-free', `call into unloaded module ${rec.module}: ${rec.name}`);
        if (rec.code) {
          this.pushFrame(task, rec, convertArgs(rec.code.type.params, result.args), -1, -1, 0);
          return null;
        }
        const inner = new Frame(rec, noInstance, this.memory, []);
        inner.callLoc = host.callLoc;
        task.frames.push(inner);
        host = inner;
        result = rec.host!.call(this, task, result.args, host.callLoc ?? hostLoc);
        continue;
      }
      // A value: the host frame returns it to its caller.
      const value = (result ?? 0) as Val;
      task.frames.pop();
      const parent = task.frames[task.frames.length - 1];
      if (!parent) return this.finish(task, value);
      if (parent.fn.code === null) {
        host = parent;
        result = parent.cont ? parent.cont(value) : value;
        continue;
      }
      if (host.dest >= 0) parent.r[host.dest] = value;
      return null;
    }
  }

  private finish(task: Task, value: Val): RunResult {
    task.state = 'exited';
    task.exitValue = value;
    return { status: 'returned', value };
  }

  /** The dispatch loop: runs the task's top C frame until it returns, blocks or faults. */
  private run(task: Task, b: Budgets): RunResult {
    const frames = task.frames;
    const mem = this.memory;
    const depthLimit = b.callDepth;
    let steps = b.steps;
    let f = frames[frames.length - 1];
    let code = f.fn.code!.code;
    let pc = f.pc;
    this.kernel.refreshJiffies();
    try {
      for (;;) {
        const ins = code[pc++];
        if (--steps < 0) {
          f.pc = pc;
          fault('step-budget', `step budget of ${b.steps} exhausted in ${f.fn.name}`);
        }
        switch (ins.op) {
          case OP_EXPR:
            ins.e!(f);
            continue;
          case OP_JUMP:
            pc = ins.t;
            continue;
          case OP_JUMP_IF:
            if (ins.c!(f)) pc = ins.t;
            continue;
          case OP_JUMP_IF_NOT:
            if (!ins.c!(f)) pc = ins.t;
            continue;
          case OP_SWITCH: {
            const sw = ins.sw!;
            const target = sw.cases.get(sw.value(f));
            pc = target === undefined ? sw.defaultTarget : target;
            continue;
          }
          case OP_CALL: {
            const call = ins.call!;
            f.pc = pc;
            let rec: FunctionRecord | undefined;
            if (call.callee === null) {
              rec = f.inst.fns[call.slot];
              if (rec === undefined || rec.dead) rec = f.inst.resolveFunction(call.slot);
              if (rec === undefined) fault('not-modeled', `not modeled: ${call.name}`);
            } else {
              const target = call.callee(f) as number;
              rec = this.byAddress.get(target);
              if (rec === undefined) {
                if (target >= 0 && target < 4096) fault('null-dereference', `call through NULL function pointer${target ? ` (${hex(target)})` : ''}`);
                fault('bad-pointer', `call through invalid function pointer ${hex(target)}`);
              }
            }
            if (this.hooked.size !== 0 && this.hooked.has(rec.address)) rec = this.redirect(rec, task);
            if (rec.dead) fault('use-after-free', `call into unloaded module ${rec.module}: ${rec.name}`);
            const argEvs = call.args;
            const args: Val[] = new Array(argEvs.length);
            for (let i = 0; i < argEvs.length; i++) args[i] = argEvs[i](f);
            if (rec.code !== null) {
              if (frames.length >= depthLimit) fault('call-depth', `call depth exceeded (${depthLimit} frames) calling ${rec.name}`);
              f = this.pushFrame(task, rec, args, call.dest, call.retOff, call.retSize);
              code = rec.code.code;
              pc = 0;
              continue;
            }
            const result = rec.host!.call(this, task, args, ins.loc);
            if (typeof result === 'object' && result !== null) {
              const host = new Frame(rec, noInstance, mem, []);
              host.callLoc = ins.loc;
              host.dest = call.dest;
              frames.push(host);
              const outcome = this.afterHost(task, host, result);
              if (outcome !== null) return outcome;
              f = frames[frames.length - 1];
              code = f.fn.code!.code;
              pc = f.pc;
              continue;
            }
            if (call.dest >= 0) f.r[call.dest] = result === undefined ? 0 : result;
            continue;
          }
          case OP_RETURN: {
            let value: Val = ins.e === null ? 0 : ins.e(f);
            frames.pop();
            const parent = frames[frames.length - 1];
            if (parent !== undefined && f.retOff >= 0) {
              mem.copy(parent.base + f.retOff, value as number, f.retSize);
              value = parent.base + f.retOff;
            }
            if (f.block !== null) mem.free(f.block);
            if (parent === undefined) return this.finish(task, value);
            if (parent.fn.code === null) {
              const result = parent.cont ? parent.cont(value) : value;
              const outcome = this.afterHost(task, parent, result);
              if (outcome !== null) return outcome;
              f = frames[frames.length - 1];
              code = f.fn.code!.code;
              pc = f.pc;
              continue;
            }
            if (f.dest >= 0) parent.r[f.dest] = value;
            f = parent;
            code = f.fn.code!.code;
            pc = f.pc;
            continue;
          }
          case OP_FAULT:
            f.pc = pc;
            fault(ins.t === 1 ? 'not-modeled' : 'compile-error', ins.message);
            break;
          default:
            throw new Error(`bad opcode ${ins.op}`);
        }
      }
    } catch (e) {
      if (f && frames[frames.length - 1] === f) f.pc = pc;
      throw e;
    }
  }

  private toFault(task: Task, e: unknown): RunResult {
    const signal = e instanceof FaultSignal ? e : new FaultSignal('internal', `internal error: ${e instanceof Error ? e.message : String(e)}`);
    const stack = this.stackOf(task);
    const top = stack.find((s) => !s.host) ?? stack[0];
    const result: Fault = {
      kind: signal.kind as FaultKind, message: signal.message, function: top?.function ?? '', module: top?.module,
      file: top?.file ?? '', line: top?.line ?? 0, column: top?.column ?? 0, stack,
    };
    for (const f of task.frames) if (f.block) this.memory.free(f.block);
    task.frames.length = 0;
    task.state = 'faulted';
    task.blocked = null;
    task.fault = result;
    task.atomicDepth = 0;
    return { status: 'faulted', fault: result };
  }

  // ---- memory helpers for the simulator -----------------------------------------------------------

  readCString(address: number, max = 4096): string {
    return this.memory.cstring(address, max);
  }
  readPointer(address: number): number {
    return this.memory.ptr(address);
  }
  /** Reads an integer of a C type name ('int', 'unsigned long', 'u8', 'bool', 'pid_t', ...). */
  readInt(address: number, type: string): Val {
    const t = this.namedType(type);
    if (t.k !== 'int' && t.k !== 'ptr') throw new Error(`readInt: '${type}' is not an integer type`);
    return this.loadScalar(address, t);
  }
  writeInt(address: number, type: string, value: Val): void {
    const t = this.namedType(type);
    this.storeScalar(address, t, value);
  }

  /** Allocates kernel memory the simulator owns (zeroed); returns its address. */
  allocKernel(size: number, label: string): number {
    return this.memory.alloc(size, 'kernel', label, undefined).base;
  }

  /** A struct type from the kernel header model (or any loaded program) by tag. */
  structType(tag: string): StructType {
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const t = this.programs[i].program.types.get(tag);
      if (t) return t;
    }
    const t = this.kernel.types().get(tag);
    if (!t) throw new Error(`unknown struct '${tag}'`);
    return t;
  }

  /** Field values of a struct at an address: integers, pointers (numbers), char arrays as strings, nested structs as objects. */
  readStruct(address: number, tag: string): Record<string, unknown> {
    return this.readFields(address, this.structType(tag));
  }

  /** Writes one field of a struct ('state', or a path 'callbacks.post_unpatch_enabled'). */
  writeField(address: number, tag: string, path: string, value: Val): void {
    let t: CType = this.structType(tag);
    let a = address;
    for (const part of path.split('.')) {
      if (t.k !== 'struct') throw new Error(`${path}: not a struct`);
      const fld = t.field(part);
      if (!fld) throw new Error(`no field '${part}' in struct ${t.tag}`);
      a += fld.offset;
      t = fld.type;
    }
    this.storeScalar(a, t, value);
  }
  /** Address of a field of a struct ('obj_list', 'callbacks.pre_patch'). */
  fieldAddress(address: number, tag: string, path: string): number {
    let t: CType = this.structType(tag);
    let a = address;
    for (const part of path.split('.')) {
      if (t.k !== 'struct') throw new Error(`${path}: not a struct`);
      const fld = t.field(part);
      if (!fld) throw new Error(`no field '${part}' in struct ${t.tag}`);
      a += fld.offset;
      t = fld.type;
    }
    return a;
  }

  private readFields(address: number, t: StructType): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const fld of t.fields) {
      const a = address + fld.offset;
      if (fld.name === undefined) {
        if (fld.type.k === 'struct') Object.assign(out, this.readFields(a, fld.type));
        continue;
      }
      out[fld.name] = this.readValue(a, fld.type, fld.bits);
    }
    return out;
  }

  private readValue(a: number, t: CType, bits?: { shift: number; width: number }): unknown {
    switch (t.k) {
      case 'struct':
        return this.readFields(a, t);
      case 'array':
        if (t.of.k === 'int' && t.of.size === 1) return this.memory.cstring(a, t.length ?? 0);
        return Array.from({ length: t.length ?? 0 }, (_, i) => this.readValue(a + i * sizeOfType(t.of), t.of));
      case 'int': {
        const v = this.loadScalar(a, t);
        if (!bits) return v;
        return (Number(v) >>> bits.shift) & ((1 << bits.width) - 1);
      }
      case 'ptr':
        return this.memory.ptr(a);
      default:
        return undefined;
    }
  }

  private loadScalar(a: number, t: CType): Val {
    if (t.k === 'ptr') return this.memory.ptr(a);
    if (t.k !== 'int') throw new Error('not a scalar');
    switch (t.size) {
      case 1:
        return t.signed ? this.memory.s8(a) : this.memory.u8(a);
      case 2:
        return t.signed ? this.memory.s16(a) : this.memory.u16(a);
      case 4:
        return t.signed ? this.memory.s32(a) : this.memory.u32(a);
      default:
        return t.signed ? this.memory.s64(a) : this.memory.u64(a);
    }
  }

  private storeScalar(a: number, t: CType, value: Val): void {
    if (t.k === 'ptr') return this.memory.w64(a, toPointer(value));
    if (t.k !== 'int') throw new Error('not a scalar');
    const v = convertInt(value, t.size, t.signed);
    if (t.size === 1) this.memory.w8(a, v as number);
    else if (t.size === 2) this.memory.w16(a, v as number);
    else if (t.size === 4) this.memory.w32(a, v as number);
    else this.memory.w64(a, v);
  }

  private namedType(name: string): CType {
    const n = name.trim();
    if (n.endsWith('*')) return { k: 'ptr', to: { k: 'void' } };
    const map: Record<string, CType> = this.kernel.scalarTypes();
    const t = map[n];
    if (t) return t;
    for (let i = this.programs.length - 1; i >= 0; i--) {
      const td = this.programs[i].program.typedefs.get(n);
      if (td) return td;
    }
    const td = this.kernel.typedefs().get(n);
    if (td) return td;
    throw new Error(`unknown type '${name}'`);
  }
}

function sizeOfType(t: CType): number {
  switch (t.k) {
    case 'int':
      return t.size;
    case 'ptr':
      return 8;
    case 'struct':
      return t.size;
    case 'array':
      return (t.length ?? 0) * sizeOfType(t.of);
    default:
      return 1;
  }
}

/** Converts caller-supplied argument values to the parameter types. */
function convertArgs(params: CType[] | undefined, args: Val[]): Val[] {
  if (!params) return args;
  return args.map((v, i) => {
    const t = params[i];
    if (!t) return v;
    if (t.k === 'int') return convertInt(v, t.size, t.signed);
    if (t.k === 'ptr') return toPointer(v);
    return v;
  });
}

/** Host frames belong to no program. */
const noInstance: Instance = {
  moduleName: '<kernel>',
  program: undefined as unknown as CompiledProgram,
  addr: [],
  fns: [],
  resolveData: () => fault('internal', 'host frame has no link table'),
  resolveFunction: () => undefined,
  unloaded: false,
};
