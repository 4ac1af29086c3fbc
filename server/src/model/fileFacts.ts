/**
 * Turns one parsed C file into plain facts (no tree-sitter objects survive this step). Facts do
 * not depend on macros or the kernel config: those are applied when files are assembled into a
 * module (assemble.ts), so a file's facts can be cached until its text changes.
 */
import type { Node, Query, Tree } from 'web-tree-sitter';
import type { Annotation } from '../parser/neutralize';
import { getQuery } from '../parser/queries';
import { scanConditionals } from '../preprocess/directives';
import type { Location, Range } from './location';

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
  offset: number;
}

/** An identifier passed as a call argument inside a function (function pointers: ctor, work handlers). */
export interface FunctionReference {
  name: string;
  enclosingFunction: string;
  offset: number;
}

/**
 * Calls whose arguments the model needs: the livepatch API, module macros, and anything at file
 * scope. Every other call only contributes its name to the call graph.
 */
function detailedCall(name: string, enclosingFunction: string): boolean {
  return enclosingFunction === '' || /^(klp_|kallsyms_|KPATCH_|KLP_)|_once$|^(WARN_ONCE|DO_ONCE)$/.test(name);
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
  calls: CallSite[];
  functionReferences: FunctionReference[];
  returns: ReturnSite[];
  staticLocals: StaticLocal[];
  defines: RawDefine[];
  includes: RawInclude[];
  conditionals: ConditionalChain[];
  structUses: NamedUse[];
  designators: NamedUse[];
  syntaxErrors: { message: string; location: Location; offset: number }[];
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

let currentLines: LineIndex | undefined;

function rangeOf(node: Node): Range {
  const start = { line: node.startPosition.row, character: node.startPosition.column };
  const end = currentLines ? currentLines.position(node.endIndex) : { line: node.endPosition.row, character: node.endPosition.column };
  return { start, end };
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
    if (current.type === 'function_declarator') return { declarator: current, pointerDepth };
    if (current.type === 'pointer_declarator') pointerDepth++;
    current = current.childForFieldName('declarator');
  }
  return null;
}

function parameterTypeText(parameter: Node): string {
  const name = declaratorName(parameter.childForFieldName('declarator'));
  let text = parameter.text;
  if (name) {
    const start = name.startIndex - parameter.startIndex;
    text = text.slice(0, start) + text.slice(start + name.text.length);
  }
  return normalizeSpace(text);
}

function isStatic(node: Node): boolean {
  return node.children.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
}

function convertInitializer(node: Node, file: string): InitValue {
  if (node.type !== 'initializer_list') {
    return { kind: 'expression', text: node.text, nodeType: node.type, location: { file, range: rangeOf(node) } };
  }
  const entries: InitEntry[] = [];
  for (const child of node.namedChildren) {
    if (!child || child.type === 'comment' || child.type === 'ERROR') continue;
    if (child.type === 'initializer_pair') {
      const designators = child.childrenForFieldName('designator').filter((d): d is Node => d !== null);
      const value = child.childForFieldName('value');
      if (!value) continue;
      const first = designators[0];
      const fieldNode = first?.type === 'field_designator' ? first.namedChildren[0] : null;
      entries.push({
        field: fieldNode ? fieldNode.text : first?.text,
        fieldLocation: first ? { file, range: rangeOf(first) } : undefined,
        value: convertInitializer(value, file),
        location: { file, range: rangeOf(child) },
        offset: child.startIndex,
      });
    } else {
      entries.push({ value: convertInitializer(child, file), location: { file, range: rangeOf(child) }, offset: child.startIndex });
    }
  }
  return { kind: 'list', entries, location: { file, range: rangeOf(node) }, closeOffset: node.endIndex - 1 };
}

