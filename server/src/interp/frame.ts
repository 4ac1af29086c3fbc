/**
 * Runtime shapes shared by compiled closures and the machine: call frames, function records
 * and the per-load link table of a program instance.
 */
import type { HostFunction, HostReturn } from './host';
import type { Block, Memory } from './memory';
import type { CompiledFunction, CompiledProgram, SourceLoc } from './program';
import type { Val } from './values';

/** A function the machine can call: interpreted (code) or host (kernel model). */
export interface FunctionRecord {
  readonly address: number;
  readonly name: string;
  /** Module implementing it; undefined for host functions. */
  readonly module: string | undefined;
  readonly code: CompiledFunction | null;
  readonly host: HostFunction | null;
  readonly inst: Instance | null;
  /** Set when the program was unloaded. */
  dead: boolean;
  readonly size: number;
}

/** Link table of one loaded program; compiled closures reach their globals through it. */
export interface Instance {
  readonly moduleName: string;
  readonly program: CompiledProgram;
  /** Address per link slot (0 until an external symbol is resolved). */
  readonly addr: number[];
  /** Function record per link slot of a function (direct calls). */
  readonly fns: (FunctionRecord | undefined)[];
  /** Resolves an external data symbol (faults as not modeled when nobody provides it). */
  resolveData(slot: number): number;
  /** Resolves an external function (undefined when nobody provides it). */
  resolveFunction(slot: number): FunctionRecord | undefined;
  unloaded: boolean;
}

const emptyView = new DataView(new ArrayBuffer(0));

export class Frame {
  pc = 0;
  /** Caller register receiving the result, -1 for none. */
  dest = -1;
  /** Struct result: caller frame offset to copy it to, and its size. */
  retOff = -1;
  retSize = 0;
  /** Frame memory (locals in memory); view is unchecked: offsets come from the compiler. */
  view: DataView = emptyView;
  base = 0;
  block: Block | null = null;
  /** Host frames: continuation after a C function it called returns. */
  cont: ((value: Val) => HostReturn) | null = null;
  /** Host frames: where the host function was called from. */
  callLoc: SourceLoc | null = null;
  constructor(readonly fn: FunctionRecord, readonly inst: Instance, readonly m: Memory, public r: Val[]) {}
}
