/**
 * Expressions → typed operands with closures. Calls (and statement expressions) cannot run
 * inside a closure, because a call may block the task; they are emitted as instructions that
 * leave their result in a temporary register, and the closure built around them reads it.
 * Short-circuit operators containing calls are lowered to jumps to keep C's evaluation rules.
 */
import type { Node } from 'web-tree-sitter';
import type { Frame } from '../frame';
import { Ins, OP_CALL, OP_EXPR, OP_JUMP, OP_JUMP_IF, OP_JUMP_IF_NOT, type CallSpec, type Cond, type Ev } from '../program';
import {
  Char, Int, Long, ULong, Void, VoidPtr, array, commonType, isInteger, isWide, promote, ptr, sizeOf, alignOf,
  type CType, type FuncType, type IntType, type StructType,
} from '../types';
import { convertInt, type Val } from '../values';
import type { CodeBuilder, LV, Operand, UnitServices } from './context';
import { typeDescriptor } from './declarations';
import { fail, CompileError } from './errors';
import { charLiteralValue, integerLiteral, stringLiteralBytes } from './literals';
import {
  arith, arithConst, compare, complement, condValue, convert, convertConst, frameStorer, loadAt, loadFrame, negate, rawLoader,
  storer, truthy, type ArithOp, type CmpOp,
} from './ops';

type N = (f: Frame) => number;

function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

const arithOps = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
const cmpOps = new Set(['==', '!=', '<', '>', '<=', '>=']);

export abstract class ExprCompiler {
  private readonly needsCodeMemo = new Map<number, boolean>();

  constructor(readonly u: UnitServices, readonly b: CodeBuilder) {}

  /** Statement expressions need the statement compiler. */
  protected abstract statementExpression(node: Node): Operand;

  // ---- helpers -------------------------------------------------------------------------

  emitIns(op: number, node: Node): Ins {
    const ins = new Ins(op, this.u.loc(node));
    this.b.emit(ins);
    return ins;
  }

  /** Does evaluating this node need emitted code (a call or statement expression inside)? */
  needsCode(node: Node): boolean {
    const memo = this.needsCodeMemo.get(node.id);
    if (memo !== undefined) return memo;
    let result = false;
    if (node.type === 'call_expression') result = true;
    else if (node.type === 'parenthesized_expression' && kids(node)[0]?.type === 'compound_statement') result = true;
    else if (node.type === 'compound_literal_expression') result = true;
    else if (node.type === 'sizeof_expression' || node.type === 'alignof_expression') result = false;
    else result = kids(node).some((c) => this.needsCode(c));
    this.needsCodeMemo.set(node.id, result);
    return result;
  }

  constInt(node: Node): number {
    this.b.dry++;
    try {
      const op = this.expr(node);
      if (op.cv === undefined) fail(`not a constant expression: ${node.text}`, node);
      return Number(op.cv);
    } finally {
      this.b.dry--;
    }
  }

  /** Type of an expression without evaluating it (sizeof, typeof). */
  typeOf(node: Node): CType {
    this.b.dry++;
    try {
      return this.expr(node).t;
    } finally {
      this.b.dry--;
    }
  }

  typeofType(index: number, node: Node): CType {
    const probe = this.u.parseTypeofProbe(this.u.typeofText(index));
    if (!probe) fail(`cannot parse typeof(${this.u.typeofText(index)})`, node);
    try {
      const sizeofNode = probe.node;
      const typeNode = sizeofNode.childForFieldName('type');
      if (typeNode) return typeDescriptor(this.u.types, typeNode);
      const value = sizeofNode.childForFieldName('value');
      if (!value) fail(`cannot parse typeof(${this.u.typeofText(index)})`, node);
      const asType = this.parenthesizedTypedef(value);
      return asType ?? this.typeOf(value);
    } catch (e) {
      if (e instanceof CompileError) throw new CompileError(e.message, node, e.kind);
      throw e;
    } finally {
      probe.dispose();
    }
  }

  /** `(name)` where name is a typedef: the grammar cannot tell it from an expression. */
  parenthesizedTypedef(node: Node): CType | undefined {
    let inner = node;
    while (inner.type === 'parenthesized_expression' && kids(inner).length === 1) inner = kids(inner)[0];
    if (inner.type !== 'identifier') return undefined;
    const lifted = /^__interp_typeof_(\d+)$/.exec(inner.text);
    if (lifted) return this.typeofType(Number(lifted[1]), inner);
    const sym = this.u.scope.lookup(inner.text);
    return sym?.kind === 'typedef' ? sym.type : undefined;
  }

  /** Array → pointer, function → pointer; drops lvalue-ness. */
  rvalue(op: Operand): Operand {
    if (op.t.k === 'array') return { t: ptr(op.t.of), ev: op.ev, cv: op.lv?.k === 'mem' ? op.lv.acv : undefined, pure: op.pure };
    if (op.t.k === 'func') return { t: ptr(op.t), ev: op.ev, pure: true };
    return { t: op.t, ev: op.ev, cv: op.cv, pure: op.pure };
  }

  value(node: Node): Operand {
    return this.rvalue(this.expr(node));
  }

  convertTo(op: Operand, to: CType, node: Node): Operand {
    const from = op.t;
    if (from.k === 'struct' || to.k === 'struct') {
      if (from === to || to.k === 'void') return op;
      fail(`cannot convert ${describe(from)} to ${describe(to)}`, node);
    }
    if (to.k === 'void') return { t: Void, ev: op.ev, pure: op.pure };
    if (from.k === 'void') fail('void value used where a value is expected', node);
    if (op.cv !== undefined) {
      const v = convertConst(from, to, op.cv);
      return { t: to, ev: () => v, cv: v, pure: true };
    }
    return { t: to, ev: convert(from, to, op.ev), pure: op.pure };
  }

