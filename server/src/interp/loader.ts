/**
 * Loading a CompiledProgram into a Machine: allocate its data (one block per global, string
 * literal and `struct module`), give its functions addresses, run the static initializers, and
 * read back the registration data (module_init/exit, parameters, modinfo, exports).
 */
import { initApplier } from './compiler/initApply';
import { fault, FaultSignal } from './fault';
import { Frame, type FunctionRecord, type Instance } from './frame';
import type { Machine } from './machine';
import type { Block } from './memory';
import type { CompiledProgram, ParamDef } from './program';
import { sizeOf } from './types';
import type { Val } from './values';

export interface LoadOptions {
  /** Defaults to the compiled program's module name. */
  moduleName?: string;
}

/** A parameter registered with module_param(), as sysfs shows it. */
export interface ModuleParam extends ParamDef {
  /** Address of the variable (or the char array for module_param_string). */
  address: number;
  /** Buffer size for module_param_string. */
  maxlen: number;
}

export class ProgramHandle implements Instance {
  readonly addr: number[];
  readonly fns: (FunctionRecord | undefined)[];
  unloaded = false;
  /** Address of this module's `struct module` (THIS_MODULE). */
  thisModule = 0;
  readonly blocks: Block[] = [];
  readonly functions: FunctionRecord[] = [];
  params: ModuleParam[] = [];
  readonly modinfo = new Map<string, string>();
  /** Diagnostics of loading (unresolved symbols in static initializers). */
  readonly loadProblems: string[] = [];

  constructor(readonly machine: Machine, readonly program: CompiledProgram, readonly moduleName: string) {
    this.addr = new Array(program.slots.length).fill(0);
    this.fns = new Array(program.slots.length).fill(undefined);
  }

  resolveData(slot: number): number {
    const def = this.program.slots[slot];
    const name = def.kind === 'extern' ? def.name : def.kind === 'function' || def.kind === 'data' ? def.name : '<string>';
    const found = this.machine.resolveSymbolAddress(name, this);
    if (found === undefined) {
      if (this.unloaded) fault('use-after-free', `module ${this.moduleName} was unloaded (symbol '${name}')`);
      fault('not-modeled', `not modeled: ${name}`);
    }
    this.addr[slot] = found;
    return found;
  }

  resolveFunction(slot: number): FunctionRecord | undefined {
    const def = this.program.slots[slot];
    if (def.kind !== 'extern' && def.kind !== 'function') return undefined;
    const rec = this.machine.resolveFunctionRecord(def.name, this);
    if (rec) {
      this.fns[slot] = rec;
      this.addr[slot] = rec.address;
    }
    return rec;
  }

  /**
   * Drops what a reference to an external symbol was resolved to, so the next use resolves it
   * again (a livepatch relocation cleared when its target module went away).
   */
  forgetSymbol(name: string): void {
    this.program.slots.forEach((def, slot) => {
      if (def.kind === 'extern' && def.name === name) {
        this.addr[slot] = 0;
        this.fns[slot] = undefined;
      }
    });
  }

  /** Address of a function defined by this program (static ones included). */
  functionAddress(name: string): number | undefined {
    return this.functions.find((f) => f.name === name)?.address;
  }

  /** Address of a global or static variable of this program ("fn.var" for static locals). */
  globalAddress(name: string): number | undefined {
    const g = this.program.globals.find((x) => x.name === name);
    return g ? this.addr[g.slot] : undefined;
  }

  /** Calls a function of this program (by name or address) on a task. */
  callFunction(target: string | number, args: Val[], task: Parameters<Machine['callFunction']>[2]) {
    const address = typeof target === 'number' ? target : this.functionAddress(target);
    if (address === undefined) throw new Error(`${this.moduleName}: no function '${String(target)}'`);
    return this.machine.callFunction(address, args, task);
  }

  /** module_init function address (undefined when the module has none). */
  get initFunction(): number | undefined {
    return this.program.initSlot === undefined ? undefined : this.machine.memory.ptr(this.addr[this.program.initSlot]) || undefined;
  }
  get exitFunction(): number | undefined {
    return this.program.exitSlot === undefined ? undefined : this.machine.memory.ptr(this.addr[this.program.exitSlot]) || undefined;
  }

  get exports(): Set<string> {
    return this.program.exports;
  }

  /** Current value of a parameter as sysfs prints it (without the newline). */
  getParam(name: string): string {
    const p = this.params.find((x) => x.name === name);
    if (!p) throw new Error(`${this.moduleName}: no parameter '${name}'`);
    return this.machine.params.get(this.machine, p);
  }

  /** Sets a parameter as insmod or a sysfs write would; returns 0 or a negative errno. */
  setParam(name: string, value: string): number {
    const p = this.params.find((x) => x.name === name);
    if (!p) return -2; // -ENOENT
    return this.machine.params.set(this.machine, p, value, this.moduleName);
  }
}

