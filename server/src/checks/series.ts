/**
 * Patch series: which livepatch modules are installed when a given one loads. The checks about
 * taking over shadow variables and states (checks/takeover/) and about stacking
 * (cross-patch.ts) ask this module, never the workspace layout directly.
 *
 * The order comes from, in priority:
 *
 *  1. the `livepatch.series` setting: module paths (or module names), oldest first;
 *  2. a `livepatch.series` file in a module's folder or one of the two folders above it:
 *
 *         # Released order of the cmdline fixes, oldest first.
 *         lp_cmdline_v1.c        # a single-file module: its C file
 *         v2/                    # a Kbuild module: its folder
 *         lp_cmdline_v3          # or just the module name
 *
 *     one entry per line, `#` starts a comment, relative paths are relative to the file;
 *  3. the load order of the scenario the user simulates (or has open): the modules its `insmod`
 *     and `modprobe` lines load, in the order they first load (`seriesFromScenario`; the caller
 *     reads the scenario, checks/ never parses one);
 *  4. nothing: then every other livepatch module of the workspace is a *possible* predecessor,
 *     except one that evidently came later (higher state versions, more states, or the same
 *     name with a higher number) and one evidently replaced by a later cumulative candidate;
 *     findings that rest on such a guess are one step milder.
 *
 * Walking a series in order gives the installed set exactly: a cumulative patch replaces every
 * patch installed before it, a non-cumulative one is stacked on top of them (reference 2.7, 4.3).
 */
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { allPatches } from '../model/moduleLayout';
import type { KlpPatch, LivepatchModule } from '../model/types';
import type { CheckContext } from './context';
import type { Severity } from './types';

export const seriesFileName = 'livepatch.series';

export interface SeriesEntry {
  /** The entry as written. */
  text: string;
  /** Absolute path the entry names, when it can name one (relative entries of the setting cannot). */
  path?: string;
  /** 0-based line in the series file. */
  line?: number;
}

export interface SeriesOrder {
  /** Where the order comes from, for messages: "the livepatch.series setting", a file path, or "the load order of scenario X". */
  source: string;
  entries: SeriesEntry[];
}

