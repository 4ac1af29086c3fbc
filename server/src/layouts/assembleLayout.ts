/**
 * The part of module assembly that depends on the layout (docs/layouts.md): filling template
 * markers from patched_funcs.csv while tables are built, and building the patch a kpatch or
 * klp-build generator would write. Called from model/assemble.ts, which hands in its own
 * resolution helpers (macro expansion, evaluation, #if filtering) so the values come out exactly
 * as for hand-written tables.
 */
import type { CallSite, InitEntry, InitList, InitValue, RawInclude, StructVariable } from '../model/fileFacts';
import type { Location } from '../model/location';
import {
  callbackKinds,
  type CallbackKind,
  type KlpCallback,
  type KlpFunc,
  type KlpObject,
  type KlpPatch,
  type KlpRelocation,
  type LivepatchModule,
  type ModuleLayout,
  type PatchedFuncsLine,
  type PatchedFuncsList,
  type ResolvedValue,
  type TemplateMarker,
} from '../model/types';
import {
  expandedMarkers,
  funcsMarker,
  generatedFunc,
  generatedObject,
  entriesBeforeMarkers,
  linesByObject,
  objectKey,
  objectsMarker,
  vmlinuxObject,
  type Definitions,
} from './distribution';
import { callbackMacros, generatorOfInclude, generatorOfMacro, type Generator } from './generators';

export interface LayoutSources {
  /** The fix folder's patched_funcs.csv, parsed. */
  patchedFuncs?: PatchedFuncsList;
  /** `@@NAME@@` markers of the module's files (offsets in their file). */
  markers?: { name: string; offset: number; location: Location }[];
  /** The object a kpatch/klp-build source is compiled into; vmlinux when absent. */
  targetObject?: string;
  /** Relocation macros of the module's files (offsets in their file). */
  relocations?: (KlpRelocation & { offset: number })[];
}

/** What assemble.ts lends for building generated patches. */
export interface GeneratorInputs {
  calls: CallSite[];
  includes: RawInclude[];
  structVariables: StructVariable[];
  fieldsOf(list: InitList, structType: string): Map<string, InitEntry>;
  activeEntries(variable: StructVariable): InitEntry[];
  resolvedString(value: InitValue | undefined): ResolvedValue<string> | undefined;
  resolvedNumber(value: InitValue | undefined): ResolvedValue<number> | undefined;
  identifierOf(text: string): string | undefined;
  isEmptyEntry(value: InitValue): boolean;
}

export interface GeneratedPatches {
  generator?: Generator;
  patches: KlpPatch[];
}

/** What assemble.ts lends for filling a template's tables. */
export interface TableBuilder {
  buildFunc(entry: InitEntry): KlpFunc;
  buildObject(entry: InitEntry): KlpObject;
  /** Whether the build compiles the text at an offset of a file (#if). */
  isActiveAt(file: string, offset: number): boolean;
}

type LayoutPart = Pick<LivepatchModule, 'layout' | 'generatedPatches' | 'patchedFuncs' | 'templateMarkers' | 'relocations'>;

function inside(variable: StructVariable, marker: { offset: number; location: Location }): boolean {
  return variable.location.file === marker.location.file && variable.offset <= marker.offset && marker.offset <= variable.value.closeOffset;
}

/**
 * One module's layout assembly: the tables' markers filled from its list while assemble.ts builds
 * them, then what the layout adds to the model. A class, not closures made per module, so that
 * its optimised code outlives each module (ARCHITECTURE.md, invariants).
 */
export class LayoutAssembly {
  private readonly list: PatchedFuncsList | undefined;
  private readonly markers: NonNullable<LayoutSources['markers']>;
  private readonly records: TemplateMarker[] = [];
  private readonly placed = new Set<PatchedFuncsLine>();

  constructor(
    private readonly sources: LayoutSources | undefined,
    private readonly definitions: Definitions,
  ) {
    this.list = sources?.patchedFuncs;
    this.markers = sources?.markers ?? [];
    for (const m of this.markers) this.records.push({ name: m.name, location: m.location, expanded: false });
  }