  constant(t: CType, v: Val): Operand {
    return { t, ev: () => v, cv: v, pure: true };
  }

  address(op: Operand, node: Node): Ev {
    const lv = op.lv;
    if (!lv) {
      if (op.t.k === 'func' || op.t.k === 'array' || op.t.k === 'struct') return op.ev;
      fail('cannot take the address of an rvalue', node);
    }
    switch (lv.k) {
      case 'frame': {
        const off = lv.off;
        return (f) => f.base + off;
      }
      case 'mem':
        return lv.addr;
      case 'reg':
        return fail('internal: address of a register variable', node);
      case 'bits':
        return fail('cannot take the address of a bit-field', node);
    }
  }

  /** Reads an lvalue of type t. */
  read(lv: LV, t: CType): Ev {
    if (t.k === 'array' || t.k === 'struct' || t.k === 'func') {
      if (lv.k === 'frame') {
        const off = lv.off;
        return (f) => f.base + off;
      }
      if (lv.k === 'mem') return lv.addr;
    }
    switch (lv.k) {
      case 'reg': {
        const s = lv.slot;
        return (f) => f.r[s];
      }
      case 'frame':
        return loadFrame(t, lv.off);
      case 'mem':
        return loadAt(t, lv.addr);
      case 'bits': {
        const { addr, shift, width, unit } = lv;
        const ld = rawLoader({ ...unit, signed: false } as IntType);
        const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
        const signed = (t as IntType).signed && !(t as IntType).isBool;
        const a = addr as N;
        if (signed) return (f) => ((((ld(f, a(f)) as number) >>> shift) & mask) << (32 - width)) >> (32 - width);
        return (f) => (((ld(f, a(f)) as number) >>> shift) & mask) >>> 0;
      }
    }
  }

  /** Stores v (already converted to t) into lv; returns the stored value. */
  store(lv: LV, t: CType, v: Ev, node: Node): Ev {
    if (t.k === 'struct') {
      const size = t.size;
      const dst = this.address({ t, ev: v, lv }, node) as N;
      const src = v as N;
      return (f) => {
        const d = dst(f);
        f.m.copy(d, src(f), size);
        return d;
      };
    }
    if (t.k === 'array') fail('assignment to an array', node);
    switch (lv.k) {
      case 'reg': {
        const s = lv.slot;
        return (f) => (f.r[s] = v(f));
      }
      case 'frame': {
        const st = frameStorer(t, lv.off);
        return (f) => {
          const x = v(f);
          st(f, x);
          return x;
        };
      }
      case 'mem': {
        const st = storer(t);
        const a = lv.addr as N;
        return (f) => {
          const addr = a(f);
          const x = v(f);
          st(f, addr, x);
          return x;
        };
      }
      case 'bits': {
        const write = this.bitWriter(lv);
        const a = lv.addr as N;
        return (f) => {
          const addr = a(f);
          const x = v(f) as number;
          write(f, addr, x);
          return x;
        };
      }
    }
  }

  private bitWriter(lv: Extract<LV, { k: 'bits' }>): (f: Frame, a: number, v: number) => void {
    const { shift, width, unit } = lv;
    const u = { ...unit, signed: false } as IntType;
    const ld = rawLoader(u);
    const st = storer(u);
    const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
    return (f, a, v) => {
      const raw = ld(f, a) as number;
      const next = ((raw & ~((mask << shift) >>> 0)) | ((v & mask) << shift)) >>> 0;
      st(f, a, convertInt(next, unit.size, false));
    };
  }

  /** Read-modify-write of an lvalue, evaluating its address once. */
  modify(lv: LV, t: CType, compute: (old: Ev) => Ev, postfix: boolean): Ev {
    let cell: Val = 0;
    const old: Ev = () => cell;
    const next = compute(old);
    switch (lv.k) {
      case 'reg': {
        const s = lv.slot;
        return postfix
          ? (f) => {
              const o = (cell = f.r[s]);
              f.r[s] = next(f);
              return o;
            }
          : (f) => {
              cell = f.r[s];
              return (f.r[s] = next(f));
            };
      }
      case 'frame': {
        const ld = loadFrame(t, lv.off);
        const st = frameStorer(t, lv.off);
        return (f) => {
          const o = (cell = ld(f));
          const x = next(f);
          st(f, x);
          return postfix ? o : x;
        };
      }
      case 'mem': {
        const ld = rawLoader(t);
        const st = storer(t);
        const a = lv.addr as N;
        return (f) => {
          const addr = a(f);
          const o = (cell = ld(f, addr));
          const x = next(f);
          st(f, addr, x);
          return postfix ? o : x;
        };
      }
      case 'bits': {
        // The address is computed once per evaluation and shared by the read and the write.
        let bitAddr = 0;
        const read = this.read({ ...lv, addr: () => bitAddr }, t);
        const write = this.bitWriter(lv);
        const a = lv.addr as N;
        return (f) => {
          bitAddr = a(f);
          const o = (cell = read(f));
          const x = next(f) as number;
          write(f, bitAddr, x);
          return postfix ? o : x;
        };
      }
    }
  }

  // ---- expressions ----------------------------------------------------------------------

