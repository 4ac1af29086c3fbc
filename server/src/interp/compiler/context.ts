/** Shapes shared by the expression, statement and unit compilers. */
import type { Node } from 'web-tree-sitter';
import type { Ev, Ins, InitStep, SourceLoc } from '../program';
import type { CType, IntType } from '../types';
import type { Val } from '../values';
import type { TypeContext } from './declarations';
import type { Scope, Symbol } from './scope';

/** Where an lvalue lives. */
export type LV =
  | { k: 'reg'; slot: number }
  | { k: 'frame'; off: number }
  /** `acv`: the address when it is a compile-time constant (offsetof through a NULL base). */
  | { k: 'mem'; addr: Ev; acv?: number }
  | { k: 'bits'; addr: Ev; shift: number; width: number; unit: IntType };

/** A compiled expression. */
export interface Operand {
  t: CType;
  /** Value for scalars; address for arrays, structs and functions. */
  ev: Ev;
  lv?: LV;
  /** Compile-time constant value (integers and constant addresses like NULL). */
  cv?: Val;
  /** Evaluating it has no effect (so a discarded value needs no instruction). */
  pure?: boolean;
}

/** Where code goes: a function body, or nowhere (static initializers). */
export interface CodeBuilder {
  readonly inFunction: boolean;
  readonly functionName: string;
  /** >0 while compiling an operand only for its type (sizeof, typeof): code is discarded. */
  dry: number;
  emit(ins: Ins): void;
  /** Index the next emitted instruction will get. */
  here(): number;
  newTemp(): number;
  allocFrame(size: number, align: number): number;
}

/** Services of the translation unit the expression compiler needs. */
export interface UnitServices {
  scope: Scope;
  readonly types: TypeContext;
  loc(node: Node): SourceLoc;
  stringSlot(bytes: number[]): number;
  /** An implicitly declared external function `int name()`. */
  implicitFunction(name: string, node: Node): Symbol;
  /** An anonymous static object (file-scope compound literal). */
  anonymousGlobal(type: CType, init: InitStep[], node: Node): number;
  /** A block-scope `extern` declaration or function prototype. */
  externSymbol(name: string, type: CType, node: Node): Symbol;
  /** Declares a static local variable of the current function. */
  staticLocal(name: string, type: CType, isConst: boolean, node: Node, init: Node | null): Symbol;
  typeofText(index: number): string;
  /** Parses `sizeof(text)` for typeof and returns the operand node; dispose() frees the tree. */
  parseTypeofProbe(text: string): { node: Node; dispose(): void } | undefined;
  warn(message: string, node: Node): void;
}
