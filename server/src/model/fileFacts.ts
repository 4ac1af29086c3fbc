/**
 * Turns one parsed C file into plain facts (no tree-sitter objects survive this step). Facts do
 * not depend on macros or the kernel config: those are applied when files are assembled into a
 * module (assemble.ts), so a file's facts can be cached until its text changes.
 */
import type { Node, Query, QueryCapture, QueryOptions, Tree } from 'web-tree-sitter';
import type { Annotation } from '../parser/neutralize';
import { getQuery } from '../parser/queries';
import { scanConditionals } from '../preprocess/directives';
import type { Location, Position, Range } from './location';

export interface InitExpression {
  kind: 'expression';
  text: string;
  nodeType: string;
  location: Location;
}
export interface InitList {
  kind: 'list';
  entries: InitEntry[];
  location: Location;
  /** Offset of the closing brace (for "add terminator" fixes). */
  closeOffset: number;
}
export type InitValue = InitExpression | InitList;
export interface InitEntry {
  /** Field designator (`.name`), absent for positional entries. */
  field?: string;
  fieldLocation?: Location;
  value: InitValue;
  location: Location;
  offset: number;
}

export interface StructVariable {
  structType: string;
  name: string;
  isArray: boolean;
  /** Size expression of `x[N]` when given. */
  arraySize?: string;
  isStatic: boolean;
  value: InitList;
  location: Location;
  nameLocation: Location;
  offset: number;
}

export interface RawFunction {
  name: string;
  location: Location;
  nameLocation: Location;
  isStatic: boolean;
  returnType: string;
  parameterTypes: string[];
  annotations: string[];
  startOffset: number;
  endOffset: number;
}

export interface CallArgument {
  text: string;
  nodeType: string;
  location: Location;
  /**
   * For a `sizeof` argument of a shadow variable call: the type it measures, read from the tree
   * (`sizeof(struct x)`, `sizeof(*p)` with p declared in the function, `sizeof(u64)`); absent
   * when the tree does not tell.
   */
  sizeofType?: string;
}

export interface CallSite {
  name: string;
  arguments: CallArgument[];
  location: Location;
  nameLocation: Location;
  /** Function definition the call sits in ("" at file scope). */
  enclosingFunction: string;
  /** `return call(...)` */
  returned: boolean;
  /** `x = call(...)` / `T x = call(...)`: the variable that receives the result. */
  assignedTo?: string;
  /**
   * For a shadow variable call: the type its result is used as, read from the tree: the
   * pointed-to type of a cast, of the declared or assigned variable (declared in the function),
   * or of the function's return type (`struct x *`). Absent when unknown or `void`.
   */
  resultType?: string;
  offset: number;
}

/** `typedef <type> <name>;` with a plain name: "u_counter_t" → "struct counter", "unsigned long". */
export interface TypedefDefinition {
  name: string;
  /** The type named, as the model writes types ("struct sv_counter", "unsigned long"). */
  type: string;
  location: Location;
  offset: number;
}

/** A struct or union definition with a body: the layout behind a shadow variable's data. */
export interface RecordDefinition {
  /** "struct sv_counter", "union u". */
  name: string;
  /** The members as written, comments left out and spacing normalised: "char *comm". */
  fields: string[];
  location: Location;
  offset: number;
}

/** An identifier passed as a call argument inside a function (function pointers: ctor, work handlers). */
export interface FunctionReference {
  name: string;
  enclosingFunction: string;
  offset: number;
}

/**
 * Calls whose arguments the model needs: the livepatch API (and kpatch's old shadow API), module macros, and anything at file
 * scope. Every other call only contributes its name to the call graph.
 */
function detailedCall(name: string, enclosingFunction: string): boolean {
  return enclosingFunction === '' || /^(klp_|kallsyms_|KPATCH_|KLP_|kpatch_shadow_)|_once$|^(WARN_ONCE|DO_ONCE)$/.test(name);
}

export interface ReturnSite {
  enclosingFunction: string;
  text: string;
  location: Location;
  offset: number;
}

export interface StaticLocal {
  enclosingFunction: string;
  name: string;
  location: Location;
  offset: number;
}

export interface RawDefine {
  name: string;
  parameters?: string[];
  body: string;
  location: Location;
  offset: number;
}

export interface RawInclude {
  path: string;
  system: boolean;
  location: Location;
  offset: number;
}

/** One `#if`/`#ifdef`/`#ifndef` chain: each branch with its condition and body offsets. */
export interface ConditionalChain {
  branches: { kind: 'if' | 'ifdef' | 'ifndef' | 'elif' | 'else'; condition: string; start: number; end: number }[];
}

export interface NamedUse {
  name: string;
  location: Location;
  offset: number;
}

export interface FileFacts {
  path: string;
  functions: RawFunction[];
  structVariables: StructVariable[];
  /** Calls whose arguments the model reads (detailedCall), with their positions. */
  calls: CallSite[];
  /**
   * Every other call, by name and offset only: it feeds the call graph and nothing else, and
   * extracted kernel code has thousands, whose positions would cost every stage for nothing.
   */
  callEdges: FunctionReference[];
  functionReferences: FunctionReference[];
  returns: ReturnSite[];
  staticLocals: StaticLocal[];
  defines: RawDefine[];
  includes: RawInclude[];
  conditionals: ConditionalChain[];
  structUses: NamedUse[];
  designators: NamedUse[];
  syntaxErrors: { message: string; location: Location; offset: number }[];
  /** Struct and union definitions (always present in extracted facts). */
  records?: RecordDefinition[];
  /** Typedefs of a plain name (always present in extracted facts). */
  typedefs?: TypedefDefinition[];
}

const maxSyntaxErrorsPerFile = 50;

/**
 * Offsets → positions in JS: a node's start position is already marshalled, but its end
 * position costs a call into wasm, and extraction asks for thousands of them per file.
 */
