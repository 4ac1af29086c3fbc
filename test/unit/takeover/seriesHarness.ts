/**
 * Analysing the series fixtures (test/fixtures/series/<name>/) the way the server does: every C
 * file and build file of the folder is known to one Analyzer over the real disk, against the
 * embedded default 6.1 kernel model, and the folder's livepatch.series file gives the order
 * unless a test hides it (to exercise the guessed order) or sets the order itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Analyzer, type FileSystemHost } from '../../../server/src/analysis/analyzer';
import { nodeFileSystem } from '../../../server/src/analysis/nodeFileSystem';
import type { CheckPolicy } from '../../../server/src/checks/context';
import { seriesFileName } from '../../../server/src/checks/series';
import type { Finding } from '../../../server/src/checks/types';
import { defaultKernelModel } from '../../../server/src/kernel/load';

export const seriesFixtures = join(__dirname, '../../fixtures/series');

export interface SeriesOptions {
  /** Pretend the folder has no livepatch.series file. */
  hideSeriesFile?: boolean;
  /** The livepatch.series setting. */
  series?: string[];
  policy?: CheckPolicy;
  /** Texts that replace files on disk (as open documents with unsaved edits). */
  overrides?: Map<string, string>;
}

export function seriesFolder(name: string): string {
  return join(seriesFixtures, name);
}

export function sourcesOf(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.c'))
    .sort()
    .map((name) => join(folder, name));
}

export async function analyzeSeries(folder: string, options: SeriesOptions = {}): Promise<Analyzer> {
  const fs: FileSystemHost = {
    readFile: (path) => {
      if (options.hideSeriesFile && basename(path) === seriesFileName) return undefined;
      return options.overrides?.get(path) ?? nodeFileSystem.readFile(path);
    },
    listFolder: (path) => nodeFileSystem.listFolder(path),
  };
  const analyzer = await Analyzer.create(defaultKernelModel(), fs);
  const logged: string[] = [];
  analyzer.log = (line) => logged.push(line);
  for (const name of readdirSync(folder)) if (/\.[ch]$|^(Kbuild|Makefile)$/.test(name)) analyzer.addFile(join(folder, name));
  for (const [path, text] of options.overrides ?? []) analyzer.openDocument(path, text);
  if (options.series) analyzer.setSeries(options.series);
  if (options.policy) analyzer.setPolicy(options.policy);
  (analyzer as Analyzer & { logged: string[] }).logged = logged;
  return analyzer;
}

/** What the analyzer logged (a failing check logs; a fixture must not make any check fail). */
export function loggedBy(analyzer: Analyzer): string[] {
  return (analyzer as Analyzer & { logged?: string[] }).logged ?? [];
}

/** "CODE line:column" (1-based) of every finding in a file except syntax findings. */
export function findingKeys(findings: readonly Finding[]): string[] {
  return findings
    .filter((finding) => finding.code !== 'LP-SYNTAX')
    .map((finding) => `${finding.code} ${finding.location.range.start.line + 1}:${finding.location.range.start.character + 1}`)
    .sort();
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
