/**
 * Function bodies → flat instruction arrays. Locals live in registers unless their address is
 * taken (or they are arrays/structs), in which case they get frame memory; loops put their test
 * at the bottom so each iteration costs one jump.
 */
import type { Node } from 'web-tree-sitter';
import type { Frame } from '../frame';
import {
  Ins, OP_EXPR, OP_FAULT, OP_JUMP, OP_JUMP_IF, OP_JUMP_IF_NOT, OP_RETURN, OP_SWITCH, type CompiledFunction, type Ev, type SwitchSpec,
} from '../program';
import { Int, align2, isInteger, promote, sizeOf, type CType, type FuncType } from '../types';
import type { Val } from '../values';
import type { CodeBuilder, Operand, UnitServices } from './context';
import { declarator, specifiers, typeFromSpecifier } from './declarations';
import { CompileError, fail } from './errors';
import { ExprCompiler, describe } from './expressions';
import { initApplier } from './initApply';
import { InitializerCompiler } from './initializers';
import { convertConst, frameStorer } from './ops';
import { Scope } from './scope';

function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

export class FunctionBuilder implements CodeBuilder {
  readonly inFunction = true;
  readonly code: Ins[] = [];
  dry = 0;
  nregs = 0;
  frameSize = 0;
  constructor(readonly functionName: string) {}
  emit(ins: Ins): void {
    if (this.dry === 0) this.code.push(ins);
  }
  here(): number {
    return this.code.length;
  }
  newTemp(): number {
    return this.nregs++;
  }
  allocFrame(size: number, align: number): number {
    const off = align2(this.frameSize, Math.max(1, align));
    this.frameSize = off + Math.max(size, 0);
    return off;
  }
}

/** Static initializers: there is no code to emit, only constant closures. */
export class StaticBuilder implements CodeBuilder {
  readonly inFunction = false;
  dry = 0;
  constructor(readonly functionName: string) {}
  emit(): void {
    if (this.dry === 0) fail('initializer element is not a compile-time constant');
  }
  here(): number {
    return 0;
  }
  newTemp(): number {
    if (this.dry > 0) return 0;
    return fail('initializer element is not a compile-time constant');
  }
  allocFrame(): number {
    return fail('initializer element is not a compile-time constant');
  }
}

/** Names whose address is taken somewhere in a body (`&x`, `&x.f`, `&x[i]`). */
function addressTakenNames(body: Node, out: Set<string>): void {
  const stack: Node[] = [body];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'pointer_expression' && n.childForFieldName('operator')?.text === '&') {
      let a: Node | null = n.childForFieldName('argument');
      while (a) {
        if (a.type === 'identifier') {
          out.add(a.text);
          break;
        }
        if (a.type === 'parenthesized_expression') a = kids(a)[0] ?? null;
        else if (a.type === 'field_expression' && a.childForFieldName('operator')?.text === '.') a = a.childForFieldName('argument');
        else if (a.type === 'subscript_expression') a = a.childForFieldName('argument');
        else break;
      }
    }
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
}

interface LoopContext {
  breaks: Ins[];
  continues: Ins[] | null;
}

export class BodyCompiler extends ExprCompiler {
  private readonly fb: FunctionBuilder;
  private readonly addressTaken = new Set<string>();
  private readonly breakables: LoopContext[] = [];
  private readonly switches: { sw: SwitchSpec; type: CType; hasDefault: boolean }[] = [];
  private readonly labels = new Map<string, number>();
  private readonly gotos: { ins: Ins; label: string; node: Node }[] = [];
  private returnType: CType = { k: 'void' };

  constructor(u: UnitServices, functionName: string) {
    const fb = new FunctionBuilder(functionName);
    super(u, fb);
    this.fb = fb;
  }

