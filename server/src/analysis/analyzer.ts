/**
 * The analysis facade: owns the sources (one live tree per open document), groups files into
 * modules (Kbuild/Makefile or one module per C file), assembles each module's livepatch model and
 * runs the checks. Transport-agnostic: the LSP layer and the CLI both drive it.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { runChecks, runModuleChecks, type ModuleFindings } from '../checks/index';
import { defaultCheckPolicy, finding, type CheckPolicy } from '../checks/context';
import { SeriesFiles, seriesFromSetting, seriesKey, type SeriesOrder } from '../checks/series';
import type { Finding } from '../checks/types';
import type { KernelModel } from '../kernel/types';
import { assembleModule } from '../model/assemble';
import type { FileFacts } from '../model/fileFacts';
import type { Range } from '../model/location';
import type { LivepatchModule } from '../model/types';
import type { ConfigurationFacts } from '../preprocess/conditionals';
import { SourceFile } from '../parser/sourceFile';
import { loadCLanguage, newCParser } from '../parser/treeSitter';
import { defaultPoolSize, FactsWorkerPool, filesAheadPerWorker, PoolUnavailableError, type PooledFacts } from './factsWorkerPool';
import { isKbuildFile, parseKbuild, type KbuildModule } from './kbuild';
import type { LayoutSources } from '../layouts/assembleLayout';
import { parsePatchedFuncs } from '../layouts/patchedFuncsCsv';
import { fixModuleName, isPatchedFuncsFile, layoutFactsOf, mayHoldLayoutFacts, PatchedFuncsFiles, type LayoutFacts } from '../layouts/workspace';

export interface FileSystemHost {
  readFile(path: string): string | undefined;
  /** Whether a file is there, when that is cheaper to ask than a read that fails (Node: a failed read throws). */
  exists?(path: string): boolean;
  /** Entries directly inside a folder, or [] when unreadable. */
  listFolder(path: string): { name: string; isDirectory: boolean }[];
}

export interface TextChange {
  /** Range in the previous text; absent means the whole document is replaced. */
  range?: Range;
  text: string;
}

export interface FileAnalysis {
  /** The module the file belongs to (undefined for a header no module includes). */
  module?: LivepatchModule;
  /** Findings located in this file (syntax problems included, code "LP-SYNTAX"). */
  findings: Finding[];
}

interface ModuleGroup {
  key: string;
  name: string;
  nameSource: 'file' | 'kbuild';
  files: string[];
  /** How the Kbuild/Makefile declares it (obj-m, obj-y, obj-$(CONFIG_X)); absent for other groups. */
  condition?: string;
  /** The fix folder whose patched_funcs.csv feeds the module's template (distribution layout). */
  fixFolder?: string;
}

export interface AnalyzerOptions {
  /**
   * Worker threads that read files added in batches (addFiles); 0 reads them in this thread.
   * Default: the available parallelism, at most 4.
   */
  workers?: number;
  /**
   * A pool to read batches with instead of one of the analyzer's own (which starts on the first
   * batch and stops with dispose()). The caller owns it: dispose() leaves it running.
   */
  pool?: FactsWorkerPool;
  /**
   * Batches smaller than this (in characters) are parsed in this thread unless the pool's
   * workers are already running: starting threads and warming them up costs more than it saves
   * on a few files. Default 1 MiB.
   */
  minPoolBytes?: number;
}

export interface AddFilesOptions {
  /** Stops the batch: files not read yet are left out (those read so far stay added). */
  signal?: AbortSignal;
  /** After each file of the batch. */
  onProgress?(done: number, total: number): void;
}

export interface AddFilesResult {
  /** C sources and headers of the batch whose facts were read. */
  added: number;
  cancelled: boolean;
}

interface ModelEntry {
  cacheKey: string;
  module: LivepatchModule;
  headers: string[];
  files: string[];
  /** Findings of the module-scope checks on this model, under the policy of that generation. */
  moduleFindings?: { policyGeneration: number; findings: ModuleFindings };
}

/** Every module of the workspace with its model, valid while nothing changes (see Analyzer.generation). */
interface WorkspaceModels {
  generation: number;
  groups: ModuleGroup[];
  models: ModelEntry[];
  /** The models' modules, one array per workspace state: checks memoize per array (series guesses). */
  modules: LivepatchModule[];
  /** The cache keys of all models: a module's findings depend on every module (cross-module checks). */
  key: string;
  /** Groups each C file belongs to. */
  groupsOf: Map<string, ModuleGroup[]>;
  modelOf: Map<ModuleGroup, ModelEntry>;
}

/** Lets the event loop run (requests, worker messages) between two files read in this thread. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface ModuleResult {
  cacheKey: string;
  module: LivepatchModule;
  headers: string[];
  findings: Finding[];
}

const maxIncludeDepth = 16;

/** A file's text as read for a batch, with the path's epoch at the time. */
type Read = { text: string | undefined; epoch: number | undefined };
type Outcome = { kind: 'missing' } | { kind: 'facts'; text: string; parsed: PooledFacts; epoch: number | undefined } | { kind: 'here' };

