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
  linesByObject,
  objectKey,
  objectsMarker,
  spliceAtMarkers,
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

type LayoutPart = Pick<LivepatchModule, 'layout' | 'generatedPatches' | 'patchedFuncs' | 'templateMarkers' | 'relocations'>;

function inside(variable: StructVariable, marker: { offset: number; location: Location }): boolean {
  return variable.location.file === marker.location.file && variable.offset <= marker.offset && marker.offset <= variable.value.closeOffset;
}

export function assembleLayout(sources: LayoutSources | undefined, definitions: Definitions) {
  const list = sources?.patchedFuncs;
  const markers = sources?.markers ?? [];
  const records: TemplateMarker[] = markers.map((m) => ({ name: m.name, location: m.location, expanded: false }));
  const placed = new Set<PatchedFuncsLine>();

  const markersOf = (variable: StructVariable, name: string) => {
    const offsets: number[] = [];
    markers.forEach((marker, index) => {
      if (!inside(variable, marker)) return;
      records[index].table = variable.name;
      if (marker.name !== name) return;
      records[index].expanded = list !== undefined;
      offsets.push(marker.offset);
    });
    return offsets;
  };

  const place = (lines: PatchedFuncsLine[]) => {
    for (const line of lines) placed.add(line);
  };

  return {
    /** A klp_func array's entries, with the lines of `objectName`'s object where @@KLP_FUNCS@@ sits. */
    funcsOf(array: StructVariable, entries: InitEntry[], objectName: ResolvedValue<string> | undefined, build: (entry: InitEntry) => KlpFunc): KlpFunc[] {
      const offsets = markers.length > 0 ? markersOf(array, funcsMarker) : [];
      if (offsets.length === 0 || !list) return entries.map(build);
      const key = objectKey(objectName);
      const lines = key === undefined ? [] : list.lines.filter((line) => line.object.value === key);
      return spliceAtMarkers(entries.map((entry) => ({ entry, offset: entry.offset })), offsets, build, () => {
        place(lines);
        return lines.map((line) => generatedFunc(line, definitions));
      });
    },

    /** A klp_object array's entries, with an object per listed object it does not name where @@KLP_OBJECTS@@ sits. */
    objectsOf(array: StructVariable, entries: InitEntry[], build: (entry: InitEntry) => KlpObject): KlpObject[] {
      const offsets = markers.length > 0 ? markersOf(array, objectsMarker) : [];
      if (offsets.length === 0 || !list) return entries.map(build);
      const built = entries.map((entry) => ({ entry: build(entry), offset: entry.offset }));
      const named = new Set(built.filter((b) => !b.entry.isTerminator).map((b) => objectKey(b.entry.name)));
      return spliceAtMarkers(built, offsets, (object) => object, () => {
        const objects: KlpObject[] = [];
        for (const [object, lines] of linesByObject(list.lines)) {
          if (named.has(object)) continue;
          place(lines);
          objects.push(generatedObject(object, lines, definitions));
        }
        return objects;
      });
    },

    generatedPatches(inputs: GeneratorInputs): GeneratedPatches {
      for (const variable of inputs.structVariables) {
        markers.forEach((marker, index) => {
          if (records[index].table === undefined && inside(variable, marker)) records[index].table = variable.name;
        });
      }
      return buildGeneratedPatches(inputs, definitions, sources?.targetObject ?? vmlinuxObject);
    },

    /** `active` says whether the build compiles the text at an offset of a file (#if). */
    finish(generated: GeneratedPatches, active: (file: string, offset: number) => boolean): LayoutPart {
      // A table marker makes a template even when its list is missing (LP-TEMPLATE-MARKER says so).
      const hasTableMarker = records.some((r) => expandedMarkers.includes(r.name));
      const layout: ModuleLayout = list || hasTableMarker ? 'distribution' : (generated.generator ?? 'upstream');
      const part: LayoutPart = { layout };
      if (generated.patches.length > 0) part.generatedPatches = generated.patches;
      if (list) part.patchedFuncs = { ...list, unplaced: list.lines.filter((line) => !placed.has(line)) };
      if (records.length > 0) part.templateMarkers = records;
      const relocations = (sources?.relocations ?? []).filter((r) => active(r.location.file, r.offset)).map(({ offset: _offset, ...relocation }) => relocation);
      if (relocations.length > 0) part.relocations = relocations;
      return part;
    },
  };
}

function buildGeneratedPatches(inputs: GeneratorInputs, definitions: Definitions, targetObject: string): GeneratedPatches {
  let generator: Generator | undefined;
  let anchor: Location | undefined;
  const note = (found: Generator | undefined, location: Location) => {
    if (!found) return;
    generator ??= found;
    anchor ??= location;
  };
  for (const include of inputs.includes) note(generatorOfInclude(include.path), include.location);
  const callbacks: KlpCallback[] = [];
  for (const call of inputs.calls) {
    const macroGenerator = generatorOfMacro(call.name);
    if (!macroGenerator) continue;
    note(macroGenerator, call.location);
    const macro = callbackMacros.get(call.name);
    const argument = call.arguments[0];
    if (!macro || call.enclosingFunction !== '' || !argument) continue;
    const name = inputs.identifierOf(argument.text) ?? argument.text;
    callbacks.push({ kind: macro.kind, name, location: argument.location, definition: definitions.functions.get(name) });
  }
  const descriptors = inputs.structVariables.filter((v) => v.structType === 'klp_object_ext');
  if (descriptors.length > 0) note('klp-build', descriptors[0].location);
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
