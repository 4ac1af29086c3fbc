/**
 * The handshake with the real server: advertised capabilities, server info, the custom
 * `livepatch/kernelModelInfo` request, and the registrations and progress of start-up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TextDocumentSyncKind } from 'vscode-languageserver-protocol';
import { version } from '../../package.json';
import { KernelModelInfoRequest, type KernelModelInfo } from '../../server/src/protocol/messages';
import { LspTestClient, lspFixtures } from './lspClient';
import { join } from 'node:path';

describe('initialize', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: join(lspFixtures, 'single') });
  });
  after(() => client?.stop());

  it('advertises incremental sync and the livepatch features', () => {
    const { capabilities, serverInfo } = client.initializeResult;
    assert.deepEqual(capabilities.textDocumentSync, { openClose: true, change: TextDocumentSyncKind.Incremental });
    assert.equal(capabilities.hoverProvider, true);
    assert.equal(capabilities.definitionProvider, true);
    assert.ok(capabilities.documentSymbolProvider);
    // '"' opens an old_name string; '/' and ' ' are for .klpsim scenarios (paths, arguments).
    assert.deepEqual(capabilities.completionProvider?.triggerCharacters, ['"', '/', ' ']);
    assert.ok(capabilities.codeLensProvider);
    assert.equal(capabilities.referencesProvider, true);
    assert.deepEqual(capabilities.renameProvider, { prepareProvider: true });
    assert.equal(capabilities.workspaceSymbolProvider, true);
    assert.deepEqual(capabilities.workspace?.workspaceFolders, { supported: true, changeNotifications: true });
    assert.deepEqual(serverInfo, { name: 'livepatch-workbench', version });
  });

  it('pulls configuration and registers for configuration and file changes', async () => {
    await client.waitFor('the didChangeConfiguration and didChangeWatchedFiles registrations', () =>
      client.registrations.includes('workspace/didChangeConfiguration') && client.registrations.includes('workspace/didChangeWatchedFiles')
        ? true
        : undefined,
    );
  });

  it('reports workspace analysis as work-done progress that ends', async () => {
    const kinds = await client.waitFor('a progress end', () => {
      const kinds = client.progress.map((p) => (p.value as { kind?: string }).kind);
      return kinds.includes('end') ? kinds : undefined;
    });
    assert.equal(kinds[0], 'begin');
  });

  it('answers livepatch/kernelModelInfo with the embedded model', async () => {
    const info = await client.request<KernelModelInfo>(KernelModelInfoRequest.method, undefined);
    assert.equal(info.source, 'embedded default');
    assert.equal(info.configuredPath, '');
    assert.deepEqual(info.loadErrors, []);
    assert.match(info.release, /^\d+\.\d+/);
    assert.ok(info.objectCount >= 1);
    assert.ok(info.symbolCount > 1000, `only ${info.symbolCount} symbols`);
  });
});
