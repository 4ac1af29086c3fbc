/**
 * FileFacts (and a file's layout facts) in a compact form for the trip from a worker thread: one
 * Int32Array (transferred, not copied) and a table of the distinct strings. Structured clone of the plain objects would do,
 * but it writes every key of every object and costs the receiving (main) thread more than the
 * extraction saved: facts of 1.5 MiB of C are ~14 MB once serialised. Decoding rebuilds objects
 * with exactly the keys extraction gives (optional keys present or absent alike), so decoded
 * facts are deep-equal to the originals; test/unit/analysis checks this on every fixture.
 */
import type {
  CallSite,
  ConditionalChain,
  FileFacts,
  FunctionReference,
  InitEntry,
  InitList,
  InitValue,
  NamedUse,
  RawDefine,
  RawFunction,
  RawInclude,
  RecordDefinition,
  ReturnSite,
  StaticLocal,
  StructVariable,
  TypedefDefinition,
} from '../model/fileFacts';
import type { Location, Position } from '../model/location';
import type { LayoutFacts } from '../layouts/workspace';

export interface EncodedFacts {
  path: string;
  strings: string[];
  ints: Int32Array;
}

/**
 * The buffer writers fill, kept between files: encoding is synchronous, one file at a time per
 * thread, and finish() copies the result out. A fresh 16 KiB buffer per file (most need far
 * less, some grow it) was a steady stream of garbage for a worker's collector.
 */
let scratch = new Int32Array(4096);
const maxScratchInts = 1 << 18;