  /** Compiles a function definition; the caller catches CompileError. */
  compile(
    def: Node,
    name: string,
    type: FuncType,
    params: { name: string | undefined; type: CType; node: Node }[],
    file: string,
    slot: number,
    isStatic: boolean,
  ): CompiledFunction {
    const body = def.childForFieldName('body')!;
    addressTakenNames(body, this.addressTaken);
    this.returnType = type.ret;
    const outer = this.u.scope;
    this.u.scope = new Scope(outer);
    try {
      // Parameters take registers 0..n-1; those needing memory are copied there on entry.
      const regParams: number[] = [];
      const memParams: { index: number; store: (f: Frame, v: Val) => void }[] = [];
      params.forEach((p, i) => {
        const slotIndex = this.fb.newTemp();
        regParams.push(slotIndex);
        if (p.name === undefined) return;
        if (p.type.k === 'struct' || this.addressTaken.has(p.name)) {
          const size = sizeOf(p.type);
          const off = this.fb.allocFrame(size, p.type.k === 'struct' ? p.type.align : 8);
          if (p.type.k === 'struct') memParams.push({ index: i, store: (f, v) => f.m.copy(f.base + off, v as number, size) });
          else {
            const st = frameStorer(p.type, off);
            memParams.push({ index: i, store: st });
          }
          this.u.scope.define(p.name, { kind: 'frame', type: p.type, off });
        } else this.u.scope.define(p.name, { kind: 'reg', type: p.type, slot: slotIndex });
      });
      this.block(body, false);
      this.emitIns(OP_RETURN, body);
      for (const g of this.gotos) {
        const target = this.labels.get(g.label);
        if (target === undefined) fail(`label '${g.label}' used but not defined`, g.node);
        g.ins.t = target;
      }
      const n = params.length;
      const enter = (f: Frame, args: Val[]): void => {
        const r = f.r;
        for (let i = 0; i < n; i++) r[i] = args[i] ?? 0;
        for (let k = 0; k < memParams.length; k++) memParams[k].store(f, args[memParams[k].index] ?? 0);
      };
      const code = this.fb.code;
      return {
        name, file, loc: this.u.loc(def), slot, isStatic, type, code, nregs: this.fb.nregs, frameSize: this.fb.frameSize, enter,
        codeSize: align2(Math.max(16, code.length * 8), 16),
      };
    } finally {
      this.u.scope = outer;
    }
  }

  // ---- statements ----------------------------------------------------------------------

  private block(node: Node, newScope = true): void {
    const outer = this.u.scope;
    if (newScope) this.u.scope = new Scope(outer);
    try {
      for (const s of kids(node)) this.statement(s);
    } finally {
      this.u.scope = outer;
    }
  }

  statement(node: Node): void {
    switch (node.type) {
      case 'compound_statement':
        return this.block(node);
      case 'declaration':
        return this.declaration(node);
      case 'type_definition':
        return this.typedef(node);
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        typeFromSpecifier(this.u.types, node); // defines the tag (and enum constants)
        return;
      case 'expression_statement': {
        const e = kids(node)[0];
        if (e) this.discard(e);
        return;
      }
      case 'if_statement':
        return this.ifStatement(node);
      case 'while_statement':
        return this.whileStatement(node);
      case 'do_statement':
        return this.doStatement(node);
      case 'for_statement':
        return this.forStatement(node);
      case 'switch_statement':
        return this.switchStatement(node);
      case 'case_statement':
        return this.caseStatement(node);
      case 'break_statement': {
        const ctx = this.breakables[this.breakables.length - 1];
        if (!ctx) fail('break outside a loop or switch', node);
        ctx.breaks.push(this.emitIns(OP_JUMP, node));
        return;
      }
      case 'continue_statement': {
        const ctx = [...this.breakables].reverse().find((c) => c.continues !== null);
        if (!ctx) fail('continue outside a loop', node);
        ctx.continues!.push(this.emitIns(OP_JUMP, node));
        return;
      }
      case 'return_statement':
        return this.returnStatement(node);
      case 'goto_statement': {
        const label = node.childForFieldName('label')!.text;
        this.gotos.push({ ins: this.emitIns(OP_JUMP, node), label, node });
        return;
      }
      case 'labeled_statement': {
        const label = node.childForFieldName('label')!.text;
        if (this.labels.has(label)) fail(`duplicate label '${label}'`, node);
        this.labels.set(label, this.b.here());
        for (const s of kids(node)) if (s.type !== 'statement_identifier') this.statement(s);
        return;
      }
      case 'attributed_statement':
        for (const s of kids(node)) if (s.type !== 'attribute_declaration') this.statement(s);
        return;
      case 'gnu_asm_expression':
        return fail('inline assembly is not supported', node);
      case 'ERROR':
        return fail(`syntax error near '${node.text.slice(0, 60)}'`, node);
      default:
        return fail(`unsupported statement '${node.type}'`, node);
    }
  }

