/**
 * One translation unit (prelude + a .c file + its local headers): file-scope declarations,
 * function definitions and static data, compiled into the shared ProgramBuilder.
 */
import { stringLiteralBytes } from './literals';
import type { Node, Parser } from 'web-tree-sitter';
import type { CompiledFunction, GlobalDef, InitStep, SlotDef, SourceLoc } from '../program';
import { Int, type CType, type FuncType, type StructType } from '../types';
import type { UnitServices } from './context';
import { declarator, specifiers, typeFromSpecifier, type TypeContext } from './declarations';
import { CompileError } from './errors';
import type { ExprCompiler } from './expressions';
import { InitializerCompiler } from './initializers';
import { originAt, type Diagnostic, type PreprocessedUnit } from './preprocessor';
import { Scope, type Symbol } from './scope';
import { BodyCompiler, StaticExprCompiler, faultingFunction } from './statements';

/** Program-wide state shared by the translation units of one module. */
export class ProgramBuilder {
  readonly slots: SlotDef[] = [];
  readonly functions: CompiledFunction[] = [];
  readonly globals: GlobalDef[] = [];
  /** Linkage names (non-static) → slot. */
  readonly nameSlots = new Map<string, number>();
  readonly definitions = new Map<string, number>();
  readonly types = new Map<string, StructType>();
  readonly typedefs = new Map<string, CType>();
  readonly diagnostics: Diagnostic[] = [];
  private readonly strings = new Map<string, number>();

  newSlot(def: SlotDef): number {
    this.slots.push(def);
    return this.slots.length - 1;
  }
  linkSlot(name: string, func: boolean): number {
    let slot = this.nameSlots.get(name);
    if (slot === undefined) {
      slot = this.newSlot({ kind: 'extern', name, func });
      this.nameSlots.set(name, slot);
    }
    return slot;
  }
  stringSlot(bytes: number[]): number {
    const key = String.fromCharCode(...bytes);
    let slot = this.strings.get(key);
    if (slot === undefined) {
      slot = this.newSlot({ kind: 'string', bytes: Uint8Array.from([...bytes, 0]) });
      this.strings.set(key, slot);
    }
    return slot;
  }
}

function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

export class UnitCompiler implements UnitServices {
  scope: Scope;
  readonly types: TypeContext;
  private readonly fileScope: Scope;
  /** TU-local (static) names → slot. */
  private readonly statics = new Map<string, number>();
  private readonly staticExpr: StaticExprCompiler;
  private current: ExprCompiler;
  private functionName = '';

  constructor(
    private readonly program: ProgramBuilder,
    private readonly unit: PreprocessedUnit,
    private readonly parser: Parser,
    private readonly file: string,
  ) {
    this.fileScope = new Scope(undefined);
    this.scope = this.fileScope;
    const self = this;
    this.types = {
      get scope() {
        return self.scope;
      },
      constInt: (node) => this.current.constInt(node),
      typeofType: (index, node) => this.current.typeofType(index, node),
      registerStruct: (t) => {
        if (t.tag !== undefined) this.program.types.set(t.tag, t);
      },
    };
    this.staticExpr = new StaticExprCompiler(this, '');
    this.current = this.staticExpr;
  }

  loc(node: Node): SourceLoc {
    const o = originAt(this.unit, node.startIndex);
    return { file: o.file, line: o.line, column: o.column };
  }

  private report(severity: 'error' | 'warning', message: string, node: Node | undefined): void {
    const where = node ? this.loc(node) : { file: this.file, line: 1, column: 1 };
    this.program.diagnostics.push({ severity, message, file: where.file, line: where.line, column: where.column });
  }

  warn(message: string, node: Node): void {
    this.report('warning', message, node);
  }

  typeofText(index: number): string {
    return this.unit.typeofs[index] ?? '';
  }

  parseTypeofProbe(text: string): { node: Node; dispose(): void } | undefined {
    const tree = this.parser.parse(`void __interp_probe(void) { sizeof(${text}); }`);
    if (!tree) return undefined;
    const fn = tree.rootNode.namedChildren.find((n) => n?.type === 'function_definition');
    const stmt = fn?.childForFieldName('body')?.namedChildren.find((n) => n?.type === 'expression_statement');
    const sizeofNode = stmt?.namedChildren.find((n) => n?.type === 'sizeof_expression');
    if (!sizeofNode) {
      tree.delete();
      return undefined;
    }
    return { node: sizeofNode, dispose: () => tree.delete() };
  }

  stringSlot(bytes: number[]): number {
    return this.program.stringSlot(bytes);
  }

