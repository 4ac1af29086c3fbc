/**
 * Diagnostics from the real server: findings mapped to LSP (code, severity, source, doc link,
 * related information), incremental edits re-analysed with the document version, debouncing,
 * re-publication of the other files of a multi-file module, and the background pass over the
 * workspace (published for files that are not open, bounded by livepatch.index.maxFiles).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiagnosticSeverity, MessageType, type Diagnostic } from 'vscode-languageserver-protocol';
import { LspTestClient, fileUri, lspFixtures, positionOf, repoRoot } from './lspClient';

const fixtureModel = join(lspFixtures, 'model', 'kallsyms-6.1.0-99-amd64');
const singlePath = join(lspFixtures, 'single', 'livepatch-cmdline.c');
const singleText = readFileSync(singlePath, 'utf8');
const brokenPath = join(lspFixtures, 'broken', 'livepatch-typo.c');
const brokenText = readFileSync(brokenPath, 'utf8');

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => d.code);
const has = (code: string) => (p: { diagnostics: Diagnostic[] }) => p.diagnostics.some((d) => d.code === code);
const hasNo = (code: string) => (p: { diagnostics: Diagnostic[] }) => !p.diagnostics.some((d) => d.code === code);

describe('diagnostics of open documents', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({
      settings: { kernelModel: fixtureModel, diagnostics: { debounceMs: 20, workspace: false } },
    });
  });
  after(() => client?.stop());

  it('maps findings to diagnostics with code, severity, source, range and doc link', async () => {
    const uri = await client.open(brokenPath);
    const published = await client.waitForDiagnostics(uri, (p) => has('LP-SYMBOL-NOT-FOUND')(p) && has('LP-SYMPOS-NEEDED')(p));
    assert.equal(published.version, 1);
    const notFound = published.diagnostics.find((d) => d.code === 'LP-SYMBOL-NOT-FOUND')!;
    assert.equal(notFound.source, 'livepatch');
    assert.equal(notFound.severity, DiagnosticSeverity.Error);
    assert.match(notFound.message, /cmdline_proc_shw/);
    const string = positionOf(brokenText, '"cmdline_proc_shw"');
    assert.equal(notFound.range.start.line, string.line);
    assert.ok(notFound.range.start.character >= string.character && notFound.range.start.character <= string.character + 1);
    assert.equal(notFound.codeDescription?.href, fileUri(join(repoRoot, 'docs', 'diagnostics', 'LP-SYMBOL-NOT-FOUND.md')));
  });

  it('carries related information to other locations', async () => {
    const uri = fileUri(brokenPath);
    const published = await client.waitForDiagnostics(uri, has('LP-CB-SIGNATURE'));
    const signature = published.diagnostics.find((d) => d.code === 'LP-CB-SIGNATURE')!;
    assert.ok(signature.relatedInformation && signature.relatedInformation.length > 0);
    const [related] = signature.relatedInformation;
    assert.equal(related.location.uri, uri);
    assert.equal(related.location.range.start.line, positionOf(brokenText, 'static void typo_pre_patch').line);
    await client.close(uri);
  });

  it('re-analyses incremental edits and publishes with the document version', async () => {
    const uri = await client.open(singlePath);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.every((d) => d.severity !== DiagnosticSeverity.Error), {
      description: 'no errors in the correct fixture',
    });
    const nameStart = positionOf(singleText, '"cmdline_proc_show"', 1);
    const nameEnd = { line: nameStart.line, character: nameStart.character + 'cmdline_proc_show'.length };
    const typo = await client.change(uri, [{ range: { start: nameStart, end: nameEnd }, text: 'cmdline_proc_shox' }]);
    const broken = await client.waitForDiagnostics(uri, (p) => p.version === typo && has('LP-SYMBOL-NOT-FOUND')(p), {
      description: `LP-SYMBOL-NOT-FOUND in version ${typo}`,
    });
    assert.equal(broken.diagnostics.find((d) => d.code === 'LP-SYMBOL-NOT-FOUND')!.range.start.line, nameStart.line);

    const fixed = await client.change(uri, [{ range: { start: nameStart, end: nameEnd }, text: 'cmdline_proc_show' }]);
    await client.waitForDiagnostics(uri, (p) => p.version === fixed && hasNo('LP-SYMBOL-NOT-FOUND')(p), {
      description: `no LP-SYMBOL-NOT-FOUND in version ${fixed}`,
    });

    const end = positionOf(singleText, 'MODULE_INFO(livepatch, "Y");');
    const syntax = await client.change(uri, [{ range: { start: end, end }, text: 'static int broken(;\n' }]);
    const withSyntax = await client.waitForDiagnostics(uri, (p) => p.version === syntax && has('LP-SYNTAX')(p), {
      description: `LP-SYNTAX in version ${syntax}`,
    });
    assert.equal(withSyntax.diagnostics.find((d) => d.code === 'LP-SYNTAX')!.range.start.line, end.line);
    await client.close(uri);
  });

  it('clears the diagnostics of a closed document that no workspace pass reports', async () => {
    const uri = await client.open(brokenPath);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    const since = client.publishes.length;
    await client.close(uri);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since, description: 'cleared diagnostics' });
  });

  it('re-publishes the other open files of a module when one of them changes', async () => {
    const mainUri = await client.open(join(lspFixtures, 'multi', 'main.c'));
    const replacementPath = join(lspFixtures, 'multi', 'replacement.c');
    const replacementText = readFileSync(replacementPath, 'utf8');
    const replacementUri = await client.open(replacementPath);
    await client.waitForDiagnostics(mainUri, hasNo('LP-NEWFUNC-UNDEFINED'));
    await client.waitForDiagnostics(replacementUri);
    const since = client.publishes.length;
    // Renaming the replacement function in one file leaves main.c's new_func undefined.
    const name = positionOf(replacementText, 'livepatch_multi_cmdline_proc_show');
    await client.change(replacementUri, [
      { range: { start: name, end: { line: name.line, character: name.character + 'livepatch_multi_cmdline_proc_show'.length } }, text: 'livepatch_multi_renamed' },
    ]);
    const main = await client.waitForDiagnostics(mainUri, has('LP-NEWFUNC-UNDEFINED'), {
      since,
      description: 'main.c re-published with LP-NEWFUNC-UNDEFINED after replacement.c changed',
    });
    assert.equal(main.version, 1, 'main.c itself did not change');
    await client.close(replacementUri);
    await client.close(mainUri);
  });
});

describe('debouncing', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ settings: { kernelModel: fixtureModel, diagnostics: { debounceMs: 400, workspace: false } } });
  });
  after(() => client?.stop());

  it('analyses a burst of edits once, for the last version', async () => {
    const uri = await client.open(brokenPath);
    // Wait until the fixture model is in use: its loading re-publishes open documents too.
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.message.includes('ffffffff81100000')));
    const since = client.publishes.length;
    const at = positionOf(brokenText, 'MODULE_LICENSE');
    let version = 1;
    for (let index = 0; index < 5; index++) version = await client.change(uri, [{ range: { start: at, end: at }, text: `/* ${index} */` }]);
    const published = await client.waitForDiagnostics(uri, () => true, { since, description: 'the debounced publish' });
    assert.equal(published.version, version, 'the first publish after the burst is for the last version');
    assert.equal(client.publishes.slice(since).filter((p) => p.uri === uri).length, 1);
  });
});

describe('workspace diagnostics', () => {
  let client: LspTestClient;
  const workspace = join(lspFixtures, 'broken');
  const uri = fileUri(brokenPath);
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: workspace, settings: { kernelModel: fixtureModel, diagnostics: { debounceMs: 10 } } });
  });
  after(() => client?.stop());

  it('publishes diagnostics for files that are not open', async () => {
    const published = await client.waitForDiagnostics(uri, has('LP-SYMBOL-NOT-FOUND'));
    assert.equal(published.version, undefined, 'no version for a file that is not open');
    assert.ok(codes(published.diagnostics).includes('LP-CB-SIGNATURE'));
  });

  it('keeps reporting a workspace file after it is opened and closed', async () => {
    await client.open(brokenPath);
    await client.waitForDiagnostics(uri, (p) => p.version === 1);
    const since = client.publishes.length;
    await client.close(uri);
    const published = await client.waitForDiagnostics(uri, () => true, { since });
    assert.ok(has('LP-SYMBOL-NOT-FOUND')(published), 'still reported from the file on disk');
  });

  it('clears them when workspace diagnostics are turned off', async () => {
    const since = client.publishes.length;
    await client.changeSettings({ kernelModel: fixtureModel, diagnostics: { debounceMs: 10, workspace: false } });
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since, description: 'cleared workspace diagnostics' });
  });
});

describe('workspace walk bound', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: lspFixtures, settings: { index: { maxFiles: 2 } } });
  });
  after(() => client?.stop());

  it('stops at livepatch.index.maxFiles and says so', async () => {
    const warning = await client.waitForLog((m) => m.message.includes('livepatch.index.maxFiles'), 'the cap warning');
    assert.equal(warning.type, MessageType.Warning);
    await client.waitFor('the end of the workspace pass', () =>
      client.progress.some((p) => (p.value as { kind?: string }).kind === 'end') ? true : undefined,
    );
    const reported = new Set(client.publishes.map((p) => p.uri));
    assert.ok(reported.size <= 2, `at most 2 files analysed, got ${[...reported].join(', ')}`);
  });
});