  private typedef(node: Node): void {
    const spec = specifiers(this.u.types, node);
    for (const d of node.childrenForFieldName('declarator')) {
      if (!d) continue;
      const r = declarator(this.u.types, d, spec.type);
      if (r.name) this.u.scope.define(r.name, { kind: 'typedef', type: r.type });
    }
  }

  private declaration(node: Node): void {
    const spec = specifiers(this.u.types, node);
    const declarators = node.childrenForFieldName('declarator').filter((d): d is Node => d !== null);
    for (const d of declarators) {
      const init = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      const r = declarator(this.u.types, d, spec.type);
      if (!r.name) continue;
      if (r.type.k === 'func' || spec.storage.has('extern')) {
        this.u.scope.define(r.name, this.u.externSymbol(r.name, r.type, d));
        continue;
      }
      if (spec.storage.has('static')) {
        this.u.scope.define(r.name, this.u.staticLocal(r.name, r.type, spec.isConst, d, init));
        continue;
      }
      this.local(r.name, r.type, init, d);
    }
  }

  private local(name: string, declared: CType, init: Node | null, node: Node): void {
    const aggregate = declared.k === 'array' || declared.k === 'struct';
    if (declared.k === 'struct' && !declared.complete) fail(`variable '${name}' has incomplete type ${describe(declared)}`, node);
    if (aggregate || this.addressTaken.has(name)) {
      // The name is in scope in its own initializer (`p = kmalloc(sizeof(*p), ...)`), except
      // for arrays whose length the initializer decides.
      let t = declared;
      let off = -1;
      const place = (type: CType) => {
        const size = sizeOf(type);
        off = this.fb.allocFrame(size, type.k === 'struct' ? type.align : type.k === 'array' ? 8 : Math.min(8, size));
        this.u.scope.define(name, { kind: 'frame', type, off });
      };
      const sized = !(t.k === 'array' && t.length === undefined);
      if (sized) place(t);
      if (init && (aggregate || init.type === 'initializer_list')) {
        const steps = new InitializerCompiler(this);
        t = steps.top(t, init);
        if (!sized) place(t);
        const size = sizeOf(t);
        const apply = initApplier(steps.steps, size, true);
        const at = off;
        this.emitIns(OP_EXPR, node).e = (f) => {
          apply(f, f.base + at);
          return 0;
        };
      } else if (init) {
        const v = this.assignable(this.value(init), t, init);
        const st = frameStorer(t, off);
        const ev = v.ev;
        this.emitIns(OP_EXPR, node).e = (f) => {
          const x = ev(f);
          st(f, x);
          return x;
        };
      }
      if (t.k === 'array' && t.length === undefined) fail(`array '${name}' has no size`, node);
      return;
    }
    const slot = this.fb.newTemp();
    this.u.scope.define(name, { kind: 'reg', type: declared, slot });
    if (init) {
      const valueNode = init.type === 'initializer_list' ? kids(init)[0] : init;
      if (valueNode) {
        const v = this.assignable(this.value(valueNode), declared, valueNode);
        const ev = v.ev;
        this.emitIns(OP_EXPR, node).e = (f) => (f.r[slot] = ev(f));
      } else this.emitIns(OP_EXPR, node).e = (f) => (f.r[slot] = 0);
    }
  }

  /** Emits jumps to `target` when the condition has the given truth value. */
  private branch(node: Node, when: boolean): Ins[] {
    if (node.type === 'parenthesized_expression' && kids(node).length === 1 && kids(node)[0].type !== 'compound_statement') {
      return this.branch(kids(node)[0], when);
    }
    if (node.type === 'binary_expression') {
      const op = node.childForFieldName('operator')!.text;
      if ((op === '&&' || op === '||') && this.needsCode(node.childForFieldName('right')!)) {
        const left = node.childForFieldName('left')!;
        const right = node.childForFieldName('right')!;
        // (a && b) jumps when false if either is false; when true only if both are.
        const shortCircuitsTo = op === '&&' ? false : true;
        if (when === shortCircuitsTo) return [...this.branch(left, when), ...this.branch(right, when)];
        const skip = this.branch(left, !when);
        const jumps = this.branch(right, when);
        const here = this.b.here();
        for (const s of skip) s.t = here;
        return jumps;
      }
    }
    if (node.type === 'unary_expression' && node.childForFieldName('operator')!.text === '!') {
      return this.branch(node.childForFieldName('argument')!, !when);
    }
    const c = this.cond(node);
    const ins = this.emitIns(when ? OP_JUMP_IF : OP_JUMP_IF_NOT, node);
    ins.c = c;
    return [ins];
  }

