/**
 * Fixes for system states: add the state entry a predecessor (or a klp_get_state() call) needs,
 * bump a version, and the callback idiom that takes a state over (reference 8.2) or releases
 * what a predecessor set up for a state this patch no longer uses.
 */
import { callbackPath, shadowIdKey, stateIdKey } from '../checks/takeover/common';
import { declaredStates } from '../checks/series';
import type { Finding } from '../checks/types';
import type { KlpPatch, LivepatchModule } from '../model/types';
import {
  addInitializerField,
  callbackEditor,
  consultsPrevState,
  idSpelling,
  insertIntoList,
  listBraces,
  sourceOf,
  stateVariable,
  type CallbackEditor,
} from './edits';
import { declarationStartLine, indentUnit, SourceText } from './text';
import type { FileEdit, Fix, FixContext } from './types';

function moduleNamed(context: FixContext, name: unknown): LivepatchModule | undefined {
  return typeof name === 'string' ? context.modules.find((module) => module.name === name && module !== context.module) : undefined;
}

function numberData(finding: Finding, key: string): number | undefined {
  const value = finding.data?.[key];
  return typeof value === 'number' ? value : undefined;
}

/** Entries of a states array, in the style of the existing ones (one line, or one field per line). */
function stateEntryLines(source: SourceText, patch: KlpPatch, idText: string, version: number, unit: string): string[] {
  const example = patch.states.find((state) => !state.isTerminator);
  const multiline = example ? source.slice(example.location.range).includes('\n') : true;
  return multiline ? ['{', `${unit}.id = ${idText},`, `${unit}.version = ${version},`, '},'] : [`{ .id = ${idText}, .version = ${version} },`];
}

/** Edits adding `{ .id, .version }` to a patch's states, creating the array when it has none. */
function addStateEntry(context: FixContext, patch: KlpPatch, id: number, written: string | undefined, version: number, from: LivepatchModule | undefined): FileEdit[] | undefined {
  const arrayLocation = patch.statesArrayLocation;
  const source = sourceOf(context, arrayLocation?.file ?? patch.location.file);
  if (!source) return undefined;
  const unit = indentUnit(source.text);
  const spelled = idSpelling(context, source, id, written, from);
  const lines = stateEntryLines(source, patch, spelled.text, version, unit);
  if (arrayLocation) {
    const braces = listBraces(source, arrayLocation);
    if (!braces) return undefined;
    const terminator = patch.states.find((state) => state.isTerminator && state.location.file === source.path);
    if (terminator) {
      // Before the `{ }` (an entry after it would be ignored), indented like it.
      const line = terminator.location.range.start.line;
      const alone = source.lineText(line).slice(0, terminator.location.range.start.character).trim() === '';
      if (alone) return [...spelled.edits, source.insert(source.lineStart(line), lines.map((text) => `${source.indentOf(line)}${text}\n`).join(''))];
      return [...spelled.edits, source.insert(source.offsetAt(terminator.location.range.start), `${lines.map((text) => text.trim()).join(' ')} `)];
    }
    const added = insertIntoList(source, braces.open, braces.close, lines, unit);
    return added ? [...spelled.edits, ...added] : undefined;
  }
  // No states yet: a new array before the patch, and `.states = states` in it.
  if (patch.location.file !== source.path) return undefined;
  const taken = new RegExp(`\\bstates\\b`).test(source.text);
  const name = taken ? `${patch.variableName}_states` : 'states';
  const array = [`static struct klp_state ${name}[] = {`, ...lines.map((text) => `${unit}${text}`), `${unit}{ }`, '};', ''].map((text) => `${text}\n`).join('');
  const at = source.lineStart(declarationStartLine(source, patch.location));
  const field = addInitializerField(source, patch.location, `.states = ${name},`);
  if (!field) return undefined;
  return [...spelled.edits, source.insert(at, array), ...field];
}

