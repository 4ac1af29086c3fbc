/**
 * Find references and rename for the ids of shadow variables and system states, when they are
 * macros (`#define CMDLINE_SHADOW_ID 0x5a1d`): every use across the workspace's modules — the
 * definition, the `klp_shadow_*` / `klp_get_state` arguments, `klp_state.id` initializers and
 * any other mention in code — because an id shared by the versions of a patch series must change
 * everywhere at once. Other identifiers are left to the C language extension.
 */
import { readFileSync } from 'node:fs';
import {
  ResponseError,
  ErrorCodes,
  type Location as LspLocation,
  type Range as LspRange,
  type ServerCapabilities,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { Range } from '../../model/location';
import type { LivepatchModule } from '../../model/types';
import type { ServerContext } from '../context';
import { identifierAt } from '../livepatchAt';
import { ensureWorkspaceIndexed } from './workspaceModules';

export type IdKind = 'shadow variable id' | 'state id';

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Macro names the workspace uses as shadow variable or state ids, with what they identify. */
export function idMacros(modules: readonly LivepatchModule[]): Map<string, IdKind> {
  const ids = new Map<string, IdKind>();
  for (const module of modules) {
    for (const call of module.shadowCalls) if (call.idMacro) ids.set(call.idMacro, 'shadow variable id');
    for (const call of module.stateCalls) if (call.idMacro && !ids.has(call.idMacro)) ids.set(call.idMacro, 'state id');
    for (const patch of module.patches) {
      for (const state of patch.states) {
        const text = state.id?.text.trim();
        if (text && identifierPattern.test(text) && !ids.has(text)) ids.set(text, 'state id');
      }
    }
  }
  return ids;
}

/** Whether a module mentions the macro: defines it, or uses it as an id. */
function moduleUses(module: LivepatchModule, name: string): boolean {
  return (
    module.macros.has(name) ||
    module.shadowCalls.some((call) => call.idMacro === name) ||
    module.stateCalls.some((call) => call.idMacro === name) ||
    module.patches.some((patch) => patch.states.some((state) => state.id?.text.trim() === name))
  );
}

/** The files to search for a macro: every file and header of the modules that mention it. */
export function filesMentioning(modules: readonly LivepatchModule[], name: string): string[] {
  const files = new Set<string>();
  for (const module of modules) {
    if (!moduleUses(module, name)) continue;
    for (const file of module.files) files.add(file);
    for (const macro of module.macros.values()) files.add(macro.location.file);
    for (const call of [...module.shadowCalls, ...module.stateCalls]) files.add(call.location.file);
    for (const patch of module.patches) files.add(patch.location.file);
  }
  return [...files].sort();
}

export interface Occurrence {
  range: Range;
  /** The `#define` of the name. */
  isDefinition: boolean;
}

/**
 * Every occurrence of `name` as a whole identifier in C text, outside comments, string and
 * character literals (positions in UTF-16 code units, as LSP counts).
 */
export function identifierOccurrences(text: string, name: string): Occurrence[] {
  const occurrences: Occurrence[] = [];
  let line = 0;
  let lineStart = 0;
  let index = 0;
  const length = text.length;
  const isIdentifierCharacter = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
  while (index < length) {
    const c = text[index];
    if (c === '\n') {
      line++;
      lineStart = ++index;
      continue;
    }
    if (c === '/' && text[index + 1] === '/') {
      while (index < length && text[index] !== '\n') index++;
      continue;
    }
    if (c === '/' && text[index + 1] === '*') {
      index += 2;
      while (index < length && !(text[index] === '*' && text[index + 1] === '/')) {
        if (text[index] === '\n') {
          line++;
          lineStart = index + 1;
        }
        index++;
      }
      index += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      index++;
      while (index < length && text[index] !== c && text[index] !== '\n') {
        // An escaped character, but never an escaped line break: lines must still be counted.
        index += text[index] === '\\' && text[index + 1] !== '\n' ? 2 : 1;
      }
      if (text[index] === c) index++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = index;
      while (isIdentifierCharacter(text[index])) index++;
      if (index - start === name.length && text.startsWith(name, start)) {
        const before = text.slice(lineStart, start);
        occurrences.push({
          range: { start: { line, character: start - lineStart }, end: { line, character: index - lineStart } },
          isDefinition: /^\s*#\s*define\s+$/.test(before),
        });
      }
      continue;
    }
    index++;
  }
  return occurrences;
}

function textOf(context: ServerContext, path: string): string | undefined {
  const open = context.documents.get(path);
  if (open) return open.document.getText();
  const known = context.analyzer.textOf(path);
  if (known !== undefined) return known;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface IdAtCursor {
  name: string;
  kind: IdKind;
  range: LspRange;
}

async function idAt(context: ServerContext, uri: string, position: { line: number; character: number }): Promise<IdAtCursor | undefined> {
  const open = context.documents.getByUri(uri);
  if (!open) return undefined;
  const identifier = identifierAt(open.document, position);
  if (!identifier) return undefined;
  await ensureWorkspaceIndexed(context);
  const kind = idMacros(context.analyzer.modules()).get(identifier.name);
  return kind ? { name: identifier.name, kind, range: identifier.range } : undefined;
}

/** Every occurrence of an id macro in the workspace, per file. */
function occurrencesOf(context: ServerContext, name: string): { path: string; occurrence: Occurrence }[] {
  const found: { path: string; occurrence: Occurrence }[] = [];
  for (const path of filesMentioning(context.analyzer.modules(), name)) {
    const text = textOf(context, path);
    if (text === undefined) continue;
    for (const occurrence of identifierOccurrences(text, name)) found.push({ path, occurrence });
  }
  return found;
}

export function register(context: ServerContext): ServerCapabilities {
  const { connection } = context;

  connection.onReferences(
    context.safe('textDocument/references', null, async ({ textDocument, position, context: options }): Promise<LspLocation[] | null> => {
      const id = await idAt(context, textDocument.uri, position);
      if (!id) return null;
      return occurrencesOf(context, id.name)
        .filter(({ occurrence }) => options.includeDeclaration || !occurrence.isDefinition)
        .map(({ path, occurrence }) => ({ uri: context.documents.uriOf(path), range: occurrence.range }));
    }),
  );

  connection.onPrepareRename(
    context.safe('textDocument/prepareRename', null, async ({ textDocument, position }) => {
      const id = await idAt(context, textDocument.uri, position);
      return id ? { range: id.range, placeholder: id.name } : null;
    }),
  );

  // Not wrapped in safe(): a refused rename must reach the user as an error message.
  connection.onRenameRequest(async ({ textDocument, position, newName }): Promise<WorkspaceEdit | null | ResponseError<void>> => {
    try {
      const id = await idAt(context, textDocument.uri, position);
      if (!id) return null;
      if (!identifierPattern.test(newName)) return new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a C identifier`);
      if (newName === id.name) return { changes: {} };
      const modules = context.analyzer.modules().filter((module) => filesMentioning([module], id.name).length > 0);
      if (modules.some((module) => module.macros.has(newName) || module.functions.has(newName))) {
        return new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is already defined in a module that uses ${id.name}`);
      }
      const changes: Record<string, TextEdit[]> = {};
      for (const { path, occurrence } of occurrencesOf(context, id.name)) {
        const uri = context.documents.uriOf(path);
        (changes[uri] ??= []).push({ range: occurrence.range, newText: newName });
      }
      context.log.info(`renaming ${id.kind} ${id.name} to ${newName} in ${Object.keys(changes).length} files`);
      return { changes };
    } catch (error) {
      context.log.error(`textDocument/rename failed: ${String(error)}`);
      return null;
    }
  });

  return { referencesProvider: true, renameProvider: { prepareProvider: true } };
}
