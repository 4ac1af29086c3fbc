/**
 * `livepatch.kernelModel`: a model that does not load is reported (diagnostics on the model file
 * when it is in the workspace, a message otherwise) and the server keeps serving with the model
 * it had; a good model replaces the old one and open documents are analysed against it again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiagnosticSeverity, MessageType } from 'vscode-languageserver-protocol';
import { KernelModelInfoRequest, type KernelModelInfo } from '../../server/src/protocol/messages';
import { LspTestClient, fileUri, lspFixtures } from './lspClient';

const brokenModel = join(lspFixtures, 'model', 'broken-model.json');
const fixtureModel = join(lspFixtures, 'model', 'kallsyms-6.1.0-99-amd64');
const missingModel = '/nonexistent/livepatch-test/model.json';

describe('kernel model setting', () => {
  let client: LspTestClient;
  const info = () => client.request<KernelModelInfo>(KernelModelInfoRequest.method, undefined);

  before(async () => {
    client = await LspTestClient.start({
      workspaceFolder: lspFixtures,
      // Relative to the workspace folder.
      settings: { kernelModel: 'model/broken-model.json', diagnostics: { debounceMs: 10, workspace: false } },
    });
  });
  after(() => client?.stop());

  it('reports a broken model file in the workspace as diagnostics on that file', async () => {
    const published = await client.waitForDiagnostics(fileUri(brokenModel), (p) => p.diagnostics.length > 0);
    const [diagnostic] = published.diagnostics;
    assert.equal(diagnostic.source, 'livepatch');
    assert.equal(diagnostic.severity, DiagnosticSeverity.Error);
    assert.equal(diagnostic.range.start.line, 3, 'the JSON error is on line 4');
    assert.match(diagnostic.message, /JSON/);
  });

  it('keeps the embedded model and says why the configured one is not used', async () => {
    const message = await client.waitForShownMessage((m) => m.message.includes(brokenModel), 'a message about the broken model');
    assert.equal(message.type, MessageType.Error);
    const current = await info();
    assert.equal(current.source, 'embedded default');
    assert.equal(current.configuredPath, 'model/broken-model.json');
    assert.ok(current.loadErrors.length > 0);
  });

  it('keeps analysing documents', async () => {
    const uri = await client.open(join(lspFixtures, 'broken', 'livepatch-typo.c'));
    const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'LP-SYMBOL-NOT-FOUND'));
    assert.ok(published.diagnostics.length > 0);
  });

  it('reports a missing model outside the workspace with a message and clears the old model diagnostics', async () => {
    const since = client.publishes.length;
    await client.changeSettings({ kernelModel: missingModel, diagnostics: { debounceMs: 10, workspace: false } });
    const message = await client.waitForShownMessage((m) => m.message.includes(missingModel), 'a message about the missing model');
    assert.equal(message.type, MessageType.Error);
    await client.waitForDiagnostics(fileUri(brokenModel), (p) => p.diagnostics.length === 0, { since });
    assert.equal(client.latestDiagnostics(fileUri(missingModel)), undefined, 'no diagnostics on a file outside the workspace');
    const current = await info();
    assert.equal(current.source, 'embedded default');
    assert.equal(current.configuredPath, missingModel);
    assert.match(current.loadErrors[0], /cannot read/);
  });

  it('switches to a good model and re-analyses open documents against it', async () => {
    const uri = fileUri(join(lspFixtures, 'broken', 'livepatch-typo.c'));
    const since = client.publishes.length;
    await client.changeSettings({ kernelModel: fixtureModel, diagnostics: { debounceMs: 10, workspace: false } });
    // The fixture model places the three c_start symbols at addresses of its own.
    const published = await client.waitForDiagnostics(
      uri,
      (p) => p.diagnostics.some((d) => d.code === 'LP-SYMPOS-NEEDED' && d.message.includes('ffffffff81100000')),
      { since, description: 'diagnostics computed with the fixture model' },
    );
    assert.ok(published);
    const current = await info();
    assert.equal(current.source, fixtureModel);
    assert.equal(current.release, '6.1.0-99-amd64');
    assert.equal(current.architecture, 'x86_64');
    assert.deepEqual(current.loadErrors, []);
    assert.equal(current.objectCount, 2);
  });

  it('returns to the embedded model when the setting is emptied', async () => {
    const uri = fileUri(join(lspFixtures, 'broken', 'livepatch-typo.c'));
    const since = client.publishes.length;
    await client.changeSettings({ kernelModel: '', diagnostics: { debounceMs: 10, workspace: false } });
    await client.waitForDiagnostics(
      uri,
      (p) => p.diagnostics.some((d) => d.code === 'LP-SYMPOS-NEEDED' && !d.message.includes('ffffffff81100000')),
      { since, description: 'diagnostics computed with the embedded model again' },
    );
    const current = await info();
    assert.equal(current.source, 'embedded default');
    assert.equal(current.configuredPath, '');
    assert.deepEqual(current.loadErrors, []);
  });
});
