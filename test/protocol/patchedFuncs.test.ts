/**
 * A distribution tree's patched_funcs.csv in the real server over stdio: opened as plaintext or
 * csv, it gets the diagnostics of its lines (positioned at the field), follows incremental edits,
 * and the C files of the fix keep their C handling (no syntax errors from the template markers).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-protocol';
import { LspTestClient, fileUri, positionOf, repoRoot } from './lspClient';

const fix = join(repoRoot, 'test', 'fixtures', 'layouts', 'distribution', 'bsc1210002');
const csvPath = join(fix, 'patched_funcs.csv');
const csvText = readFileSync(csvPath, 'utf8');
const templatePath = join(fix, 'livepatch_bsc1210002.c');

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => d.code).sort();

describe('patched_funcs.csv in the language server', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ settings: { diagnostics: { debounceMs: 10, workspace: false } } });
  });
  after(() => client?.stop());

  it('publishes the list\'s findings at their fields when opened as plaintext', async () => {
    const uri = await client.open(csvPath, csvText, 'plaintext');
    const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    assert.deepEqual(codes(published.diagnostics), ['LP-CSV-SYNTAX', 'LP-CSV-SYNTAX', 'LP-NEWFUNC-UNDEFINED', 'LP-OBJECT-NOT-LOADED', 'LP-SYMBOL-NOT-FOUND']);
    const notFound = published.diagnostics.find((d) => d.code === 'LP-SYMBOL-NOT-FOUND')!;
    assert.equal(notFound.severity, DiagnosticSeverity.Error);
    assert.deepEqual(notFound.range.start, positionOf(csvText, 'si_meminfo_node_avail'));
    assert.equal(notFound.range.end.character - notFound.range.start.character, 'si_meminfo_node_avail'.length);
  });

  it('re-analyses incremental edits of the list', async () => {
    const uri = fileUri(csvPath);
    const start = positionOf(csvText, 'vmlinux,pipe_read\n');
    const version = await client.change(uri, [{ range: { start, end: { line: start.line + 1, character: 0 } }, text: '' }]);
    const published = await client.waitForDiagnostics(uri, (p) => p.version === version);
    assert.deepEqual(codes(published.diagnostics), ['LP-CSV-SYNTAX', 'LP-NEWFUNC-UNDEFINED', 'LP-OBJECT-NOT-LOADED', 'LP-SYMBOL-NOT-FOUND']);
    await client.close(uri);
  });

  it('keeps C handling for the template beside it', async () => {
    const uri = await client.open(templatePath);
    const published = await client.waitForDiagnostics(uri);
    assert.ok(published.diagnostics.every((d) => d.code !== 'LP-SYNTAX'), JSON.stringify(published.diagnostics));
    assert.deepEqual(published.diagnostics.map((d) => d.code), ['LP-TEMPLATE-MARKER']);
  });

  it('answers the C features on a list without failing', async () => {
    const uri = await client.open(csvPath, csvText, 'plaintext');
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    const position = positionOf(csvText, 'meminfo_proc_show');
    const textDocument = { uri };
    for (const [method, params] of [
      ['textDocument/documentSymbol', { textDocument }],
      ['textDocument/hover', { textDocument, position }],
      ['textDocument/definition', { textDocument, position }],
      ['textDocument/completion', { textDocument, position }],
      ['textDocument/codeLens', { textDocument }],
      ['textDocument/codeAction', { textDocument, range: { start: position, end: position }, context: { diagnostics: [] } }],
    ] as const) {
      await client.request(method, params);
    }
    assert.deepEqual(client.logMessages.filter((m) => m.type === 1).map((m) => m.message), [], 'no errors logged');
    await client.close(uri);
  });

  it('analyses a list opened as csv with no C files beside it', async () => {
    const lonely = join(repoRoot, 'test', 'fixtures', 'layouts', 'no-such-fix', 'patched_funcs.csv');
    const uri = await client.open(lonely, 'vmlinux cmdline_proc_show\n', 'csv');
    const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line]), [['LP-CSV-SYNTAX', 0]]);
  });
});

describe('patched_funcs.csv in the workspace pass', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: fix, settings: { diagnostics: { debounceMs: 10, workspace: true } } });
  });
  after(() => client?.stop());

  it('publishes the findings of a list that is not open', async () => {
    const published = await client.waitForDiagnostics(fileUri(csvPath), (p) => p.diagnostics.length > 0);
    assert.deepEqual(codes(published.diagnostics), ['LP-CSV-SYNTAX', 'LP-CSV-SYNTAX', 'LP-NEWFUNC-UNDEFINED', 'LP-OBJECT-NOT-LOADED', 'LP-SYMBOL-NOT-FOUND']);
  });
});
