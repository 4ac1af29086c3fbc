/**
 * Code lenses above each `struct klp_patch`: "Simulate load" runs a generated scenario that loads
 * this module and waits for its transition; a cumulative patch (`.replace = true`) also gets
 * "Simulate replace of <module>" for each module that may precede it: the ones before it in the
 * first series order that lists it (the immediate predecessor first), or, when no order lists
 * it, every other livepatch module of the workspace. Generated patches (kpatch, klp-build) get
 * their lenses where the layout anchors them (`allPatches`). The lenses
 * name the client command `livepatch.runSimulation` with a `ScenarioSource` argument, so any
 * client that implements that command runs them through `livepatch/runSimulation`.
 */
import type { CodeLens, ServerCapabilities } from 'vscode-languageserver';
import { orderedModules, type SeriesOrder } from '../../checks/series';
import { allPatches } from '../../model/moduleLayout';
import type { LivepatchModule } from '../../model/types';
import type { ScenarioSource } from '../../protocol/messages';
import type { ServerContext } from '../context';
import { isScenarioPath } from '../documents';
import { pathFromUri } from '../uris';
import { seriesOrders, workspaceSeries } from './workspaceModules';

/** The client command the lenses run (declared in package.json). */
export const runSimulationCommand = 'livepatch.runSimulation';

/**
 * The modules `module` may replace: those before it in the first of `orders` that lists it,
 * nearest first; with no such order, every other module of `series`.
 */
export function possiblePredecessors(module: LivepatchModule, series: readonly LivepatchModule[], orders: readonly SeriesOrder[] = []): LivepatchModule[] {
  const same = (other: LivepatchModule) => other === module || (other.name === module.name && other.files[0] === module.files[0]);
  for (const order of orders) {
    const listed = orderedModules(order, series);
    const index = listed.findIndex(same);
    if (index >= 0) return listed.slice(0, index).filter((other) => other.name !== module.name).reverse();
  }
  return series.filter((other) => other.name !== module.name);
}

/**
 * The lenses of the patches of `module` defined in `path`; `series` is the workspace's
 * livepatches in series order, `orders` the series orders in force (`seriesOrders`).
 */
export function patchLenses(module: LivepatchModule, path: string, uri: string, series: readonly LivepatchModule[], orders: readonly SeriesOrder[] = []): CodeLens[] {
  const lenses: CodeLens[] = [];
  // kpatch-build makes its tables from a binary diff of the kernel build; the sources alone hold
  // no patch the simulator could enable, so a lens there would only show compile warnings.
  if (!module.isLivepatch || module.layout === 'kpatch') return lenses;
  const others = possiblePredecessors(module, series, orders);
  for (const patch of allPatches(module)) {
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
      if (!module?.isLivepatch || !allPatches(module).some((patch) => patch.location.file === path)) return [];
      const series = await workspaceSeries(context);
      return patchLenses(module, path, textDocument.uri, series, seriesOrders(context));
    }),
  );
  return { codeLensProvider: { resolveProvider: false } };
}
