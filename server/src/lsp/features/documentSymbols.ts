/**
 * Outline of a livepatch: each `klp_patch` with its objects, and under each object its
 * functions (old_name → new_func), callbacks and the patch's states. Only constructs located in
 * the requested file are listed.
 */
import { SymbolKind, type DocumentSymbol, type ServerCapabilities } from 'vscode-languageserver';
import type { Location, Range } from '../../model/location';
import type { KlpObject, KlpPatch, LivepatchModule } from '../../model/types';
import type { ServerContext } from '../context';
import { objectNameOf } from '../livepatchAt';
import { rangeContainsRange, sanitizeRange } from '../ranges';
import { isScenarioPath } from '../documents';
import { pathFromUri } from '../uris';

function symbol(name: string, kind: SymbolKind, location: Location, selection?: Location, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  const range = sanitizeRange(location.range);
  let selectionRange: Range = selection && selection.file === location.file ? sanitizeRange(selection.range) : range;
  // Clients reject a selection range outside the full range.
  if (!rangeContainsRange(range, selectionRange)) selectionRange = range;
  return { name: name || '(unnamed)', kind, range, selectionRange, detail, children };
}

function objectSymbol(object: KlpObject, path: string): DocumentSymbol | undefined {
  if (object.location.file !== path) return undefined;
  const children: DocumentSymbol[] = [];
  for (const func of object.funcs) {
    if (func.isTerminator || func.location.file !== path) continue;
    const name = func.oldName?.value ?? func.oldName?.text ?? '(no old_name)';
    const sympos = func.oldSympos?.value ? `, old_sympos ${func.oldSympos.value}` : '';
    const detail = func.newFunc ? `→ ${func.newFunc.name}${sympos}` : `no new_func${sympos}`;
    children.push(symbol(name, SymbolKind.Function, func.location, func.oldName?.location, detail));
  }
  for (const callback of object.callbacks) {
    if (callback.location.file !== path) continue;
    children.push(symbol(callback.kind, SymbolKind.Event, callback.location, undefined, callback.name));
  }
  const name = objectNameOf(object) ?? object.name?.text ?? '(unknown object)';
  const detail = object.funcsArrayName ? `funcs: ${object.funcsArrayName}` : undefined;
  return symbol(name, SymbolKind.Module, object.location, object.name?.location, detail, children);
}

function patchSymbol(patch: KlpPatch, path: string): DocumentSymbol | undefined {
  if (patch.location.file !== path) return undefined;
  const children: DocumentSymbol[] = [];
  for (const object of patch.objects) {
    if (object.isTerminator) continue;
    const child = objectSymbol(object, path);
    if (child) children.push(child);
  }
  for (const state of patch.states) {
    if (state.isTerminator || state.location.file !== path) continue;
    const id = state.id?.value ?? state.id?.text ?? '?';
    const version = state.version?.value ?? state.version?.text;
    children.push(symbol(`state ${id}`, SymbolKind.Constant, state.location, state.id?.location, version !== undefined ? `version ${version}` : undefined));
  }
  const detail = patch.replace?.value ? 'struct klp_patch (replace)' : 'struct klp_patch';
  return symbol(patch.variableName, SymbolKind.Variable, patch.location, patch.nameLocation, detail, children);
}

export function documentSymbols(module: LivepatchModule, path: string): DocumentSymbol[] {
  const symbols: DocumentSymbol[] = [];
  for (const patch of module.patches) {
    const found = patchSymbol(patch, path);
    if (found) symbols.push(found);
  }
  return symbols;
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onDocumentSymbol(
    context.safe('textDocument/documentSymbol', [], ({ textDocument }): DocumentSymbol[] => {
      const path = pathFromUri(textDocument.uri);
      // Scenarios are not C: the analyzer must not parse them.
      if (isScenarioPath(path)) return [];
      const module = context.analyzer.analyze(path).module;
      return module ? documentSymbols(module, path) : [];
    }),
  );
  return { documentSymbolProvider: { label: 'Livepatch' } };
}
