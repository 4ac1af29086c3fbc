/**
 * Data-driven check tests: each `test/fixtures/checks/*.c` is a small kernel-style livepatch
 * module whose expected findings are written into it as marker comments:
 *
 *     .old_name = "cmdline_proc_shw",
 *                 /*^ LP-SYMBOL-NOT-FOUND *\/
 *
 * The marker line follows the line the finding starts on (stacked marker lines all refer to the
 * last code line above them) and its `^` sits under the start column. One marker may list
 * several codes for the same position. Where the caret cannot reach the column (columns 1 and 2,
 * since the comment needs two characters before it), `@N` gives the 1-based column, counting a
 * tab as one character like the analysis does.
 *
 * Syntax findings (LP-SYNTAX) are the parser's business and are not compared here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Analyzer } from '../../../server/src/analysis/analyzer';
import { diagnosticCodeInfo } from '../../../server/src/checks/codes';
import { defaultKernelModel } from '../../../server/src/kernel/load';

const fixturesFolder = join(__dirname, '../../fixtures/checks');

export interface ExpectedFinding {
  code: string;
  /** 0-based, like Location. */
  line: number;
  character: number;
}

const markerLine = /^\s*(\/\*\^[^*]*\*\/\s*)+$/;
const marker = /\/\*\^([^*]*)\*\//g;

export function readMarkers(text: string): { expected: ExpectedFinding[]; problems: string[] } {
  const expected: ExpectedFinding[] = [];
  const problems: string[] = [];
  let target = -1;
  text.split('\n').forEach((line, index) => {
    if (!markerLine.test(line)) {
      target = index;
      return;
    }
    if (target < 0) problems.push(`line ${index + 1}: a marker needs a code line above it`);
    for (const match of line.matchAll(marker)) {
      const words = match[1].trim().split(/\s+/).filter(Boolean);
      const explicitColumn = words.find((word) => /^@\d+$/.test(word));
      const character = explicitColumn ? Number(explicitColumn.slice(1)) - 1 : match.index! + 2;
      const codes = words.filter((word) => word !== explicitColumn);
      if (codes.length === 0) problems.push(`line ${index + 1}: marker without a code`);
      for (const code of codes) {
        if (!diagnosticCodeInfo.has(code)) problems.push(`line ${index + 1}: unknown code ${code}`);
        expected.push({ code, line: target, character });
      }
    }
  });
  return { expected, problems };
}

function key(finding: ExpectedFinding): string {
  return `${finding.code} at ${finding.line + 1}:${finding.character + 1}`;
}

describe('fixture markers', () => {
  it('reads carets, stacked markers, several codes and explicit columns', () => {
    const text = ['\t.old_name = "x",', '\t          /*^ LP-A */', '/*^ LP-B LP-C @2 */', 'MODULE_LICENSE("x");', '/*^ LP-D @1 */'].join('\n');
    const { expected, problems } = readMarkers(text);
    assert.deepEqual(
      expected.map((e) => `${e.code}@${e.line}:${e.character}`),
      ['LP-A@0:13', 'LP-B@0:1', 'LP-C@0:1', 'LP-D@3:0'],
    );
    assert.deepEqual(problems, ['line 2: unknown code LP-A', 'line 3: unknown code LP-B', 'line 3: unknown code LP-C', 'line 5: unknown code LP-D']);
  });
});

/**
 * Fixtures whose expectations describe behaviour the model cannot deliver yet, with the reason.
 * Their tests run and report, but as todo.
 */
const pending: Record<string, string> = {
};

describe('check fixtures against the default 6.1 kernel model', () => {
  const names = readdirSync(fixturesFolder).filter((name) => name.endsWith('.c')).sort();
  it('exist', () => assert.ok(names.length >= 6));
  for (const name of names) {
    it(name, { todo: pending[name] }, async () => {
      const path = join(fixturesFolder, name);
      const text = readFileSync(path, 'utf8');
      const { expected, problems } = readMarkers(text);
      assert.deepEqual(problems, []);
      const analyzer = await Analyzer.create(defaultKernelModel(), {
        readFile: (file) => (file === path ? text : undefined),
        listFolder: () => [],
      });
      try {
        const logged: string[] = [];
        analyzer.log = (line) => logged.push(line);
        analyzer.openDocument(path, text);
        const actual = analyzer
          .analyze(path)
          .findings.filter((finding) => finding.code !== 'LP-SYNTAX')
          .map((finding) => key({ code: finding.code, line: finding.location.range.start.line, character: finding.location.range.start.character }));
        assert.deepEqual(actual.sort(), expected.map(key).sort());
        assert.deepEqual(logged, [], 'no check may fail on a fixture');
      } finally {
        analyzer.dispose();
      }
    });
  }
});
