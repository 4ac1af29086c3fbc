/**
 * Where the series order comes from, through the real server over stdio: the scenario the user
 * has open or simulates (when no setting or series file orders the patches), a series file
 * written while the server runs (workspace/didChangeWatchedFiles), and open documents published
 * again once the workspace pass has read the other patches of their series.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DiagnosticSeverity, DidChangeWatchedFilesNotification, FileChangeType, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { fileUri, LspTestClient, repoRoot } from './lspClient';

const seriesFixtures = join(repoRoot, 'test', 'fixtures', 'series');
const has = (code: string) => (published: PublishDiagnosticsParams) => published.diagnostics.some((diagnostic) => diagnostic.code === code);
const codes = (published: PublishDiagnosticsParams) => published.diagnostics.map((diagnostic) => String(diagnostic.code)).sort();
const settings = (extra: Record<string, unknown> = {}) => ({ diagnostics: { debounceMs: 10, ...extra } });

describe('open documents after the workspace pass', () => {
  let client: LspTestClient;
  after(() => client?.stop());

  it('a patch opened before the pass read its predecessor gets the takeover diagnostics without an edit', async () => {
    const folder = join(seriesFixtures, 'takeover-mistakes');
    const v2 = join(folder, 'lp_stat_v2.c');
    // The pass is off at first, so the open document is analysed knowing only itself.
    client = await LspTestClient.start({ workspaceFolder: folder, settings: settings({ workspace: false }) });
    const uri = await client.open(v2);
    const alone = await client.waitForDiagnostics(uri, (p) => p.version === 1);
    assert.ok(!has('LP-STATE-TAKEOVER')(alone), `nothing about a predecessor yet: ${codes(alone).join(', ')}`);
    const since = client.publishes.length;
    await client.changeSettings(settings({ workspace: true }));
    const after = await client.waitForDiagnostics(uri, has('LP-STATE-TAKEOVER'), { since, description: 'lp_stat_v2.c re-published after the workspace pass' });
    assert.equal(after.version, 1, 'no edit happened');
    const takeover = after.diagnostics.find((diagnostic) => diagnostic.code === 'LP-STATE-TAKEOVER')!;
    assert.match(takeover.message, /'lp_stat_v1' \(before this patch in livepatch\.series\)/);
    assert.ok(takeover.relatedInformation?.some((item) => item.location.uri === fileUri(join(folder, 'lp_stat_v1.c'))));
  });
});

describe('a series file written while the server runs', () => {
  let client: LspTestClient;
  const workspace = mkdtempSync(join(tmpdir(), 'klp-series-watch-'));
  after(async () => {
    await client?.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('re-publishes the open patches with the new order', async () => {
    cpSync(join(seriesFixtures, 'scenario-order'), workspace, { recursive: true });
    const plain = join(workspace, 'lp_cmdline_plain.c');
    const tracking = join(workspace, 'lp_cmdline_tracking.c');
    client = await LspTestClient.start({ workspaceFolder: workspace, settings: settings() });
    await client.waitForDiagnostics(fileUri(tracking), () => true, { description: 'the workspace pass' });
    const uri = await client.open(plain);
    const guessed = await client.waitForDiagnostics(uri, (p) => p.version === 1 && has('LP-SHADOW-CUMULATIVE-DROP')(p));
    assert.equal(guessed.diagnostics[0].severity, DiagnosticSeverity.Information, 'a guess without a series');
    assert.ok(client.registrations.includes(DidChangeWatchedFilesNotification.method), 'the server watches files');

    let since = client.publishes.length;
    const seriesFile = join(workspace, 'livepatch.series');
    writeFileSync(seriesFile, '# oldest first\nlp_cmdline_tracking.c\nlp_cmdline_plain.c\n');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(seriesFile), type: FileChangeType.Created }] });
    const firm = await client.waitForDiagnostics(uri, (p) => p.diagnostics[0]?.severity === DiagnosticSeverity.Warning, { since, description: 'the finding on the series file' });
    assert.match(firm.diagnostics[0].message, /'lp_cmdline_tracking' \(before this patch in livepatch\.series\)/);

    since = client.publishes.length;
    writeFileSync(seriesFile, 'lp_cmdline_plain.c\nlp_cmdline_tracking.c\n');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(seriesFile), type: FileChangeType.Changed }] });
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since, description: 'no finding once plain comes first' });

    since = client.publishes.length;
    rmSync(seriesFile);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(seriesFile), type: FileChangeType.Deleted }] });
    await client.waitForDiagnostics(uri, (p) => p.diagnostics[0]?.severity === DiagnosticSeverity.Information, { since, description: 'back to the guess' });
  });

  it('re-publishes the open patches when another patch of the series goes or comes back on disk', async () => {
    const plain = fileUri(join(workspace, 'lp_cmdline_plain.c'));
    const tracking = join(workspace, 'lp_cmdline_tracking.c');
    const text = readFileSync(tracking, 'utf8');
    let since = client.publishes.length;
    rmSync(tracking);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(tracking), type: FileChangeType.Deleted }] });
    await client.waitForDiagnostics(plain, (p) => p.diagnostics.length === 0, { since, description: 'no predecessor left to orphan' });

    since = client.publishes.length;
    writeFileSync(tracking, text);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(tracking), type: FileChangeType.Created }] });
    await client.waitForDiagnostics(plain, has('LP-SHADOW-CUMULATIVE-DROP'), { since, description: 'the predecessor is back' });
  });
});

describe('the scenario the user has open or simulates', () => {
  let client: LspTestClient;
  after(() => client?.stop());
  const folder = join(seriesFixtures, 'scenario-order');
  const plain = join(folder, 'lp_cmdline_plain.c');
  const tracking = join(folder, 'lp_cmdline_tracking.c');

  it('an open scenario orders the patches when no setting or series file does, and the message names it', async () => {
    client = await LspTestClient.start({ workspaceFolder: folder, settings: settings() });
    await client.waitForDiagnostics(fileUri(tracking), () => true, { description: 'the workspace pass' });
    const uri = await client.open(plain);
    const guessed = await client.waitForDiagnostics(uri, (p) => p.version === 1 && has('LP-SHADOW-CUMULATIVE-DROP')(p));
    assert.equal(guessed.diagnostics[0].severity, DiagnosticSeverity.Information);
    assert.match(guessed.diagnostics[0].message, /no series gives the order/);

    const since = client.publishes.length;
    await client.open(join(folder, 'tracking-then-plain.klpsim'), undefined, 'klpsim');
    const firm = await client.waitForDiagnostics(uri, (p) => p.diagnostics[0]?.severity === DiagnosticSeverity.Warning, { since, description: 'the finding on the scenario order' });
    assert.match(firm.diagnostics[0].message, /'lp_cmdline_tracking' \(before this patch in the load order of scenario tracking-then-plain\.klpsim\)/);
  });

  it('running a simulation makes its scenario the order', async () => {
    const uri = fileUri(plain);
    const since = client.publishes.length;
    const scenario = join(folder, 'plain-then-tracking.klpsim');
    await client.request('livepatch/runSimulation', { scenario: { kind: 'file', uri: fileUri(scenario) } }, 60_000);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since, description: 'plain loads first: nothing to take over' });
  });

  it('a setting still wins over the scenario', async () => {
    const uri = fileUri(plain);
    const since = client.publishes.length;
    await client.changeSettings({ ...settings(), series: ['lp_cmdline_tracking', 'lp_cmdline_plain'] });
    const firm = await client.waitForDiagnostics(uri, has('LP-SHADOW-CUMULATIVE-DROP'), { since, description: 'the order of the setting' });
    assert.match(firm.diagnostics[0].message, /before this patch in the livepatch\.series setting/);
  });
});