  // ---- symbols -------------------------------------------------------------------------

  /** `linkName`: the symbol the linker sees when an asm label renames the declaration. */
  private declareFunction(name: string, type: FuncType, isStatic: boolean, linkName = name): Symbol & { kind: 'function' } {
    const existing = this.fileScope.lookupHere(name);
    if (existing?.kind === 'function') {
      if (type.params !== undefined) existing.type = type;
      return existing;
    }
    let slot = this.statics.get(name);
    if (slot === undefined) {
      if (isStatic) {
        slot = this.program.newSlot({ kind: 'extern', name, func: true });
        this.statics.set(name, slot);
      } else slot = this.program.linkSlot(linkName, true);
    }
    const sym = { kind: 'function' as const, type, slot, name, external: true };
    this.fileScope.define(name, sym);
    return sym;
  }

  implicitFunction(name: string, node: Node): Symbol {
    this.warn(`implicit declaration of function '${name}'`, node);
    return this.declareFunction(name, { k: 'func', ret: Int, params: undefined, variadic: false }, false);
  }

  externSymbol(name: string, type: CType, node: Node, linkName = name): Symbol {
    void node;
    if (type.k === 'func') return this.declareFunction(name, type, false, linkName);
    const existing = this.fileScope.lookupHere(name);
    if (existing?.kind === 'global') return existing;
    const slot = this.statics.get(name) ?? this.program.linkSlot(linkName, false);
    const sym: Symbol = { kind: 'global', type, slot, name, external: true };
    this.fileScope.define(name, sym);
    return sym;
  }

  private defineGlobal(name: string, type: CType, isStatic: boolean, isConst: boolean, init: Node | null, node: Node, scope: Scope, label = name): Symbol {
    let slot: number;
    const existing = scope.lookupHere(name);
    if (existing?.kind === 'global' && scope === this.fileScope) slot = existing.slot;
    else if (scope !== this.fileScope) slot = this.program.newSlot({ kind: 'extern', name: label, func: false });
    else if (isStatic || this.statics.has(name)) {
      slot = this.statics.get(name) ?? this.program.newSlot({ kind: 'extern', name, func: false });
      this.statics.set(name, slot);
    } else slot = this.program.linkSlot(name, false);
    const prior = this.program.slots[slot];
    const previous = prior.kind === 'data' ? this.program.globals[prior.index] : undefined;
    const sym: Symbol & { kind: 'global' } = { kind: 'global', type, slot, name, external: false };
    // Visible in its own initializer (LIST_HEAD(name) points at itself).
    scope.define(name, sym);
    let steps: InitStep[] = [];
    let finalType = type;
    if (init) {
      const saved = this.current;
      const compiler = new StaticExprCompiler(this, this.functionName);
      this.current = compiler;
      try {
        const ic = new InitializerCompiler(compiler);
        finalType = ic.top(type, init);
        steps = ic.steps;
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        this.report('error', e.message, e.node ?? node);
      } finally {
        this.current = saved;
      }
    }
    if (finalType.k === 'array' && finalType.length === undefined) finalType = { ...finalType, length: previous ? (previous.type as { length?: number }).length ?? 1 : 1 };
    sym.type = finalType;
    const def: GlobalDef = {
      name: label, slot, type: finalType, isStatic: isStatic || scope !== this.fileScope, readonly: isConst, file: this.loc(node).file,
      loc: this.loc(node), init: steps,
    };
    if (previous) {
      if (init && previous.init.length > 0) this.report('error', `redefinition of '${name}'`, node);
      if (init || previous.init.length === 0) Object.assign(previous, { type: finalType, init: init ? steps : previous.init, readonly: isConst || previous.readonly });
    } else {
      this.program.globals.push(def);
      this.program.slots[slot] = { kind: 'data', index: this.program.globals.length - 1, name: label };
      if (!def.isStatic) this.program.definitions.set(name, slot);
    }
    return sym;
  }

  staticLocal(name: string, type: CType, isConst: boolean, node: Node, init: Node | null): Symbol {
    return this.defineGlobal(name, type, true, isConst, init, node, this.scope, `${this.functionName}.${name}`);
  }

  anonymousGlobal(type: CType, init: InitStep[], node: Node): number {
    const slot = this.program.newSlot({ kind: 'extern', name: '<compound literal>', func: false });
    this.program.globals.push({ name: '<compound literal>', slot, type, isStatic: true, readonly: false, file: this.loc(node).file, loc: this.loc(node), init });
    this.program.slots[slot] = { kind: 'data', index: this.program.globals.length - 1, name: '<compound literal>' };
    return slot;
  }

