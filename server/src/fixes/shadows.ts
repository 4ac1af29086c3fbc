/**
 * Fixes for shadow variables: klp_shadow_get_or_alloc() instead of klp_shadow_alloc(), and the
 * klp_shadow_free_all() a module lacks, with the destructor the variables need.
 */
import { shadowIdKey } from '../checks/takeover/common';
import type { Finding } from '../checks/types';
import type { LivepatchModule, ShadowCall } from '../model/types';
import { callbackEditor, idSpelling, sourceOf, type CallbackEditor } from './edits';
import { matchingBrace, SourceText } from './text';
import type { FileEdit, Fix, FixContext } from './types';

/** LP-SHADOW-ALLOC-DUP: the call that returns an existing variable instead of warning. */
export function useGetOrAlloc(finding: Finding, context: FixContext): Fix[] {
  const source = sourceOf(context, finding.location.file);
  if (!source) return [];
  const start = source.offsetAt(finding.location.range.start);
  const name = 'klp_shadow_alloc';
  if (source.text.slice(start, start + name.length) !== name) return [];
  return [
    {
      title: 'Use klp_shadow_get_or_alloc(), which returns an existing variable',
      code: finding.code,
      edits: [source.replace(start, start + name.length, 'klp_shadow_get_or_alloc')],
      isPreferred: true,
    },
  ];
}

/** Names of the structs and unions a piece of C mentions. */
function typesUsed(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(struct|union)\s+([A-Za-z_]\w*)/g)].map((match) => `${match[1]} ${match[2]}`))];
}

/** The full definition `struct x { ... };` in a text, if there. */
function typeDefinition(text: string, type: string): string | undefined {
  const [keyword, name] = type.split(' ');
  const found = new RegExp(String.raw`^${keyword}\s+${name}\s*\{`, 'm').exec(text);
  if (!found) return undefined;
  const close = matchingBrace(text, found.index + found[0].length - 1);
  if (close === undefined) return undefined;
  const semicolon = text.indexOf(';', close);
  return semicolon < 0 ? undefined : text.slice(found.index, semicolon + 1);
}

/**
 * Makes a destructor of another module usable here: copies its definition, and the struct
 * definitions it needs, in front of the new callbacks. Undefined when it cannot.
 */
function copyDestructor(context: FixContext, editor: CallbackEditor, from: LivepatchModule, dtor: string): boolean {
  if (context.module.functions.has(dtor)) return true;
  const definition = from.functions.get(dtor);
  const theirText = definition ? context.textOf(definition.file) : undefined;
  if (!definition || theirText === undefined) return false;
  const theirs = new SourceText(definition.file, theirText);
  const code = theirs.slice(definition.location.range);
  const ownTexts = context.module.files.map((file) => context.textOf(file) ?? '').join('\n');
  for (const type of typesUsed(code)) {
    if (type === 'struct klp_object' || typeDefinition(ownTexts, type) !== undefined) continue;
    const found = typeDefinition(theirText, type);
    if (found) editor.addSupport(`${found}\n`);
  }
  editor.addSupport(`${code}\n`);
  return true;
}

/**
 * LP-SHADOW-CUMULATIVE-DROP: the replaced patch never runs again, so its variables are freed in
 * this patch's post_patch (the transition is complete: no task runs the old code any more).
 */
export function freeInheritedShadows(finding: Finding, context: FixContext): Fix[] {
  const predecessor = context.modules.find((module) => module.name === finding.data?.predecessor && module !== context.module);
  const ids = Array.isArray(finding.data?.ids) ? (finding.data.ids as { shadowId?: unknown; idText?: unknown; dtor?: unknown }[]) : [];
  const patch = context.module.patches.find((candidate) => candidate.replace?.value === true);
  if (!predecessor || ids.length === 0 || !patch) return [];
  const editor = callbackEditor(context, patch);
  if (!editor) return [];
  const lines: string[] = [];
  const macros: FileEdit[] = [];
  for (const item of ids) {
    if (typeof item.shadowId !== 'number') return [];
    const spelled = idSpelling(context, editor.source, item.shadowId, typeof item.idText === 'string' ? item.idText : undefined, predecessor);
    const dtor = typeof item.dtor === 'string' ? item.dtor : undefined;
    if (dtor && !copyDestructor(context, editor, predecessor, dtor)) return [];
    macros.push(...spelled.edits);
    lines.push(`klp_shadow_free_all(${spelled.text}, ${dtor ?? 'NULL'});`);
  }
  const comment = `/* '${predecessor.name}' allocated these and never runs again: free what it left behind. */`;
  editor.add('post_patch', { existing: () => [comment, ...lines], created: () => [comment, ...lines] });
  const edits = editor.finish();
  if (!edits) return [];
  return [
    {
      title: lines.length === 1 ? `Free the shadow variables of '${predecessor.name}' in post_patch (${lines[0].slice(0, -1)})` : `Free the shadow variables of '${predecessor.name}' in post_patch (${lines.length} ids)`,
      code: finding.code,
      edits: [...macros, ...edits],
      isPreferred: true,
    },
  ];
}

/** LP-SHADOW-LEAK: free every variable of the id in post_unpatch, with the module's own destructor. */
export function freeLeakedShadows(finding: Finding, context: FixContext): Fix[] {
  const { module } = context;
  const call = module.shadowCalls.find(
    (candidate) =>
      candidate.location.file === finding.location.file &&
      candidate.location.range.start.line === finding.location.range.start.line &&
      candidate.location.range.start.character === finding.location.range.start.character,
  );
  const key = call ? shadowIdKey(call) : undefined;
  if (!call || key === undefined) return [];
  // Another patch of the workspace using the id would have its variables freed under it.
  if (context.modules.some((other) => other !== module && other.shadowCalls.some((theirs: ShadowCall) => shadowIdKey(theirs) === key))) return [];
  const patch = module.patches[0];
  if (!patch) return [];
  const editor = callbackEditor(context, patch);
  if (!editor) return [];
  const dtor = module.shadowCalls.find((candidate) => shadowIdKey(candidate) === key && candidate.dtor !== undefined)?.dtor;
  const idText = call.idMacro ?? call.id?.text.trim() ?? String(call.id?.value);
  const line = `klp_shadow_free_all(${idText}, ${dtor ?? 'NULL'});`;
  editor.add('post_unpatch', { existing: () => [line], at: 'end', created: () => [line] });
  const edits = editor.finish();
  if (!edits) return [];
  return [{ title: `Free every ${idText} variable in post_unpatch (${line})`, code: finding.code, edits, isPreferred: true }];
}
