/**
 * The three report formats on hand-made findings, so their edge cases do not depend on what the
 * checks happen to report: unknown codes, every severity, related locations, extra data, files
 * outside the working directory, and paths that need percent-encoding in SARIF.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../server/src/checks/types';
import { formatJson } from '../../server/src/cli/formats/json';
import { formatSarif, toSarifLog } from '../../server/src/cli/formats/sarif';
import { formatText } from '../../server/src/cli/formats/text';
import type { CheckReport } from '../../server/src/cli/report';
import { sarifSchemaErrors } from './sarifSchema';

const cwd = '/work/patches';
const range = (line: number, character: number, endCharacter: number) => ({
  start: { line, character },
  end: { line, character: endCharacter },
});

const findings: Finding[] = [
  {
    code: 'LP-SYMBOL-NOT-FOUND',
    severity: 'error',
    message: "symbol 'foo' not found",
    location: { file: '/work/patches/fix cve/livepatch-ü.c', range: range(9, 14, 19) },
    related: [{ message: 'object declared here', location: { file: '/work/patches/fix cve/livepatch-ü.c', range: range(2, 0, 4) } }],
    data: { suggestion: 1 },
  },
  {
    code: 'LP-FROM-THE-FUTURE',
    severity: 'warning',
    message: 'a code this version does not know',
    location: { file: '/elsewhere/shared.h', range: range(0, 0, 0) },
    related: [],
  },
  { code: 'LP-OBJECT-NOT-LOADED', severity: 'information', message: 'module not loaded', location: { file: '/work/patches/a.c', range: range(3, 1, 2) }, related: [] },
  { code: 'LP-NEWFUNC-NAME', severity: 'hint', message: 'not static', location: { file: '/work/patches/a.c', range: range(4, 1, 2) }, related: [] },
];

const report: CheckReport = { findings, files: ['/work/patches/a.c', '/work/patches/fix cve/livepatch-ü.c'], cwd, toolVersion: '9.8.7', installRoot: '/opt/klp' };

describe('text format', () => {
  it('prints path:line:col: severity: message [CODE], notes and a summary', () => {
    assert.equal(
      formatText(report),
      [
        "fix cve/livepatch-ü.c:10:15: error: symbol 'foo' not found [LP-SYMBOL-NOT-FOUND]",
        'fix cve/livepatch-ü.c:3:1: note: object declared here',
        '../../elsewhere/shared.h:1:1: warning: a code this version does not know [LP-FROM-THE-FUTURE]',
        'a.c:4:2: info: module not loaded [LP-OBJECT-NOT-LOADED]',
        'a.c:5:2: hint: not static [LP-NEWFUNC-NAME]',
        'klp: 1 error, 1 warning, 1 info, 1 hint in 2 files checked',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to report', () => {
    assert.equal(formatText({ ...report, findings: [], files: ['/work/patches/a.c'] }), 'klp: no problems in 1 file checked\n');
  });
});

describe('json format', () => {
  it('prints 1-based spans, related spans and data', () => {
    const [first, second] = JSON.parse(formatJson(report));
    assert.deepEqual(first, {
      file: 'fix cve/livepatch-ü.c',
      line: 10,
      column: 15,
      endLine: 10,
      endColumn: 20,
      code: 'LP-SYMBOL-NOT-FOUND',
      severity: 'error',
      message: "symbol 'foo' not found",
      related: [{ file: 'fix cve/livepatch-ü.c', line: 3, column: 1, endLine: 3, endColumn: 5, message: 'object declared here' }],
      data: { suggestion: 1 },
    });
    assert.equal(second.file, '../../elsewhere/shared.h');
    assert.equal('data' in second, false);
  });
});

describe('sarif format', () => {
  const log = toSarifLog(report);

  it('is valid SARIF 2.1.0, also for an empty run', () => {
    assert.deepEqual(sarifSchemaErrors(JSON.parse(formatSarif(report))), []);
    assert.deepEqual(sarifSchemaErrors(toSarifLog({ ...report, findings: [] })), []);
  });

  it('maps severities to levels', () => {
    assert.deepEqual(log.runs[0].results.map((r) => r.level), ['error', 'warning', 'note', 'note']);
  });

  it('percent-encodes relative URIs and uses file URIs outside the working directory', () => {
    const [inside, outside] = log.runs[0].results;
    assert.deepEqual(inside.locations[0].physicalLocation.artifactLocation, { uri: 'fix%20cve/livepatch-%C3%BC.c', uriBaseId: 'SRCROOT' });
    assert.deepEqual(outside.locations[0].physicalLocation.artifactLocation, { uri: 'file:///elsewhere/shared.h' });
    assert.equal(log.runs[0].originalUriBaseIds.SRCROOT.uri, 'file:///work/patches/');
  });

  it('gives regions as 1-based lines and columns with an exclusive end column', () => {
    assert.deepEqual(log.runs[0].results[0].locations[0].physicalLocation.region, { startLine: 10, startColumn: 15, endLine: 10, endColumn: 20 });
    assert.equal(log.runs[0].columnKind, 'utf16CodeUnits');
  });

  it('adds a rule for a code the registry does not know, and indexes rules consistently', () => {
    const { rules } = log.runs[0].tool.driver;
    const unknown = rules.find((r) => r.id === 'LP-FROM-THE-FUTURE');
    assert.ok(unknown);
    assert.equal(unknown.helpUri, 'file:///opt/klp/docs/diagnostics/LP-FROM-THE-FUTURE.md');
    for (const result of log.runs[0].results) assert.equal(rules[result.ruleIndex].id, result.ruleId);
  });

  it('keeps related locations and finding data', () => {
    const [first] = log.runs[0].results;
    assert.deepEqual(first.relatedLocations, [
      {
        id: 0,
        message: { text: 'object declared here' },
        physicalLocation: {
          artifactLocation: { uri: 'fix%20cve/livepatch-%C3%BC.c', uriBaseId: 'SRCROOT' },
          region: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 5 },
        },
      },
    ]);
    assert.deepEqual(first.properties, { data: { suggestion: 1 } });
  });
});