  expr(node: Node): Operand {
    switch (node.type) {
      case 'number_literal':
        return this.numberLiteral(node);
      case 'char_literal':
        return this.constant(Int, charLiteralValue(node.text));
      case 'string_literal':
      case 'concatenated_string':
        return this.stringLiteral(node);
      case 'true':
        return this.constant(Int, 1);
      case 'false':
        return this.constant(Int, 0);
      case 'null':
        return this.constant(VoidPtr, 0);
      case 'identifier':
        return this.identifier(node);
      case 'parenthesized_expression': {
        const inner = kids(node);
        if (inner[0]?.type === 'compound_statement') return this.statementExpression(inner[0]);
        if (inner.length !== 1) fail('unsupported parenthesized expression', node);
        return this.expr(inner[0]);
      }
      case 'binary_expression':
        return this.binary(node);
      case 'unary_expression':
        return this.unary(node);
      case 'pointer_expression':
        return this.pointer(node);
      case 'update_expression':
        return this.update(node);
      case 'assignment_expression':
        return this.assignment(node);
      case 'conditional_expression':
        return this.conditional(node);
      case 'comma_expression': {
        this.discard(node.childForFieldName('left')!);
        return this.expr(node.childForFieldName('right')!);
      }
      case 'call_expression':
        return this.call(node);
      case 'field_expression':
        return this.field(node);
      case 'subscript_expression':
        return this.subscript(node);
      case 'cast_expression':
        return this.cast(node);
      case 'sizeof_expression':
        return this.sizeofExpr(node);
      case 'alignof_expression': {
        const typeNode = node.childForFieldName('type');
        const t = typeNode ? typeDescriptor(this.u.types, typeNode) : this.typeOf(kids(node)[0]);
        return this.constant(ULong, alignOf(t));
      }
      case 'offsetof_expression': {
        const t = typeDescriptor(this.u.types, node.childForFieldName('type')!);
        const member = node.childForFieldName('member')!.text;
        if (t.k !== 'struct') fail('offsetof of a non-struct type', node);
        const fld = t.field(member);
        if (!fld) fail(`no member '${member}' in ${describe(t)}`, node);
        return this.constant(ULong, fld.offset);
      }
      case 'compound_literal_expression':
        return this.compoundLiteral(node);
      case 'extension_expression':
        return this.expr(kids(node)[0]);
      case 'gnu_asm_expression':
        return fail('inline assembly is not supported', node);
      case 'generic_expression':
        return fail('_Generic is not supported', node);
      case 'initializer_list':
        return fail('initializer list used as a value', node);
      case 'ERROR':
        return fail(`syntax error near '${node.text.slice(0, 40)}'`, node);
      default:
        return fail(`unsupported expression '${node.type}'`, node);
    }
  }

  /** Evaluates an expression for its side effects. */
  discard(node: Node): void {
    const op = this.expr(node);
    if (op.pure || op.cv !== undefined) return;
    this.emitIns(OP_EXPR, node).e = op.ev;
  }

  private numberLiteral(node: Node): Operand {
    const lit = integerLiteral(node.text);
    if (!lit) fail(`floating point is not supported (${node.text})`, node);
    return this.constant(lit.type, lit.value);
  }

  private stringLiteral(node: Node): Operand {
    const bytes: number[] = [];
    const parts = node.type === 'concatenated_string' ? kids(node) : [node];
    for (const part of parts) {
      if (part.type !== 'string_literal') fail(`unsupported string concatenation with '${part.text}'`, part);
      bytes.push(...stringLiteralBytes(part.text));
    }
    return this.stringBytes(bytes);
  }

  stringBytes(bytes: number[]): Operand {
    const slot = this.u.stringSlot(bytes);
    const addr: Ev = (f) => f.inst.addr[slot];
    return { t: array(Char, bytes.length + 1), ev: addr, lv: { k: 'mem', addr }, pure: true };
  }

  private identifier(node: Node): Operand {
    const name = node.text;
    if (name === '__func__' || name === '__FUNCTION__' || name === '__PRETTY_FUNCTION__') {
      return this.stringBytes([...Buffer.from(this.b.functionName, 'latin1')]);
    }
    const sym = this.u.scope.lookup(name);
    if (!sym) return fail(`not modeled: '${name}' is not declared`, node, 'not-modeled');
    switch (sym.kind) {
      case 'reg': {
        const lv: LV = { k: 'reg', slot: sym.slot };
        return { t: sym.type, ev: this.read(lv, sym.type), lv, pure: true };
      }
      case 'frame': {
        const lv: LV = { k: 'frame', off: sym.off };
        return { t: sym.type, ev: this.read(lv, sym.type), lv, pure: true };
      }
      case 'global': {
        const slot = sym.slot;
        const addr: Ev = sym.external
          ? (f) => {
              const a = f.inst.addr[slot];
              return a !== 0 ? a : f.inst.resolveData(slot);
            }
          : (f) => f.inst.addr[slot];
        const lv: LV = { k: 'mem', addr };
        return { t: sym.type, ev: this.read(lv, sym.type), lv, pure: true };
      }
      case 'function': {
        const slot = sym.slot;
        const addr: Ev = sym.external ? (f) => f.inst.addr[slot] || f.inst.resolveData(slot) : (f) => f.inst.addr[slot];
        return { t: sym.type, ev: addr, pure: true };
      }
      case 'const':
        return this.constant(sym.type, sym.value);
      case 'typedef':
        return fail(`type name '${name}' used as a value`, node);
    }
  }

  // ---- operators --------------------------------------------------------------------------