  // ---- top level -----------------------------------------------------------------------

  compile(root: Node): void {
    for (const node of kids(root)) {
      try {
        this.topLevel(node);
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        this.report('error', e.message, e.node ?? node);
      }
    }
    for (const [name, t] of this.fileScope.allTypedefs()) this.program.typedefs.set(name, t);
  }

  private topLevel(node: Node): void {
    switch (node.type) {
      case 'function_definition':
        return this.functionDefinition(node);
      case 'declaration':
        return this.declaration(node);
      case 'type_definition': {
        const spec = specifiers(this.types, node);
        for (const d of node.childrenForFieldName('declarator')) {
          if (!d) continue;
          const r = declarator(this.types, d, spec.type);
          if (r.name) this.fileScope.define(r.name, { kind: 'typedef', type: r.type });
        }
        return;
      }
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        typeFromSpecifier(this.types, node);
        return;
      case 'expression_statement':
        if (kids(node).length === 0) return;
        this.report('error', `unexpected expression at file scope: ${node.text.slice(0, 60)}`, node);
        return;
      case 'ERROR':
        this.report('error', `syntax error near '${node.text.slice(0, 60)}'`, node);
        return;
      default:
        this.report('warning', `ignored top-level '${node.type}'`, node);
    }
  }

  private declaration(node: Node): void {
    const spec = specifiers(this.types, node);
    const declarators = node.childrenForFieldName('declarator').filter((d): d is Node => d !== null);
    declarators.forEach((d, index) => {
      // An asm label (`extern int x asm("name")`) follows its declarator: handled with it.
      if (d.type === 'gnu_asm_expression') return;
      const r = declarator(this.types, d, spec.type);
      if (!r.name) return;
      const init = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      const label = asmLabel(declarators[index + 1]?.type === 'gnu_asm_expression' ? declarators[index + 1] : d.children.find((c) => c?.type === 'gnu_asm_expression') ?? null);
      if (r.type.k === 'func') {
        this.declareFunction(r.name, r.type, spec.storage.has('static'), label);
        return;
      }
      if (spec.storage.has('extern') && !init) {
        this.externSymbol(r.name, r.type, d, label);
        return;
      }
      this.defineGlobal(r.name, r.type, spec.storage.has('static'), spec.isConst, init, d, this.fileScope);
    });
  }

  private functionDefinition(node: Node): void {
    const spec = specifiers(this.types, node);
    const d = declarator(this.types, node.childForFieldName('declarator'), spec.type);
    if (!d.name || d.type.k !== 'func') {
      this.report('error', 'malformed function definition', node);
      return;
    }
    const type = d.type;
    const isStatic = spec.storage.has('static');
    const sym = this.declareFunction(d.name, type, isStatic || this.statics.has(d.name));
    sym.type = type;
    const loc = this.loc(node);
    this.functionName = d.name;
    const body = new BodyCompiler(this, d.name);
    this.current = body;
    let fn: CompiledFunction;
    try {
      fn = body.compile(node, d.name, type, d.params ?? [], loc.file, sym.slot, isStatic);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      const where = e.node ? this.loc(e.node) : loc;
      this.report(e.kind === 'not-modeled' ? 'warning' : 'error', `${d.name}: ${e.message}`, e.node ?? node);
      fn = faultingFunction(e, d.name, type, loc.file, sym.slot, isStatic, loc, where);
    } finally {
      this.current = this.staticExpr;
      this.functionName = '';
      this.scope = this.fileScope;
    }
    const previous = this.program.slots[sym.slot];
    if (previous.kind === 'function') this.report('error', `redefinition of function '${d.name}'`, node);
    this.program.functions.push(fn);
    this.program.slots[sym.slot] = { kind: 'function', index: this.program.functions.length - 1, name: d.name };
    if (!isStatic && !this.statics.has(d.name)) this.program.definitions.set(d.name, sym.slot);
  }
}

/**
 * The symbol name an asm label gives a declaration (its string literals joined, escapes
 * decoded; assembler quoting around names with commas removed).
 */
function asmLabel(node: Node | null): string | undefined {
  const code = node?.childForFieldName('assembly_code');
  if (!code) return undefined;
  const parts = code.type === 'concatenated_string' ? code.children.filter((c): c is Node => c?.type === 'string_literal') : [code];
  const text = parts.map((p) => String.fromCharCode(...stringLiteralBytes(p.text))).join('');
  return text.replace(/^"(.*)"$/, '$1') || undefined;
}
