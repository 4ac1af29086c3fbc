/**
 * The workspace's modules as the editor features see them (the simulation, the Livepatch tree,
 * workspace symbols, references of id macros): every file of the workspace known to the
 * analyzer, the livepatch modules in series order, and the `.ko` file a scenario loads for each.
 *
 * The series orders are the analyzer's (`Analyzer.seriesOrders`: the setting, series files, the
 * load order of the last simulated or open scenario), the same ones its checks use.
 *
 * The background diagnostics pass already tells the analyzer about every workspace file; when
 * it is switched off (or still walking) `ensureWorkspaceIndexed` does the same bounded walk once,
 * so a request never sees only the open files.
 */
import { basename, dirname, join } from 'node:path';
import { orderedModules, type SeriesOrder } from '../../checks/series';
import type { LivepatchModule } from '../../model/types';
import type { ServerContext } from '../context';
import { yieldToEventLoop } from '../diagnosticsPublisher';
import { collectWorkspaceFiles } from '../workspaceFiles';

const indexed = new WeakMap<ServerContext, { key: string; done: Promise<void> }>();

/**
 * Tells the analyzer about every workspace file it does not know yet (once per set of folders
 * and `livepatch.index.maxFiles`). Files the editor has open or the background pass added are
 * not read again.
 */
export function ensureWorkspaceIndexed(context: ServerContext): Promise<void> {
  const key = `${context.workspaceFolders.join('\n')}|${context.settings.index.maxFiles}`;
  const known = indexed.get(context);
  if (known && known.key === key) return known.done;
  const done = (async () => {
    const walk = await collectWorkspaceFiles(context.workspaceFolders, context.settings.index.maxFiles, () => false);
    for (const file of walk.files) {
      if (context.analyzer.textOf(file) !== undefined || context.documents.isOpen(file)) continue;
      context.analyzer.addFile(file);
      await yieldToEventLoop();
    }
  })();
  indexed.set(context, { key, done });
  return done;
}

/** Orders names as people number versions: "v2" before "v10", otherwise alphabetically. */
export function compareSeriesNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The workspace's livepatch modules in series order: the first of `orders` (the analyzer's, see
 * `seriesOrders`) that lists any of them, for the modules it lists, followed by the others in
 * the natural order of their names (then of their main files, for two modules of the same name
 * in two folders).
 */
export function livepatchModulesInSeries(modules: readonly LivepatchModule[], orders: readonly SeriesOrder[] = []): LivepatchModule[] {
  const natural = modules
    .filter((module) => module.isLivepatch && module.files.length > 0)
    .sort((a, b) => compareSeriesNames(a.name, b.name) || compareSeriesNames(a.files[0], b.files[0]));
  for (const order of orders) {
    const listed = orderedModules(order, natural);
    if (listed.length > 0) return [...listed, ...natural.filter((module) => !listed.includes(module))];
  }
  return natural;
}

/**
 * The series orders in force for the workspace: the analyzer's own (the ones its checks use),
 * so the tree, the code lenses and the default scenario never disagree with the diagnostics.
 */
export function seriesOrders(context: ServerContext): SeriesOrder[] {
  return context.analyzer.seriesOrders();
}

/** The workspace's livepatch modules in series order (after the workspace was indexed). */
export async function workspaceSeries(context: ServerContext): Promise<LivepatchModule[]> {
  await ensureWorkspaceIndexed(context);
  return livepatchModulesInSeries(context.analyzer.modules(), seriesOrders(context));
}

/**
 * The `.ko` path `insmod` names for a module, the way the simulator finds its source again: the
 * Kbuild module's name in its folder, or the main C file's own name (dashes kept).
 */
export function koPathOf(module: LivepatchModule): string {
  const main = module.files[0];
  const stem = module.nameSource === 'kbuild' ? module.name : basename(main, '.c');
  return join(dirname(main), `${stem}.ko`);
}