  private binary(node: Node): Operand {
    const op = node.childForFieldName('operator')!.text;
    const left = node.childForFieldName('left')!;
    const right = node.childForFieldName('right')!;
    if (op === '&&' || op === '||') {
      if (this.needsCode(right)) return this.lowerLogical(node, op);
      const c = this.cond(node);
      if (this.needsCode(left)) return { t: Int, ev: condValue(c) };
      const l = this.value(left);
      const r = this.value(right);
      if (l.cv !== undefined && r.cv !== undefined) {
        // eslint-disable-next-line eqeqeq
        const v = op === '&&' ? (l.cv != 0 && r.cv != 0 ? 1 : 0) : l.cv != 0 || r.cv != 0 ? 1 : 0;
        return this.constant(Int, v);
      }
      return { t: Int, ev: condValue(c), pure: l.pure && r.pure };
    }
    // `(type)-x`, `(type)*p`, `(type)&v`: a cast the grammar read as a binary operator.
    const castType = (op === '-' || op === '+' || op === '*' || op === '&') && left.type === 'parenthesized_expression' ? this.parenthesizedTypedef(left) : undefined;
    if (castType) {
      const operand = this.unaryOperand(op, right, node);
      return this.castOperand(castType, operand, node);
    }
    const l = this.value(left);
    const r = this.value(right);
    return this.binaryOp(op, l, r, node);
  }

  private unaryOperand(op: string, arg: Node, node: Node): Operand {
    if (op === '*') {
      const p = this.value(arg);
      if (p.t.k !== 'ptr') fail('cannot dereference a non-pointer', node);
      return this.rvalue(this.deref(p, p.t.to));
    }
    if (op === '&') {
      const a = this.expr(arg);
      if (a.t.k === 'func') return { t: ptr(a.t), ev: a.ev, pure: true };
      return { t: ptr(a.t), ev: this.address(a, arg), pure: a.pure };
    }
    const v = this.value(arg);
    if (!isInteger(v.t)) fail(`invalid operand to unary '${op}'`, node);
    const t = promote(v.t);
    const c = this.convertTo(v, t, node);
    if (op === '+') return c;
    if (c.cv !== undefined) return this.constant(t, negate(t, c.ev)(undefined as unknown as Frame));
    return { t, ev: negate(t, c.ev), pure: c.pure };
  }

  private castValue(t: CType, valueNode: Node, node: Node): Operand {
    if (valueNode.type === 'initializer_list') return this.compoundLiteralOf(t, valueNode, node);
    return this.castOperand(t, this.value(valueNode), node);
  }

  private castOperand(t: CType, v: Operand, node: Node): Operand {
    if (t.k === 'void') return { t: Void, ev: v.ev, pure: v.pure };
    if (t.k === 'struct') {
      if (v.t === t) return v;
      fail(`cast to ${describe(t)}`, node);
    }
    return this.convertTo(v, t, node);
  }

  binaryOp(op: string, l: Operand, r: Operand, node: Node): Operand {
    if (cmpOps.has(op)) {
      const c = this.compareOp(op as CmpOp, l, r, node);
      if (l.cv !== undefined && r.cv !== undefined) return this.constant(Int, c(undefined as unknown as Frame) ? 1 : 0);
      return { t: Int, ev: condValue(c), pure: l.pure && r.pure };
    }
    if (!arithOps.has(op)) fail(`unsupported operator '${op}'`, node);
    // Pointer arithmetic.
    if (l.t.k === 'ptr' || r.t.k === 'ptr') {
      if (op === '-' && l.t.k === 'ptr' && r.t.k === 'ptr') {
        const size = Math.max(1, sizeOf(l.t.to));
        const a = l.ev as N;
        const b = r.ev as N;
        if (l.cv !== undefined && r.cv !== undefined) return this.constant(Long, Math.trunc(((l.cv as number) - (r.cv as number)) / size));
        return { t: Long, ev: (f) => Math.trunc((a(f) - b(f)) / size) + 0, pure: l.pure && r.pure };
      }
      if (op === '+' || op === '-') {
        const [p, i] = l.t.k === 'ptr' ? [l, r] : [r, l];
        if (op === '-' && p !== l) fail('integer minus pointer', node);
        if (i.t.k !== 'int') fail('pointer arithmetic with a non-integer', node);
        return this.pointerAdd(p, i, op === '-' ? -1 : 1);
      }
      // Bit operations on pointers (e.g. alignment tricks): treat as unsigned long.
      return this.binaryOp(op, this.convertTo(l, ULong, node), this.convertTo(r, ULong, node), node);
    }
    if (!isInteger(l.t) || !isInteger(r.t)) fail(`invalid operands to '${op}' (${describe(l.t)}, ${describe(r.t)})`, node);
    const shift = op === '<<' || op === '>>';
    const t = shift ? promote(l.t) : commonType(l.t, r.t);
    const a = this.convertTo(l, t, node);
    const b = shift ? r : this.convertTo(r, t, node);
    if (a.cv !== undefined && b.cv !== undefined) {
      const v = arithConst(op as ArithOp, t, a.cv, b.cv);
      if (v !== undefined) return this.constant(t, v);
    }
    return { t, ev: arith(op as ArithOp, t, a.ev, b.ev), pure: a.pure && b.pure };
  }

