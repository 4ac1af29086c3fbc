/**
 * `klp check`: collect the files named on the command line (folders recursively), give every
 * one to the analyzer so it can group modules, analyse the sources, and print the findings.
 * Bad input (a path that cannot be read, a kernel model that does not load) is an InputError:
 * the caller prints its one-line reason and exits 2.
 */
import { accessSync, constants, readFileSync, readdirSync, statSync } from 'node:fs';
import { nodeFileSystem } from '../analysis/nodeFileSystem';
import { basename, dirname, join, resolve } from 'node:path';
import { Analyzer, type FileSystemHost } from '../analysis/analyzer';
import { isPatchedFuncsFile } from '../layouts/patchedFuncsCsv';
import { parseSeriesFile, seriesFromScenario, type ScenarioLoad, type SeriesOrder } from '../checks/series';
import type { Finding } from '../checks/types';
import { defaultKernelModel, loadKernelModelFile } from '../kernel/load';
import type { KernelModel } from '../kernel/types';
import { moduleByName, moduleForKo } from '../sim/scenario/modules';
import { parseScenario } from '../sim/scenario/parse';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import type { CheckReport } from './report';

export const outputFormats = ['text', 'json', 'sarif'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** `--policy` values: what counts as an error across patches (the livepatch.policy settings). */
export const checkPolicies = ['refuse-conflicts'] as const;
export type CheckPolicyName = (typeof checkPolicies)[number];

export interface CheckOptions {
  /** Files and folders as given. */
  paths: string[];
  /** Kernel model JSON or System.map; the embedded default when absent. */
  kernel?: string;
  format: OutputFormat;
  /** A series file (the `livepatch.series` format): the load order, above any series file found near the modules. */
  series?: string;
  /** A `.klpsim` scenario whose load order is the series where no series file orders the modules. */
  scenario?: string;
  /** Policies switched on (`--policy`, repeatable). */
  policies?: CheckPolicyName[];
}

export interface CheckEnvironment {
  cwd: string;
  toolVersion: string;
  installRoot: string;
  write(text: string): void;
  /** A line about a problem of klp itself (stderr). */
  warn(message: string): void;
}

/** Input the command cannot use; its message is the one line printed before exiting 2. */
export class InputError extends Error {}

function isWalkedFile(name: string): boolean {
  return name.endsWith('.c') || name.endsWith('.h') || name === 'Kbuild' || name === 'Makefile' || isPatchedFuncsFile(name);
}

/** Files whose findings are reported: sources, and distribution trees' patched_funcs.csv lists. */
function isSource(path: string): boolean {
  return path.endsWith('.c') || path.endsWith('.h') || isPatchedFuncsFile(path);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** Sources and build files below a folder, in a stable order; hidden folders are skipped. */
function walk(folder: string, shownAs: string, into: string[]): void {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    throw new InputError(`cannot read '${shownAs}': ${reason(error)}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(path, join(shownAs, entry.name), into);
    } else if (isWalkedFile(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && isFile(path)))) {
      into.push(path);
    }
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Every file to give the analyzer, absolute, without duplicates. `context` holds files read only
 * because a patched_funcs.csv was named on its own: the list means nothing without its fix folder
 * (template, extracted code), but the user asked about the list, so their findings are not reported.
 */
export function collectFiles(paths: readonly string[], cwd: string): { files: string[]; explicit: Set<string>; context: Set<string> } {
  const files: string[] = [];
  const explicit = new Set<string>();
  const lists: string[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    let stats;
    try {
      stats = statSync(path);
    } catch (error) {
      throw new InputError(`cannot read '${given}': ${reason(error)}`);
    }
    if (stats.isDirectory()) {
      walk(path, given, files);
    } else {
      try {
        accessSync(path, constants.R_OK);
      } catch (error) {
        throw new InputError(`cannot read '${given}': ${reason(error)}`);
      }
      files.push(path);
      explicit.add(path);
      if (isPatchedFuncsFile(path)) lists.push(path);
    }
  }
  const named = new Set(files);
  const context = new Set<string>();
  for (const list of lists) {
    const folder: string[] = [];
    walk(dirname(list), dirname(list), folder);
    for (const file of folder) if (!named.has(file)) context.add(file);
  }
  return { files: [...new Set([...files, ...context])], explicit, context };
}

export function loadKernel(kernelPath: string | undefined, cwd: string): KernelModel {
  if (kernelPath === undefined) {
    try {
      return defaultKernelModel();
    } catch (error) {
      throw new InputError(`the embedded kernel model did not load: ${reason(error)}`);
    }
  }
  const result = loadKernelModelFile(resolve(cwd, kernelPath));
  if (!result.model) {
    const first = result.errors[0];
    const where = first?.line !== undefined ? ` (line ${first.line + 1})` : '';
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more problems)` : '';
    throw new InputError(`bad kernel model '${kernelPath}': ${first?.message ?? 'unknown error'}${where}${more}`);
  }
  return result.model;
}

function readInput(path: string, shownAs: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read '${shownAs}': ${reason(error)}`);
  }
}

/** `--series <file>`: the order it gives, named after the file in messages. */
export function seriesFromFile(given: string, cwd: string): SeriesOrder {
  const path = resolve(cwd, given);
  const order = { source: path, entries: parseSeriesFile(readInput(path, given), dirname(path)) };
  if (order.entries.length === 0) throw new InputError(`series file '${given}' names no module (one module path or name per line, # comments)`);
  return order;
}

/**
 * `--scenario <file.klpsim>`: the modules its insmod/modprobe lines load, found as the simulator
 * finds them, in order (as the server's lsp/features/scenarioSeries.ts reads an open scenario).
 * A line the scenario language refuses is bad input, with its position.
 */
export function seriesFromScenarioFile(given: string, cwd: string): SeriesOrder {
  const path = resolve(cwd, given);
  const parsed = parseScenario(readInput(path, given));
  const [error] = parsed.errors;
  if (error) throw new InputError(`bad scenario '${given}': ${error.line}:${error.column}: ${error.message}`);
  const folder = dirname(path);
  const loads: ScenarioLoad[] = [];
  for (const { command, line } of parsed.lines) {
    if (command.kind === 'insmod') loads.push({ text: command.path, path: moduleForKo(resolve(folder, command.path))?.mainFiles[0], line: line - 1 });
    else if (command.kind === 'modprobe') loads.push({ text: command.name, path: moduleByName(folder, command.name)?.mainFiles[0], line: line - 1 });
  }
  if (loads.length === 0) throw new InputError(`scenario '${given}' loads no module (insmod <module>.ko or modprobe <module>)`);
  return seriesFromScenario(basename(path), loads);
}

function compareFindings(a: Finding, b: Finding): number {
  const fileOrder = a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0;
  if (fileOrder !== 0) return fileOrder;
  const aStart = a.location.range.start;
  const bStart = b.location.range.start;
  if (aStart.line !== bStart.line) return aStart.line - bStart.line;
  if (aStart.character !== bStart.character) return aStart.character - bStart.character;
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

function findingKey(finding: Finding): string {
  const { start, end } = finding.location.range;
  return [finding.code, finding.location.file, start.line, start.character, end.line, end.character, finding.message].join('\u0000');
}

/** Runs the check and writes the report; returns the exit status (0 clean, 1 errors found). */
export async function runCheck(options: CheckOptions, environment: CheckEnvironment): Promise<number> {
  const kernel = loadKernel(options.kernel, environment.cwd);
  const { files, explicit, context } = collectFiles(options.paths, environment.cwd);
  const series = options.series !== undefined ? seriesFromFile(options.series, environment.cwd) : undefined;
  const scenario = options.scenario !== undefined ? seriesFromScenarioFile(options.scenario, environment.cwd) : undefined;
  // A fresh process: worker threads start cold (their JIT warms up file by file), so below a few
  // MiB of sources one thread finishes first; above, the workers do.
  const analyzer = await Analyzer.create(kernel, nodeFileSystem, { minPoolBytes: 4 * 1024 * 1024 });
  // The analyzer reports its own failures (a check that threw) here; they are not findings.
  analyzer.log = (message) => environment.warn(message);
  // The same order of precedence as in the editor: --series like the livepatch.series setting,
  // then series files near the modules, then the scenario's load order, then a guess.
  if (series) analyzer.setSeriesOrder(series);
  if (scenario) analyzer.setScenarioSeries(scenario);
  if (options.policies?.includes('refuse-conflicts')) analyzer.setPolicy({ refuseConflicts: true });
  const findings = new Map<string, Finding>();
  // Headers are analysed too: findings are reported in the file they are located in.
  const analysed = files.filter((file) => !context.has(file) && (isSource(file) || explicit.has(file)));
  try {
    // Parsed in worker threads (one per core, at most 4) for large trees; the modules are analysed
    // once all are in.
    await analyzer.addFiles(files);
    for (const file of analysed) {
      for (const finding of analyzer.analyze(file).findings) findings.set(findingKey(finding), finding);
    }
  } finally {
    analyzer.dispose();
  }
  const report: CheckReport = {
    findings: [...findings.values()].sort(compareFindings),
    files: analysed,
    cwd: environment.cwd,
    toolVersion: environment.toolVersion,
    installRoot: environment.installRoot,
  };
  const formatted = options.format === 'json' ? formatJson(report) : options.format === 'sarif' ? formatSarif(report) : formatText(report);
  environment.write(formatted);
  return report.findings.some((finding) => finding.severity === 'error') ? 1 : 0;
}