function includesOnlySystemHeaders(facts: FileFacts): boolean {
  for (const include of facts.includes) if (!include.system) return false;
  return true;
}

function isC(path: string): boolean {
  return path.endsWith('.c');
}

/** The module of a C file no Kbuild/Makefile claims: the file alone, named after it. */
function fileGroup(path: string): ModuleGroup {
  const name = basename(path, '.c').replace(/-/g, '_');
  return { key: `${path}::${name}`, name, nameSource: 'file', files: [path] };
}

/** A fix folder's module (groups() fills its files; assembling ahead passes them). */
function fixGroup(folder: string, files: string[] = []): ModuleGroup {
  return { key: `${folder}::fix`, name: fixModuleName(folder), nameSource: 'kbuild', files, fixFolder: folder };
}

export class Analyzer {
  private readonly sources = new Map<string, SourceFile>();
  private readonly openPaths = new Set<string>();
  private readonly kbuild = new Map<string, KbuildModule[]>();
  /** Folders whose Kbuild/Makefile was looked for on disk. */
  private readonly probedFolders = new Set<string>();
  /** Folder listings of the batch being added (addFiles), so each folder is listed once. */
  private batchListings: Map<string, { name: string; isDirectory: boolean }[]> | undefined;
  /** Layout facts by path, for the source version they were read from (layoutFactsOf). */
  private readonly layoutFacts = new Map<string, { version: number; facts: LayoutFacts | undefined }>();
  private readonly results = new Map<string, ModuleResult>();
  private readonly models = new Map<string, ModelEntry>();
  private groupsCache: ModuleGroup[] | undefined;
  private kernelGeneration = 0;
  /** Bumped by every change of a source, a build file or the kernel model. */
  private generation = 0;
  private workspaceCache: WorkspaceModels | undefined;
  /** Bumped when a path is opened, changed, re-read or removed: a batch result older than that is dropped. */
  private readonly pathEpochs = new Map<string, number>();
  private pool: FactsWorkerPool | undefined;
  private readonly ownsPool: boolean;
  private readonly workers: number;
  private readonly minPoolBytes: number;
  /** The series order from the livepatch.series setting; undefined: series files, then a guess. */
  private seriesSetting: SeriesOrder | undefined;
  private readonly seriesFiles = new SeriesFiles();
  /** Bumped whenever an input of the series orders other than the workspace's modules changes. */
  private seriesGeneration = 0;
  private seriesMemo: { workspaceKey: string; generation: number; orders: SeriesOrder[]; cacheKey: string } | undefined;
  /** Distribution trees' patched_funcs.csv files (layouts/workspace.ts). */
  private readonly patchedFuncs: PatchedFuncsFiles;
  /** The load order of the scenario the user simulates: below the setting and series files, above a guess. */
  private scenarioSeries: SeriesOrder | undefined;
  private policy: CheckPolicy = defaultCheckPolicy;
  private policyGeneration = 0;
  log: (message: string) => void = () => {};

  private constructor(public kernel: KernelModel, readonly fs: FileSystemHost, private readonly parser: Parser, options: AnalyzerOptions) {
    this.pool = options.pool;
    this.ownsPool = !options.pool;
    this.workers = Math.max(0, options.pool ? options.pool.size : (options.workers ?? defaultPoolSize()));
    this.minPoolBytes = options.minPoolBytes ?? 1024 * 1024;
    this.patchedFuncs = new PatchedFuncsFiles((path) => this.fs.readFile(path));
  }

  static async create(kernel: KernelModel, fs: FileSystemHost, options: AnalyzerOptions = {}): Promise<Analyzer> {
    await loadCLanguage();
    return new Analyzer(kernel, fs, newCParser(), options);
  }

  /** Something the models depend on changed. */
  private changed(path?: string): void {
    this.generation++;
    if (path !== undefined) this.pathEpochs.set(path, (this.pathEpochs.get(path) ?? 0) + 1);
  }

  setKernel(kernel: KernelModel): void {
    this.kernel = kernel;
    this.kernelGeneration++;
    this.changed();
    this.results.clear();
    this.models.clear();
  }

  /** The order of the patch series (module paths or names, oldest first), or undefined for none. */
  setSeries(paths: string[] | undefined): void {
    this.seriesSetting = paths && paths.length > 0 ? seriesFromSetting(paths) : undefined;
    this.seriesGeneration++;
    this.results.clear();
  }

  /** An order given whole (`klp check --series <file>`): it ranks like the setting. */
  setSeriesOrder(order: SeriesOrder | undefined): void {
    this.seriesSetting = order && order.entries.length > 0 ? order : undefined;
    this.seriesGeneration++;
    this.results.clear();
  }

