/**
 * The compiled form of a program (one kernel module): per function a flat instruction array
 * whose expressions are pre-built closures, plus the data objects and the link table. A
 * CompiledProgram holds no addresses: loading it into a Machine allocates its memory and fills
 * the link table of that instance, so one compiled program can be loaded many times.
 */
import type { Diagnostic } from './compiler/preprocessor';
import type { Frame } from './frame';
import type { CType, FuncType, StructType } from './types';
import type { Val } from './values';

export interface SourceLoc {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
}

export type Ev = (f: Frame) => Val;
export type Cond = (f: Frame) => boolean;

// Instruction opcodes (plain numbers: the dispatch switch compiles to a jump table).
export const OP_EXPR = 0;
export const OP_JUMP = 1;
export const OP_JUMP_IF = 2;
export const OP_JUMP_IF_NOT = 3;
export const OP_RETURN = 4;
export const OP_CALL = 5;
export const OP_SWITCH = 6;
export const OP_FAULT = 7;

export interface CallSpec {
  /** Link slot of a direct call, or -1 for a call through a pointer. */
  slot: number;
  /** Name of the callee for direct calls (messages). */
  name: string;
  /** Pointer value of an indirect call. */
  callee: Ev | null;
  args: Ev[];
  /** Register receiving the result, -1 to drop it. */
  dest: number;
  /** Struct results: size, and the caller frame offset they are copied to. */
  retSize: number;
  retOff: number;
}

export interface SwitchSpec {
  value: Ev;
  cases: Map<Val, number>;
  defaultTarget: number;
}

export class Ins {
  e: Ev | null = null;
  c: Cond | null = null;
  t = 0;
  call: CallSpec | null = null;
  sw: SwitchSpec | null = null;
  message = '';
  constructor(readonly op: number, readonly loc: SourceLoc) {}
}

export interface CompiledFunction {
  name: string;
  file: string;
  loc: SourceLoc;
  /** Link slot holding this function's address in an instance. */
  slot: number;
  isStatic: boolean;
  type: FuncType;
  code: Ins[];
  /** Registers: parameters kept in registers first, then locals and temporaries. */
  nregs: number;
  /** Bytes of frame memory (locals whose address is taken, arrays, structs). */
  frameSize: number;
  /** Copies incoming arguments into registers or frame memory. */
  enter: (f: Frame, args: Val[]) => void;
  /** Fake size of the machine code (for %pS "+0x0/0x<size>"). */
  codeSize: number;
  /** Set when the body could not be compiled: calling it faults with this message. */
  compileError?: { kind: 'compile-error' | 'not-modeled'; message: string };
}

/** One store of a data initializer: evaluated at load time (globals) or when reached (locals). */
export type InitStep =
  | { off: number; type: CType; ev: Ev }
  | { off: number; bytes: Uint8Array }
  | { off: number; bits: { shift: number; width: number }; type: CType; ev: Ev }
  | { off: number; copyFrom: Ev; size: number };

export interface GlobalDef {
  name: string;
  /** Symbol name as other code links to it ("" for anonymous compound literals). */
  slot: number;
  type: CType;
  isStatic: boolean;
  readonly: boolean;
  file: string;
  loc: SourceLoc;
  init: InitStep[];
}

export type SlotDef =
  | { kind: 'function'; index: number; name: string }
  | { kind: 'data'; index: number; name: string }
  | { kind: 'string'; bytes: Uint8Array }
  | { kind: 'extern'; name: string; func: boolean };

export interface ParamDef {
  name: string;
  type: string;
  perm: number;
  description?: string;
}

export interface CompiledProgram {
  moduleName: string;
  diagnostics: Diagnostic[];
  functions: CompiledFunction[];
  globals: GlobalDef[];
  slots: SlotDef[];
  /** Non-static names defined by the program, by name → slot. */
  definitions: Map<string, number>;
  /** Names given to EXPORT_SYMBOL*. */
  exports: Set<string>;
  /** Struct/union types by tag (kernel header model and module sources). */
  types: Map<string, StructType>;
  /** Typedef names. */
  typedefs: Map<string, CType>;
  /** Slots of the special registration data (module_init/exit, params, modinfo). */
  initSlot?: number;
  exitSlot?: number;
  modinfo: Map<string, string>;
  /** Slots of the `__interp_param_*` descriptors. */
  paramSlots: number[];
  paramDescriptions: Map<string, string>;
  /** Macros at the end of the main file (for tools). */
  macroNames: string[];
}
