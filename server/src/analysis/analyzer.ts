/**
 * The analysis facade: owns the sources (one live tree per open document), groups files into
 * modules (Kbuild/Makefile or one module per C file), assembles each module's livepatch model and
 * runs the checks. Transport-agnostic: the LSP layer and the CLI both drive it.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { runChecks } from '../checks/index';
import type { Finding } from '../checks/types';
import type { KernelModel } from '../kernel/types';
import { assembleModule } from '../model/assemble';
import type { FileFacts } from '../model/fileFacts';
import type { Range } from '../model/location';
import type { LivepatchModule } from '../model/types';
import type { ConfigurationFacts } from '../preprocess/conditionals';
import { SourceFile } from '../parser/sourceFile';
import { loadCLanguage, newCParser } from '../parser/treeSitter';
import { isKbuildFile, parseKbuild, type KbuildModule } from './kbuild';

export interface FileSystemHost {
  readFile(path: string): string | undefined;
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
}

interface ModuleResult {
  cacheKey: string;
  module: LivepatchModule;
  headers: string[];
  findings: Finding[];
}

const maxIncludeDepth = 16;

function isC(path: string): boolean {
  return path.endsWith('.c');
}

export class Analyzer {
  private readonly sources = new Map<string, SourceFile>();
  private readonly openPaths = new Set<string>();
  private readonly kbuild = new Map<string, KbuildModule[]>();
  /** Folders whose Kbuild/Makefile was looked for on disk. */
  private readonly probedFolders = new Set<string>();
  private readonly results = new Map<string, ModuleResult>();
  private readonly models = new Map<string, { cacheKey: string; module: LivepatchModule; headers: string[]; files: string[] }>();
  private groupsCache: ModuleGroup[] | undefined;
  private kernelGeneration = 0;
  log: (message: string) => void = () => {};

  private constructor(public kernel: KernelModel, readonly fs: FileSystemHost, private readonly parser: Parser) {}

  static async create(kernel: KernelModel, fs: FileSystemHost): Promise<Analyzer> {
    await loadCLanguage();
    return new Analyzer(kernel, fs, newCParser());
  }

  setKernel(kernel: KernelModel): void {
    this.kernel = kernel;
    this.kernelGeneration++;
    this.results.clear();
    this.models.clear();
  }

  openDocument(path: string, text: string): void {
    path = resolve(path);
    this.openPaths.add(path);
    if (isKbuildFile(basename(path))) return this.setKbuild(path, text);
    this.sources.get(path)?.dispose();
    this.sources.set(path, new SourceFile(path, text, this.parser, true));
    this.probeBuildFiles(dirname(path));
    this.groupsCache = undefined;
  }

  /**
   * The Kbuild/Makefile beside a C file says which module it belongs to. A file opened from
   * outside the workspace (or before the workspace walk reached its folder) must still find it.
   */
  private probeBuildFiles(folder: string): void {
    if (this.probedFolders.has(folder) || this.kbuild.has(folder)) return;
    this.probedFolders.add(folder);
    for (const name of ['Kbuild', 'Makefile']) {
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
    const source = this.sources.get(path);
    if (!source || !this.openPaths.has(path)) {
      const last = changes[changes.length - 1];
      if (last && !last.range) this.openDocument(path, last.text);
      return;
    }
    source.applyChanges(changes);
  }

  /** Text of a known file (open or indexed). */
  textOf(path: string): string | undefined {
    return this.sources.get(resolve(path))?.text;
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
    if (!/\.[ch]$/.test(path)) return;
    this.sources.get(path)?.dispose();
    this.sources.set(path, new SourceFile(path, text, this.parser, false));
    if (isC(path)) this.probeBuildFiles(dirname(path));
    this.groupsCache = undefined;
  }

  removeFile(path: string): void {
    path = resolve(path);
    this.sources.get(path)?.dispose();
    if (this.sources.delete(path) || this.kbuild.delete(dirname(path))) this.groupsCache = undefined;
  }

  private setKbuild(path: string, text: string): void {
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
        groups.push({ key: `${dir}::${m.name}`, name: m.name, nameSource: 'kbuild', files });
      }
    }
    for (const path of this.sources.keys()) {
      if (!isC(path) || claimed.has(path)) continue;
      const name = basename(path, '.c').replace(/-/g, '_');
      groups.push({ key: `${path}::${name}`, name, nameSource: 'file', files: [path] });
    }
    this.groupsCache = groups;
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
    const visit = (path: string, depth: number) => {
      if (depth > maxIncludeDepth) return;
      const facts = this.source(path)?.facts();
      for (const include of facts?.includes ?? []) {
        if (include.system) continue;
        const candidates = [resolve(dirname(path), include.path), ...files.map((f) => resolve(dirname(f), include.path))];
        const found = candidates.find((c) => this.sources.has(c) || this.fs.readFile(c) !== undefined);
        if (!found || seen.has(found)) continue;
        seen.add(found);
        headers.push(found);
        visit(found, depth + 1);
      }
    };
    files.forEach((f) => visit(f, 0));
    return headers;
  }

  /** The group's model, re-assembled only when one of its files or headers changed. */
  private modelOf(group: ModuleGroup): { cacheKey: string; module: LivepatchModule; headers: string[]; files: string[] } {
    const files = group.files.filter((f) => this.source(f));
    const headers = this.headersOf(files);
    const versions = [...files, ...headers].map((p) => `${p}@${this.sources.get(p)?.version ?? 0}`).join('|');
    const cacheKey = `${this.kernelGeneration}|${versions}`;
    const cached = this.models.get(group.key);
    if (cached && cached.cacheKey === cacheKey) return cached;
    const factsOf = (paths: string[]) => paths.map((p) => this.source(p)?.facts()).filter((f): f is FileFacts => !!f);
    const module = assembleModule({ name: group.name, nameSource: group.nameSource, files: factsOf(files), headers: factsOf(headers) }, this.configuration());
    const entry = { cacheKey, module, headers, files };
    this.models.set(group.key, entry);
    return entry;
  }

  /**
   * Findings of one module. Cross-module checks (series, stacking) see every module of the
   * workspace, so the result is cached against the whole workspace's model keys.
   */
  private analyzeGroup(group: ModuleGroup): ModuleResult {
    const groups = this.groups();
    const models = groups.map((g) => this.modelOf(g));
    const own = this.modelOf(group);
    const cacheKey = models.map((m) => m.cacheKey).join(';');
    const cached = this.results.get(group.key);
    if (cached && cached.cacheKey === cacheKey) return cached;
    const findings: Finding[] = [];
    for (const path of [...own.files, ...own.headers]) findings.push(...this.syntaxFindings(path));
    try {
      findings.push(...runChecks(own.module, { kernel: this.kernel, modules: models.map((m) => m.module), log: this.log }));
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
    if (!this.sources.has(path) && !this.source(path)) return { findings: [] };
    const groups = this.groups();
    const owning = groups.filter((g) => g.files.includes(path));
    const results = owning.map((g) => this.analyzeGroup(g));
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
    return this.groups().map((g) => this.modelOf(g).module);
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

  dispose(): void {
    for (const s of this.sources.values()) s.dispose();
    this.sources.clear();
    this.parser.delete();
  }
}