  /**
   * The load order of the scenario being simulated (or open), or undefined for none. Returns
   * whether the order changed, so a caller re-publishes only then.
   */
  setScenarioSeries(order: SeriesOrder | undefined): boolean {
    const changed = seriesKey(order ? [order] : []) !== seriesKey(this.scenarioSeries ? [this.scenarioSeries] : []);
    this.scenarioSeries = order && order.entries.length > 0 ? order : undefined;
    if (changed) {
      this.seriesGeneration++;
      this.results.clear();
    }
    return changed;
  }

  /** A livepatch.series file appeared, changed or went away on disk: look for them again. */
  seriesFilesChanged(): void {
    this.seriesFiles.forget();
    this.seriesGeneration++;
    this.results.clear();
  }

  setPolicy(policy: CheckPolicy): void {
    this.policy = policy;
    this.policyGeneration++;
    this.results.clear();
  }

  /**
   * The series orders in force: the setting, else the livepatch.series files near the modules,
   * then the simulated scenario's load order (a module takes the first order that lists it).
   */
  private series(groups: ModuleGroup[]): SeriesOrder[] {
    if (this.seriesSetting) return [this.seriesSetting];
    const folders = new Set<string>();
    for (const group of groups) if (group.files.length > 0) folders.add(dirname(group.files[0]));
    const files = this.seriesFiles.find(this.fs, folders);
    return this.scenarioSeries ? [...files, this.scenarioSeries] : files;
  }

  openDocument(path: string, text: string): void {
    path = resolve(path);
    this.openPaths.add(path);
    this.changed(path);
    if (isKbuildFile(basename(path))) return this.setKbuild(path, text);
    if (isPatchedFuncsFile(path)) {
      this.setPatchedFuncs(path, text);
      this.addFixSources(dirname(path));
      return;
    }
    this.sources.get(path)?.dispose();
    this.sources.set(path, new SourceFile(path, text, this.parser, true));
    this.probeBuildFiles(dirname(path));
    this.groupsCache = undefined;
    this.addFixSources(dirname(path));
  }

  /**
   * The C files of a fix folder (one with a patched_funcs.csv) form its module: a file or list
   * opened from outside the workspace brings the others in from disk.
   */
  private addFixSources(folder: string): void {
    if (!this.patchedFuncs.probe(folder)) return;
    for (const entry of this.fs.listFolder(folder)) {
      const path = join(folder, entry.name);
      if (!entry.isDirectory && /\.[ch]$/.test(entry.name) && !this.sources.has(path)) this.addFile(path);
    }
  }

  /**
   * The Kbuild/Makefile beside a C file says which module it belongs to. A file opened from
   * outside the workspace (or before the workspace walk reached its folder) must still find it.
   */
  private probeBuildFiles(folder: string): void {
    if (this.probedFolders.has(folder) || this.kbuild.has(folder)) return;
    this.probedFolders.add(folder);
    // One listing says which build files exist: most folders have none, and a read that fails
    // costs an error object each. An empty listing (a host that cannot list) falls back to reads.
    const entries = this.listFolder(folder);
    const listed = entries.length > 0 ? new Set(entries.filter((e) => !e.isDirectory).map((e) => e.name)) : undefined;
    if (this.patchedFuncs.probe(folder, listed)) this.groupsCache = undefined;
    for (const name of ['Kbuild', 'Makefile']) {
      if (listed && !listed.has(name)) continue;
      const text = this.fs.readFile(join(folder, name));
      if (text !== undefined) {
        this.setKbuild(join(folder, name), text);
        return;
      }
    }
  }

  changeDocument(path: string, changes: TextChange[]): void {
    path = resolve(path);
    if (isKbuildFile(basename(path))) {
      const last = changes[changes.length - 1];
      if (last && !last.range) this.setKbuild(path, last.text);
      return;
    }
    if (isPatchedFuncsFile(path)) {
      this.changed(path);
      this.patchedFuncs.change(path, changes);
      return;
    }
    const source = this.sources.get(path);
    if (!source || !this.openPaths.has(path)) {
      const last = changes[changes.length - 1];
      if (last && !last.range) this.openDocument(path, last.text);
      return;
    }
    this.changed(path);
    source.applyChanges(changes);
  }

  /** Text of a known file (open or indexed). */
  textOf(path: string): string | undefined {
    path = resolve(path);
    return this.sources.get(path)?.text ?? this.patchedFuncs.text(path);
  }

  closeDocument(path: string): void {
    path = resolve(path);
    this.openPaths.delete(path);
    // Keep the file's facts (it is still part of the workspace) but re-read it from disk.
    this.sources.get(path)?.dispose();
    this.sources.delete(path);
    this.addFile(path);
  }

  /** Remember (or re-read) a workspace file that is not open. */
  addFile(path: string): void {
    path = resolve(path);
    if (this.openPaths.has(path)) return;
    const text = this.fs.readFile(path);
    if (text === undefined) {
      this.removeFile(path);
      return;
    }
    if (isKbuildFile(basename(path))) return this.setKbuild(path, text);
    if (isPatchedFuncsFile(path)) return this.setPatchedFuncs(path, text);
    if (!/\.[ch]$/.test(path)) return;
    this.setSource(path, new SourceFile(path, text, this.parser, false));
  }