class Writer {
  private buffer = scratch;
  private length = 0;
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(private readonly path: string) {}

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = new Int32Array(Math.max(this.buffer.length * 2, this.length + n));
    bigger.set(this.buffer.subarray(0, this.length));
    this.buffer = bigger;
    // An outsized file's buffer is not kept: it would hold its memory for the thread's life.
    if (bigger.length <= maxScratchInts) scratch = bigger;
  }
  int(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value;
  }
  bool(value: boolean): void {
    this.int(value ? 1 : 0);
  }
  str(value: string): void {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(value);
      this.index.set(value, i);
    }
    this.int(i);
  }
  /** A string or undefined (-1). */
  maybeStr(value: string | undefined): void {
    if (value === undefined) this.int(-1);
    else this.str(value);
  }
  location(l: Location): void {
    if (l.file === this.path) this.int(-1);
    else this.str(l.file);
    const { start, end } = l.range;
    this.room(4);
    const b = this.buffer;
    b[this.length] = start.line;
    b[this.length + 1] = start.character;
    b[this.length + 2] = end.line;
    b[this.length + 3] = end.character;
    this.length += 4;
  }
  /** The written ints, in a buffer of their own (to transfer). */
  finish(): Int32Array {
    return this.buffer.slice(0, this.length);
  }
  strs(values: string[]): void {
    this.int(values.length);
    for (const v of values) this.str(v);
  }
  /** `write` is a top-level function, not a closure made per call (see the note above writeFunction). */
  list<T>(items: T[], write: (w: Writer, item: T) => void): void {
    this.int(items.length);
    for (const item of items) write(this, item);
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptWriter = new Writer('');
void keptWriter;

class Reader {
  private at = 0;
  constructor(private readonly ints: Int32Array, private readonly strings: string[], private readonly path: string) {}

  int(): number {
    return this.ints[this.at++];
  }
  bool(): boolean {
    return this.ints[this.at++] === 1;
  }
  str(): string {
    return this.strings[this.ints[this.at++]];
  }
  maybeStr(): string | undefined {
    const i = this.ints[this.at++];
    return i < 0 ? undefined : this.strings[i];
  }
  position(): Position {
    const line = this.ints[this.at++];
    return { line, character: this.ints[this.at++] };
  }
  location(): Location {
    const file = this.maybeStr() ?? this.path;
    const start = this.position();
    return { file, range: { start, end: this.position() } };
  }
  strs(): string[] {
    const n = this.int();
    const values: string[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = this.str();
    return values;
  }
  list<T>(read: (r: Reader) => T): T[] {
    const n = this.int();
    const items: T[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = read(this);
    return items;
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptReader = new Reader(new Int32Array(0), [], '');
void keptReader;

function writeInit(w: Writer, value: InitValue): void {
  if (value.kind === 'expression') {
    w.int(0);
    w.str(value.text);
    w.str(value.nodeType);
    w.location(value.location);
    return;
  }
  w.int(1);
  w.list(value.entries, writeInitEntry);
  w.location(value.location);
  w.int(value.closeOffset);
}

function writeInitEntry(w: Writer, e: InitEntry): void {
  const pair = 'field' in e;
  w.bool(pair);
  if (pair) {
    w.maybeStr(e.field);
    w.bool(e.fieldLocation !== undefined);
    if (e.fieldLocation) w.location(e.fieldLocation);
  }
  writeInit(w, e.value);
  w.location(e.location);
  w.int(e.offset);
}

function readInit(r: Reader): InitValue {
  if (r.int() === 0) {
    const text = r.str();
    const nodeType = r.str();
    return { kind: 'expression', text, nodeType, location: r.location() };
  }
  const entries = r.list(readInitEntry);
  const location = r.location();
  const list: InitList = { kind: 'list', entries, location, closeOffset: r.int() };
  return list;
}

function readInitEntry(r: Reader): InitEntry {
  if (r.bool()) {
    const field = r.maybeStr();
    const fieldLocation = r.bool() ? r.location() : undefined;
    const value = readInit(r);
    const location = r.location();
    return { field, fieldLocation, value, location, offset: r.int() };
  }
  const value = readInit(r);
  const location = r.location();
  return { value, location, offset: r.int() };
}

function writeNamedUse(w: Writer, u: NamedUse): void {
  w.str(u.name);
  w.location(u.location);
  w.int(u.offset);
}

function readNamedUse(r: Reader): NamedUse {
  const name = r.str();
  const location = r.location();
  return { name, location, offset: r.int() };
}

// Every item has its own top-level writer and reader, never a closure made per call: a closure's
// optimised code lives only as long as one of its instances, so closures made afresh for each
// file lost their code at every full collection and were compiled again on every pass.

function writeFunction(w: Writer, f: RawFunction): void {
  w.str(f.name);
  w.location(f.location);
  w.location(f.nameLocation);
  w.bool(f.isStatic);
  w.str(f.returnType);
  w.strs(f.parameterTypes);
  w.strs(f.annotations);
  w.int(f.startOffset);
  w.int(f.endOffset);
}

function readFunction(r: Reader): RawFunction {
  const name = r.str();
  const location = r.location();
  const nameLocation = r.location();
  const isStatic = r.bool();
  const returnType = r.str();
  const parameterTypes = r.strs();
  const annotations = r.strs();
  const startOffset = r.int();
  return { name, location, nameLocation, isStatic, returnType, parameterTypes, annotations, startOffset, endOffset: r.int() };
}

function writeStructVariable(w: Writer, v: StructVariable): void {
  w.str(v.structType);
  w.str(v.name);
  w.bool(v.isArray);
  w.maybeStr(v.arraySize);
  w.bool(v.isStatic);
  writeInit(w, v.value);
  w.location(v.location);
  w.location(v.nameLocation);
  w.int(v.offset);
}

function readStructVariable(r: Reader): StructVariable {
  const structType = r.str();
  const name = r.str();
  const isArray = r.bool();
  const arraySize = r.maybeStr();
  const isStatic = r.bool();
  const value = readInit(r) as InitList;
  const location = r.location();
  const nameLocation = r.location();
  return { structType, name, isArray, arraySize, isStatic, value, location, nameLocation, offset: r.int() };
}

type CallArgument = CallSite['arguments'][number];

function writeArgument(w: Writer, a: CallArgument): void {
  w.str(a.text);
  w.str(a.nodeType);
  w.location(a.location);
  w.maybeStr(a.sizeofType);
}

function readArgument(r: Reader): CallArgument {
  const text = r.str();
  const nodeType = r.str();
  const argument: CallArgument = { text, nodeType, location: r.location() };
  const sizeofType = r.maybeStr();
  if (sizeofType !== undefined) argument.sizeofType = sizeofType;
  return argument;
}

function writeCall(w: Writer, c: CallSite): void {
  w.str(c.name);
  w.list(c.arguments, writeArgument);
  w.location(c.location);
  w.location(c.nameLocation);
  w.str(c.enclosingFunction);
  w.bool(c.returned);
  if (!('assignedTo' in c)) w.int(0);
  else if (c.assignedTo === undefined) w.int(1);
  else {
    w.int(2);
    w.str(c.assignedTo);
  }
  w.maybeStr(c.resultType);
  w.int(c.offset);
}

function readCall(r: Reader): CallSite {
  const name = r.str();
  const args = r.list(readArgument);
  const location = r.location();
  const nameLocation = r.location();
  const enclosingFunction = r.str();
  const returned = r.bool();
  const assigned = r.int();
  const assignedTo = assigned === 2 ? r.str() : undefined;
  const resultType = r.maybeStr();
  const site: CallSite =
    assigned === 0
      ? { name, arguments: args, location, nameLocation, enclosingFunction, returned, offset: 0 }
      : { name, arguments: args, location, nameLocation, enclosingFunction, returned, assignedTo, offset: 0 };
  if (resultType !== undefined) site.resultType = resultType;
  site.offset = r.int();
  return site;
}

function writeReference(w: Writer, f: FunctionReference): void {
  w.str(f.name);
  w.str(f.enclosingFunction);
  w.int(f.offset);
}

function readReference(r: Reader): FunctionReference {
  const name = r.str();
  const enclosingFunction = r.str();
  return { name, enclosingFunction, offset: r.int() };
}

function writeReturn(w: Writer, f: ReturnSite): void {
  w.str(f.enclosingFunction);
  w.str(f.text);
  w.location(f.location);
  w.int(f.offset);
}

function readReturn(r: Reader): ReturnSite {
  const enclosingFunction = r.str();
  const text = r.str();
  const location = r.location();
  return { enclosingFunction, text, location, offset: r.int() };
}

function writeStaticLocal(w: Writer, f: StaticLocal): void {
  w.str(f.enclosingFunction);
  w.str(f.name);
  w.location(f.location);
  w.int(f.offset);
}

function readStaticLocal(r: Reader): StaticLocal {
  const enclosingFunction = r.str();
  const name = r.str();
  const location = r.location();
  return { enclosingFunction, name, location, offset: r.int() };
}

function writeDefine(w: Writer, d: RawDefine): void {
  w.str(d.name);
  w.bool(d.parameters !== undefined);
  if (d.parameters) w.strs(d.parameters);
  w.str(d.body);
  w.location(d.location);
  w.int(d.offset);
}

function readDefine(r: Reader): RawDefine {
  const name = r.str();
  if (r.bool()) {
    const parameters = r.strs();
    const body = r.str();
    const location = r.location();
    return { name, parameters, body, location, offset: r.int() };
  }
  const body = r.str();
  const location = r.location();
  return { name, body, location, offset: r.int() };
}

function writeInclude(w: Writer, i: RawInclude): void {
  w.str(i.path);
  w.bool(i.system);
  w.location(i.location);
  w.int(i.offset);
}

function readInclude(r: Reader): RawInclude {
  const path = r.str();
  const system = r.bool();
  const location = r.location();
  return { path, system, location, offset: r.int() };
}

type ConditionalBranch = ConditionalChain['branches'][number];

function writeBranch(w: Writer, b: ConditionalBranch): void {
  w.str(b.kind);
  w.str(b.condition);
  w.int(b.start);
  w.int(b.end);
}

function readBranch(r: Reader): ConditionalBranch {
  const kind = r.str() as ConditionalBranch['kind'];
  const condition = r.str();
  const start = r.int();
  return { kind, condition, start, end: r.int() };
}

function writeConditional(w: Writer, c: ConditionalChain): void {
  w.list(c.branches, writeBranch);
}

function readConditional(r: Reader): ConditionalChain {
  return { branches: r.list(readBranch) };
}

type SyntaxErrorFact = FileFacts['syntaxErrors'][number];

function writeSyntaxError(w: Writer, e: SyntaxErrorFact): void {
  w.str(e.message);
  w.location(e.location);
  w.int(e.offset);
}

function readSyntaxError(r: Reader): SyntaxErrorFact {
  const message = r.str();
  const location = r.location();
  return { message, location, offset: r.int() };
}

function writeRecord(w: Writer, record: RecordDefinition): void {
  w.str(record.name);
  w.strs(record.fields);
  w.location(record.location);
  w.int(record.offset);
}

function readRecord(r: Reader): RecordDefinition {
  const name = r.str();
  const fields = r.strs();
  const location = r.location();
  return { name, fields, location, offset: r.int() };
}

function writeTypedef(w: Writer, typedef: TypedefDefinition): void {
  w.str(typedef.name);
  w.str(typedef.type);
  w.location(typedef.location);
  w.int(typedef.offset);
}

function readTypedef(r: Reader): TypedefDefinition {
  const name = r.str();
  const type = r.str();
  const location = r.location();
  return { name, type, location, offset: r.int() };
}

type LayoutMarker = LayoutFacts['markers'][number];
type LayoutRelocation = LayoutFacts['relocations'][number];

function writeMarker(w: Writer, marker: LayoutMarker): void {
  w.str(marker.name);
  w.int(marker.offset);
  w.location(marker.location);
}

function readMarker(r: Reader): LayoutMarker {
  const name = r.str();
  const offset = r.int();
  return { name, offset, location: r.location() };
}

function writeRelocation(w: Writer, relocation: LayoutRelocation): void {
  w.str(relocation.sectionObject);
  w.str(relocation.symbolObject);
  w.str(relocation.symbol);
  // As text: a position is any number the macro spells, not always an int32.
  w.maybeStr(relocation.position === undefined ? undefined : String(relocation.position));
  w.location(relocation.location);
  w.int(relocation.offset);
}

function readRelocation(r: Reader): LayoutRelocation {
  const sectionObject = r.str();
  const symbolObject = r.str();
  const symbol = r.str();
  const position = r.maybeStr();
  const location = r.location();
  return { sectionObject, symbolObject, symbol, position: position === undefined ? undefined : Number(position), location, offset: r.int() };
}

/**
 * A file's facts, and its layout facts when it has any: these travel in the same buffers, as
 * structured clone of their locations cost more than the rest of a reply on a distribution tree
 * (a dozen relocation macros per extracted file).
 */
export function encodeFacts(facts: FileFacts, layout?: LayoutFacts): { encoded: EncodedFacts; transfer: ArrayBuffer[] } {
  const w = new Writer(facts.path);
  w.list(facts.functions, writeFunction);
  w.list(facts.structVariables, writeStructVariable);
  w.list(facts.calls, writeCall);
  w.list(facts.callEdges, writeReference);
  w.list(facts.functionReferences, writeReference);
  w.list(facts.returns, writeReturn);
  w.list(facts.staticLocals, writeStaticLocal);
  w.list(facts.defines, writeDefine);
  w.list(facts.includes, writeInclude);
  w.list(facts.conditionals, writeConditional);
  w.list(facts.structUses, writeNamedUse);
  w.list(facts.designators, writeNamedUse);
  w.list(facts.syntaxErrors, writeSyntaxError);
  // Absent (facts built by hand) and present stay apart, so decoding gives back the same keys.
  w.bool(facts.records !== undefined);
  if (facts.records) w.list(facts.records, writeRecord);
  w.bool(facts.typedefs !== undefined);
  if (facts.typedefs) w.list(facts.typedefs, writeTypedef);
  w.bool(layout !== undefined);
  if (layout) {
    w.list(layout.markers, writeMarker);
    w.list(layout.relocations, writeRelocation);
  }
  const ints = w.finish();
  return { encoded: { path: facts.path, strings: w.strings, ints }, transfer: [ints.buffer as ArrayBuffer] };
}

export function decodeFacts(encoded: EncodedFacts): FileFacts {
  return decodeFactsAndLayout(encoded).facts;
}

export function decodeFactsAndLayout(encoded: EncodedFacts): { facts: FileFacts; layout: LayoutFacts | undefined } {
  const r = new Reader(encoded.ints, encoded.strings, encoded.path);
  const functions = r.list(readFunction);
  const structVariables = r.list(readStructVariable);
  const calls = r.list(readCall);
  const callEdges = r.list(readReference);
  const functionReferences = r.list(readReference);
  const returns = r.list(readReturn);
  const staticLocals = r.list(readStaticLocal);
  const defines = r.list(readDefine);
  const includes = r.list(readInclude);
  const conditionals = r.list(readConditional);
  const structUses = r.list(readNamedUse);
  const designators = r.list(readNamedUse);
  const syntaxErrors = r.list(readSyntaxError);
  const records = r.bool() ? r.list(readRecord) : undefined;
  const typedefs = r.bool() ? r.list(readTypedef) : undefined;
  // One literal with every key: decoded facts then share one hidden class that the literal's
  // boilerplate keeps alive (properties added afterwards made a class that died with the last
  // facts of a pass, and the code optimised for it with it). Extracted facts always have records
  // and typedefs; facts built by hand may not, and decode to exactly what was encoded.
  const decoded: FileFacts = {
    path: encoded.path,
    functions,
    structVariables,
    calls,
    callEdges,
    functionReferences,
    returns,
    staticLocals,
    defines,
    includes,
    conditionals,
    structUses,
    designators,
    syntaxErrors,
    records,
    typedefs,
  };
  if (!typedefs) delete decoded.typedefs;
  if (!records) delete decoded.records;
  const layout = r.bool() ? { markers: r.list(readMarker), relocations: r.list(readRelocation) } : undefined;
  return { facts: decoded, layout };
}
