/**
 * Workspace symbols: the livepatch constructs of every module of the workspace — patches,
 * patched functions (by old_name, with their replacement), replacement functions, callbacks,
 * system states and shadow variable ids — so "Go to Symbol in Workspace" finds
 * `cmdline_proc_show` in every patch of a series. Plain C symbols are left to the C extension.
 */
import { SymbolKind, type ServerCapabilities, type SymbolInformation } from 'vscode-languageserver';
import type { Location } from '../../model/location';
import { allPatches } from '../../model/moduleLayout';
import type { LivepatchModule } from '../../model/types';
import type { ServerContext } from '../context';
import { allFuncs, objectNameOf } from '../livepatchAt';
import { workspaceSeries } from './workspaceModules';

/** Most symbols one answer carries (clients filter further as the query grows). */
export const maxWorkspaceSymbols = 500;

/** Whether every character of the query appears in order in the name, ignoring case. */
export function matchesQuery(name: string, query: string): boolean {
  if (query === '') return true;
  const lowerName = name.toLowerCase();
  let at = 0;
  for (const c of query.toLowerCase()) {
    at = lowerName.indexOf(c, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

interface Candidate {
  name: string;
  kind: SymbolKind;
  location: Location;
  container: string;
}

function candidates(module: LivepatchModule): Candidate[] {
  const out: Candidate[] = [];
  const container = module.name;
  for (const patch of allPatches(module)) {
    out.push({ name: patch.variableName, kind: SymbolKind.Variable, location: { file: patch.location.file, range: patch.nameLocation.range }, container: `${container} (struct klp_patch)` });
    for (const state of patch.states) {
      if (state.isTerminator || !state.id) continue;
      const version = state.version?.value !== undefined ? ` version ${state.version.value}` : '';
      out.push({ name: state.id.text.trim(), kind: SymbolKind.Constant, location: state.id.location, container: `${container}: klp_state${version}` });
    }
    for (const object of patch.objects) {
      for (const callback of object.callbacks) {
        out.push({ name: callback.name, kind: SymbolKind.Event, location: callback.definition?.nameLocation ?? callback.location, container: `${container}: ${callback.kind} of ${objectNameOf(object) ?? '?'}` });
      }
    }
  }
  for (const { object, func } of allFuncs(module)) {
    const objectName = objectNameOf(object) ?? '?';
    if (func.oldName?.value) {
      out.push({ name: func.oldName.value, kind: SymbolKind.Function, location: func.oldName.location, container: `${container}: patched in ${objectName}` });
    }
    if (func.newFunc) {
      out.push({
        name: func.newFunc.name,
        kind: SymbolKind.Function,
        location: func.newFunc.definition?.nameLocation ?? func.newFunc.location,
        container: `${container}: replaces ${func.oldName?.value ?? '?'}`,
      });
    }
  }
  const shadowIds = new Set<string>();
  for (const call of module.shadowCalls) {
    if (!call.idMacro || shadowIds.has(call.idMacro)) continue;
    shadowIds.add(call.idMacro);
    const macro = module.macros.get(call.idMacro);
    out.push({ name: call.idMacro, kind: SymbolKind.Key, location: macro?.location ?? call.location, container: `${container}: shadow variable id` });
  }
  return out;
}

export function workspaceSymbols(modules: readonly LivepatchModule[], query: string, uriOf: (path: string) => string): SymbolInformation[] {
  const symbols: SymbolInformation[] = [];
  const seen = new Set<string>();
  for (const module of modules) {
    if (!module.isLivepatch) continue;
    for (const candidate of candidates(module)) {
      if (!matchesQuery(candidate.name, query)) continue;
      const { file, range } = candidate.location;
      const key = `${candidate.name}|${file}|${range.start.line}:${range.start.character}|${candidate.kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      symbols.push({ name: candidate.name, kind: candidate.kind, containerName: candidate.container, location: { uri: uriOf(file), range } });
      if (symbols.length >= maxWorkspaceSymbols) return symbols;
    }
  }
  return symbols;
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onWorkspaceSymbol(
    context.safe('workspace/symbol', [], async ({ query }): Promise<SymbolInformation[]> => {
      return workspaceSymbols(await workspaceSeries(context), query, (path) => context.documents.uriOf(path));
    }),
  );
  return { workspaceSymbolProvider: true };
}