function defineParameters(node: Node): string[] {
  return node.text
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

export function extractFileFacts(path: string, text: string, tree: Tree, annotations: Annotation[]): FileFacts {
  const facts: FileFacts = {
    path,
    functions: [],
    structVariables: [],
    calls: [],
    functionReferences: [],
    returns: [],
    staticLocals: [],
    defines: [],
    includes: [],
    conditionals: scanConditionals(text),
    structUses: [],
    designators: [],
    syntaxErrors: [],
  };
  const query = getQuery('facts');
  if (!query) return facts;
  currentLines = new LineIndex(text);
  try {
    return extractWithQuery(path, tree, annotations, facts, query);
  } finally {
    currentLines = undefined;
  }
}

function extractWithQuery(path: string, tree: Tree, annotations: Annotation[], facts: FileFacts, query: Query): FileFacts {
  const loc = (node: Node): Location => ({ file: path, range: rangeOf(node) });
  const matches = query.matches(tree.rootNode);
  const pendingCalls: { node: Node; name: Node; args: Node }[] = [];
  const pendingReferences: Node[] = [];
  const pendingReturns: Node[] = [];
  const pendingStatics: Node[] = [];
  for (const match of matches) {
    const captures = new Map<string, Node>();
    for (const capture of match.captures) captures.set(capture.name, capture.node);
    if (captures.has('struct')) {
      const declaration = captures.get('struct')!;
      const declarator = captures.get('struct.declarator')!;
      const name = declaratorName(declarator);
      if (!name) continue;
      const isArray = declarator.type === 'array_declarator';
      facts.structVariables.push({
        structType: captures.get('struct.type')!.text,
        name: name.text,
        isArray,
        arraySize: isArray ? declarator.childForFieldName('size')?.text : undefined,
        isStatic: isStatic(declaration),
        value: convertInitializer(captures.get('struct.value')!, path) as InitList,
        location: loc(declaration),
        nameLocation: loc(name),
        offset: declaration.startIndex,
      });
    } else if (captures.has('function')) {
      const node = captures.get('function')!;
      const found = functionDeclarator(node.childForFieldName('declarator'));
      const nameNode = found ? found.declarator.childForFieldName('declarator') : null;
      if (!found || !nameNode || nameNode.type !== 'identifier') continue;
      const body = node.childForFieldName('body');
      const bodyStart = body?.startIndex ?? node.endIndex;
      const parameters = found.declarator.childForFieldName('parameters');
      const parameterTypes = (parameters?.namedChildren ?? [])
        .filter((p): p is Node => p !== null && (p.type === 'parameter_declaration' || p.type === 'variadic_parameter'))
        .map((p) => (p.type === 'variadic_parameter' ? '...' : parameterTypeText(p)));
      const type = node.childForFieldName('type');
      facts.functions.push({
        name: nameNode.text,
        location: loc(node),
        nameLocation: loc(nameNode),
        isStatic: isStatic(node),
        returnType: normalizeSpace(`${type?.text ?? 'int'} ${'*'.repeat(found.pointerDepth)}`),
        parameterTypes: parameterTypes.length === 1 && parameterTypes[0] === 'void' ? [] : parameterTypes,
        annotations: annotations.filter((a) => a.start >= node.startIndex && a.start < bodyStart).map((a) => a.name),
        startOffset: node.startIndex,
        endOffset: node.endIndex,
      });
    } else if (captures.has('call')) {
      pendingCalls.push({ node: captures.get('call')!, name: captures.get('call.name')!, args: captures.get('call.arguments')! });
    } else if (captures.has('argument_identifier')) {
      pendingReferences.push(captures.get('argument_identifier')!);
    } else if (captures.has('return')) {
      pendingReturns.push(captures.get('return')!);
    } else if (captures.has('declaration')) {
      if (captures.get('storage')!.text === 'static') pendingStatics.push(captures.get('declaration')!);
    } else if (captures.has('define')) {
      const node = captures.get('define')!;
      facts.defines.push({
        name: captures.get('define.name')!.text,
        body: captures.get('define.value')?.text.trim() ?? '',
        location: loc(node),
        offset: node.startIndex,
      });
    } else if (captures.has('fdefine')) {
      const node = captures.get('fdefine')!;
      facts.defines.push({
        name: captures.get('fdefine.name')!.text,
        parameters: defineParameters(captures.get('fdefine.parameters')!),
        body: captures.get('fdefine.value')?.text.trim() ?? '',
        location: loc(node),
        offset: node.startIndex,
      });
    } else if (captures.has('include')) {
      const node = captures.get('include')!;
      const pathNode = captures.get('include.path')!;
      facts.includes.push({
        path: pathNode.text.replace(/^["<]|[">]$/g, ''),
        system: pathNode.type === 'system_lib_string',
        location: loc(node),
        offset: node.startIndex,
      });
    } else if (captures.has('struct_use')) {
      const node = captures.get('struct_use')!;
      facts.structUses.push({ name: node.text, location: loc(node), offset: node.startIndex });
    } else if (captures.has('designator')) {
      const node = captures.get('designator')!;
      facts.designators.push({ name: node.text, location: loc(node), offset: node.startIndex });
    } else if (captures.has('syntax_error') && facts.syntaxErrors.length < maxSyntaxErrorsPerFile) {
      const node = captures.get('syntax_error')!;
      // A directive the grammar cannot place (#ifdef inside an initializer) is the
      // preprocessor's business, not a syntax error.
      if (!node.isMissing && /^\s*#/.test(node.text)) continue;
      const message = node.isMissing ? `syntax error: missing '${node.type}'` : 'syntax error: the C parser could not make sense of this';
      facts.syntaxErrors.push({ message, location: loc(node), offset: node.startIndex });
    }
  }
  facts.functions.sort((a, b) => a.startOffset - b.startOffset);
  const spans = new FunctionSpans(facts.functions);
  for (const { node, name, args } of pendingCalls) {
    const callee = name.text;
    const enclosingFunction = spans.at(node.startIndex);
    if (!detailedCall(callee, enclosingFunction)) {
      // Ordinary calls only feed the call graph: name and position, nothing marshalled per argument.
      facts.calls.push({ name: callee, arguments: [], location: loc(node), nameLocation: loc(name), enclosingFunction, returned: false, offset: node.startIndex });
      continue;
    }
    const parent = node.parent;
    let assignedTo: string | undefined;
    if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === node.id) {
      assignedTo = parent.childForFieldName('left')?.text;
    } else if (parent?.type === 'init_declarator') {
      assignedTo = declaratorName(parent.childForFieldName('declarator'))?.text;
    }
    facts.calls.push({
      name: callee,
      arguments: args.namedChildren
        .filter((a): a is Node => a !== null && a.type !== 'comment')
        .map((a) => ({ text: a.text, nodeType: a.type, location: loc(a) })),
      location: loc(node),
      nameLocation: loc(name),
      enclosingFunction,
      returned: parent?.type === 'return_statement',
      assignedTo,
      offset: node.startIndex,
    });
  }
  for (const node of pendingReferences) {
    const enclosingFunction = spans.at(node.startIndex);
    if (enclosingFunction) facts.functionReferences.push({ name: node.text, enclosingFunction, offset: node.startIndex });
  }
  for (const node of pendingReturns) {
    const value = node.namedChildren.find((c) => c !== null && c.type !== 'comment');
    facts.returns.push({ enclosingFunction: spans.at(node.startIndex), text: value?.text ?? '', location: loc(node), offset: node.startIndex });
  }
  for (const node of pendingStatics) {
    const enclosing = spans.at(node.startIndex);
    if (!enclosing) continue;
    for (const declarator of node.childrenForFieldName('declarator')) {
      const name = declaratorName(declarator);
      if (name) facts.staticLocals.push({ enclosingFunction: enclosing, name: name.text, location: loc(name), offset: node.startIndex });
    }
  }
  return facts;
}