  pointerAdd(p: Operand, i: Operand, sign: number): Operand {
    const t = p.t as { k: 'ptr'; to: CType };
    const size = Math.max(1, sizeOf(t.to)) * sign;
    const pe = p.ev as N;
    if (p.cv !== undefined && i.cv !== undefined) return this.constant(p.t, (p.cv as number) + Number(i.cv) * size);
    if (isWide(i.t)) {
      const ie = i.ev;
      return { t: p.t, ev: (f) => pe(f) + Number(ie(f)) * size, pure: p.pure && i.pure };
    }
    const ie = i.ev as N;
    if (i.cv !== undefined) {
      const delta = Number(i.cv) * size;
      return { t: p.t, ev: (f) => pe(f) + delta, pure: p.pure };
    }
    return { t: p.t, ev: size === 1 ? (f) => pe(f) + ie(f) : (f) => pe(f) + ie(f) * size, pure: p.pure && i.pure };
  }

  private compareOp(op: CmpOp, l: Operand, r: Operand, node: Node): Cond {
    if (l.t.k === 'ptr' || r.t.k === 'ptr') {
      const a = l.t.k === 'ptr' ? l : this.convertTo(l, VoidPtr, node);
      const b = r.t.k === 'ptr' ? r : this.convertTo(r, VoidPtr, node);
      return compare(op, false, a.ev, b.ev);
    }
    if (!isInteger(l.t) || !isInteger(r.t)) fail(`invalid comparison (${describe(l.t)}, ${describe(r.t)})`, node);
    const t = commonType(l.t, r.t);
    return compare(op, t.size === 8, this.convertTo(l, t, node).ev, this.convertTo(r, t, node).ev);
  }

  /** Condition closure for control flow; may emit code for calls in the condition. */
  cond(node: Node): Cond {
    if (node.type === 'parenthesized_expression' && kids(node).length === 1 && kids(node)[0].type !== 'compound_statement') {
      return this.cond(kids(node)[0]);
    }
    if (node.type === 'binary_expression') {
      const op = node.childForFieldName('operator')!.text;
      const left = node.childForFieldName('left')!;
      const right = node.childForFieldName('right')!;
      if ((op === '&&' || op === '||') && !this.needsCode(right)) {
        const a = this.cond(left);
        const b = this.cond(right);
        return op === '&&' ? (f) => a(f) && b(f) : (f) => a(f) || b(f);
      }
      if (cmpOps.has(op)) return this.compareOp(op as CmpOp, this.value(left), this.value(right), node);
    }
    if (node.type === 'unary_expression' && node.childForFieldName('operator')!.text === '!') {
      const c = this.cond(node.childForFieldName('argument')!);
      return (f) => !c(f);
    }
    const op = this.value(node);
    if (op.t.k === 'struct' || op.t.k === 'void') fail('used a non-scalar value as a condition', node);
    if (op.cv !== undefined) {
      const v = op.cv != 0; // eslint-disable-line eqeqeq
      return () => v;
    }
    return truthy(op.t, op.ev);
  }

  /** `a && f()` / `a || f()` in value context: jumps so f runs only when it must. */
  private lowerLogical(node: Node, op: string): Operand {
    const t = this.b.newTemp();
    const left = node.childForFieldName('left')!;
    const right = node.childForFieldName('right')!;
    const lc = this.cond(left);
    const shortValue = op === '&&' ? 0 : 1;
    const set = (v: number) => (f: Frame) => (f.r[t] = v);
    // t = shortValue; if (left decides) goto end; t = right != 0; end:
    this.emitIns(OP_EXPR, node).e = set(shortValue);
    const jump = this.emitIns(op === '&&' ? OP_JUMP_IF_NOT : OP_JUMP_IF, node);
    jump.c = lc;
    const rc = this.cond(right);
    this.emitIns(OP_EXPR, node).e = (f) => (f.r[t] = rc(f) ? 1 : 0);
    jump.t = this.b.here();
    return { t: Int, ev: (f) => f.r[t], pure: true };
  }

  private unary(node: Node): Operand {
    const op = node.childForFieldName('operator')!.text;
    const arg = node.childForFieldName('argument')!;
    if (op === '!') {
      const a = this.value(arg);
      if (a.cv !== undefined) return this.constant(Int, a.cv == 0 ? 1 : 0); // eslint-disable-line eqeqeq
      if (a.t.k !== 'int' && a.t.k !== 'ptr') fail(`invalid operand to '!'`, node);
      const c = truthy(a.t, a.ev);
      return { t: Int, ev: (f) => (c(f) ? 0 : 1), pure: a.pure };
    }
    const a = this.value(arg);
    if (!isInteger(a.t)) fail(`invalid operand to unary '${op}'`, node);
    const t = promote(a.t);
    const v = this.convertTo(a, t, node);
    if (op === '+') return v;
    if (v.cv !== undefined) {
      const r = (op === '-' ? negate(t, v.ev) : complement(t, v.ev))(undefined as unknown as Frame);
      return this.constant(t, r);
    }
    if (op === '-') return { t, ev: negate(t, v.ev), pure: v.pure };
    if (op === '~') return { t, ev: complement(t, v.ev), pure: v.pure };
    return fail(`unsupported unary operator '${op}'`, node);
  }

  private pointer(node: Node): Operand {
    const op = node.childForFieldName('operator')!.text;
    const arg = node.childForFieldName('argument')!;
    if (op === '&') {
      const a = this.expr(arg);
      if (a.t.k === 'func') return { t: ptr(a.t), ev: a.ev, pure: true };
      const addr = this.address(a, arg);
      const acv = a.lv?.k === 'mem' ? a.lv.acv : undefined;
      return acv !== undefined ? { t: ptr(a.t), ev: addr, cv: acv, pure: true } : { t: ptr(a.t), ev: addr, pure: a.pure };
    }
    const p = this.value(arg);
    if (p.t.k !== 'ptr') fail(`cannot dereference a non-pointer (${describe(p.t)})`, node);
    if (p.t.to.k === 'func') return { t: p.t.to, ev: p.ev, pure: p.pure };
    return this.deref(p, p.t.to);
  }