/** Allocates and initializes a program in the machine. */
export function loadProgram(machine: Machine, program: CompiledProgram, options: LoadOptions = {}): ProgramHandle {
  const moduleName = options.moduleName ?? program.moduleName;
  const handle = new ProgramHandle(machine, program, moduleName);
  const mem = machine.memory;
  const own = (b: Block) => {
    handle.blocks.push(b);
    return b;
  };

  // Code: one block holding every function's fake address range.
  const code = own(mem.alloc(0, 'code', `code of ${moduleName}`, moduleName));
  let offset = 0;
  for (const fn of program.functions) {
    const rec: FunctionRecord = { address: code.base + offset, name: fn.name, module: moduleName, code: fn, host: null, inst: handle, dead: false, size: fn.codeSize };
    offset += fn.codeSize;
    machine.registerFunction(rec);
    handle.functions.push(rec);
    handle.addr[fn.slot] = rec.address;
    handle.fns[fn.slot] = rec;
  }

  // struct module for THIS_MODULE.
  const moduleType = program.types.get('module');
  const moduleBlock = own(mem.alloc(moduleType ? moduleType.size : 128, 'module', `struct module of ${moduleName}`, moduleName));
  handle.thisModule = moduleBlock.base;
  if (moduleType) {
    const nameField = moduleType.field('name');
    const stateField = moduleType.field('state');
    if (nameField) mem.writeBytes(moduleBlock.base + nameField.offset, Buffer.from(moduleName.slice(0, 55), 'latin1'));
    if (stateField) mem.w32(moduleBlock.base + stateField.offset, 1); // MODULE_STATE_COMING while loading
  }

  // Data.
  program.slots.forEach((def, slot) => {
    if (def.kind === 'string') {
      const b = own(mem.alloc(def.bytes.length, 'string', `string literal of ${moduleName}`, moduleName));
      b.bytes.set(def.bytes);
      b.readonly = true;
      handle.addr[slot] = b.base;
    } else if (def.kind === 'extern' && def.name === '__this_module') handle.addr[slot] = moduleBlock.base;
  });
  const globalBlocks: Block[] = [];
  for (const g of program.globals) {
    const size = Math.max(1, sizeOf(g.type));
    const b = own(mem.alloc(size, 'global', `'${g.name}' of ${moduleName}`, moduleName));
    globalBlocks.push(b);
    handle.addr[g.slot] = b.base;
  }
  // Initializers run with a frame that has no registers: they only use constants and addresses.
  const loader: FunctionRecord = { address: 0, name: `<load ${moduleName}>`, module: moduleName, code: null, host: null, inst: handle, dead: false, size: 0 };
  const frame = new Frame(loader, handle, mem, []);
  program.globals.forEach((g, i) => {
    if (g.init.length === 0) return;
    try {
      initApplier(g.init, sizeOf(g.type), false)(frame, globalBlocks[i].base);
    } catch (e) {
      if (!(e instanceof FaultSignal)) throw e;
      handle.loadProblems.push(`initializer of '${g.name}': ${e.message}`);
    }
  });
  program.globals.forEach((g, i) => {
    if (g.readonly) globalBlocks[i].readonly = true;
  });

  // Registration data left by the module macros.
  const modType = program.types.get('module');
  if (modType) {
    const initField = modType.field('init');
    const exitField = modType.field('exit');
    if (initField && program.initSlot !== undefined) mem.w64(moduleBlock.base + initField.offset, mem.ptr(handle.addr[program.initSlot]));
    if (exitField && program.exitSlot !== undefined) mem.w64(moduleBlock.base + exitField.offset, mem.ptr(handle.addr[program.exitSlot]));
  }
  for (const g of program.globals) {
    const a = handle.addr[g.slot];
    if (g.name.startsWith('__interp_modinfo_')) handle.modinfo.set(g.name.slice('__interp_modinfo_'.length), mem.cstring(a));
  }
  const descriptions = new Map<string, string>();
  for (const g of program.globals) {
    if (!g.name.startsWith('__interp_parmdesc_')) continue;
    const a = handle.addr[g.slot];
    descriptions.set(mem.cstring(mem.ptr(a)), mem.cstring(mem.ptr(a + 8)));
  }
  for (const slot of program.paramSlots) {
    const a = handle.addr[slot];
    const name = mem.cstring(mem.ptr(a));
    handle.params.push({
      name, type: mem.cstring(mem.ptr(a + 8)), perm: mem.u32(a + 16), address: mem.ptr(a + 24), maxlen: mem.u32(a + 32),
      description: descriptions.get(name),
    });
  }
  machine.addProgram(handle);
  return handle;
}

export function unloadProgram(machine: Machine, handle: ProgramHandle): void {
  if (handle.unloaded) return;
  handle.unloaded = true;
  for (const f of handle.functions) f.dead = true;
  for (const b of handle.blocks) machine.memory.free(b);
  machine.removeProgram(handle);
}
