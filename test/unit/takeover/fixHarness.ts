/**
 * Verifying a quick fix the way the issue asks: apply it to the text, analyse again, and check
 * that the finding is gone, that no other finding appeared anywhere in the workspace, and that
 * the edited files parse without new syntax errors.
 */
import assert from 'node:assert/strict';
import type { Analyzer } from '../../../server/src/analysis/analyzer';
import type { Finding } from '../../../server/src/checks/types';
import { applyEdits, fixesFor, type Fix } from '../../../server/src/fixes/index';
import { analyzeSeries, sourcesOf, type SeriesOptions } from './seriesHarness';

export function fixContextOf(analyzer: Analyzer, path: string) {
  const module = analyzer.moduleOf(path);
  assert.ok(module, `${path} belongs to a module`);
  return { module, modules: analyzer.modules(), textOf: (file: string) => analyzer.textOf(file) };
}

/** Codes per file of the whole folder, syntax findings included, as sorted lists. */
function codesByFile(analyzer: Analyzer, files: readonly string[]): Map<string, string[]> {
  return new Map(files.map((file) => [file, analyzer.analyze(file).findings.map((finding) => finding.code).sort()]));
}

function withoutOne(codes: string[], code: string): string[] {
  const index = codes.indexOf(code);
  return index < 0 ? codes : [...codes.slice(0, index), ...codes.slice(index + 1)];
}

export interface VerifiedFix {
  finding: Finding;
  fix: Fix;
  /** New text of every edited file. */
  texts: Map<string, string>;
  /** Codes per file after the fix. */
  after: Map<string, string[]>;
}

/**
 * Finds the `code` finding in `file` (the `index`-th one), applies its fix named by
 * `title` (a substring; the first fix when absent) and checks the result.
 */
export async function verifyFix(
  folder: string,
  file: string,
  code: string,
  options: SeriesOptions & { title?: string; index?: number; extraFiles?: string[] } = {},
): Promise<VerifiedFix> {
  const files = [...sourcesOf(folder), ...(options.extraFiles ?? [])];
  const analyzer = await analyzeSeries(folder, options);
  let finding: Finding;
  let fix: Fix;
  let before: Map<string, string[]>;
  const texts = new Map<string, string>();
  try {
    before = codesByFile(analyzer, files);
    const matching = analyzer.analyze(file).findings.filter((candidate) => candidate.code === code);
    finding = matching[options.index ?? 0];
    assert.ok(finding, `${file} has a ${code} finding (has: ${before.get(file)?.join(', ')})`);
    const fixes = fixesFor(finding, fixContextOf(analyzer, file));
    const chosen = options.title ? fixes.find((candidate) => candidate.title.includes(options.title!)) : fixes[0];
    assert.ok(chosen, `a fix for ${code}${options.title ? ` titled like "${options.title}"` : ''} (got: ${fixes.map((f) => f.title).join(' | ') || 'none'})`);
    fix = chosen;
    for (const edited of new Set(fix.edits.map((edit) => edit.file))) {
      const text = analyzer.textOf(edited);
      assert.ok(text !== undefined, `the analyzer knows ${edited}`);
      texts.set(edited, applyEdits(text, fix.edits.filter((edit) => edit.file === edited)));
    }
  } finally {
    analyzer.dispose();
  }
  const overrides = new Map([...(options.overrides ?? []), ...texts]);
  const fixed = await analyzeSeries(folder, { ...options, overrides });
  try {
    const after = codesByFile(fixed, files);
    for (const path of files) {
      const expected = path === file ? withoutOne(before.get(path)!, code) : before.get(path)!;
      const gained = [...after.get(path)!];
      for (const existing of expected) {
        const index = gained.indexOf(existing);
        if (index >= 0) gained.splice(index, 1);
      }
      assert.deepEqual(gained, [], `fix "${fix.title}" adds findings to ${path}:\n${[...texts.get(path) ?? ''].join('')}`);
    }
    assert.ok(
      after.get(file)!.filter((c) => c === code).length < before.get(file)!.filter((c) => c === code).length,
      `fix "${fix.title}" leaves ${code} in ${file}:\n${texts.get(file) ?? ''}`,
    );
    return { finding, fix, texts, after };
  } finally {
    fixed.dispose();
  }
}