  /** The object a pointer operand points to. */
  deref(p: Operand, t: CType): Operand {
    if (t.k === 'void') fail('dereferencing a void pointer', undefined);
    const lv: LV = p.cv !== undefined ? { k: 'mem', addr: p.ev, acv: p.cv as number } : { k: 'mem', addr: p.ev };
    return { t, ev: this.read(lv, t), lv, pure: p.pure };
  }

  private update(node: Node): Operand {
    const op = node.childForFieldName('operator')!.text;
    const arg = node.childForFieldName('argument')!;
    const postfix = node.child(0)?.type !== op;
    const a = this.expr(arg);
    if (!a.lv) fail(`operand of '${op}' is not assignable`, node);
    const t = a.t;
    if (t.k === 'ptr') {
      const delta = Math.max(1, sizeOf(t.to)) * (op === '++' ? 1 : -1);
      return { t, ev: this.modify(a.lv, t, (old) => (f) => (old(f) as number) + delta, postfix) };
    }
    if (!isInteger(t)) fail(`invalid operand to '${op}'`, node);
    if (a.lv.k === 'reg' && t.size === 4) {
      const s = a.lv.slot;
      const d = op === '++' ? 1 : -1;
      if (t.signed) return { t, ev: postfix ? (f) => { const o = f.r[s] as number; f.r[s] = (o + d) | 0; return o; } : (f) => (f.r[s] = ((f.r[s] as number) + d) | 0) };
      return { t, ev: postfix ? (f) => { const o = f.r[s] as number; f.r[s] = (o + d) >>> 0; return o; } : (f) => (f.r[s] = ((f.r[s] as number) + d) >>> 0) };
    }
    const pt = promote(t);
    const one = this.constant(pt, 1);
    const compute = (old: Ev): Ev => convert(pt, t, arith(op === '++' ? '+' : '-', pt, convert(t, pt, old), one.ev));
    return { t, ev: this.modify(a.lv, t, compute, postfix) };
  }

  private assignment(node: Node): Operand {
    const opText = node.childForFieldName('operator')!.text;
    const left = node.childForFieldName('left')!;
    const right = node.childForFieldName('right')!;
    const target = this.expr(left);
    if (!target.lv) fail('left side of assignment is not assignable', left);
    const t = target.t;
    if (opText === '=') {
      const v = this.assignable(this.value(right), t, right);
      return { t, ev: this.store(target.lv, t, v.ev, node) };
    }
    const op = opText.slice(0, -1);
    const r = this.value(right);
    const compute = (old: Ev): Ev => {
      const cur: Operand = { t, ev: old };
      const res = this.binaryOp(op, this.rvalue(cur), r, node);
      return this.convertTo(res, t, node).ev;
    };
    return { t, ev: this.modify(target.lv, t, compute, false) };
  }

  /** Conversion as by assignment to type t. */
  assignable(v: Operand, t: CType, node: Node): Operand {
    if (t.k === 'struct') {
      if (v.t !== t) fail(`assigning ${describe(v.t)} to ${describe(t)}`, node);
      return v;
    }
    return this.convertTo(v, t, node);
  }

  private conditional(node: Node): Operand {
    const condNode = node.childForFieldName('condition')!;
    const consNode = node.childForFieldName('consequence');
    const altNode = node.childForFieldName('alternative')!;
    if ((consNode && this.needsCode(consNode)) || this.needsCode(altNode) || (!consNode && this.needsCode(condNode))) return this.lowerConditional(node, condNode, consNode, altNode);
    const c = this.cond(condNode);
    const condOp = consNode ? undefined : this.value(condNode);
    const x = consNode ? this.value(consNode) : condOp!;
    const y = this.value(altNode);
    const t = this.resultType(x, y, node);
    const a = t.k === 'void' ? x : this.convertTo(x, t, node);
    const bb = t.k === 'void' ? y : this.convertTo(y, t, node);
    const cv = this.constCond(condNode);
    if (cv !== undefined) return cv ? a : bb;
    const ae = a.ev;
    const be = bb.ev;
    return { t, ev: (f) => (c(f) ? ae(f) : be(f)), pure: a.pure && bb.pure };
  }

  private constCond(node: Node): boolean | undefined {
    if (this.needsCode(node)) return undefined;
    this.b.dry++;
    try {
      const v = this.value(node).cv;
      return v === undefined ? undefined : v != 0; // eslint-disable-line eqeqeq
    } catch {
      return undefined;
    } finally {
      this.b.dry--;
    }
  }

  resultType(x: Operand, y: Operand, node: Node): CType {
    if (x.t.k === 'void' || y.t.k === 'void') return Void;
    if (isInteger(x.t) && isInteger(y.t)) return commonType(x.t, y.t);
    if (x.t.k === 'ptr' && y.t.k === 'ptr') return x.t.to.k === 'void' ? y.t : x.t;
    if (x.t.k === 'ptr' && isInteger(y.t)) return x.t;
    if (y.t.k === 'ptr' && isInteger(x.t)) return y.t;
    if (x.t.k === 'struct' && x.t === y.t) return x.t;
    return fail(`incompatible operands of '?:' (${describe(x.t)}, ${describe(y.t)})`, node);
  }