  private patch(jumps: Ins[], target: number): void {
    for (const j of jumps) j.t = target;
  }

  private ifStatement(node: Node): void {
    const condition = node.childForFieldName('condition')!;
    const consequence = node.childForFieldName('consequence')!;
    const alternative = node.childForFieldName('alternative');
    const toElse = this.branch(condition, false);
    this.statement(consequence);
    if (alternative) {
      const toEnd = this.emitIns(OP_JUMP, node);
      this.patch(toElse, this.b.here());
      for (const s of kids(alternative)) this.statement(s);
      toEnd.t = this.b.here();
    } else this.patch(toElse, this.b.here());
  }

  private loop(node: Node, body: Node, condition: Node | null, update: Node | null, testFirst: boolean): void {
    const ctx: LoopContext = { breaks: [], continues: [] };
    const toTest = testFirst ? this.emitIns(OP_JUMP, node) : undefined;
    const top = this.b.here();
    this.breakables.push(ctx);
    try {
      this.statement(body);
    } finally {
      this.breakables.pop();
    }
    const continueTarget = this.b.here();
    if (update) this.discard(update);
    if (toTest) toTest.t = this.b.here();
    if (condition) this.patch(this.branch(condition, true), top);
    else this.emitIns(OP_JUMP, node).t = top;
    this.patch(ctx.continues!, continueTarget);
    this.patch(ctx.breaks, this.b.here());
  }

  private whileStatement(node: Node): void {
    this.loop(node, node.childForFieldName('body')!, node.childForFieldName('condition')!, null, true);
  }

  private doStatement(node: Node): void {
    this.loop(node, node.childForFieldName('body')!, node.childForFieldName('condition')!, null, false);
  }

  private forStatement(node: Node): void {
    const outer = this.u.scope;
    this.u.scope = new Scope(outer);
    try {
      const init = node.childForFieldName('initializer');
      if (init) {
        if (init.type === 'declaration') this.declaration(init);
        else this.discard(init);
      }
      const update = node.childForFieldName('update');
      this.loop(node, node.childForFieldName('body')!, node.childForFieldName('condition'), update, true);
    } finally {
      this.u.scope = outer;
    }
  }

  private switchStatement(node: Node): void {
    const v = this.value(node.childForFieldName('condition')!);
    if (!isInteger(v.t)) fail('switch on a non-integer', node);
    const type = promote(v.t);
    const value = this.convertTo(v, type, node);
    const sw: SwitchSpec = { value: value.ev, cases: new Map(), defaultTarget: -1 };
    this.emitIns(OP_SWITCH, node).sw = sw;
    const ctx: LoopContext = { breaks: [], continues: null };
    this.breakables.push(ctx);
    this.switches.push({ sw, type, hasDefault: false });
    try {
      this.statement(node.childForFieldName('body')!);
    } finally {
      this.breakables.pop();
      this.switches.pop();
    }
    const end = this.b.here();
    if (sw.defaultTarget < 0) sw.defaultTarget = end;
    this.patch(ctx.breaks, end);
  }

  private caseStatement(node: Node): void {
    const ctx = this.switches[this.switches.length - 1];
    if (!ctx) fail('case label outside a switch', node);
    const valueNode = node.childForFieldName('value');
    if (valueNode?.type === 'call_expression' && valueNode.childForFieldName('function')?.text === '__interp_case_range') {
      const [lo, hi] = kids(valueNode.childForFieldName('arguments')!).map((n) => this.constInt(n));
      if (hi - lo > 100_000) fail('case range too large', valueNode);
      for (let k = lo; k <= hi; k++) {
        const key: Val = convertConst(Int, ctx.type, k);
        if (ctx.sw.cases.has(key)) fail(`duplicate case value ${k}`, valueNode);
        ctx.sw.cases.set(key, this.b.here());
      }
    } else if (valueNode) {
      const v = this.value(valueNode);
      if (v.cv === undefined) fail('case label is not a constant', valueNode);
      const key: Val = convertConst(v.t, ctx.type, v.cv);
      if (ctx.sw.cases.has(key)) fail(`duplicate case value ${String(key)}`, valueNode);
      ctx.sw.cases.set(key, this.b.here());
    } else ctx.sw.defaultTarget = this.b.here();
    for (const s of kids(node)) if (s.id !== valueNode?.id) this.statement(s);
  }

