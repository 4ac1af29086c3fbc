/**
 * `bin/klp` as a user runs it, from a working directory other than the repository: exit status
 * and one-line reasons for bad usage and unreadable input, and the text, JSON and SARIF reports
 * (the SARIF one validated against the SARIF 2.1.0 schema).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { version } from '../../package.json';
import { diagnosticCodes } from '../../server/src/checks/codes';
import type { JsonFinding } from '../../server/src/cli/formats/json';
import type { SarifLog } from '../../server/src/cli/formats/sarif';
import { positionOf } from '../protocol/lspClient';
import { sarifSchemaErrors } from './sarifSchema';

const repoRoot = resolve(__dirname, '..', '..');
const klp = join(repoRoot, 'bin', 'klp');
const fixtures = join(repoRoot, 'test', 'fixtures', 'lsp');
const fixtureModel = join(fixtures, 'model', 'kallsyms-6.1.0-99-amd64');
const brokenText = readFileSync(join(fixtures, 'broken', 'livepatch-typo.c'), 'utf8');
const elsewhere = mkdtempSync(join(tmpdir(), 'klp-cli-test-'));

after(() => rmSync(elsewhere, { recursive: true, force: true }));

function run(args: string[], cwd = elsewhere): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [klp, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exit 2, nothing on stdout, exactly one line on stderr. */
function assertRefused(args: string[], reason: RegExp): void {
  const { status, stdout, stderr } = run(args);
  assert.equal(status, 2, `exit status of klp ${args.join(' ')}`);
  assert.equal(stdout, '');
  assert.equal(stderr.split('\n').filter(Boolean).length, 1, `one line: ${stderr}`);
  assert.ok(stderr.endsWith('\n'));
  assert.match(stderr, /^klp: /);
  assert.match(stderr, reason);
}

const typoPosition = positionOf(brokenText, '"cmdline_proc_shw"');

describe('klp usage', () => {
  it('prints help and version', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /klp check <file or folder>/);
    assert.match(help.stdout, /--format text\|json\|sarif/);
    const shown = run(['--version']);
    assert.equal(shown.status, 0);
    assert.equal(shown.stdout, `${version}\n`);
  });

  it('refuses bad usage with exit 2 and one line', () => {
    assertRefused([], /missing command/);
    assertRefused(['frobnicate'], /unknown command 'frobnicate'/);
    assertRefused(['--frobnicate'], /unknown option '--frobnicate'/);
    assertRefused(['check'], /needs at least one file or folder/);
    assertRefused(['check', '--format', 'xml', fixtures], /unknown format 'xml'/);
    assertRefused(['check', fixtures, '--format'], /option '--format' needs a value/);
    assertRefused(['check', '--kernel'], /option '--kernel' needs a value/);
    assertRefused(['check', '--color', fixtures], /unknown option '--color'/);
  });

  it('refuses unreadable input with exit 2 and one line', () => {
    assertRefused(['check', 'no-such-file.c'], /cannot read 'no-such-file.c': no such file or directory/);
    assertRefused(['check', fixtures, join(elsewhere, 'missing')], /cannot read '.*missing': no such file or directory/);
  });

  it('refuses a kernel model that does not load with exit 2 and one line', () => {
    assertRefused(['check', '--kernel', join(fixtures, 'model', 'broken-model.json'), fixtures], /bad kernel model .*broken-model\.json.*invalid JSON.*line 4/);
    assertRefused(['check', '--kernel=/nonexistent/model.json', fixtures], /bad kernel model '\/nonexistent\/model\.json'/);
  });
});

describe('klp check text output', () => {
  it('prints compiler-style lines relative to the working directory and exits 1 on errors', () => {
    const { status, stdout, stderr } = run(['check', 'broken', '--kernel', fixtureModel], fixtures);
    assert.equal(stderr, '');
    assert.equal(status, 1);
    const lines = stdout.trimEnd().split('\n');
    const expected = `broken/livepatch-typo.c:${typoPosition.line + 1}:${typoPosition.character + 1}: error: `;
    const typo = lines.find((line) => line.startsWith(expected));
    assert.ok(typo, `a line starting with ${expected} in\n${stdout}`);
    assert.match(typo, /cmdline_proc_shw.* \[LP-SYMBOL-NOT-FOUND\]$/);
    const signature = lines.findIndex((line) => line.endsWith('[LP-CB-SIGNATURE]'));
    assert.match(lines[signature + 1], /^broken\/livepatch-typo\.c:\d+:\d+: note: /, 'related location as a note');
    assert.equal(lines.at(-1), 'klp: 3 errors in 1 file checked');
  });

  it('prints paths that lead back to the files from any working directory', () => {
    const { status, stdout } = run(['check', join(fixtures, 'broken'), '--kernel', fixtureModel]);
    assert.equal(status, 1);
    const first = stdout.split('\n')[0];
    const printed = first.slice(0, first.indexOf(':'));
    assert.equal(resolve(elsewhere, printed), join(fixtures, 'broken', 'livepatch-typo.c'));
  });

  it('exits 0 for a clean module and groups Kbuild modules when walking folders', () => {
    const clean = run(['check', 'single', 'multi', '--kernel', fixtureModel], fixtures);
    assert.equal(clean.status, 0, clean.stdout);
    // multi/main.c's new_func lives in multi/replacement.c: only the Kbuild grouping finds it.
    assert.doesNotMatch(clean.stdout, /LP-NEWFUNC-UNDEFINED/);
    assert.match(clean.stdout, /in 3 files checked\n$/);
  });
});