  private lowerConditional(node: Node, condNode: Node, consNode: Node | null, altNode: Node): Operand {
    const tmp = this.b.newTemp();
    let t: CType = Void;
    if (!consNode) {
      // GNU `a ?: b`.
      const a = this.value(condNode);
      this.emitIns(OP_EXPR, node).e = ((e) => (f: Frame) => (f.r[tmp] = e(f)))(a.ev);
      const jump = this.emitIns(OP_JUMP_IF, node);
      jump.c = truthy(a.t, (f) => f.r[tmp]);
      const y = this.value(altNode);
      t = this.resultType(a, y, node);
      const yv = t.k === 'void' ? y : this.convertTo(y, t, node);
      this.emitIns(OP_EXPR, node).e = (f) => (f.r[tmp] = yv.ev(f));
      jump.t = this.b.here();
      return { t, ev: (f) => f.r[tmp], pure: true };
    }
    const c = this.cond(condNode);
    const jf = this.emitIns(OP_JUMP_IF_NOT, node);
    jf.c = c;
    // Types are known only after both branches are compiled; conversions are patched in.
    const x = this.value(consNode);
    const setX = this.emitIns(OP_EXPR, node);
    const jend = this.emitIns(OP_JUMP, node);
    jf.t = this.b.here();
    const y = this.value(altNode);
    const setY = this.emitIns(OP_EXPR, node);
    jend.t = this.b.here();
    t = this.resultType(x, y, node);
    const xv = t.k === 'void' ? x : this.convertTo(x, t, node);
    const yv = t.k === 'void' ? y : this.convertTo(y, t, node);
    setX.e = (f) => (f.r[tmp] = xv.ev(f));
    setY.e = (f) => (f.r[tmp] = yv.ev(f));
    return { t, ev: (f) => f.r[tmp], pure: true };
  }

  // ---- calls ---------------------------------------------------------------------------------

  private call(node: Node): Operand {
    const fnNode = node.childForFieldName('function')!;
    const argNodes = kids(node.childForFieldName('arguments')!);
    let fnType: FuncType;
    let slot = -1;
    let name = '';
    let callee: Ev | null = null;
    // `(type)(x)`: the grammar cannot tell a cast from a call when the type is a typedef name.
    const castType = fnNode.type === 'parenthesized_expression' ? this.parenthesizedTypedef(fnNode) : undefined;
    if (castType && argNodes.length === 1) return this.castValue(castType, argNodes[0], node);
    const plainName = fnNode.type === 'identifier' ? fnNode.text : undefined;
    if (plainName === '__builtin_return_address' || plainName === '__builtin_frame_address') return this.constant(VoidPtr, 0);
    if (plainName === '__builtin_unreachable' || plainName === '__builtin_trap') {
      const p = this.u.scope.lookup('__interp_bug');
      if (p?.kind !== 'function') fail('BUG() unavailable', node);
      return this.emitCall(node, p.type, p.slot, '__interp_bug', null, []);
    }
    const sym = plainName !== undefined ? this.u.scope.lookup(plainName) ?? (plainName.startsWith('__builtin_') ? this.u.scope.lookup(plainName.slice(10)) : undefined) : undefined;
    if (plainName !== undefined && !sym) {
      const implicit = this.u.implicitFunction(plainName, fnNode);
      if (implicit.kind !== 'function') fail('internal: implicit declaration', node);
      fnType = implicit.type;
      slot = implicit.slot;
      name = plainName;
    } else if (sym?.kind === 'function') {
      fnType = sym.type;
      slot = sym.slot;
      name = sym.name;
    } else {
      const f = this.value(fnNode);
      if (f.t.k !== 'ptr' || f.t.to.k !== 'func') fail(`called object is not a function (${describe(f.t)})`, fnNode);
      fnType = f.t.to;
      callee = f.ev;
    }
    const args: Ev[] = [];
    const params = fnType.params;
    if (params && argNodes.length < params.length) fail(`too few arguments to '${name || fnNode.text}'`, node);
    if (params && argNodes.length > params.length && !fnType.variadic) fail(`too many arguments to '${name || fnNode.text}'`, node);
    argNodes.forEach((argNode, i) => {
      const a = this.value(argNode);
      if (params && i < params.length) args.push(this.assignable(a, params[i], argNode).ev);
      else if (isInteger(a.t) && a.t.size < 4) args.push(this.convertTo(a, Int, argNode).ev);
      else args.push(a.ev);
    });
    return this.emitCall(node, fnType, slot, name, callee, args);
  }

  emitCall(node: Node, fnType: FuncType, slot: number, name: string, callee: Ev | null, args: Ev[]): Operand {
    const ret = fnType.ret;
    const dest = ret.k === 'void' || this.b.dry ? -1 : this.b.newTemp();
    let retSize = 0;
    let retOff = -1;
    if (ret.k === 'struct' && !this.b.dry) {
      retSize = ret.size;
      retOff = this.b.allocFrame(ret.size, ret.align);
    }
    const spec: CallSpec = { slot, name, callee, args, dest, retSize, retOff };
    this.emitIns(OP_CALL, node).call = spec;
    if (ret.k === 'void') return { t: Void, ev: () => 0, pure: true };
    if (ret.k === 'struct') {
      const off = retOff;
      return { t: ret, ev: (f) => f.base + off, lv: { k: 'frame', off }, pure: true };
    }
    return { t: ret, ev: (f) => f.r[dest], pure: true };
  }