/** Whether a module works with a state in its callbacks (then a successor must take it over). */
function usesStateInCallbacks(module: LivepatchModule, id: number): boolean {
  const path = callbackPath(module, ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch']);
  const key = stateIdKey(id);
  return module.stateCalls.some((call) => shadowIdKey(call) === key && path.has(call.enclosingFunction));
}

/** LP-STATE-MISSING and LP-STATE-UNDECLARED: declare the state (with the takeover idiom when the predecessor uses it). */
export function addMissingState(finding: Finding, context: FixContext): Fix[] {
  const { module } = context;
  let id = numberData(finding, 'stateId');
  let written = typeof finding.data?.idText === 'string' ? finding.data.idText : undefined;
  let predecessor = moduleNamed(context, finding.data?.predecessor);
  let patch = module.patches.find((candidate) => candidate.variableName === finding.data?.patch);
  if (finding.code === 'LP-STATE-UNDECLARED') {
    const call = module.stateCalls.find(
      (candidate) => candidate.id?.location.range.start.line === finding.location.range.start.line && candidate.id.location.range.start.character === finding.location.range.start.character,
    );
    if (!call || call.id?.value === undefined) return [];
    id = call.id.value;
    written = call.idMacro ?? call.id.text;
    patch = module.patches.find((candidate) => candidate.variableName === call.patchArgument?.replace(/^&\s*/, '')) ?? module.patches[0];
    predecessor ??= context.modules.find((other) => other !== module && other.isLivepatch && declaredStates(other).has(id!));
  }
  patch ??= module.patches[0];
  if (id === undefined || !patch) return [];
  const version = numberData(finding, 'version') ?? (predecessor ? declaredStates(predecessor).get(id)?.version : undefined) ?? 1;
  const entry = addStateEntry(context, patch, id, written, version, predecessor);
  if (!entry) return [];
  const fixes: Fix[] = [];
  const what = `state ${written ?? id} (version ${version}${predecessor ? `, as in '${predecessor.name}'` : ''})`;
  if (predecessor && finding.code === 'LP-STATE-MISSING' && usesStateInCallbacks(predecessor, id)) {
    // Declaring it is not enough: the predecessor's data must be taken over too.
    const editor = callbackEditor(context, patch);
    if (!editor) return [];
    const source = sourceOf(context, entry[0]?.file ?? patch.location.file);
    const spelled = source ? idSpelling(context, source, id, written, predecessor).text : String(id);
    addTakeoverSkeleton(editor, spelled, predecessor.name);
    const callbacks = editor.finish();
    if (!callbacks) return [];
    fixes.push({ title: `Carry ${what} forward and take it over in the callbacks`, code: finding.code, edits: [...entry, ...callbacks], isPreferred: true });
  } else {
    fixes.push({ title: `Declare ${what} in .states`, code: finding.code, edits: entry, isPreferred: true });
  }
  return fixes;
}

/** LP-STATE-DOWNGRADE: raise the version to the installed one. */
export function bumpVersion(finding: Finding, context: FixContext): Fix[] {
  const version = numberData(finding, 'version');
  if (version === undefined) return [];
  const source = sourceOf(context, finding.location.file);
  if (!source) return [];
  const state = context.module.patches
    .flatMap((patch) => patch.states)
    .find((candidate) => candidate.version?.location.range.start.line === finding.location.range.start.line && candidate.version.location.range.start.character === finding.location.range.start.character);
  if (!state?.version) return [];
  const start = source.offsetAt(state.version.location.range.start);
  const end = source.offsetAt(state.version.location.range.end);
  return [{ title: `Raise the version to ${version}`, code: finding.code, edits: [source.replace(start, end, String(version))], isPreferred: true }];
}

/**
 * The reference 8.2 idiom for state `id` in every callback kind: existing callbacks get the
 * klp_get_prev_state() check they lack, missing ones are generated.
 */
function addTakeoverSkeleton(editor: CallbackEditor, id: string, predecessor: string): void {
  const patchName = editor.patch.variableName;
  const state = (text: string) => stateVariable(text, id) ?? `klp_get_state(&${patchName}, ${id})`;
  editor.add('pre_patch', {
    existing: (definition, text) =>
      consultsPrevState(text, id)
        ? undefined
        : [
            `if (klp_get_prev_state(${id})) {`,
            `\t/* '${predecessor}' is installed: reuse its data, set nothing up again. */`,
            `\t${state(text)}->data = klp_get_prev_state(${id})->data;`,
            `\treturn${/void/.test(definition.returnType) ? '' : ' 0'};`,
            '}',
          ],
    created: () => [
      `struct klp_state *state = klp_get_state(&${patchName}, ${id});`,
      `struct klp_state *prev_state = klp_get_prev_state(${id});`,
      '',
      'if (!state)',
      '\treturn -EINVAL;',
      `/* '${predecessor}' is installed: reuse its data, allocate nothing. */`,
      'if (prev_state) {',
      '\tstate->data = prev_state->data;',
      '\treturn 0;',
      '}',
      '/* First patch with this state: allocate state->data and prepare the change here. */',
      'return 0;',
    ],
  });
  editor.add('post_patch', {
    existing: (_definition, text) =>
      consultsPrevState(text, id)
        ? undefined
        : [
            `if (klp_get_prev_state(${id})) {`,
            `\t/* Take over from '${predecessor}': it never runs its callbacks again. */`,
            `\t${state(text)}->data = klp_get_prev_state(${id})->data;`,
            '\treturn;',
            '}',
          ],
    created: () => [
      `struct klp_state *state = klp_get_state(&${patchName}, ${id});`,
      `struct klp_state *prev_state = klp_get_prev_state(${id});`,
      '',
      `/* Take over from '${predecessor}': it never runs its callbacks again. */`,
      'if (prev_state) {',
      '\tstate->data = prev_state->data;',
      '\treturn;',
      '}',
      '/* No predecessor: apply the change now that every task runs the new code. */',
    ],
  });
  editor.add('pre_unpatch', {
    created: () => ['/* Undo what post_patch applied (this runs only on a real disable). */'],
  });
  editor.add('post_unpatch', {
    existing: (_definition, text) =>
      consultsPrevState(text, id)
        ? undefined
        : [`/* A reverted replacement: '${predecessor}' is still installed and keeps its data. */`, `if (klp_get_prev_state(${id}))`, '\treturn;'],
    created: () => [
      `/* A reverted replacement: '${predecessor}' is still installed and keeps its data. */`,
      `if (klp_get_prev_state(${id}))`,
      '\treturn;',
      '/* Free here only what this patch set up itself. */',
    ],
  });
}

function stateOf(context: FixContext, id: number) {
  return declaredStates(context.module).get(id);
}

/** LP-STATE-TAKEOVER and LP-STATE-REVERT-FREE: the takeover idiom, in the module's own callbacks. */
export function takeoverSkeleton(finding: Finding, context: FixContext): Fix[] {
  const id = numberData(finding, 'stateId');
  const predecessor = typeof finding.data?.predecessor === 'string' ? finding.data.predecessor : 'the predecessor';
  if (id === undefined) return [];
  const declared = stateOf(context, id);
  if (!declared) return [];
  const source = sourceOf(context, declared.patch.location.file);
  if (!source) return [];
  const spelled = idSpelling(context, source, id, declared.state.id?.text, undefined).text;
  const fixes: Fix[] = [];
  if (finding.code === 'LP-STATE-REVERT-FREE') {
    const editor = callbackEditor(context, declared.patch);
    if (editor) {
      editor.add('post_unpatch', {
        existing: (_definition, text) =>
          consultsPrevState(text, spelled)
            ? undefined
            : [`/* A reverted replacement: '${predecessor}' is still installed and keeps its data. */`, `if (klp_get_prev_state(${spelled}))`, '\treturn;'],
      });
      const edits = editor.finish();
      if (edits) fixes.push({ title: `Free in post_unpatch only when klp_get_prev_state(${spelled}) is NULL`, code: finding.code, edits, isPreferred: true });
    }
  }
  const editor = callbackEditor(context, declared.patch);
  if (!editor) return fixes;
  addTakeoverSkeleton(editor, spelled, predecessor);
  const edits = editor.finish();
  if (edits) fixes.push({ title: `Take state ${spelled} over from '${predecessor}' in every callback (reference 8.2 skeleton)`, code: finding.code, edits, isPreferred: fixes.length === 0 });
  return fixes;
}

/** The function the predecessor frees state data with in its unpatch callbacks (kfree, vfree, kvfree). */
function dataRelease(predecessor: LivepatchModule): string | undefined {
  for (const name of callbackPath(predecessor, ['post_unpatch', 'pre_unpatch']))
    for (const callee of predecessor.functions.get(name)?.calls ?? []) if (callee === 'kfree' || callee === 'kvfree' || callee === 'vfree') return callee;
  return undefined;
}

/** LP-STATE-DEPRECATED: release in post_patch what the predecessor set up for the state. */
export function releaseDeprecatedState(finding: Finding, context: FixContext): Fix[] {
  const id = numberData(finding, 'stateId');
  const predecessor = moduleNamed(context, finding.data?.predecessor);
  if (id === undefined || !predecessor) return [];
  const declared = stateOf(context, id);
  if (!declared) return [];
  const editor = callbackEditor(context, declared.patch);
  if (!editor) return [];
  const idText = idSpelling(context, editor.source, id, declared.state.id?.text, predecessor);
  const release = dataRelease(predecessor);
  const key = stateIdKey(id);
  const shadow = predecessor.shadowCalls.find((call) => shadowIdKey(call) === key && (call.api === 'klp_shadow_alloc' || call.api === 'klp_shadow_get_or_alloc'));
  const dtor = predecessor.shadowCalls.find((call) => shadowIdKey(call) === key && call.dtor !== undefined)?.dtor;
  if (dtor && !context.module.functions.has(dtor)) return [];
  const statements = (prev: string) => [
    ...(release ? [`${release}(${prev}->data);`, `${prev}->data = NULL;`] : [`/* Release ${prev}->data the way '${predecessor.name}' did in its post_unpatch. */`]),
    ...(shadow ? [`klp_shadow_free_all(${idText.text}, ${dtor ?? 'NULL'});`] : []),
  ];
  const comment = [
    '/*',
    ` * '${predecessor.name}' set this state up and this patch no longer uses it:`,
    ' * release it here, since replaced patches never run their callbacks.',
    ' */',
  ];
  editor.add('post_patch', {
    existing: () => [...comment, `if (klp_get_prev_state(${idText.text})) {`, ...statements(`klp_get_prev_state(${idText.text})`).map((line) => `\t${line}`), '}'],
    created: () => [`struct klp_state *prev_state = klp_get_prev_state(${idText.text});`, '', ...comment, 'if (!prev_state)', '\treturn;', ...statements('prev_state')],
  });
  const edits = editor.finish();
  if (!edits) return [];
  return [{ title: `Release in post_patch what '${predecessor.name}' set up for state ${idText.text}`, code: finding.code, edits: [...idText.edits, ...edits], isPreferred: true }];
}