/** Entries of a series file: one per line, `#` comments, relative paths against `folder`. */
export function parseSeriesFile(text: string, folder: string): SeriesEntry[] {
  const entries: SeriesEntry[] = [];
  text.split(/\r?\n/).forEach((raw, line) => {
    const content = raw.replace(/(^|\s)#.*$/, '').trim();
    if (content === '') return;
    entries.push({ text: content, path: resolve(folder, content), line });
  });
  return entries;
}

/** The setting's entries: absolute paths name files or folders, anything else a module name. */
export function seriesFromSetting(paths: readonly string[]): SeriesOrder {
  return {
    source: 'the livepatch.series setting',
    entries: paths.map((text) => text.trim()).filter((text) => text !== '').map((text) => ({ text, path: isAbsolute(text) ? resolve(text) : undefined })),
  };
}

/** One module a scenario loads: where, and what its source is when the caller could find it. */
export interface ScenarioLoad {
  /** The path or name as the scenario writes it (`lp_v1.ko`, `lp_v1`). */
  text: string;
  /** The module's main C file, when the caller found it. */
  path?: string;
  /** 0-based line in the scenario. */
  line?: number;
}

/** How messages name a scenario's order: "the load order of scenario replace.klpsim". */
export function scenarioSeriesSource(label: string): string {
  return `the load order of scenario ${label}`;
}

/**
 * A scenario's loads as a series: each module at the place it is first loaded (a module loaded
 * again after rmmod keeps its first place, as a series file would list it once).
 */
export function seriesFromScenario(label: string, loads: readonly ScenarioLoad[]): SeriesOrder {
  const entries: SeriesEntry[] = [];
  const seen = new Set<string>();
  for (const load of loads) {
    const key = load.path ?? entryModuleName({ text: load.text });
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push({ text: load.text, path: load.path, line: load.line });
  }
  return { source: scenarioSeriesSource(label), entries };
}

/** The module name an entry spells: `v1/lp-fix.c`, `lp-fix.ko` and `lp_fix` all name lp_fix. */
function entryModuleName(entry: SeriesEntry): string {
  return basename(entry.text.replace(/\/+$/, '')).replace(/\.(c|ko|o)$/, '').replace(/-/g, '_');
}

function matchesByPath(entry: SeriesEntry, module: LivepatchModule): boolean {
  if (entry.path === undefined || module.files.length === 0) return false;
  if (module.files.includes(entry.path)) return true;
  // A folder names the module its Kbuild declares there (single-file modules are named by file).
  return module.nameSource === 'kbuild' && dirname(module.files[0]) === entry.path;
}

/** The modules of an order, oldest first; entries naming no module (or several) are skipped. */
export function orderedModules(order: SeriesOrder, modules: readonly LivepatchModule[]): LivepatchModule[] {
  const result: LivepatchModule[] = [];
  for (const entry of order.entries) {
    let found = modules.filter((module) => matchesByPath(entry, module));
    if (found.length === 0) {
      const name = entryModuleName(entry);
      found = modules.filter((module) => module.name === name);
    }
    if (found.length === 1 && !result.includes(found[0])) result.push(found[0]);
  }
  return result;
}

/**
 * Finds `livepatch.series` files near modules. Which folders hold one is remembered until
 * `forget()` (the analyzer calls it when the set of files changes); the content of a found file
 * is read again on every call, so an edited order applies at the next analysis.
 */
export class SeriesFiles {
  private readonly holders = new Map<string, boolean>();

  forget(): void {
    this.holders.clear();
  }

  find(files: { readFile(path: string): string | undefined; exists?(path: string): boolean }, moduleFolders: Iterable<string>): SeriesOrder[] {
    const folders = new Set<string>();
    for (const folder of moduleFolders) {
      let current = folder;
      for (let level = 0; level < 3; level++) {
        folders.add(current);
        const parent = dirname(current);
        if (parent === current) break;
        current = parent;
      }
    }
    const orders: { depth: number; order: SeriesOrder }[] = [];
    for (const folder of folders) {
      if (this.holders.get(folder) === false) continue;
      const path = join(folder, seriesFileName);
      // Most folders hold none: asking first is cheaper than a read that fails.
      const text = files.exists?.(path) === false ? undefined : files.readFile(path);
      this.holders.set(folder, text !== undefined);
      if (text !== undefined) orders.push({ depth: folder.split('/').length, order: { source: path, entries: parseSeriesFile(text, folder) } });
    }
    // The deepest file is the most specific one: it decides for the modules it lists.
    return orders.sort((a, b) => b.depth - a.depth).map((item) => item.order);
  }
}

/** A stable text for cache keys: orders change findings, so they are part of the key. */
export function seriesKey(orders: readonly SeriesOrder[] | undefined): string {
  return (orders ?? []).map((order) => `${order.source}=${order.entries.map((entry) => entry.path ?? entry.text).join(',')}`).join(';');
}

const cumulativeCache = new WeakMap<LivepatchModule, boolean>();

export function isCumulative(module: LivepatchModule): boolean {
  // Asked for every pair of modules when no series gives the order: once per model.
  let cumulative = cumulativeCache.get(module);
  // klp-build's generated patch replaces by default (layouts/assembleLayout.ts).
  if (cumulative === undefined) cumulativeCache.set(module, (cumulative = allPatches(module).some((patch) => patch.replace?.value === true)));
  return cumulative;
}

export interface Predecessor {
  module: LivepatchModule;
  /** 'series' when a series gives the order; 'guess' when the module only might have come first. */
  basis: 'series' | 'guess';
  /** The series the order comes from (basis 'series'). */
  source?: string;
}

/** The order a module takes part in, or undefined when no series lists it. */
export function seriesOf(module: LivepatchModule, ctx: CheckContext): { order: SeriesOrder; modules: LivepatchModule[] } | undefined {
  for (const order of ctx.series ?? []) {
    const modules = orderedModules(order, ctx.modules);
    if (modules.includes(module)) return { order, modules };
  }
  return undefined;
}

function otherLivepatches(module: LivepatchModule, ctx: CheckContext): LivepatchModule[] {
  return ctx.modules.filter((other) => other !== module && other.isLivepatch && other.name !== module.name);
}

/**
 * The patches installed when `module` loads. With a series: walk it, a cumulative patch
 * replacing everything before it. Without: every other livepatch that may have come first.
 */
export function installedBefore(module: LivepatchModule, ctx: CheckContext): Predecessor[] {
  // Several checks ask for the same module in one run of the checks (one context).
  let perContext = installedCache.get(ctx);
  if (!perContext) installedCache.set(ctx, (perContext = new WeakMap()));
  let installed = perContext.get(module);
  if (!installed) perContext.set(module, (installed = computeInstalledBefore(module, ctx)));
  return installed;
}

const installedCache = new WeakMap<CheckContext, WeakMap<LivepatchModule, Predecessor[]>>();

function computeInstalledBefore(module: LivepatchModule, ctx: CheckContext): Predecessor[] {
  const known = seriesOf(module, ctx);
  if (known) {
    let installed: LivepatchModule[] = [];
    for (const earlier of known.modules) {
      if (earlier === module) break;
      installed = isCumulative(earlier) ? [earlier] : [...installed, earlier];
    }
    return installed.map((earlier) => ({ module: earlier, basis: 'series', source: known.order.source }));
  }
  const candidates = otherLivepatches(module, ctx);
  if (candidates.length > maxGuessedCandidates) return [];
  const orders = guessMatrix(ctx.modules);
  const possible = candidates.filter((other) => orders.order(module, other) >= 0);
  const cumulative = possible.filter(isCumulative);
  // A candidate evidently older than a cumulative one was replaced by it before this one loaded.
  return possible
    .filter((older) => !cumulative.some((newer) => newer !== older && orders.order(older, newer) < 0))
    .map((other) => ({ module: other, basis: 'guess' }));
}

/**
 * Pair guesses of one workspace state in a dense table: every module asks about every other one
 * (and each pair of its candidates), which through the nested weak maps cost more than the
 * guesses themselves on a tree of a hundred fixes.
 */
class GuessMatrix {
  private readonly index = new Map<LivepatchModule, number>();
  /** 2: not guessed yet; otherwise guessOrder's sign. */
  private readonly orders: Int8Array;
  constructor(modules: readonly LivepatchModule[]) {
    for (let i = 0; i < modules.length; i++) this.index.set(modules[i], i);
    this.orders = new Int8Array(modules.length * modules.length).fill(2);
  }
  order(a: LivepatchModule, b: LivepatchModule): number {
    const i = this.index.get(a);
    const j = this.index.get(b);
    if (i === undefined || j === undefined) return cachedGuessOrder(a, b);
    const n = this.index.size;
    let order = this.orders[i * n + j];
    if (order === 2) {
      // Straight to the guess: the table is the cache here, and the weak maps' lookups and
      // inserts cost more than the guess itself for modules without states.
      order = Math.sign(guessOrder(a, b));
      this.orders[i * n + j] = order;
      // guessOrder is antisymmetric: one guess fills both cells.
      this.orders[j * n + i] = -order;
    }
    return order;
  }
}

const guessMatrices = new WeakMap<readonly LivepatchModule[], GuessMatrix>();
/** Above this many modules the table would be too big; the weak maps answer alone. */
const maxMatrixModules = 2048;

function guessMatrix(modules: readonly LivepatchModule[]): { order(a: LivepatchModule, b: LivepatchModule): number } {
  if (modules.length > maxMatrixModules) return { order: cachedGuessOrder };
  let matrix = guessMatrices.get(modules);
  if (!matrix) guessMatrices.set(modules, (matrix = new GuessMatrix(modules)));
  return matrix;
}

/**
 * Guessing compares every pair of modules; beyond this many livepatch modules without a series,
 * guesses are too weak to report on (and too many to compute on every keystroke).
 */
const maxGuessedCandidates = 200;

/** Pair guesses, kept as long as both models live (they only change when a file changes). */
const guessCache = new WeakMap<LivepatchModule, WeakMap<LivepatchModule, number>>();

function cachedGuessOrder(a: LivepatchModule, b: LivepatchModule): number {
  let row = guessCache.get(a);
  if (!row) guessCache.set(a, (row = new WeakMap()));
  let order = row.get(b);
  if (order === undefined) row.set(b, (order = guessOrder(a, b)));
  return order;
}

/**
 * Whether `a` is loaded after `b` (> 0), before (< 0), or unknown (0). From a series when both
 * are in one; otherwise guessed as in `guessOrder`.
 */
export function loadOrder(a: LivepatchModule, b: LivepatchModule, ctx: CheckContext): { order: number; basis: 'series' | 'guess' } {
  const known = seriesOf(a, ctx);
  if (known && known.modules.includes(b)) return { order: known.modules.indexOf(a) - known.modules.indexOf(b), basis: 'series' };
  return { order: guessOrder(a, b), basis: 'guess' };
}

export interface DeclaredState {
  version: number | undefined;
  patch: KlpPatch;
  state: KlpPatch['states'][number];
}

const declaredCache = new WeakMap<LivepatchModule, Map<number, DeclaredState>>();

/** Visible states of a module's patches (up to the first id 0), by id; computed once per model. */
export function declaredStates(module: LivepatchModule): ReadonlyMap<number, DeclaredState> {
  let states = declaredCache.get(module);
  if (!states) declaredCache.set(module, (states = computeDeclaredStates(module)));
  return states;
}

function computeDeclaredStates(module: LivepatchModule): Map<number, DeclaredState> {
  const states = new Map<number, DeclaredState>();
  for (const patch of module.patches)
    for (const state of patch.states) {
      if (state.isTerminator || state.id === undefined || state.id.value === 0) break;
      const id = state.id.value;
      if (id === undefined || states.has(id)) continue;
      states.set(id, { version: state.version === undefined ? 0 : state.version.value, patch, state });
    }
  return states;
}

/** Whether `later` may be loaded while `earlier` is installed, as klp_is_patch_compatible() decides. */
function compatibleAfter(earlier: LivepatchModule, later: LivepatchModule): boolean {
  const theirs = declaredStates(earlier);
  const mine = declaredStates(later);
  for (const [id, state] of theirs) {
    const own = mine.get(id);
    if (!own) {
      if (isCumulative(later)) return false;
      continue;
    }
    if (own.version !== undefined && state.version !== undefined && own.version < state.version) return false;
  }
  return true;
}

/** Numbers in a name when the rest of two names agrees: lp_v2 / lp_v10 → [2] / [10]. */
function nameNumbers(a: string, b: string): [number[], number[]] | undefined {
  if (a === b) return undefined;
  const first = nameShape(a);
  const second = nameShape(b);
  if (first.shape !== second.shape) return undefined;
  return [first.numbers, second.numbers];
}

const nameShapes = new Map<string, { shape: string; numbers: number[] }>();

/** A name with its numbers taken out, and the numbers: computed once per name, not per pair. */
function nameShape(name: string): { shape: string; numbers: number[] } {
  let found = nameShapes.get(name);
  if (!found) {
    // Names come from the workspace: bounded, but a long-lived server sees many over time.
    if (nameShapes.size > 10_000) nameShapes.clear();
    nameShapes.set(name, (found = { shape: name.replace(/\d+/g, '#'), numbers: (name.match(/\d+/g) ?? []).map(Number) }));
  }
  return found;
}

/**
 * A guess at the release order of two modules no series relates: state versions only grow,
 * a successor carries at least its predecessor's states, and names like lp_v2 count up.
 */
export function guessOrder(a: LivepatchModule, b: LivepatchModule): number {
  const aStates = declaredStates(a);
  const bStates = declaredStates(b);
  let byVersion = 0;
  for (const [id, state] of aStates) {
    const other = bStates.get(id);
    if (!other || state.version === undefined || other.version === undefined || state.version === other.version) continue;
    const sign = Math.sign(state.version - other.version);
    if (byVersion !== 0 && byVersion !== sign) {
      byVersion = 0;
      break;
    }
    byVersion = sign;
  }
  if (byVersion !== 0) return byVersion;
  // Two modules without states are compatible either way: only their names can tell.
  if (aStates.size === 0 && bStates.size === 0) return byName(a, b);
  const aAfterB = compatibleAfter(b, a);
  const bAfterA = compatibleAfter(a, b);
  if (aAfterB !== bAfterA) return aAfterB ? 1 : -1;
  return byName(a, b);
}

function byName(a: LivepatchModule, b: LivepatchModule): number {
  const numbers = nameNumbers(a.name, b.name);
  if (numbers)
    for (let index = 0; index < Math.min(numbers[0].length, numbers[1].length); index++)
      if (numbers[0][index] !== numbers[1][index]) return Math.sign(numbers[0][index] - numbers[1][index]);
  return 0;
}

const milder: Record<Severity, Severity> = { error: 'warning', warning: 'information', information: 'hint', hint: 'hint' };

/** Findings that rest on a guessed order are one step milder than the code's default. */
export function severityFor(defaultSeverity: Severity, basis: Predecessor['basis']): Severity {
  return basis === 'series' ? defaultSeverity : milder[defaultSeverity];
}

/** How a message names a predecessor: "'lp_v1' (before this patch in livepatch.series)". */
export function describePredecessor(predecessor: Predecessor): string {
  const name = `'${predecessor.module.name}'`;
  if (predecessor.basis === 'series') {
    const source = predecessor.source ?? 'the series';
    return `${name} (before this patch in ${source.startsWith('the ') ? source : basename(source)})`;
  }
  return `${name} (if it is installed when this patch loads: no series gives the order)`;
}