  // ---- members, subscripts, casts ------------------------------------------------------------

  private field(node: Node): Operand {
    const argNode = node.childForFieldName('argument')!;
    const opText = node.childForFieldName('operator')!.text;
    const name = node.childForFieldName('field')!.text;
    let base: Operand;
    let st: CType;
    if (opText === '->') {
      const p = this.value(argNode);
      if (p.t.k !== 'ptr') fail(`'->' on a non-pointer (${describe(p.t)})`, node);
      st = p.t.to;
      if (st.k !== 'struct') fail(`'->${name}' on a pointer to ${describe(st)}`, node);
      base = this.deref(p, st);
    } else {
      base = this.expr(argNode);
      st = base.t;
      if (st.k !== 'struct') fail(`'.${name}' on a non-struct (${describe(st)})`, node);
    }
    const s = st as StructType;
    if (!s.complete) fail(`not modeled: ${describe(s)} is not defined (member '${name}')`, node, 'not-modeled');
    const fld = s.field(name);
    if (!fld) fail(`no member named '${name}' in ${describe(s)}`, node);
    const baseAddr = base.lv ? this.address(base, argNode) : base.ev;
    const off = fld.offset;
    const baseAcv = base.lv?.k === 'mem' ? base.lv.acv : undefined;
    let lv: LV;
    if (base.lv?.k === 'frame') lv = { k: 'frame', off: base.lv.off + off };
    else {
      const ba = baseAddr as N;
      const addr: Ev = off === 0 ? baseAddr : (f) => ba(f) + off;
      lv = baseAcv !== undefined ? { k: 'mem', addr, acv: baseAcv + off } : { k: 'mem', addr };
    }
    if (fld.bits) {
      if (fld.type.k !== 'int' || fld.type.size > 4) fail('bit-fields wider than 32 bits are not supported', node);
      const addr = lv.k === 'frame' ? ((o) => (f: Frame) => f.base + o)(lv.off) : lv.addr;
      lv = { k: 'bits', addr, shift: fld.bits.shift, width: fld.bits.width, unit: fld.type };
    }
    return { t: fld.type, ev: this.read(lv, fld.type), lv, pure: base.pure };
  }

  private subscript(node: Node): Operand {
    const a = this.value(node.childForFieldName('argument')!);
    const i = this.value(node.childForFieldName('index')!);
    const [p, idx] = a.t.k === 'ptr' ? [a, i] : [i, a];
    if (p.t.k !== 'ptr' || !isInteger(idx.t)) fail('subscript of a non-array', node);
    return this.deref(this.pointerAdd(p, idx, 1), p.t.to);
  }

  private cast(node: Node): Operand {
    const typeNode = node.childForFieldName('type')!;
    const valueNode = node.childForFieldName('value')!;
    const reinterpreted = this.castThatIsBinary(typeNode, valueNode, node);
    if (reinterpreted) return reinterpreted;
    return this.castValue(typeDescriptor(this.u.types, typeNode), valueNode, node);
  }

  /** `(x) - 1` parsed as a cast of `-1` to type `x`, where x is a variable. */
  private castThatIsBinary(typeNode: Node, valueNode: Node, node: Node): Operand | undefined {
    const parts = kids(typeNode);
    if (parts.length !== 1 || parts[0].type !== 'type_identifier') return undefined;
    const sym = this.u.scope.lookup(parts[0].text);
    if (!sym || sym.kind === 'typedef' || /^__interp_typeof_/.test(parts[0].text)) return undefined;
    const left: Operand = this.identifierOperand(parts[0].text, parts[0]);
    if (valueNode.type === 'unary_expression' || valueNode.type === 'pointer_expression') {
      const op = valueNode.childForFieldName('operator')!.text;
      const right = this.value(valueNode.childForFieldName('argument')!);
      return this.binaryOp(op, this.rvalue(left), right, node);
    }
    return undefined;
  }

  private identifierOperand(name: string, node: Node): Operand {
    const fake = { type: 'identifier', text: name } as unknown as Node;
    try {
      return this.identifier(fake);
    } catch (e) {
      if (e instanceof CompileError) throw new CompileError(e.message, node, e.kind);
      throw e;
    }
  }

  private sizeofExpr(node: Node): Operand {
    const typeNode = node.childForFieldName('type');
    let t: CType;
    if (typeNode) t = typeDescriptor(this.u.types, typeNode);
    else {
      const value = node.childForFieldName('value')!;
      t = this.parenthesizedTypedef(value) ?? this.typeOf(value);
    }
    if (t.k === 'struct' && !t.complete) fail(`sizeof of incomplete ${describe(t)}`, node);
    return this.constant(ULong, sizeOf(t));
  }

  private compoundLiteral(node: Node): Operand {
    const t = typeDescriptor(this.u.types, node.childForFieldName('type')!);
    return this.compoundLiteralOf(t, node.childForFieldName('value')!, node);
  }

  /** Implemented by the body compiler (needs initializers and frame memory). */
  protected abstract compoundLiteralOf(t: CType, list: Node, node: Node): Operand;
}

export function describe(t: CType): string {
  switch (t.k) {
    case 'struct':
      return `${t.isUnion ? 'union' : 'struct'} ${t.tag ?? '<anonymous>'}`;
    case 'ptr':
      return `${describe(t.to)} *`;
    case 'array':
      return `${describe(t.of)}[${t.length ?? ''}]`;
    case 'func':
      return 'function';
    case 'int':
      return t.name;
    case 'void':
      return 'void';
  }
}