  /** A file that is not open, read here or in a worker. */
  private setSource(path: string, source: SourceFile): void {
    this.changed(path);
    this.sources.get(path)?.dispose();
    this.sources.set(path, source);
    if (isC(path)) this.probeBuildFiles(dirname(path));
    this.groupsCache = undefined;
  }

  /**
   * addFile for many files at once: build files are read at once, C sources and headers are
   * parsed in worker threads (in this thread, between event-loop turns, when no worker can run)
   * while this thread stays free. A file opened, changed or re-read while the batch runs keeps
   * its newer state. Resolves when every file is in, or soon after `signal` aborts.
   */
  async addFiles(paths: string[], options: AddFilesOptions = {}): Promise<AddFilesResult> {
    const outer = this.batchListings;
    this.batchListings ??= new Map();
    try {
      return await this.addBatch(paths, options);
    } finally {
      if (!outer) this.batchListings = undefined;
    }
  }

  /** A folder's entries, listed once per batch: build files and fix folders are probed from it. */
  private listFolder(folder: string): { name: string; isDirectory: boolean }[] {
    const listed = this.batchListings?.get(folder);
    if (listed) return listed;
    const entries = this.fs.listFolder(folder);
    this.batchListings?.set(folder, entries);
    return entries;
  }

  private async addBatch(paths: string[], options: AddFilesOptions): Promise<AddFilesResult> {
    const { signal, onProgress } = options;
    const sources: string[] = [];
    for (const given of paths) {
      const path = resolve(given);
      if (this.openPaths.has(path)) continue;
      if (/\.[ch]$/.test(path)) sources.push(path);
      else this.addFile(path);
    }
    const total = sources.length;
    // Starting worker threads (and warming them up) costs more than it saves on a small batch:
    // the files are read ahead until they reach minPoolBytes, and parsed here if they all fit.
    // A text is taken with the path's epoch at the time it was read: if the path changes after
    // that (re-read, opened), the text is stale and dropped.
    const readAhead = new Map<string, Read>();
    let usePool = this.workers > 0 && total > 1;
    if (usePool && !this.pool?.warm) {
      let bytes = 0;
      for (let i = 0; i < total && bytes < this.minPoolBytes; i++) {
        const read = this.readNow(sources[i]);
        readAhead.set(sources[i], read);
        bytes += read.text?.length ?? 0;
      }
      usePool = bytes >= this.minPoolBytes;
    }
    if (usePool) this.pool ??= new FactsWorkerPool({ size: this.workers, log: (message) => this.log(message) });
    const pool = usePool ? this.pool : undefined;

    // Files are read from disk as workers become free (a few ahead), never all at once; enough
    // ahead to keep every worker's batches full (factsWorkerPool.ts).
    const window = pool ? pool.size * filesAheadPerWorker : 0;
    const outcomes: Promise<Outcome>[] = [];
    const arrived: boolean[] = [];
    // While this thread waits for workers, it assembles the modules it can already: a C file no
    // build file claims and that includes no local header is a module of its own, complete.
    const assembleAhead: string[] = [];
    const fixesAhead: string[] = [];

    let added = 0;
    let lastYield = Date.now();
    // Files are taken in the order given, whatever order workers finish in: modules are grouped
    // in the order files became known, so the batch must give the order addFile would.
    for (let index = 0; index < total; index++) {
      if (signal?.aborted) break;
      if (pool)
        while (outcomes.length < Math.min(total, index + window)) {
          const next = outcomes.length;
          outcomes.push(this.extractOutcome(pool, sources[next], this.takeRead(readAhead, sources[next]), arrived, next, signal));
        }
      const outcome: Outcome = pool ? await outcomes[index] : { kind: 'here' };
      if (signal?.aborted) break;
      const path = sources[index];
      if (outcome.kind === 'facts') {
        // Something newer happened to the file meanwhile (opened, changed on disk): keep that.
        if (this.pathEpochs.get(path) === outcome.epoch && !this.openPaths.has(path)) {
          const source = SourceFile.fromFacts(path, outcome.text, outcome.parsed);
          this.setSource(path, source);
          this.layoutFacts.set(path, { version: source.version, facts: outcome.parsed.layout });
          added++;
          if (isC(path) && includesOnlySystemHeaders(outcome.parsed.facts)) assembleAhead.push(path);
          // The last file of a folder in the batch's order: its fix module (if it is one) is complete.
          if (index + 1 === total || dirname(sources[index + 1]) !== dirname(path)) fixesAhead.push(dirname(path));
        }
      } else if (outcome.kind === 'missing') {
        this.removeFile(path);
      } else if (!this.openPaths.has(path)) {
        const ahead = this.takeRead(readAhead, path);
        // Read ahead, then changed: read it again.
        const text = ahead.epoch === this.pathEpochs.get(path) ? ahead.text : this.fs.readFile(path);
        if (text === undefined) {
          this.removeFile(path);
        } else {
          this.setSource(path, new SourceFile(path, text, this.parser, false));
          added++;
        }
        // Parsing here holds the thread: let requests in between two files.
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      onProgress?.(index + 1, total);
      // Only while the next file is still being read by a worker: this thread would hold it up otherwise.
      const waiting = pool !== undefined && index + 1 < total && !arrived[index + 1];
      if (waiting) {
        while (assembleAhead.length > 0) this.assembleAhead(assembleAhead.shift()!);
        while (fixesAhead.length > 0) this.assembleFixAhead(fixesAhead.shift()!);
      }
      // Results that arrived together are taken without a turn of the event loop in between: give one now and then.
      if (Date.now() - lastYield > 10) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    }
    return { added, cancelled: signal?.aborted === true };
  }

  // The helpers of a batch are methods, not closures made per batch: a closure's optimised code
  // is dropped at a full collection once its last instance is gone, so per-batch closures were
  // compiled again on every pass of a long-running server.

  private readNow(path: string): Read {
    return { epoch: this.pathEpochs.get(path), text: this.fs.readFile(path) };
  }

  /** The text read ahead for `path` (taken out of `readAhead`), or read now. */
  private takeRead(readAhead: Map<string, Read>, path: string): Read {
    const ahead = readAhead.get(path);
    if (!ahead) return this.readNow(path);
    readAhead.delete(path);
    return ahead;
  }

  /** Sends one file to the pool; `arrived[index]` is set once its answer (or failure) is in. */
  private async extractOutcome(pool: FactsWorkerPool, path: string, read: Read, arrived: boolean[], index: number, signal: AbortSignal | undefined): Promise<Outcome> {
    const { text, epoch } = read;
    if (text === undefined) return { kind: 'missing' };
    try {
      const parsed = await pool.extract(path, text, signal);
      arrived[index] = true;
      return { kind: 'facts', text, parsed, epoch };
    } catch (error) {
      arrived[index] = true;
      // No worker could run, or one threw on this file: it is read in this thread instead.
      if (!(error instanceof PoolUnavailableError) && !signal?.aborted) this.log(`reading ${path} in the main thread: ${(error as Error).message}`);
      return { kind: 'here' };
    }
  }

  /** The template (the file with markers) is a fix module's main file; the rest in name order. */
  private sortFixFiles(files: string[]): void {
    const templates: string[] = [];
    const rest: string[] = [];
    for (const path of files) (this.sources.get(path)?.text.includes('@@') === true ? templates : rest).push(path);
    // Default sort: by UTF-16 code units, as `<` compares strings.
    templates.sort();
    rest.sort();
    files.length = 0;
    files.push(...templates, ...rest);
  }

  /**
   * Assembles (and caches) a fix folder's module, as groups() will make it, once its files have
   * come in: the model is ready when the module is asked for. A file of the folder that comes
   * later changes the model's key, and the model is assembled again then: never wrong, at worst
   * done twice.
   */
  private assembleFixAhead(folder: string): void {
    if (this.kbuild.has(folder) || !this.patchedFuncs.probe(folder)) return;
    // The folder's listing names its files without a walk over every source of the workspace; a
    // source that is not on disk (yet) only makes groups() assemble the module once more.
    const files: string[] = [];
    for (const entry of this.listFolder(folder)) {
      const path = join(folder, entry.name);
      if (isC(path) && this.sources.has(path)) files.push(path);
    }
    if (files.length === 0) {
      const prefix = folder.endsWith('/') ? folder : `${folder}/`;
      for (const path of this.sources.keys()) if (path.startsWith(prefix) && isC(path) && path.indexOf('/', prefix.length) < 0) files.push(path);
    }
    if (files.length === 0) return;
    this.sortFixFiles(files);
    this.moduleFindingsOf(this.modelOf(fixGroup(folder, files)));
  }

  /** Assembles (and caches) the model of a C file that is a module of its own, before it is asked for. */
  private assembleAhead(path: string): void {
    // A fix folder's files form one module with its list: a model of the file alone is waste.
    if (!this.sources.has(path) || this.claimedByKbuild(path) || this.patchedFuncs.probe(dirname(path))) return;
    this.moduleFindingsOf(this.modelOf(fileGroup(path)));
  }

  /**
   * The module-scope checks of a model, run once per model (and policy): during a batch, while
   * workers parse, so that only the checks across modules are left for after it.
   */
  private moduleFindingsOf(entry: ModelEntry): ModuleFindings {
    if (entry.moduleFindings?.policyGeneration !== this.policyGeneration) {
      const textOf = (path: string) => this.sources.get(path)?.text;
      const findings = runModuleChecks(entry.module, { kernel: this.kernel, modules: [entry.module], policy: this.policy, textOf, log: this.log });
      entry.moduleFindings = { policyGeneration: this.policyGeneration, findings };
    }
    return entry.moduleFindings.findings;
  }

  private claimedByKbuild(path: string): boolean {
    for (const [folder, modules] of this.kbuild) {
      for (const m of modules) if (m.objects.some((o) => join(folder, `${o}.c`) === path)) return true;
    }
    return false;
  }

  removeFile(path: string): void {
    path = resolve(path);
    this.changed(path);
    this.sources.get(path)?.dispose();
    this.layoutFacts.delete(path);
    if (this.sources.delete(path) || (isKbuildFile(basename(path)) && this.kbuild.delete(dirname(path)))) this.groupsCache = undefined;
    if (isPatchedFuncsFile(path) && this.patchedFuncs.delete(path)) this.groupsCache = undefined;
  }

  /** A fix folder's patched_funcs.csv: its folder's C files become one module. */
  private setPatchedFuncs(path: string, text: string): void {
    this.changed(path);
    this.patchedFuncs.set(path, text);
    this.groupsCache = undefined;
  }

  private setKbuild(path: string, text: string): void {
    this.changed(path);
    this.kbuild.set(dirname(path), parseKbuild(text));
    this.groupsCache = undefined;
  }

  private source(path: string): SourceFile | undefined {
    let source = this.sources.get(path);
    if (!source) {
      const text = this.fs.readFile(path);
      if (text === undefined) return undefined;
      source = new SourceFile(path, text, this.parser, false);
      this.sources.set(path, source);
    }
    return source;
  }

  /** Modules: Kbuild-declared ones first, then one module per unclaimed C file. */
  private groups(): ModuleGroup[] {
    if (this.groupsCache) return this.groupsCache;
    const groups: ModuleGroup[] = [];
    const claimed = new Set<string>();
    for (const [dir, modules] of this.kbuild) {
      for (const m of modules) {
        const files = m.objects.map((o) => join(dir, `${o}.c`));
        files.forEach((f) => claimed.add(f));
        groups.push({ key: `${dir}::${m.name}`, name: m.name, nameSource: 'kbuild', files, condition: m.condition, fixFolder: this.patchedFuncs.probe(dir) ? dir : undefined });
      }
    }
    const fixes = new Map<string, ModuleGroup>();
    for (const path of this.sources.keys()) {
      if (!isC(path) || claimed.has(path)) continue;
      // A fix folder of a distribution tree (it has a patched_funcs.csv) is one module.
      const folder = dirname(path);
      if (this.patchedFuncs.probe(folder)) {
        let fix = fixes.get(folder);
        if (!fix) {
          fix = fixGroup(folder);
          fixes.set(folder, fix);
          groups.push(fix);
        }
        fix.files.push(path);
        continue;
      }
      groups.push(fileGroup(path));
    }
    for (const fix of fixes.values()) this.sortFixFiles(fix.files);
    this.groupsCache = groups;
    this.seriesFiles.forget();
    this.seriesGeneration++;
    return groups;
  }

  private configuration(): ConfigurationFacts {
    const v = this.kernel.version;
    return {
      config: this.kernel.config,
      versionCode: (v.major << 16) + (v.minor << 8) + Math.min(v.patch, 255),
      architecture: this.kernel.architecture,
    };
  }

  /** Local headers reached from the files, depth-first in include order. */
  private headersOf(files: string[]): string[] {
    const seen = new Set<string>(files);
    const headers: string[] = [];
    for (const file of files) this.visitIncludes(file, 0, files, seen, headers);
    return headers;
  }

  /** Adds to `headers` the local headers `path` includes, then theirs (a header is looked for beside the includer, then beside each module file). */
  private visitIncludes(path: string, depth: number, files: string[], seen: Set<string>, headers: string[]): void {
    if (depth > maxIncludeDepth) return;
    const facts = this.source(path)?.facts();
    if (!facts) return;
    for (const include of facts.includes) {
      if (include.system) continue;
      let found = this.existing(resolve(dirname(path), include.path));
      for (let i = 0; found === undefined && i < files.length; i++) found = this.existing(resolve(dirname(files[i]), include.path));
      if (!found || seen.has(found)) continue;
      seen.add(found);
      headers.push(found);
      this.visitIncludes(found, depth + 1, files, seen, headers);
    }
  }

  /** `path` when it is a source or a file on disk. */
  private existing(path: string): string | undefined {
    return this.sources.has(path) || this.fs.readFile(path) !== undefined ? path : undefined;
  }

  /**
   * Every module's model, computed once per state of the workspace: analysing N files must not
   * look at N modules N times.
   */
  private workspaceModels(): WorkspaceModels {
    const cached = this.workspaceCache;
    if (cached && cached.generation === this.generation) return cached;
    const generation = this.generation;
    const groups = this.groups();
    const models: ModelEntry[] = [];
    const modelOf = new Map<ModuleGroup, ModelEntry>();
    const modules: LivepatchModule[] = [];
    const keys: string[] = [];
    for (const group of groups) {
      const model = this.modelOf(group);
      models.push(model);
      modelOf.set(group, model);
      modules.push(model.module);
      keys.push(model.cacheKey);
    }
    const groupsOf = new Map<string, ModuleGroup[]>();
    for (const group of groups) {
      for (const file of group.files) {
        const list = groupsOf.get(file);
        if (!list) groupsOf.set(file, [group]);
        else if (list[list.length - 1] !== group) list.push(group);
      }
    }
    const workspace = { generation, groups, models, modules, key: keys.join(';'), groupsOf, modelOf };
    this.workspaceCache = workspace;
    return workspace;
  }

  /** The group's model, re-assembled only when one of its files or headers changed. */
  private modelOf(group: ModuleGroup): ModelEntry {
    const files: string[] = [];
    for (const file of group.files) if (this.source(file)) files.push(file);
    const headers = this.headersOf(files);
    let versions = '';
    for (const p of files) versions += `${versions ? '|' : ''}${p}@${this.sources.get(p)?.version ?? 0}`;
    for (const p of headers) versions += `${versions ? '|' : ''}${p}@${this.sources.get(p)?.version ?? 0}`;
    const list = group.fixFolder !== undefined ? this.patchedFuncs.listOf(group.fixFolder) : undefined;
    const cacheKey = `${this.kernelGeneration}|${versions}|${group.condition ?? ''}|${list?.version ?? ''}`;
    const cached = this.models.get(group.key);
    if (cached && cached.cacheKey === cacheKey) return cached;
    const module = assembleModule(
      { name: group.name, nameSource: group.nameSource, files: this.factsOf(files), headers: this.factsOf(headers), layout: this.layoutSources(group, files, list?.list, headers) },
      this.configuration(),
    );
    const entry = { cacheKey, module, headers, files };
    this.models.set(group.key, entry);
    return entry;
  }

  private factsOf(paths: string[]): FileFacts[] {
    const facts: FileFacts[] = [];
    for (const path of paths) {
      const found = this.source(path)?.facts();
      if (found) facts.push(found);
    }
    return facts;
  }

  /**
   * A source's template markers and relocation macros, for its current version: scanned by the
   * worker that read the file when there was one, here otherwise.
   */
  private layoutFactsOf(path: string): LayoutFacts | undefined {
    const source = this.source(path);
    if (!source) return undefined;
    const cached = this.layoutFacts.get(path);
    if (cached && cached.version === source.version) return cached.facts;
    const facts = mayHoldLayoutFacts(source.text) ? layoutFactsOf(path, source.text) : undefined;
    this.layoutFacts.set(path, { version: source.version, facts });
    return facts;
  }

  /** What a generated layout adds to the module's sources (markers, the fix's list, the target object). */
  private layoutSources(group: ModuleGroup, files: string[], list: LayoutSources['patchedFuncs'], headers: string[]): LayoutSources {
    const markers: NonNullable<LayoutSources['markers']> = [];
    const relocations: NonNullable<LayoutSources['relocations']> = [];
    for (const path of files) {
      const found = this.layoutFactsOf(path);
      if (!found) continue;
      markers.push(...found.markers);
      relocations.push(...found.relocations);
    }
    // Extracted code often declares what it uses in a local header: its relocation macros are
    // the fix's too (templates are main files, so only relocations are taken from headers).
    for (const path of headers) {
      const found = this.layoutFactsOf(path);
      if (found) relocations.push(...found.relocations);
    }
    // kpatch and klp-build callbacks belong to the object the file is compiled into: the module a
    // kernel tree's Makefile builds it into, or vmlinux.
    let targetObject: string | undefined;
    if (group.condition !== undefined) {
      const condition = group.condition.startsWith('CONFIG_') ? this.kernel.config.get(group.condition) : group.condition;
      targetObject = condition === 'y' ? undefined : group.name;
    }
    return { patchedFuncs: list, markers, targetObject, relocations };
  }

  /** Findings of a patched_funcs.csv: those of the fix module it feeds, or its own syntax problems. */
  private analyzePatchedFuncs(path: string): FileAnalysis {
    const workspace = this.workspaceModels();
    const folder = dirname(path);
    let first: ModuleResult | undefined;
    const findings: Finding[] = [];
    for (const group of workspace.groups) {
      if (group.fixFolder !== folder) continue;
      const result = this.analyzeGroup(group);
      first ??= result;
      for (const f of result.findings) if (f.location.file === path) findings.push(f);
    }
    if (!first) {
      const text = this.patchedFuncs.text(path) ?? '';
      const list = parsePatchedFuncs(path, text);
      return { findings: list.problems.map((problem) => finding('LP-CSV-SYNTAX', problem.location, problem.message)) };
    }
    return { module: first.module, findings };
  }

  /**
   * Findings of one module. Cross-module checks (series, stacking) see every module of the
   * workspace, so the result is cached against the whole workspace's model keys.
   */
  private analyzeGroup(group: ModuleGroup): ModuleResult {
    const workspace = this.workspaceModels();
    const { groups, modules } = workspace;
    const own = workspace.modelOf.get(group) ?? this.modelOf(group);
    // Every group of one workspace state sees the same orders: find and key them once, not once
    // per module (a distribution tree has hundreds).
    if (this.seriesMemo?.workspaceKey !== workspace.key || this.seriesMemo.generation !== this.seriesGeneration) {
      const orders = this.series(groups);
      // One string for every group of this state: the key holds every model's key (tens of KiB on a
      // distribution tree), and two equal keys made apart are compared character by character.
      this.seriesMemo = { workspaceKey: workspace.key, generation: this.seriesGeneration, orders, cacheKey: `${workspace.key}|${seriesKey(orders)}` };
    }
    const series = this.seriesMemo.orders;
    const cacheKey = this.seriesMemo.cacheKey;
    const cached = this.results.get(group.key);
    if (cached && cached.cacheKey === cacheKey) return cached;
    const findings: Finding[] = [];
    for (const path of [...own.files, ...own.headers]) findings.push(...this.syntaxFindings(path));
    try {
      const textOf = (path: string) => this.sources.get(path)?.text;
      findings.push(...runChecks(own.module, { kernel: this.kernel, modules, series, policy: this.policy, textOf, log: this.log }, this.moduleFindingsOf(own)));
    } catch (error) {
      this.log(`checks failed for module ${own.module.name}: ${(error as Error).stack ?? error}`);
    }
    const result = { cacheKey, module: own.module, headers: own.headers, findings };
    this.results.set(group.key, result);
    return result;
  }

  private syntaxFindings(path: string): Finding[] {
    const source = this.sources.get(path);
    if (!source) return [];
    const origin = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    if (source.unparsable) return [{ code: 'LP-UNPARSABLE', severity: 'error', message: source.unparsable, location: { file: path, range: origin }, related: [] }];
    return source.facts().syntaxErrors.map((e) => ({ code: 'LP-SYNTAX', severity: 'warning' as const, message: e.message, location: e.location, related: [] }));
  }

  analyze(path: string): FileAnalysis {
    path = resolve(path);
    if (isPatchedFuncsFile(path)) {
      // A list is never C: read from disk if need be, and analysed as what it is.
      if (!this.patchedFuncs.has(path) && this.patchedFuncs.probe(dirname(path))) {
        this.changed(path);
        this.groupsCache = undefined;
      }
      return this.patchedFuncs.has(path) ? this.analyzePatchedFuncs(path) : { findings: [] };
    }
    if (!this.sources.has(path) && !this.source(path)) return { findings: [] };
    const workspace = this.workspaceModels();
    const groups = workspace.groups;
    const owning = workspace.groupsOf.get(path) ?? [];
    const results: ModuleResult[] = [];
    for (const group of owning) results.push(this.analyzeGroup(group));
    if (!isC(path)) {
      // A header: findings from every module that includes it.
      for (const g of groups) {
        if (owning.includes(g)) continue;
        const r = this.analyzeGroup(g);
        if (r.headers.includes(path)) results.push(r);
      }
    }
    if (results.length === 0) return { findings: this.syntaxFindings(path) };
    const seen = new Set<string>();
    const findings: Finding[] = [];
    for (const r of results) {
      for (const f of r.findings) {
        if (f.location.file !== path) continue;
        const key = `${f.code}|${f.location.range.start.line}:${f.location.range.start.character}|${f.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(f);
      }
    }
    return { module: results[0].module, findings };
  }

  /** The module a file belongs to (its own, or the first module including a header). */
  moduleOf(path: string): LivepatchModule | undefined {
    return this.analyze(path).module;
  }

  /** Modules found among known files. */
  modules(): LivepatchModule[] {
    return this.workspaceModels().models.map((m) => m.module);
  }

  /**
   * The series orders the checks use now (setting, series files, the simulated scenario's load
   * order), so the editor's features order modules by the same source of truth.
   */
  seriesOrders(): SeriesOrder[] {
    return this.series(this.groups());
  }

  /** All findings of all modules (the CLI's view). */
  allFindings(): Finding[] {
    const all: Finding[] = [];
    const seen = new Set<string>();
    for (const g of this.groups()) {
      for (const f of this.analyzeGroup(g).findings) {
        const key = `${f.location.file}|${f.code}|${f.location.range.start.line}:${f.location.range.start.character}|${f.message}`;
        if (!seen.has(key)) {
          seen.add(key);
          all.push(f);
        }
      }
    }
    return all;
  }

  /** Frees the trees and the parser, and stops the worker threads. */
  dispose(): void {
    if (this.ownsPool) void this.pool?.terminate();
    this.pool = undefined;
    for (const s of this.sources.values()) s.dispose();
    this.sources.clear();
    this.parser.delete();
  }
}