  /** Offsets of the `name` markers inside a table; every marker inside it learns its table. */
  private markersOf(variable: StructVariable, name: string): number[] {
    const offsets: number[] = [];
    for (let index = 0; index < this.markers.length; index++) {
      const marker = this.markers[index];
      if (!inside(variable, marker)) continue;
      this.records[index].table = variable.name;
      if (marker.name !== name) continue;
      this.records[index].expanded = this.list !== undefined;
      offsets.push(marker.offset);
    }
    return offsets;
  }

  private place(lines: readonly PatchedFuncsLine[]): void {
    for (const line of lines) this.placed.add(line);
  }

  /** A klp_func array's entries, with the lines of `objectName`'s object where @@KLP_FUNCS@@ sits. */
  funcsOf(array: StructVariable, entries: InitEntry[], objectName: ResolvedValue<string> | undefined, tables: TableBuilder): KlpFunc[] {
    const funcs: KlpFunc[] = [];
    const offsets = this.markers.length > 0 ? this.markersOf(array, funcsMarker) : [];
    const list = this.list;
    if (offsets.length === 0 || !list) {
      for (const entry of entries) funcs.push(tables.buildFunc(entry));
      return funcs;
    }
    const key = objectKey(objectName);
    const lines: PatchedFuncsLine[] = [];
    if (key !== undefined) for (const line of list.lines) if (line.object.value === key) lines.push(line);
    const before = entriesBeforeMarkers(entries, offsets);
    for (let i = 0, m = 0; i <= entries.length; i++) {
      for (; m < before.length && before[m] === i; m++) {
        this.place(lines);
        for (const line of lines) funcs.push(generatedFunc(line, this.definitions));
      }
      if (i < entries.length) funcs.push(tables.buildFunc(entries[i]));
    }
    return funcs;
  }

  /** A klp_object array's entries, with an object per listed object it does not name where @@KLP_OBJECTS@@ sits. */
  objectsOf(array: StructVariable, entries: InitEntry[], tables: TableBuilder): KlpObject[] {
    const offsets = this.markers.length > 0 ? this.markersOf(array, objectsMarker) : [];
    const built: KlpObject[] = [];
    for (const entry of entries) built.push(tables.buildObject(entry));
    const list = this.list;
    if (offsets.length === 0 || !list) return built;
    const named = new Set<string | undefined>();
    for (const object of built) if (!object.isTerminator) named.add(objectKey(object.name));
    const objects: KlpObject[] = [];
    const before = entriesBeforeMarkers(entries, offsets);
    for (let i = 0, m = 0; i <= built.length; i++) {
      for (; m < before.length && before[m] === i; m++) {
        for (const [object, lines] of linesByObject(list.lines)) {
          if (named.has(object)) continue;
          this.place(lines);
          objects.push(generatedObject(object, lines, this.definitions));
        }
      }
      if (i < built.length) objects.push(built[i]);
    }
    return objects;
  }

  generatedPatches(inputs: GeneratorInputs): GeneratedPatches {
    for (const variable of inputs.structVariables) {
      for (let index = 0; index < this.markers.length; index++) {
        if (this.records[index].table === undefined && inside(variable, this.markers[index])) this.records[index].table = variable.name;
      }
    }
    return buildGeneratedPatches(inputs, this.definitions, this.sources?.targetObject ?? vmlinuxObject);
  }

