/**
 * Go to definition for the identifiers the livepatch model links: `.new_func` replacement
 * functions, callbacks, module init/exit, and the id macros of shadow-variable and system-state
 * calls and of `klp_state` entries. Other identifiers are left to the C language extension.
 */
import type { Location as LspLocation, ServerCapabilities } from 'vscode-languageserver';
import type { Location, Position } from '../../model/location';
import type { LivepatchModule } from '../../model/types';
import type { ServerContext } from '../context';
import { allFuncs, identifierAt } from '../livepatchAt';
import { locationContains } from '../ranges';

/**
 * Where `name`, found at `position` of `path`, is defined, when the model records a livepatch
 * reference to it there (or, when the recorded location is imprecise, anywhere the model uses
 * that name as a replacement function, callback or id macro).
 */
export function livepatchDefinition(module: LivepatchModule, path: string, position: Position, name: string): Location | undefined {
  const functionTarget = (fallbackName: string) => module.functions.get(fallbackName)?.nameLocation;
  const macroTarget = (macro: string) => module.macros.get(macro)?.location;

  // Exact: the model recorded this very reference.
  for (const { func } of allFuncs(module)) {
    const newFunc = func.newFunc;
    if (newFunc && newFunc.name === name && locationContains(newFunc.location, path, position)) {
      return newFunc.definition?.nameLocation ?? functionTarget(name);
    }
  }
  for (const patch of module.patches) {
    for (const object of patch.objects) {
      for (const callback of object.callbacks) {
        if (callback.name === name && locationContains(callback.location, path, position)) {
          return callback.definition?.nameLocation ?? functionTarget(name);
        }
      }
    }
  }
  for (const entry of [module.init, module.exit]) {
    if (entry && entry.name === name && locationContains(entry.location, path, position)) {
      return entry.definition?.nameLocation ?? functionTarget(name);
    }
  }
  for (const call of [...module.shadowCalls, ...module.stateCalls]) {
    if (call.idMacro === name && locationContains(call.location, path, position)) return macroTarget(name);
  }
  for (const patch of module.patches) {
    for (const state of patch.states) {
      if (state.id?.text.trim() === name && locationContains(state.id.location, path, position)) return macroTarget(name);
    }
  }

  // By name: the identifier is one the model links, even if this occurrence was not recorded.
  const linkedFunctions = new Set<string>();
  for (const { func } of allFuncs(module)) if (func.newFunc) linkedFunctions.add(func.newFunc.name);
  for (const patch of module.patches) for (const object of patch.objects) for (const callback of object.callbacks) linkedFunctions.add(callback.name);
  if (linkedFunctions.has(name)) return functionTarget(name);
  const idMacros = new Set([...module.shadowCalls, ...module.stateCalls].map((call) => call.idMacro));
  for (const patch of module.patches) for (const state of patch.states) if (state.id) idMacros.add(state.id.text.trim());
  if (idMacros.has(name)) return macroTarget(name);
  return undefined;
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onDefinition(
    context.safe('textDocument/definition', null, ({ textDocument, position }): LspLocation | null => {
      const open = context.documents.getByUri(textDocument.uri);
      if (!open) return null;
      const identifier = identifierAt(open.document, position);
      if (!identifier) return null;
      const module = context.analyzer.analyze(open.path).module;
      if (!module) return null;
      const target = livepatchDefinition(module, open.path, position, identifier.name);
      if (!target) return null;
      return { uri: context.documents.uriOf(target.file), range: target.range };
    }),
  );
  return { definitionProvider: true };
}
