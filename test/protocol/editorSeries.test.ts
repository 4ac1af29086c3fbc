/**
 * The editor's features order modules as the checks do, through the real server over stdio: with
 * no setting or series file, the load order of the scenario the user has open is the series, and
 * the Livepatch tree (`livepatch/patches`) and the generated default scenario follow it, as the
 * takeover diagnostics do. Then the setting takes over for all of them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CodeLens, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { RunSimulationResult, TreePatch } from '../../server/src/protocol/messages';
import { fileUri, LspTestClient, repoRoot } from './lspClient';

const folder = join(repoRoot, 'test', 'fixtures', 'series', 'scenario-order');
const plain = join(folder, 'lp_cmdline_plain.c');
const tracking = join(folder, 'lp_cmdline_tracking.c');
const settings = (extra: Record<string, unknown> = {}) => ({ diagnostics: { debounceMs: 10 }, ...extra });
const takeover = (published: PublishDiagnosticsParams) => published.diagnostics.find((diagnostic) => diagnostic.code === 'LP-SHADOW-CUMULATIVE-DROP');

/** The modules the default scenario loads, in the order of its insmod lines. */
function insmodOrder(result: RunSimulationResult): string[] {
  return [...result.scenarioText.matchAll(/^insmod\s+(\S+)/gm)].map((match) => /([^/]+)\.ko$/.exec(match[1])?.[1] ?? match[1]);
}

describe('one series order for the checks, the tree and the default scenario', () => {
  let client: LspTestClient;
  let plainUri: string;

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: folder, settings: settings() });
    await client.waitForDiagnostics(fileUri(tracking), () => true, { description: 'the workspace pass' });
    plainUri = await client.open(plain);
    await client.waitForDiagnostics(plainUri, (p) => p.version === 1 && takeover(p) !== undefined, { description: 'the guessed takeover finding' });
  });
  after(() => client?.stop());

  const treeOrder = async () => (await client.request<TreePatch[]>('livepatch/patches', undefined)).map((patch) => patch.module);
  const defaultOrder = async () => insmodOrder(await client.request<RunSimulationResult>('livepatch/runSimulation', { scenario: { kind: 'default' } }, 60_000));

  it('without any series, the tree and the default scenario fall back to the natural order of the names', async () => {
    assert.deepEqual(await treeOrder(), ['lp_cmdline_plain', 'lp_cmdline_tracking']);
    assert.deepEqual(await defaultOrder(), ['lp_cmdline_plain', 'lp_cmdline_tracking']);
  });

  it('an open scenario that loads tracking first reorders the tree and the default scenario as it does the checks', async () => {
    const since = client.publishes.length;
    await client.open(join(folder, 'tracking-then-plain.klpsim'), undefined, 'klpsim');
    // The diagnostics say the analyzer now follows the scenario; the features must agree with it.
    const firm = await client.waitForDiagnostics(plainUri, (p) => /load order of scenario tracking-then-plain\.klpsim/.test(takeover(p)?.message ?? ''), { since, description: 'the finding on the scenario order' });
    assert.ok(takeover(firm));
    assert.deepEqual(await treeOrder(), ['lp_cmdline_tracking', 'lp_cmdline_plain']);
    assert.deepEqual(await defaultOrder(), ['lp_cmdline_tracking', 'lp_cmdline_plain']);
    // The lenses of a cumulative patch name the other patch of that same series.
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: plainUri } });
    const titles = lenses.map((lens) => lens.command?.title ?? '');
    assert.ok(titles.includes('Simulate load'), titles.join(' | '));
    assert.ok(titles.includes('Simulate replace of lp_cmdline_tracking'), titles.join(' | '));
  });

  it('the livepatch.series setting wins for the tree and the default scenario too', async () => {
    const since = client.publishes.length;
    await client.changeSettings({ ...settings(), series: ['lp_cmdline_plain', 'lp_cmdline_tracking'] });
    await client.waitForDiagnostics(plainUri, (p) => takeover(p) === undefined, { since, description: 'plain first: nothing dropped' });
    assert.deepEqual(await treeOrder(), ['lp_cmdline_plain', 'lp_cmdline_tracking']);
    assert.deepEqual(await defaultOrder(), ['lp_cmdline_plain', 'lp_cmdline_tracking']);
  });
});