  finish(generated: GeneratedPatches, tables: TableBuilder): LayoutPart {
    const list = this.list;
    // A table marker makes a template even when its list is missing (LP-TEMPLATE-MARKER says so).
    let hasTableMarker = false;
    for (const record of this.records) if (expandedMarkers.includes(record.name)) hasTableMarker = true;
    const layout: ModuleLayout = list || hasTableMarker ? 'distribution' : (generated.generator ?? 'upstream');
    const part: LayoutPart = { layout };
    if (generated.patches.length > 0) part.generatedPatches = generated.patches;
    if (list) {
      const unplaced: PatchedFuncsLine[] = [];
      for (const line of list.lines) if (!this.placed.has(line)) unplaced.push(line);
      part.patchedFuncs = { ...list, unplaced };
    }
    if (this.records.length > 0) part.templateMarkers = this.records;
    const relocations: KlpRelocation[] = [];
    for (const found of this.sources?.relocations ?? []) {
      if (!tables.isActiveAt(found.location.file, found.offset)) continue;
      // The relocation without its offset (a literal: an object rest copies key by key).
      const { sectionObject, symbolObject, symbol, position, location } = found;
      relocations.push({ sectionObject, symbolObject, symbol, position, location });
    }
    if (relocations.length > 0) part.relocations = relocations;
    return part;
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptLayoutAssembly = new LayoutAssembly(undefined, { functions: new Map(), isVariable: () => false });
void keptLayoutAssembly;

function buildGeneratedPatches(inputs: GeneratorInputs, definitions: Definitions, targetObject: string): GeneratedPatches {
  // The first sign of a generator names it, and anchors its patch.
  let generator: Generator | undefined;
  let anchor: Location | undefined;
  for (const include of inputs.includes) {
    const found = generatorOfInclude(include.path);
    if (!found || generator) continue;
    generator = found;
    anchor = include.location;
  }
  const callbacks: KlpCallback[] = [];
  for (const call of inputs.calls) {
    const macroGenerator = generatorOfMacro(call.name);
    if (!macroGenerator) continue;
    if (!generator) {
      generator = macroGenerator;
      anchor = call.location;
    }
    const macro = callbackMacros.get(call.name);
    const argument = call.arguments[0];
    if (!macro || call.enclosingFunction !== '' || !argument) continue;
    const name = inputs.identifierOf(argument.text) ?? argument.text;
    callbacks.push({ kind: macro.kind, name, location: argument.location, definition: definitions.functions.get(name) });
  }
  const descriptors: StructVariable[] = [];
  for (const variable of inputs.structVariables) if (variable.structType === 'klp_object_ext') descriptors.push(variable);
  if (descriptors.length > 0 && !generator) {
    generator = 'klp-build';
    anchor = descriptors[0].location;
  }
  if (!generator || !anchor) return { patches: [] };

  const objects: KlpObject[] = [];
  for (const variable of descriptors) {
    const entries = variable.isArray ? inputs.activeEntries(variable) : [{ value: variable.value, location: variable.location, offset: variable.offset } as InitEntry];
    for (const entry of entries) {
      if (inputs.isEmptyEntry(entry.value)) continue;
      objects.push(descriptorObject(entry, inputs, definitions));
    }
  }
  if (callbacks.length > 0) {
    const target = targetObject === vmlinuxObject ? undefined : targetObject;
    let object = objects.find((o) => (o.name?.value ?? undefined) === target);
    if (!object) {
      object = {
        name: target === undefined ? undefined : { value: target, text: `"${target}"`, location: callbacks[0].location },
        funcs: [],
        funcsTerminated: true,
        callbacks: [],
        otherFields: [],
        location: callbacks[0].location,
        isTerminator: false,
      };
      objects.push(object);
    }
    for (const callback of callbacks) object.callbacks.push(callback);
  }
  const patch: KlpPatch = {
    variableName: generator === 'kpatch' ? 'kpatch_patch' : 'klp_patch',
    location: anchor,
    nameLocation: anchor,
    objects,
    objectsTerminated: true,
    states: [],
    statesTerminated: false,
    // scripts/livepatch/init.c sets replace unless the build asked for "no replace" (reference 1.11).
    replace: generator === 'klp-build' ? { value: true, text: 'klp-build default', location: anchor } : undefined,
    otherFields: [],
    generatedBy: generator,
  };
  return { generator, patches: [patch] };
}

/** A `struct klp_object_ext` entry as the klp_object init.c makes of it. */
function descriptorObject(entry: InitEntry, inputs: GeneratorInputs, definitions: Definitions): KlpObject {
  const fields = entry.value.kind === 'list' ? inputs.fieldsOf(entry.value, 'klp_object_ext') : new Map<string, InitEntry>();
  const funcsEntry = fields.get('funcs');
  const funcsId = funcsEntry?.value.kind === 'expression' ? inputs.identifierOf(funcsEntry.value.text.replace(/\[\s*0\s*\]$/, '')) : undefined;
  const funcsArray = inputs.structVariables.find((v) => v.name === funcsId && v.structType === 'klp_func_ext');
  const count = inputs.resolvedNumber(fields.get('nr_funcs')?.value);
  let funcs: KlpFunc[] = [];
  if (funcsArray) {
    const funcEntries = funcsArray.isArray ? inputs.activeEntries(funcsArray) : [{ value: funcsArray.value, location: funcsArray.location, offset: funcsArray.offset } as InitEntry];
    funcs = funcEntries.map((e) => descriptorFunc(e, inputs, definitions));
  }
  const declaredFuncCount = count ? { ...count, arrayLength: funcs.length } : undefined;
  if (funcsArray) {
    // init.c copies nr_funcs entries; beyond the array it reads garbage (LP-EXT-NR-FUNCS says so).
    const n = count?.value;
    if (n !== undefined && n >= 0 && n < funcs.length) funcs = funcs.slice(0, n);
  }
  const callbacks: KlpCallback[] = [];
  const callbacksEntry = fields.get('callbacks');
  if (callbacksEntry?.value.kind === 'list') {
    for (const [kind, value] of inputs.fieldsOf(callbacksEntry.value, 'klp_callbacks')) {
      if (!callbackKinds.includes(kind as CallbackKind) || value.value.kind !== 'expression') continue;
      const name = inputs.identifierOf(value.value.text) ?? value.value.text;
      if (name === 'NULL') continue;
      callbacks.push({ kind: kind as CallbackKind, name, location: value.value.location, definition: definitions.functions.get(name) });
    }
  }
  const last = funcs[funcs.length - 1];
  return {
    name: inputs.resolvedString(fields.get('name')?.value),
    funcsArrayName: funcsArray?.name ?? funcsId,
    funcsLocation: funcsEntry?.value.location,
    funcsArrayLocation: funcsArray?.value.location,
    // init.c builds a terminated klp_func array from the counted descriptors.
    funcs: last ? [...funcs, { oldName: undefined, newFunc: undefined, oldSympos: undefined, otherFields: [], location: last.location, isTerminator: true }] : funcs,
    funcsTerminated: true,
    callbacks,
    otherFields: [],
    location: entry.location,
    isTerminator: false,
    declaredFuncCount,
  };
}

function descriptorFunc(entry: InitEntry, inputs: GeneratorInputs, definitions: Definitions): KlpFunc {
  const fields = entry.value.kind === 'list' ? inputs.fieldsOf(entry.value, 'klp_func_ext') : new Map<string, InitEntry>();
  const newFuncEntry = fields.get('new_func');
  let newFunc: KlpFunc['newFunc'];
  if (newFuncEntry?.value.kind === 'expression') {
    const name = inputs.identifierOf(newFuncEntry.value.text) ?? newFuncEntry.value.text;
    const definition = definitions.functions.get(name);
    newFunc = { name, location: newFuncEntry.value.location, definition, isFunction: !!definition || !definitions.isVariable(name) };
  }
  return {
    oldName: inputs.resolvedString(fields.get('old_name')?.value),
    newFunc,
    oldSympos: inputs.resolvedNumber(fields.get('sympos')?.value),
    otherFields: [],
    location: entry.location,
    isTerminator: inputs.isEmptyEntry(entry.value),
  };
}