class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; character: number } {
    const starts = this.starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: offset - starts[low] };
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptLineIndex = new LineIndex('');
void keptLineIndex;

/**
 * One extraction: the file, the text the tree was parsed from (node texts are slices of it, which
 * is what `node.text` returns, without a call into wasm) and its line index.
 */
interface Extraction {
  path: string;
  /** The neutralised text the tree was parsed from: same length and newlines as the user's. */
  parsed: string;
  lines: LineIndex;
  annotations: Annotation[];
  /** Start offsets of MISSING nodes in tree order (sorted): identifiers there have no text to scan. */
  missing: number[];
}

function textOf(x: Extraction, node: Node): string {
  return x.parsed.slice(node.startIndex, node.endIndex);
}

function rangeOf(x: Extraction, node: Node, end: number = node.endIndex): Range {
  return { start: { line: node.startPosition.row, character: node.startPosition.column }, end: x.lines.position(end) };
}

function locationOf(x: Extraction, node: Node, end?: number): Location {
  return { file: x.path, range: rangeOf(x, node, end) };
}

/** Whether a MISSING node starts in [start, end]. */
function missingIn(x: Extraction, start: number, end: number): boolean {
  const missing = x.missing;
  let low = 0;
  let high = missing.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (missing[mid] < start) low = mid + 1;
    else high = mid;
  }
  return low < missing.length && missing[low] <= end;
}

function isIdentifierCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

/**
 * End offset of an identifier node, read from the text: an identifier token is a maximal run of
 * identifier characters. Non-ASCII and `\u` spellings, and MISSING (zero-width) identifiers, ask
 * the tree instead.
 */
function identifierEnd(x: Extraction, node: Node): number {
  const start = node.startIndex;
  if (missingIn(x, start, start)) return node.endIndex;
  const text = x.parsed;
  let i = start;
  let c = text.charCodeAt(i);
  while (isIdentifierCode(c)) c = text.charCodeAt(++i);
  if (i === start || c === 92 || c >= 128) return node.endIndex;
  return i;
}

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/**
 * [start, end) of the identifier a call's argument list follows, read backwards from the text:
 * only blanks may separate them. Undefined when the text cannot tell for sure (a comment or line
 * continuation in between, a non-ASCII name, a MISSING node nearby): the tree is asked then.
 */
function calleeSpan(x: Extraction, argumentsStart: number): [number, number] | undefined {
  const text = x.parsed;
  let end = argumentsStart;
  while (end > 0 && isSpaceCode(text.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && isIdentifierCode(text.charCodeAt(start - 1))) start--;
  if (start === end) return undefined;
  const first = text.charCodeAt(start);
  if (first >= 48 && first <= 57) return undefined;
  const before = start > 0 ? text.charCodeAt(start - 1) : 32;
  if (before === 92 || before >= 128 || text.charCodeAt(end) >= 128) return undefined;
  if (missingIn(x, start, argumentsStart)) return undefined;
  return [start, end];
}

function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').replace(/ \*(?=\*)/g, '*').trim();
}

/** The innermost identifier of a declarator chain (`*name`, `name[4]`, `(*name)(...)`). */
function declaratorName(node: Node | null): Node | null {
  let current = node;
  for (let guard = 0; current && guard < 32; guard++) {
    if (current.type === 'identifier' || current.type === 'field_identifier') return current;
    current = current.childForFieldName('declarator') ?? current.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
  }
  return null;
}

function functionDeclarator(node: Node | null): { declarator: Node; pointerDepth: number } | null {
  let current = node;
  let pointerDepth = 0;
  for (let guard = 0; current && guard < 32; guard++) {
    const type = current.type;
    if (type === 'function_declarator') return { declarator: current, pointerDepth };
    if (type === 'pointer_declarator') pointerDepth++;
    current = current.childForFieldName('declarator');
  }
  return null;
}

function parameterTypeText(x: Extraction, parameter: Node): string {
  const name = declaratorName(parameter.childForFieldName('declarator'));
  let text = textOf(x, parameter);
  if (name) {
    const start = name.startIndex - parameter.startIndex;
    text = text.slice(0, start) + text.slice(start + (name.endIndex - name.startIndex));
  }
  return normalizeSpace(text);
}

// ---- Types behind shadow variables (the takeover checks compare them across patches) ----------

/** Shadow calls whose result or size says what the variable's data is. */
const shadowDataApis = new Set(['klp_shadow_get', 'klp_shadow_alloc', 'klp_shadow_get_or_alloc', 'kpatch_shadow_get', 'kpatch_shadow_alloc']);

/** A type specifier as a name: "struct x" (body left out), "unsigned long", "u64". Qualifiers are separate nodes. */
function typeSpecifierText(x: Extraction, type: Node): string {
  const kind = type.type;
  if (kind === 'struct_specifier' || kind === 'union_specifier' || kind === 'enum_specifier') {
    const name = type.childForFieldName('name');
    if (name) return `${kind.slice(0, kind.indexOf('_'))} ${textOf(x, name)}`;
  }
  return normalizeSpace(textOf(x, type));
}

/** How many `*` lead from a declarator to the identifier `name`; undefined when it declares another name or an array/function. */
function pointerDepthTo(x: Extraction, declarator: Node | null, name: string): number | undefined {
  let current = declarator;
  let depth = 0;
  for (let guard = 0; current && guard < 32; guard++) {
    const kind = current.type;
    if (kind === 'identifier') return textOf(x, current) === name ? depth : undefined;
    if (kind === 'pointer_declarator') depth++;
    else if (kind !== 'init_declarator') return undefined;
    current = current.childForFieldName('declarator');
  }
  return undefined;
}

/** `T **name` in a declaration or parameter: T and the pointer depth. */
function declaredIn(x: Extraction, declaration: Node, name: string): { type: string; depth: number } | undefined {
  const type = declaration.childForFieldName('type');
  if (!type) return undefined;
  for (const declarator of declaration.childrenForFieldName('declarator')) {
    const depth = pointerDepthTo(x, declarator, name);
    if (depth !== undefined) return { type: typeSpecifierText(x, type), depth };
  }
  return undefined;
}