describe('klp check --format json', () => {
  it('prints an array of findings with 1-based positions', () => {
    const { status, stdout } = run(['check', '--format', 'json', '--kernel', fixtureModel, 'broken'], fixtures);
    assert.equal(status, 1);
    const findings: JsonFinding[] = JSON.parse(stdout);
    assert.ok(Array.isArray(findings));
    assert.ok(findings.length >= 3);
    for (const finding of findings) {
      assert.ok(finding.line >= 1 && finding.column >= 1 && finding.endLine >= finding.line, JSON.stringify(finding));
      assert.equal(finding.file, 'broken/livepatch-typo.c');
    }
    const typo = findings.find((f) => f.code === 'LP-SYMBOL-NOT-FOUND')!;
    assert.equal(typo.severity, 'error');
    assert.equal(typo.line, typoPosition.line + 1);
    assert.equal(typo.column, typoPosition.character + 1);
    const signature = findings.find((f) => f.code === 'LP-CB-SIGNATURE')!;
    assert.equal(signature.related[0].line, positionOf(brokenText, 'static void typo_pre_patch').line + 1);
  });

  it('prints an empty array for a clean module', () => {
    const { status, stdout } = run(['check', '--format=json', '--kernel', fixtureModel, join(fixtures, 'single')]);
    assert.equal(status, 0);
    assert.deepEqual(JSON.parse(stdout), []);
  });
});

describe('klp check --format sarif', () => {
  let status: number | null;
  let log: SarifLog;
  before(() => {
    const result = run(['check', '--format', 'sarif', '--kernel', fixtureModel, 'broken', 'single'], fixtures);
    status = result.status;
    log = JSON.parse(result.stdout);
  });

  it('is valid SARIF 2.1.0', () => {
    assert.equal(status, 1);
    assert.deepEqual(sarifSchemaErrors(log), []);
    assert.equal(log.version, '2.1.0');
  });

  it('describes the tool with one rule per diagnostic code', () => {
    const { driver } = log.runs[0].tool;
    assert.equal(driver.name, 'klp');
    assert.equal(driver.version, version);
    assert.deepEqual(driver.rules.map((r) => r.id), diagnosticCodes.map((c) => c.code));
    for (const rule of driver.rules) {
      assert.ok(rule.shortDescription.text.length > 0);
      assert.equal(rule.helpUri, new URL(`file://${join(repoRoot, 'docs', 'diagnostics', `${rule.id}.md`)}`).href);
    }
  });

  it('reports results with rule, level, relative location and region', () => {
    const { results, originalUriBaseIds, tool } = log.runs[0];
    assert.equal(originalUriBaseIds.SRCROOT.uri, `file://${fixtures}/`);
    const typo = results.find((r) => r.ruleId === 'LP-SYMBOL-NOT-FOUND')!;
    assert.equal(tool.driver.rules[typo.ruleIndex].id, typo.ruleId);
    assert.equal(typo.level, 'error');
    assert.match(typo.message.text, /cmdline_proc_shw/);
    const { artifactLocation, region } = typo.locations[0].physicalLocation;
    assert.deepEqual(artifactLocation, { uri: 'broken/livepatch-typo.c', uriBaseId: 'SRCROOT' });
    assert.equal(region.startLine, typoPosition.line + 1);
    assert.equal(region.startColumn, typoPosition.character + 1);
    assert.ok(region.endLine >= region.startLine && region.endColumn > region.startColumn);
    const signature = results.find((r) => r.ruleId === 'LP-CB-SIGNATURE')!;
    assert.equal(signature.relatedLocations?.[0].physicalLocation.artifactLocation.uri, 'broken/livepatch-typo.c');
    assert.ok(signature.relatedLocations?.[0].message.text);
  });
});