  private returnStatement(node: Node): void {
    const e = kids(node)[0];
    const ins = new Ins(OP_RETURN, this.u.loc(node));
    if (e) {
      const v = this.value(e);
      if (this.returnType.k === 'void') {
        if (!v.pure) this.emitIns(OP_EXPR, node).e = v.ev;
      } else ins.e = this.assignable(v, this.returnType, e).ev;
    }
    this.b.emit(ins);
  }

  // ---- expression hooks -------------------------------------------------------------------

  protected statementExpression(node: Node): Operand {
    const outer = this.u.scope;
    this.u.scope = new Scope(outer);
    try {
      const items = kids(node);
      const last = items[items.length - 1];
      for (const s of items.slice(0, -1)) this.statement(s);
      if (last?.type === 'expression_statement' && kids(last)[0]) {
        const op = this.rvalue(this.expr(kids(last)[0]));
        if (op.t.k === 'void') {
          if (!op.pure) this.emitIns(OP_EXPR, last).e = op.ev;
          return { t: op.t, ev: () => 0, pure: true };
        }
        if (op.cv !== undefined) return op;
        const tmp = this.b.newTemp();
        const ev = op.ev;
        this.emitIns(OP_EXPR, last).e = (f) => (f.r[tmp] = ev(f));
        return { t: op.t, ev: (f) => f.r[tmp], pure: true };
      }
      if (last) this.statement(last);
      return { t: { k: 'void' }, ev: () => 0, pure: true };
    } finally {
      this.u.scope = outer;
    }
  }

  protected compoundLiteralOf(t: CType, list: Node, node: Node): Operand {
    const init = new InitializerCompiler(this);
    const type = init.top(t, list);
    const size = sizeOf(type);
    const off = this.fb.allocFrame(size, type.k === 'struct' ? type.align : 8);
    const apply = initApplier(init.steps, size, true);
    this.emitIns(OP_EXPR, node).e = (f) => {
      apply(f, f.base + off);
      return 0;
    };
    const ev: Ev = (f) => f.base + off;
    return { t: type, ev: type.k === 'array' || type.k === 'struct' ? ev : this.read({ k: 'frame', off }, type), lv: { k: 'frame', off } };
  }
}

/** Expression compiler for static initializers (file scope and static locals). */
export class StaticExprCompiler extends ExprCompiler {
  constructor(u: UnitServices, functionName: string) {
    super(u, new StaticBuilder(functionName));
  }
  protected statementExpression(node: Node): Operand {
    return fail('statement expression in a static initializer', node);
  }
  protected compoundLiteralOf(t: CType, list: Node, node: Node): Operand {
    const init = new InitializerCompiler(this);
    const type = init.top(t, list);
    const slot = this.u.anonymousGlobal(type, init.steps, node);
    const addr: Ev = (f) => f.inst.addr[slot];
    return { t: type, ev: type.k === 'array' || type.k === 'struct' ? addr : this.read({ k: 'mem', addr }, type), lv: { k: 'mem', addr }, pure: true };
  }
}

/** A function whose body could not be compiled: calling it faults with the reason. */
export function faultingFunction(
  error: CompileError,
  name: string,
  type: FuncType,
  file: string,
  slot: number,
  isStatic: boolean,
  loc: { file: string; line: number; column: number },
  where: { file: string; line: number; column: number },
): CompiledFunction {
  const ins = new Ins(OP_FAULT, where);
  ins.message = error.message;
  ins.t = error.kind === 'not-modeled' ? 1 : 0;
  return {
    name, file, loc, slot, isStatic, type, code: [ins], nregs: (type.params?.length ?? 0) + 1, frameSize: 0,
    enter: () => undefined, codeSize: 16, compileError: { kind: error.kind, message: error.message },
  };
}