/**
 * The declared type of `name` where `at` uses it: a local declared before it in an enclosing
 * block, or a parameter. The search stays inside the function, so an edit elsewhere in the file
 * cannot change the answer (facts of untouched functions are kept as they are).
 */
function declaredType(x: Extraction, at: Node, name: string): { type: string; depth: number } | undefined {
  for (let scope = at.parent; scope; scope = scope.parent) {
    if (scope.type === 'compound_statement') {
      for (const child of scope.namedChildren) {
        if (!child || child.startIndex >= at.startIndex) break;
        if (child.type !== 'declaration') continue;
        const found = declaredIn(x, child, name);
        if (found) return found;
      }
    } else if (scope.type === 'function_definition') {
      const parameters = functionDeclarator(scope.childForFieldName('declarator'))?.declarator.childForFieldName('parameters');
      for (const parameter of parameters?.namedChildren ?? []) {
        if (parameter?.type !== 'parameter_declaration') continue;
        const found = declaredIn(x, parameter, name);
        if (found) return found;
      }
      return undefined;
    }
  }
  return undefined;
}

/** `T` of a pointer to T; undefined for `void *`, a pointer to a pointer, or no pointer. */
function pointee(declared: { type: string; depth: number } | undefined): string | undefined {
  return declared && declared.depth === 1 && declared.type !== 'void' ? declared.type : undefined;
}

function withoutParentheses(node: Node | null): Node | null {
  let current = node;
  while (current?.type === 'parenthesized_expression') current = current.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
  return current;
}

/** The type a `sizeof` measures, when the tree says: a type, `*p`, or a variable (or typedef name) in parentheses. */
function sizeofType(x: Extraction, node: Node): string | undefined {
  const descriptor = node.childForFieldName('type');
  if (descriptor) {
    const type = descriptor.childForFieldName('type');
    if (!type) return undefined;
    const declarator = descriptor.childForFieldName('declarator');
    return declarator ? normalizeSpace(`${typeSpecifierText(x, type)} ${textOf(x, declarator)}`) : typeSpecifierText(x, type);
  }
  const value = withoutParentheses(node.childForFieldName('value'));
  if (!value) return undefined;
  if (value.type === 'pointer_expression' && x.parsed[value.startIndex] === '*') {
    const target = withoutParentheses(value.childForFieldName('argument'));
    return target?.type === 'identifier' ? pointee(declaredType(x, node, textOf(x, target))) : undefined;
  }
  if (value.type === 'identifier') {
    const name = textOf(x, value);
    const declared = declaredType(x, node, name);
    // `sizeof(u64)` parses as a parenthesised identifier: no variable of that name means a type name.
    if (!declared) return name;
    return declared.depth === 0 ? declared.type : undefined;
  }
  return undefined;
}

