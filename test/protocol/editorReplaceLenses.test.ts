/**
 * The "Simulate replace of <predecessor>" lenses of a cumulative patch follow the series, through
 * the real server over stdio: a series order that lists the module offers only the modules before
 * it (the nearest first), the setting wins over a series file, and with no order every other
 * livepatch module of the workspace is offered.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DidChangeWatchedFilesNotification, FileChangeType, type CodeLens } from 'vscode-languageserver-protocol';
import { fileUri, LspTestClient, repoRoot } from './lspClient';

const seriesFixtures = join(repoRoot, 'test', 'fixtures', 'series');
const replacePrefix = 'Simulate replace of ';

async function replaceTargets(client: LspTestClient, uri: string): Promise<string[]> {
  const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  const titles = lenses.map((lens) => lens.command?.title ?? '');
  assert.ok(titles.includes('Simulate load'), titles.join(' | '));
  return titles.filter((title) => title.startsWith(replacePrefix)).map((title) => title.slice(replacePrefix.length));
}

/** Asks until the targets match (a settings change reaches the analyzer asynchronously), then compares. */
async function eventually(read: () => Promise<string[]>, expected: string[], timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let actual = await read();
  while (JSON.stringify(actual) !== JSON.stringify(expected) && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    actual = await read();
  }
  assert.deepEqual(actual, expected);
}

describe('replace lenses follow a series file and the setting', () => {
  const folder = join(seriesFixtures, 'correct-takeover');
  let client: LspTestClient;
  const uris: Record<string, string> = {};

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { workspace: false, debounceMs: 10 } } });
    for (const version of ['v1', 'v2', 'v3']) uris[version] = await client.open(join(folder, `lp_meminfo_${version}.c`));
  });
  after(() => client?.stop());

  it('offers only the releases before the module in livepatch.series, the nearest first', async () => {
    assert.deepEqual(await replaceTargets(client, uris.v3), ['lp_meminfo_v2', 'lp_meminfo_v1']);
    assert.deepEqual(await replaceTargets(client, uris.v2), ['lp_meminfo_v1']);
    assert.deepEqual(await replaceTargets(client, uris.v1), []);
  });

  it('the livepatch.series setting overrides the file', async () => {
    await client.changeSettings({ diagnostics: { workspace: false, debounceMs: 10 }, series: ['lp_meminfo_v3', 'lp_meminfo_v1', 'lp_meminfo_v2'] });
    await eventually(() => replaceTargets(client, uris.v3), []);
    assert.deepEqual(await replaceTargets(client, uris.v2), ['lp_meminfo_v1', 'lp_meminfo_v3']);
  });
});

describe('replace lenses without any series order', () => {
  const folder = join(seriesFixtures, 'scenario-order');
  let client: LspTestClient;
  let uri: string;

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { workspace: false, debounceMs: 10 } } });
    uri = await client.open(join(folder, 'lp_cmdline_plain.c'));
  });
  after(() => client?.stop());

  it('offers every other livepatch module of the workspace', async () => {
    assert.deepEqual(await replaceTargets(client, uri), ['lp_cmdline_tracking']);
  });

  it('an open scenario that loads the module first leaves it no predecessor, and the client is asked for the lenses again', async () => {
    const refreshes = client.codeLensRefreshes;
    await client.open(join(folder, 'plain-then-tracking.klpsim'), undefined, 'klpsim');
    await eventually(() => replaceTargets(client, uri), []);
    await client.waitFor('a code lens refresh after the scenario gave the order', () => (client.codeLensRefreshes > refreshes ? true : undefined));
  });
});

describe('code lenses are asked for again when what they show changes elsewhere', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'klp-lens-refresh-'));
  let client: LspTestClient;
  let uri: string;

  before(async () => {
    cpSync(join(seriesFixtures, 'correct-takeover'), workspace, { recursive: true });
    client = await LspTestClient.start({ workspaceFolder: workspace, settings: { diagnostics: { debounceMs: 10 } } });
    uri = await client.open(join(workspace, 'lp_meminfo_v3.c'));
  });
  after(async () => {
    await client?.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('after the workspace pass, which may find the patches the lenses name', async () => {
    await client.waitFor('a code lens refresh after the workspace pass', () => (client.codeLensRefreshes > 0 ? true : undefined));
    assert.deepEqual(await replaceTargets(client, uri), ['lp_meminfo_v2', 'lp_meminfo_v1']);
  });

  it('after the series file changes on disk', async () => {
    const refreshes = client.codeLensRefreshes;
    const seriesFile = join(workspace, 'livepatch.series');
    writeFileSync(seriesFile, 'lp_meminfo_v3.c\nlp_meminfo_v1.c\nlp_meminfo_v2.c\n');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(seriesFile), type: FileChangeType.Changed }] });
    await client.waitFor('a code lens refresh after the series file changed', () => (client.codeLensRefreshes > refreshes ? true : undefined));
    assert.deepEqual(await replaceTargets(client, uri), []);
  });
});
