/**
 * Code lenses above each `struct klp_patch`: "Simulate load" runs a generated scenario that loads
 * this module and waits for its transition; a cumulative patch (`.replace = true`) also gets
 * "Simulate replace of <module>" for every other livepatch module of the workspace. The lenses
 * name the client command `livepatch.runSimulation` with a `ScenarioSource` argument, so any
 * client that implements that command runs them through `livepatch/runSimulation`.
 */
import type { CodeLens, ServerCapabilities } from 'vscode-languageserver';
import type { LivepatchModule } from '../../model/types';
import type { ScenarioSource } from '../../protocol/messages';
import type { ServerContext } from '../context';
import { isScenarioPath } from '../documents';
import { pathFromUri } from '../uris';
import { workspaceSeries } from './workspaceModules';

/** The client command the lenses run (declared in package.json). */
export const runSimulationCommand = 'livepatch.runSimulation';

/** The lenses of the patches of `module` defined in `path`; `series` is the workspace's livepatches in series order. */
export function patchLenses(module: LivepatchModule, path: string, uri: string, series: readonly LivepatchModule[]): CodeLens[] {
  const lenses: CodeLens[] = [];
  if (!module.isLivepatch) return lenses;
  const others = series.filter((other) => other.name !== module.name);
  for (const patch of module.patches) {
    if (patch.location.file !== path) continue;
    const line = patch.location.range.start.line;
    const range = { start: { line, character: 0 }, end: { line, character: 0 } };
    const load: ScenarioSource = { kind: 'load', moduleUri: uri };
    lenses.push({ range, command: { title: 'Simulate load', command: runSimulationCommand, arguments: [load] } });
    if (patch.replace?.value !== true) continue;
    for (const other of others) {
      const replace: ScenarioSource = { kind: 'replace', moduleUri: uri, predecessor: other.name };
      lenses.push({ range, command: { title: `Simulate replace of ${other.name}`, command: runSimulationCommand, arguments: [replace] } });
    }
  }
  return lenses;
}

export function register(context: ServerContext): ServerCapabilities {
  context.connection.onCodeLens(
    context.safe('textDocument/codeLens', [], async ({ textDocument }): Promise<CodeLens[]> => {
      const path = pathFromUri(textDocument.uri);
      if (isScenarioPath(path)) return [];
      const module = context.analyzer.moduleOf(path);
      if (!module?.isLivepatch || !module.patches.some((patch) => patch.location.file === path)) return [];
      return patchLenses(module, path, textDocument.uri, await workspaceSeries(context));
    }),
  );
  return { codeLensProvider: { resolveProvider: false } };
}