/** The type a shadow call's result is used as: a cast, the variable it initialises or is assigned to, or the function's return type. */
function shadowResultType(x: Extraction, call: Node): string | undefined {
  let node = call;
  let parent = node.parent;
  while (parent?.type === 'parenthesized_expression') {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return undefined;
  switch (parent.type) {
    case 'cast_expression': {
      const descriptor = parent.childForFieldName('type');
      const type = descriptor?.childForFieldName('type');
      const declarator = descriptor?.childForFieldName('declarator');
      if (!type || declarator?.type !== 'abstract_pointer_declarator' || declarator.namedChildCount > 0) return undefined;
      const name = typeSpecifierText(x, type);
      return name === 'void' ? undefined : name;
    }
    case 'init_declarator': {
      const declaration = parent.parent;
      const declared = declaratorName(parent.childForFieldName('declarator'));
      if (declaration?.type !== 'declaration' || !declared) return undefined;
      return pointee(declaredIn(x, declaration, textOf(x, declared)));
    }
    case 'assignment_expression': {
      const left = parent.childForFieldName('left');
      if (parent.childForFieldName('right')?.id !== node.id || left?.type !== 'identifier') return undefined;
      return pointee(declaredType(x, call, textOf(x, left)));
    }
    case 'return_statement': {
      let definition = parent.parent;
      while (definition && definition.type !== 'function_definition') definition = definition.parent;
      const type = definition?.childForFieldName('type');
      const found = definition ? functionDeclarator(definition.childForFieldName('declarator')) : null;
      return type && found ? pointee({ type: typeSpecifierText(x, type), depth: found.pointerDepth }) : undefined;
    }
    default:
      return undefined;
  }
}

/** Members of a struct body, comments left out: built from the tree's children, not from the text's spacing. */
function recordFields(x: Extraction, body: Node): string[] {
  const fields: string[] = [];
  for (const member of body.namedChildren) {
    if (!member || member.type === 'comment') continue;
    const parts: string[] = [];
    for (const child of member.children) {
      if (!child || child.type === 'comment' || child.type === ';') continue;
      parts.push(child.type === ',' ? ',' : textOf(x, child));
    }
    fields.push(normalizeSpace(parts.join(' ')).replace(/ ,/g, ','));
  }
  return fields;
}

function isStatic(x: Extraction, node: Node): boolean {
  return node.children.some((c) => c?.type === 'storage_class_specifier' && textOf(x, c) === 'static');
}

function convertInitializer(x: Extraction, node: Node): InitValue {
  const type = node.type;
  if (type !== 'initializer_list') {
    return { kind: 'expression', text: textOf(x, node), nodeType: type, location: locationOf(x, node) };
  }
  const entries: InitEntry[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    const childType = child.type;
    if (childType === 'comment' || childType === 'ERROR') continue;
    if (childType === 'initializer_pair') {
      const designators = child.childrenForFieldName('designator').filter((d): d is Node => d !== null);
      const value = child.childForFieldName('value');
      if (!value) continue;
      const first = designators[0];
      const fieldNode = first?.type === 'field_designator' ? first.namedChildren[0] : null;
      entries.push({
        field: fieldNode ? textOf(x, fieldNode) : first ? textOf(x, first) : undefined,
        fieldLocation: first ? locationOf(x, first) : undefined,
        value: convertInitializer(x, value),
        location: locationOf(x, child),
        offset: child.startIndex,
      });
    } else {
      entries.push({ value: convertInitializer(x, child), location: locationOf(x, child), offset: child.startIndex });
    }
  }
  const end = node.endIndex;
  return { kind: 'list', entries, location: locationOf(x, node, end), closeOffset: end - 1 };
}

function defineParameters(text: string): string[] {
  return text
    .replace(/^\(|\)$/g, '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Sorted function spans for "which function is this offset in" lookups. */
class FunctionSpans {
  constructor(private readonly functions: RawFunction[]) {}
  at(offset: number): string {
    let low = 0;
    let high = this.functions.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const f = this.functions[mid];
      if (offset < f.startOffset) high = mid - 1;
      else if (offset >= f.endOffset) low = mid + 1;
      else return f.name;
    }
    return '';
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptFunctionSpans = new FunctionSpans([]);
void keptFunctionSpans;

/** Names of the annotations blanked in [start, end) (annotations are in text order). */
function annotationsIn(annotations: Annotation[], start: number, end: number): string[] {
  let low = 0;
  let high = annotations.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (annotations[mid].start < start) low = mid + 1;
    else high = mid;
  }
  const names: string[] = [];
  for (let i = low; i < annotations.length && annotations[i].start < end; i++) names.push(annotations[i].name);
  return names;
}

/** Facts of a file with no tree (unparsable). */
export function emptyFacts(path: string): FileFacts {
  return {
    path,
    functions: [],
    structVariables: [],
    calls: [],
    callEdges: [],
    functionReferences: [],
    returns: [],
    staticLocals: [],
    defines: [],
    includes: [],
    conditionals: [],
    structUses: [],
    designators: [],
    syntaxErrors: [],
    records: [],
    typedefs: [],
  };
}

/** Nodes met by the query whose facts need the file's function spans. */
interface Pending {
  /** Argument lists of calls of an identifier. */
  calls: Node[];
  references: Node[];
  returns: Node[];
  statics: Node[];
}

const enum Kind {
  Struct,
  Function,
  Call,
  ArgumentIdentifier,
  Return,
  StaticDeclaration,
  Define,
  FunctionDefine,
  Include,
  Record,
  Typedef,
}

/** The capture that identifies each pattern of facts.scm. */
const kinds = new Map<string, Kind>([
  ['struct', Kind.Struct],
  ['function', Kind.Function],
  ['call.arguments', Kind.Call],
  ['argument_identifier', Kind.ArgumentIdentifier],
  ['return', Kind.Return],
  ['declaration', Kind.StaticDeclaration],
  ['define', Kind.Define],
  ['fdefine', Kind.FunctionDefine],
  ['include', Kind.Include],
  ['record', Kind.Record],
  ['typedef', Kind.Typedef],
]);

function capture(captures: QueryCapture[], name: string): Node | undefined {
  for (const c of captures) if (c.name === name) return c.node;
  return undefined;
}

/**
 * Byte range of a query run over a region (web-tree-sitter counts bytes: two per UTF-16 unit). It
 * reaches one unit beyond each end so zero-width nodes there are met; matches are then kept by
 * where their main node starts.
 */
function rangeOptions(range: { start: number; end: number } | undefined): QueryOptions | undefined {
  if (!range) return undefined;
  return { startIndex: Math.max(0, range.start - 1) * 2, endIndex: (range.end + 1) * 2 };
}

/**
 * Syntax errors and MISSING nodes, from a second query run only on trees that have errors, over
 * the part of the file that has them (or over `range`).
 */
function collectSyntax(x: Extraction, tree: Tree, facts: FileFacts, range?: { start: number; end: number }): void {
  const root = tree.rootNode;
  if (!root.hasError) return;
  const query = getQuery('syntax');
  if (!query) return;
  let searched = range;
  if (!searched && root.type === 'ERROR') {
    // A file the parser gave up on: the root is the first error.
    searched = { start: 0, end: x.parsed.length };
  } else if (!searched) {
    // The file-scope items with errors (a zero-width MISSING can be one): one run over their span.
    let start = Infinity;
    let end = -Infinity;
    for (const child of root.children) {
      if (!child || !child.hasError) continue;
      start = Math.min(start, child.startIndex);
      end = Math.max(end, child.endIndex);
    }
    if (start > end) return;
    searched = { start, end };
  }
  for (const match of query.matches(root, rangeOptions(searched))) {
    const c = match.captures[0];
    if (!c) continue;
    const node = c.node;
    if (node.startIndex < searched.start || node.startIndex > searched.end) continue;
    if (c.name === 'syntax_missing') {
      x.missing.push(node.startIndex);
      if (facts.syntaxErrors.length >= maxSyntaxErrorsPerFile) continue;
      facts.syntaxErrors.push({ message: `syntax error: missing '${node.type}'`, location: locationOf(x, node), offset: node.startIndex });
    } else if (c.name === 'syntax_error') {
      if (facts.syntaxErrors.length >= maxSyntaxErrorsPerFile) continue;
      const end = node.endIndex;
      // A directive the grammar cannot place (#ifdef inside an initializer) is the
      // preprocessor's business, not a syntax error.
      if (/^\s*#/.test(x.parsed.slice(node.startIndex, end))) continue;
      facts.syntaxErrors.push({ message: 'syntax error: the C parser could not make sense of this', location: locationOf(x, node, end), offset: node.startIndex });
    }
  }
  x.missing.sort((a, b) => a - b);
}

/**
 * First pass: runs the query (over the whole tree, or only over nodes inside `range`) and fills
 * the facts that stand alone; calls, references, returns and statics wait for the function spans.
 */
function collect(x: Extraction, tree: Tree, facts: FileFacts, query: Query, range?: { start: number; end: number }): Pending {
  const pending: Pending = { calls: [], references: [], returns: [], statics: [] };
  const matches = query.matches(tree.rootNode, rangeOptions(range));
  for (const match of matches) {
    const captures = match.captures;
    let kind: Kind | undefined;
    for (const c of captures) {
      kind = kinds.get(c.name);
      if (kind !== undefined) break;
    }
    if (kind === undefined) continue;
    if (range) {
      const main = captures.find((c) => kinds.get(c.name) === kind)!.node.startIndex;
      if (main < range.start || main > range.end) continue;
    }
    switch (kind) {
      case Kind.Call:
        pending.calls.push(capture(captures, 'call.arguments')!);
        break;
      case Kind.ArgumentIdentifier:
        pending.references.push(capture(captures, 'argument_identifier')!);
        break;
      case Kind.Return:
        pending.returns.push(capture(captures, 'return')!);
        break;
      case Kind.StaticDeclaration: {
        const storage = capture(captures, 'storage')!;
        if (textOf(x, storage) !== 'static') break;
        pending.statics.push(capture(captures, 'declaration')!);
        break;
      }
      case Kind.Struct: {
        const declaration = capture(captures, 'struct')!;
        const declarator = capture(captures, 'struct.declarator')!;
        const name = declaratorName(declarator);
        if (!name) break;
        const isArray = declarator.type === 'array_declarator';
        const size = isArray ? declarator.childForFieldName('size') : null;
        facts.structVariables.push({
          structType: textOf(x, capture(captures, 'struct.type')!),
          name: textOf(x, name),
          isArray,
          arraySize: size ? textOf(x, size) : undefined,
          isStatic: isStatic(x, declaration),
          value: convertInitializer(x, capture(captures, 'struct.value')!) as InitList,
          location: locationOf(x, declaration),
          nameLocation: locationOf(x, name),
          offset: declaration.startIndex,
        });
        break;
      }
      case Kind.Function: {
        const node = capture(captures, 'function')!;
        const found = functionDeclarator(node.childForFieldName('declarator'));
        const nameNode = found ? found.declarator.childForFieldName('declarator') : null;
        if (!found || !nameNode || nameNode.type !== 'identifier') break;
        const end = node.endIndex;
        const body = node.childForFieldName('body');
        const bodyStart = body?.startIndex ?? end;
        const parameters = found.declarator.childForFieldName('parameters');
        const parameterTypes: string[] = [];
        for (const p of parameters?.namedChildren ?? []) {
          if (!p) continue;
          const type = p.type;
          if (type === 'variadic_parameter') parameterTypes.push('...');
          else if (type === 'parameter_declaration') parameterTypes.push(parameterTypeText(x, p));
        }
        const type = node.childForFieldName('type');
        facts.functions.push({
          name: textOf(x, nameNode),
          location: locationOf(x, node, end),
          nameLocation: locationOf(x, nameNode),
          isStatic: isStatic(x, node),
          returnType: normalizeSpace(`${type ? textOf(x, type) : 'int'} ${'*'.repeat(found.pointerDepth)}`),
          parameterTypes: parameterTypes.length === 1 && parameterTypes[0] === 'void' ? [] : parameterTypes,
          annotations: annotationsIn(x.annotations, node.startIndex, bodyStart),
          startOffset: node.startIndex,
          endOffset: end,
        });
        break;
      }
      case Kind.Define: {
        const node = capture(captures, 'define')!;
        const value = capture(captures, 'define.value');
        facts.defines.push({
          name: textOf(x, capture(captures, 'define.name')!),
          body: value ? textOf(x, value).trim() : '',
          location: locationOf(x, node),
          offset: node.startIndex,
        });
        break;
      }
      case Kind.FunctionDefine: {
        const node = capture(captures, 'fdefine')!;
        const value = capture(captures, 'fdefine.value');
        facts.defines.push({
          name: textOf(x, capture(captures, 'fdefine.name')!),
          parameters: defineParameters(textOf(x, capture(captures, 'fdefine.parameters')!)),
          body: value ? textOf(x, value).trim() : '',
          location: locationOf(x, node),
          offset: node.startIndex,
        });
        break;
      }
      case Kind.Record: {
        const node = capture(captures, 'record')!;
        const name = capture(captures, 'record.name')!;
        const body = capture(captures, 'record.body')!;
        facts.records!.push({
          name: `${node.type === 'union_specifier' ? 'union' : 'struct'} ${textOf(x, name)}`,
          fields: recordFields(x, body),
          location: locationOf(x, node),
          offset: node.startIndex,
        });
        break;
      }
      case Kind.Typedef: {
        const node = capture(captures, 'typedef')!;
        const type = capture(captures, 'typedef.type')!;
        const name = textOf(x, capture(captures, 'typedef.name')!);
        const kind = type.type;
        // `typedef struct { ... } name;`: the members are known by the typedef's name only.
        const anonymous = (kind === 'struct_specifier' || kind === 'union_specifier') && !type.childForFieldName('name');
        const body = anonymous ? type.childForFieldName('body') : null;
        if (body) facts.records!.push({ name, fields: recordFields(x, body), location: locationOf(x, node), offset: node.startIndex });
        else if (!anonymous) facts.typedefs!.push({ name, type: typeSpecifierText(x, type), location: locationOf(x, node), offset: node.startIndex });
        break;
      }
      case Kind.Include: {
        const node = capture(captures, 'include')!;
        const pathNode = capture(captures, 'include.path')!;
        facts.includes.push({
          path: textOf(x, pathNode).replace(/^["<]|[">]$/g, ''),
          system: pathNode.type === 'system_lib_string',
          location: locationOf(x, node),
          offset: node.startIndex,
        });
        break;
      }
    }
  }
  return pending;
}

/** Second pass: the facts that say which function they sit in. */
function resolve(x: Extraction, pending: Pending, spans: FunctionSpans, facts: FileFacts): void {
  for (const args of pending.calls) {
    let name: Node | undefined;
    let offset: number;
    let nameEnd: number;
    const span = calleeSpan(x, args.startIndex);
    if (span) {
      [offset, nameEnd] = span;
    } else {
      name = args.previousNamedSibling ?? undefined;
      while (name && name.type === 'comment') name = name.previousNamedSibling ?? undefined;
      if (!name) continue;
      offset = name.startIndex;
      nameEnd = name.endIndex;
    }
    const callee = x.parsed.slice(offset, nameEnd);
    const enclosingFunction = spans.at(offset);
    if (!detailedCall(callee, enclosingFunction)) {
      // Ordinary calls only feed the call graph: name and offset, no position, no arguments.
      facts.callEdges.push({ name: callee, enclosingFunction, offset });
      continue;
    }
    // A call starts where its name starts and ends where its argument list ends.
    const start = x.lines.position(offset);
    const location = { file: x.path, range: { start, end: x.lines.position(args.endIndex) } };
    const nameLocation = { file: x.path, range: { start: { line: start.line, character: start.character }, end: x.lines.position(nameEnd) } };
    const node = args.parent!;
    const parent = node.parent;
    const parentType = parent?.type;
    let assignedTo: string | undefined;
    if (parentType === 'assignment_expression' && parent!.childForFieldName('right')?.id === node.id) {
      const left = parent!.childForFieldName('left');
      assignedTo = left ? textOf(x, left) : undefined;
    } else if (parentType === 'init_declarator') {
      const declared = declaratorName(parent!.childForFieldName('declarator'));
      assignedTo = declared ? textOf(x, declared) : undefined;
    }
    const isShadow = shadowDataApis.has(callee);
    const argumentFacts: CallArgument[] = [];
    for (const a of args.namedChildren) {
      if (!a) continue;
      const type = a.type;
      if (type === 'comment') continue;
      const end = a.endIndex;
      const argument: CallArgument = { text: x.parsed.slice(a.startIndex, end), nodeType: type, location: locationOf(x, a, end) };
      if (isShadow && type === 'sizeof_expression') {
        const measured = sizeofType(x, a);
        if (measured !== undefined) argument.sizeofType = measured;
      }
      argumentFacts.push(argument);
    }
    const site: CallSite = {
      name: callee,
      arguments: argumentFacts,
      location,
      nameLocation,
      enclosingFunction,
      returned: parentType === 'return_statement',
      assignedTo,
      offset,
    };
    if (isShadow) {
      const resultType = shadowResultType(x, node);
      if (resultType !== undefined) site.resultType = resultType;
    }
    facts.calls.push(site);
  }
  for (const node of pending.references) {
    const offset = node.startIndex;
    const enclosingFunction = spans.at(offset);
    if (enclosingFunction) facts.functionReferences.push({ name: x.parsed.slice(offset, identifierEnd(x, node)), enclosingFunction, offset });
  }
  for (const node of pending.returns) {
    let value = node.firstNamedChild;
    if (value && value.type === 'comment') value = node.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
    facts.returns.push({ enclosingFunction: spans.at(node.startIndex), text: value ? textOf(x, value) : '', location: locationOf(x, node), offset: node.startIndex });
  }
  for (const node of pending.statics) {
    const enclosing = spans.at(node.startIndex);
    if (!enclosing) continue;
    for (const declarator of node.childrenForFieldName('declarator')) {
      const name = declaratorName(declarator);
      if (name) facts.staticLocals.push({ enclosingFunction: enclosing, name: textOf(x, name), location: locationOf(x, name), offset: node.startIndex });
    }
  }
}

/** `struct klp_reloc` uses, from a second small query run only on files that mention it. */
function collectStructUses(x: Extraction, tree: Tree, facts: FileFacts, range?: { start: number; end: number }): void {
  const text = range ? x.parsed.slice(range.start, range.end) : x.parsed;
  if (!text.includes('klp_reloc')) return;
  const query = getQuery('struct-uses');
  if (!query) return;
  for (const match of query.matches(tree.rootNode, rangeOptions(range))) {
    const node = capture(match.captures, 'struct_use');
    if (node && range && (node.startIndex < range.start || node.startIndex > range.end)) continue;
    if (node) facts.structUses.push({ name: textOf(x, node), location: locationOf(x, node), offset: node.startIndex });
  }
}

/**
 * Records and typedefs in text order: a typedef's anonymous struct is recorded where the typedef
 * starts, and query matches do not always come in that order (a struct nested in its body).
 */
function sortTypes(facts: FileFacts): void {
  facts.records?.sort((a, b) => a.offset - b.offset);
  facts.typedefs?.sort((a, b) => a.offset - b.offset);
}

function newExtraction(path: string, text: string, parsedText: string, annotations: Annotation[]): Extraction {
  return { path, parsed: parsedText, lines: new LineIndex(text), annotations, missing: [] };
}

/**
 * Facts of one parsed file. `parsedText` is the text the tree was parsed from (the neutralised
 * text: same length and line breaks as `text`); node texts are read from it.
 */
export function extractFileFacts(
  path: string,
  text: string,
  tree: Tree,
  annotations: Annotation[],
  parsedText: string = text,
  /** The text's conditional chains when the caller has them already. */
  conditionals: ConditionalChain[] = scanConditionals(text),
): FileFacts {
  const facts = emptyFacts(path);
  facts.conditionals = conditionals;
  const query = getQuery('facts');
  if (!query) return facts;
  const x = newExtraction(path, text, parsedText, annotations);
  const pending = collect(x, tree, facts, query);
  collectSyntax(x, tree, facts);
  facts.functions.sort((a, b) => a.startOffset - b.startOffset);
  sortTypes(facts);
  resolve(x, pending, new FunctionSpans(facts.functions), facts);
  collectStructUses(x, tree, facts);
  return facts;
}

/** Node types whose children are file-scope items of their own: conditional blocks at file scope. */
const containerTypes = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);

/**
 * The part of a re-parsed file whose facts must be read again after an edit: the file-scope items
 * (functions, declarations, directives; inside an `#if` block when the edit stays in one) that
 * overlap `[dirtyStart, dirtyEnd]`, widened until the next item starts after a gap, so that no
 * node with a fact starts exactly at the end of the region.
 */
function regionOf(root: Node, dirtyStart: number, dirtyEnd: number): { start: number; end: number } {
  const levels: { children: Node[]; index: number }[] = [];
  let container = root;
  for (let depth = 0; ; depth++) {
    const children = container.children.filter((c): c is Node => c !== null);
    // First child starting at or after dirtyStart; the one before may still reach into the range.
    let low = 0;
    let high = children.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (children[mid].startIndex < dirtyStart) low = mid + 1;
      else high = mid;
    }
    let first = low;
    if (first > 0 && children[first - 1].endIndex >= dirtyStart) first--;
    let last = first - 1;
    while (last + 1 < children.length && children[last + 1].startIndex <= dirtyEnd) last++;
    if (first === last && depth < 32) {
      const only = children[first];
      if (containerTypes.has(only.type) && only.startIndex < dirtyStart && dirtyEnd < only.endIndex) {
        levels.push({ children, index: first });
        container = only;
        continue;
      }
    }
    let start = dirtyStart;
    let end = dirtyEnd;
    if (first <= last) {
      start = Math.min(start, children[first].startIndex);
      end = Math.max(end, children[last].endIndex);
    }
    // Widen while the next item starts where the region ends, at this level and above.
    let next = last + 1;
    let siblings = children;
    for (;;) {
      while (next < siblings.length && siblings[next].startIndex <= end) {
        end = Math.max(end, siblings[next].endIndex);
        next++;
      }
      if (next < siblings.length) break;
      const up = levels.pop();
      if (!up) break;
      siblings = up.children;
      next = up.index + 1;
    }
    return { start, end };
  }
}

/** Offsets and positions of facts after an edited region move together. */
interface Shift {
  delta: number;
  /** Line and character of the region's end in the previous text... */
  oldEndLine: number;
  oldEndCharacter: number;
  /** ...and in the new one. */
  newEndLine: number;
  newEndCharacter: number;
}

/*
 * Facts after the edited region move in place: the previous facts belong to the previous
 * version of the file, which is gone. Nothing is allocated for them, which keeps keystrokes from
 * feeding the garbage collector thousands of objects. (A model assembled from the previous facts
 * sees the move too; it is stale anyway and is assembled again before use.)
 */

function shiftPosition(s: Shift, p: Position): void {
  if (p.line > s.oldEndLine) {
    p.line += s.newEndLine - s.oldEndLine;
  } else if (p.line === s.oldEndLine) {
    p.line = s.newEndLine;
    p.character += s.newEndCharacter - s.oldEndCharacter;
  }
}

function shiftLocation(s: Shift, l: Location): void {
  // On a later line than the edit, and no line added or removed: nothing moves.
  if (s.newEndLine === s.oldEndLine && l.range.start.line > s.oldEndLine) return;
  shiftPosition(s, l.range.start);
  if (l.range.end !== l.range.start) shiftPosition(s, l.range.end);
}

function shiftInit(s: Shift, value: InitValue): void {
  shiftLocation(s, value.location);
  if (value.kind === 'expression') return;
  value.closeOffset += s.delta;
  for (const entry of value.entries) {
    shiftInit(s, entry.value);
    shiftLocation(s, entry.location);
    if (entry.fieldLocation) shiftLocation(s, entry.fieldLocation);
    entry.offset += s.delta;
  }
}

/** Facts with an offset and a location (most kinds). */
function shiftLocated(s: Shift, item: { location: Location; offset: number }): void {
  shiftLocation(s, item.location);
  item.offset += s.delta;
}

/**
 * Facts of one kind after an edit: those before the region as they were, the region's fresh
 * ones, those after it moved. Undefined when the previous facts are not in offset order (the
 * splice would then not be what a full extraction gives; the caller then reads everything).
 */
function splice<T>(previous: T[], fresh: T[], offsetOf: (item: T) => number, start: number, oldEnd: number, shift: (item: T) => void): T[] | undefined {
  let last = -Infinity;
  let before = 0;
  for (; before < previous.length; before++) {
    const offset = offsetOf(previous[before]);
    if (offset < last) return undefined;
    last = offset;
    if (offset >= start) break;
  }
  let after = before;
  for (; after < previous.length; after++) {
    const offset = offsetOf(previous[after]);
    if (offset < last) return undefined;
    last = offset;
    if (offset > oldEnd) break;
  }
  for (let i = after + 1; i < previous.length; i++) {
    const offset = offsetOf(previous[i]);
    if (offset < last) return undefined;
    last = offset;
  }
  // Checked: now move.
  const result = previous.slice(0, before);
  for (const item of fresh) result.push(item);
  for (let i = after; i < previous.length; i++) {
    shift(previous[i]);
    result.push(previous[i]);
  }
  return result;
}

function nonOverlapping(functions: RawFunction[]): boolean {
  for (let i = 1; i < functions.length; i++) if (functions[i].startOffset < functions[i - 1].endOffset) return false;
  return true;
}

/** The file is mostly edited: reading it all again is simpler than splicing. */
const maxRegionShare = 0.5;

/**
 * Facts of an edited file, re-reading only the file-scope items the edit touched and moving the
 * facts of the others. `dirty` covers, in the new text, every character that differs from
 * `previousText` (the text `previous` was extracted from) and every range whose tree structure
 * changed; the text after it is the previous text after `dirty.end - (text.length -
 * previousText.length)`. Gives exactly what extractFileFacts gives for the new tree, or undefined
 * when it cannot splice safely (the caller then extracts everything).
 */
export function updateFileFacts(
  previous: FileFacts,
  previousText: string,
  path: string,
  text: string,
  tree: Tree,
  annotations: Annotation[],
  parsedText: string,
  dirty: { start: number; end: number },
  /** The new text's conditional chains when the caller has them already. */
  conditionals?: ConditionalChain[],
): FileFacts | undefined {
  if (previous.path !== path || previous.syntaxErrors.length >= maxSyntaxErrorsPerFile) return undefined;
  const query = getQuery('facts');
  if (!query) return undefined;
  const delta = text.length - previousText.length;
  const dirtyStart = Math.max(0, Math.min(dirty.start, text.length));
  const dirtyEnd = Math.max(dirtyStart, Math.min(dirty.end, text.length));
  const root = tree.rootNode;
  // A file the parser gave up on is one ERROR node: its own fact spans every edit.
  if (root.type !== 'translation_unit') return undefined;
  // Error recovery can add or drop zero-width nodes (MISSING, an empty ERROR at the end) away
  // from the edit without the tree reporting a changed range: every item with an error, before
  // or after the edit, is read again.
  let start = dirtyStart;
  let end = dirtyEnd;
  for (const e of previous.syntaxErrors) {
    const offset = e.offset < dirtyStart ? e.offset : Math.max(dirtyStart, Math.min(text.length, e.offset + delta));
    start = Math.min(start, offset);
    end = Math.max(end, offset);
  }
  if (root.hasError) {
    for (const child of root.children) {
      if (child && child.hasError) {
        start = Math.min(start, child.startIndex);
        end = Math.max(end, child.endIndex);
      }
    }
  }
  const region = regionOf(root, start, end);
  start = region.start;
  end = Math.min(region.end, text.length);
  const oldEnd = end - delta;
  if (end - start > maxRegionShare * text.length || oldEnd < start || oldEnd > previousText.length) return undefined;
  if (!nonOverlapping(previous.functions)) return undefined;

  const x = newExtraction(path, text, parsedText, annotations);
  const fresh = emptyFacts(path);
  const range = { start, end };
  const pending = collect(x, tree, fresh, query, range);
  collectSyntax(x, tree, fresh, range);
  fresh.functions.sort((a, b) => a.startOffset - b.startOffset);
  sortTypes(fresh);

  const newEnd = x.lines.position(end);
  const oldEndLine = newEnd.line - countLines(text, start, end) + countLines(previousText, start, oldEnd);
  const lineStart = oldEnd > 0 ? previousText.lastIndexOf('\n', oldEnd - 1) + 1 : 0;
  const s: Shift = { delta, oldEndLine, oldEndCharacter: oldEnd - lineStart, newEndLine: newEnd.line, newEndCharacter: newEnd.character };

  const functions = splice(previous.functions, fresh.functions, (f) => f.startOffset, start, oldEnd, (f) => {
    shiftLocation(s, f.location);
    shiftLocation(s, f.nameLocation);
    f.startOffset += delta;
    f.endOffset += delta;
  });
  if (!functions || !nonOverlapping(functions)) return undefined;
  resolve(x, pending, new FunctionSpans(functions), fresh);
  collectStructUses(x, tree, fresh, range);

  const byOffset = (item: { offset: number }) => item.offset;
  const located = (item: { location: Location; offset: number }) => shiftLocated(s, item);
  const structVariables = splice(previous.structVariables, fresh.structVariables, byOffset, start, oldEnd, (v) => {
    shiftInit(s, v.value);
    shiftLocation(s, v.location);
    shiftLocation(s, v.nameLocation);
    v.offset += delta;
  });
  const calls = splice(previous.calls, fresh.calls, byOffset, start, oldEnd, (c) => {
    for (const a of c.arguments) shiftLocation(s, a.location);
    shiftLocation(s, c.location);
    shiftLocation(s, c.nameLocation);
    c.offset += delta;
  });
  const callEdges = splice(previous.callEdges, fresh.callEdges, byOffset, start, oldEnd, (r) => {
    r.offset += delta;
  });
  const functionReferences = splice(previous.functionReferences, fresh.functionReferences, byOffset, start, oldEnd, (r) => {
    r.offset += delta;
  });
  const returns = splice(previous.returns, fresh.returns, byOffset, start, oldEnd, located);
  const staticLocals = splice(previous.staticLocals, fresh.staticLocals, byOffset, start, oldEnd, located);
  const defines = splice(previous.defines, fresh.defines, byOffset, start, oldEnd, located);
  const includes = splice(previous.includes, fresh.includes, byOffset, start, oldEnd, located);
  const structUses = splice(previous.structUses, fresh.structUses, byOffset, start, oldEnd, located);
  const designators = splice(previous.designators, fresh.designators, byOffset, start, oldEnd, located);
  const syntaxErrors = splice(previous.syntaxErrors, fresh.syntaxErrors, byOffset, start, oldEnd, located);
  const records = splice(previous.records ?? [], fresh.records ?? [], byOffset, start, oldEnd, located);
  const typedefs = splice(previous.typedefs ?? [], fresh.typedefs ?? [], byOffset, start, oldEnd, located);
  if (!records || !typedefs) return undefined;
  if (!structVariables || !calls || !callEdges || !functionReferences || !returns || !staticLocals || !defines || !includes || !structUses || !designators || !syntaxErrors) {
    return undefined;
  }
  return {
    path,
    functions,
    structVariables,
    calls,
    callEdges,
    functionReferences,
    returns,
    staticLocals,
    defines,
    includes,
    conditionals: conditionals ?? scanConditionals(text),
    structUses,
    designators,
    syntaxErrors: syntaxErrors.length > maxSyntaxErrorsPerFile ? syntaxErrors.slice(0, maxSyntaxErrorsPerFile) : syntaxErrors,
    records,
    typedefs,
  };
}

function countLines(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', start); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
