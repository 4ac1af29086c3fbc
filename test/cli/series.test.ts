/**
 * `klp check` and the order of a patch series: `--series <file>`, `--scenario <file.klpsim>` and
 * `--policy refuse-conflicts`, run as a user runs bin/klp, on the series fixtures.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { JsonFinding } from '../../server/src/cli/formats/json';

const repoRoot = resolve(__dirname, '..', '..');
const klp = join(repoRoot, 'bin', 'klp');
const series = join(repoRoot, 'test', 'fixtures', 'series');
const scenarioOrder = join(series, 'scenario-order');
const elsewhere = mkdtempSync(join(tmpdir(), 'klp-cli-series-'));

after(() => rmSync(elsewhere, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [klp, ...args], { cwd: elsewhere, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function findings(args: string[]): { status: number | null; findings: JsonFinding[] } {
  const { status, stdout, stderr } = run(['check', ...args, '--format', 'json']);
  assert.ok(status === 0 || status === 1, `klp ${args.join(' ')} exited ${status}: ${stderr}`);
  return { status, findings: JSON.parse(stdout) as JsonFinding[] };
}

function refused(args: string[], reason: RegExp): void {
  const { status, stdout, stderr } = run(args);
  assert.equal(status, 2, `exit status of klp ${args.join(' ')}`);
  assert.equal(stdout, '');
  assert.equal(stderr.split('\n').filter(Boolean).length, 1, `one line: ${stderr}`);
  assert.match(stderr, reason);
}

describe('klp check --series', () => {
  it('orders the patches as the file says, and messages name the file', () => {
    const order = join(elsewhere, 'cmdline.series');
    writeFileSync(order, `# oldest first\n${join(scenarioOrder, 'lp_cmdline_tracking.c')}\nlp_cmdline_plain   # by module name\n`);
    const { findings: found } = findings([scenarioOrder, '--series', order]);
    assert.deepEqual(found.map((finding) => [finding.code, finding.severity, finding.file.endsWith('lp_cmdline_plain.c')]), [['LP-SHADOW-CUMULATIVE-DROP', 'warning', true]]);
    assert.match(found[0].message, /'lp_cmdline_tracking' \(before this patch in cmdline\.series\)/);
  });

  it('overrides a livepatch.series file near the modules', () => {
    const leak = join(series, 'leak');
    assert.deepEqual(findings([leak]).findings.map((finding) => finding.code), ['LP-SHADOW-CUMULATIVE-DROP']);
    const reversed = join(elsewhere, 'reversed.series');
    writeFileSync(reversed, `${join(leak, 'lp_cmdline_v2.c')}\n${join(leak, 'lp_cmdline_v1.c')}\n`);
    assert.deepEqual(findings([leak, `--series=${reversed}`]).findings, []);
  });

  it('refuses a series file that cannot be read or names nothing', () => {
    refused(['check', scenarioOrder, '--series', join(elsewhere, 'missing.series')], /cannot read '.*missing\.series': no such file or directory/);
    const empty = join(elsewhere, 'empty.series');
    writeFileSync(empty, '# nothing yet\n');
    refused(['check', scenarioOrder, '--series', empty], /series file '.*empty\.series' names no module/);
    refused(['check', scenarioOrder, '--series'], /option '--series' needs a value/);
  });
});

describe('klp check --scenario', () => {
  it('without it the order is a guess: the finding is milder and says so', () => {
    const [guessed] = findings([scenarioOrder]).findings;
    assert.equal(guessed.code, 'LP-SHADOW-CUMULATIVE-DROP');
    assert.equal(guessed.severity, 'information');
    assert.match(guessed.message, /no series gives the order/);
  });

  it('takes the order in which the scenario loads the modules', () => {
    const [firm, ...rest] = findings([scenarioOrder, '--scenario', join(scenarioOrder, 'tracking-then-plain.klpsim')]).findings;
    assert.deepEqual(rest, []);
    assert.equal(firm.severity, 'warning');
    assert.match(firm.message, /'lp_cmdline_tracking' \(before this patch in the load order of scenario tracking-then-plain\.klpsim\)/);
    assert.deepEqual(findings([scenarioOrder, '--scenario', join(scenarioOrder, 'plain-then-tracking.klpsim')]).findings, []);
  });

  it('ranks below --series and series files', () => {
    const leak = join(series, 'leak');
    const reversed = join(elsewhere, 'leak-reversed.klpsim');
    writeFileSync(reversed, `insmod ${join(leak, 'lp_cmdline_v2.ko')}\ninsmod ${join(leak, 'lp_cmdline_v1.ko')}\n`);
    const [drop] = findings([leak, '--scenario', reversed]).findings;
    assert.match(drop.message, /before this patch in livepatch\.series/);
  });

  it('refuses a scenario with a bad line, with its position, or one that loads nothing', () => {
    const bad = join(elsewhere, 'bad.klpsim');
    writeFileSync(bad, 'insmod lp_cmdline_plain.ko\n\n  frobnicate now\n');
    refused(['check', scenarioOrder, '--scenario', bad], /bad scenario '.*bad\.klpsim': 3:3: unknown command 'frobnicate'/);
    const idle = join(elsewhere, 'idle.klpsim');
    writeFileSync(idle, 'sleep 1\n');
    refused(['check', scenarioOrder, '--scenario', idle], /scenario '.*idle\.klpsim' loads no module/);
  });
});

describe('klp check --policy', () => {
  const stacking = join(series, 'stacking');

  it('refuse-conflicts makes stacked patches of one function an error (exit 1)', () => {
    const plain = findings([stacking]);
    assert.equal(plain.status, 0);
    assert.ok(plain.findings.length > 0 && plain.findings.every((finding) => finding.code === 'LP-NON-CUMULATIVE' && finding.severity === 'warning'));
    const strict = findings([stacking, '--policy', 'refuse-conflicts']);
    assert.equal(strict.status, 1);
    assert.deepEqual(strict.findings.map((finding) => finding.severity), plain.findings.map(() => 'error'));
    assert.match(strict.findings[0].message, /refuseConflicts makes this an error/);
  });

  it('refuses an unknown policy', () => {
    refused(['check', stacking, '--policy', 'lenient'], /unknown policy 'lenient' \(expected refuse-conflicts\)/);
  });

  it('is documented in klp --help with --series and --scenario', () => {
    const { status, stdout } = run(['--help']);
    assert.equal(status, 0);
    for (const option of ['--series <file>', '--scenario <file.klpsim>', '--policy refuse-conflicts']) assert.ok(stdout.includes(option), option);
  });
});
