/**
 * Takeover across a patch series through the real server: diagnostics about another patch with
 * related locations in it, quick fixes as versioned document edits that, applied, remove the
 * diagnostic and add none, the refusal of a stale fix, the series and policy settings, and
 * the correct series staying clean.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CodeActionKind,
  DiagnosticSeverity,
  TextDocumentEdit,
  type CodeAction,
  type Diagnostic,
  type PublishDiagnosticsParams,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { fileUri, LspTestClient, positionOf, repoRoot } from './lspClient';

const seriesFixtures = join(repoRoot, 'test', 'fixtures', 'series');
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((diagnostic) => String(diagnostic.code)).sort();
const has = (code: string) => (published: PublishDiagnosticsParams) => published.diagnostics.some((diagnostic) => diagnostic.code === code);

/** The client side of a workspace edit, as VS Code does it: a version mismatch refuses the whole edit. */
class Documents {
  readonly texts = new Map<string, { text: string; version: number }>();

  set(uri: string, text: string, version: number): void {
    this.texts.set(uri, { text, version });
  }

  /** Applies the edit, or throws (changing nothing) when a versioned document moved on. */
  apply(edit: WorkspaceEdit): Map<string, string> {
    const changes = edit.documentChanges ?? [];
    assert.ok(changes.length > 0 && edit.changes === undefined, 'quick fixes carry versioned document changes only');
    for (const change of changes) {
      assert.ok(TextDocumentEdit.is(change), 'only text document edits');
      const open = this.texts.get(change.textDocument.uri);
      if (open && change.textDocument.version !== null && change.textDocument.version !== open.version)
        throw new Error(`refused: the edit is for version ${change.textDocument.version}, the document is at version ${open.version}`);
    }
    const result = new Map<string, string>();
    for (const change of changes as TextDocumentEdit[]) {
      const uri = change.textDocument.uri;
      const current = this.texts.get(uri)?.text ?? readFileSync(new URL(uri), 'utf8');
      result.set(uri, applyTextEdits(current, change.edits as TextEdit[]));
    }
    return result;
  }
}

function applyTextEdits(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  const offset = (position: { line: number; character: number }) => starts[position.line] + position.character;
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => offset(b.edit.range.start) - offset(a.edit.range.start) || b.order - a.order);
  let result = text;
  for (const { edit } of ordered) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}

async function codeActions(client: LspTestClient, uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
  return client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic], only: [CodeActionKind.QuickFix] },
  });
}

/** Waits until the background pass has published every given file (so every module is known). */
async function waitForWorkspace(client: LspTestClient, paths: string[]): Promise<void> {
  for (const path of paths) await client.waitForDiagnostics(fileUri(path), () => true, { description: `workspace diagnostics of ${path}` });
}

describe('takeover diagnostics and quick fixes', () => {
  const folder = join(seriesFixtures, 'takeover-mistakes');
  const v1 = join(folder, 'lp_stat_v1.c');
  const v2 = join(folder, 'lp_stat_v2.c');
  const v2Text = readFileSync(v2, 'utf8');
  let client: LspTestClient;
  const documents = new Documents();
  let uri: string;

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 10 } } });
    await waitForWorkspace(client, [v1, v2]);
    uri = await client.open(v2, v2Text);
    documents.set(uri, v2Text, 1);
  });
  after(() => client?.stop());

  it('reports the predecessor by name, with related locations in its file', async () => {
    const published = await client.waitForDiagnostics(uri, (p) => p.version === 1 && has('LP-STATE-TAKEOVER')(p));
    assert.deepEqual(codes(published.diagnostics), ['LP-SHADOW-ALLOC-DUP', 'LP-SHADOW-ID', 'LP-STATE-REVERT-FREE', 'LP-STATE-TAKEOVER']);
    const takeover = published.diagnostics.find((diagnostic) => diagnostic.code === 'LP-STATE-TAKEOVER')!;
    assert.equal(takeover.severity, DiagnosticSeverity.Warning);
    assert.match(takeover.message, /'lp_stat_v1' \(before this patch in livepatch\.series\)/);
    assert.equal(takeover.codeDescription?.href, fileUri(join(repoRoot, 'docs', 'diagnostics', 'LP-STATE-TAKEOVER.md')));
    const inPredecessor = takeover.relatedInformation?.find((item) => item.location.uri === fileUri(v1));
    assert.ok(inPredecessor, 'a related location in lp_stat_v1.c');
    const v1Text = readFileSync(v1, 'utf8');
    assert.equal(inPredecessor.location.range.start.line, positionOf(v1Text, 'klp_get_state(&patch, STAT_TOTALS)').line);
  });

  it('offers the takeover skeleton as a versioned edit that removes the diagnostics it is about and adds none', async () => {
    const published = client.latestDiagnostics(uri)!;
    const takeover = published.diagnostics.find((diagnostic) => diagnostic.code === 'LP-STATE-TAKEOVER')!;
    const actions = await codeActions(client, uri, takeover);
    const skeleton = actions.find((action) => action.title.includes('reference 8.2 skeleton'));
    assert.ok(skeleton, `a skeleton fix among: ${actions.map((action) => action.title).join(' | ')}`);
    assert.equal(skeleton.kind, CodeActionKind.QuickFix);
    assert.equal(skeleton.isPreferred, true);
    assert.deepEqual(skeleton.diagnostics, [takeover]);
    const [change] = skeleton.edit!.documentChanges as TextDocumentEdit[];
    assert.deepEqual(change.textDocument, { uri, version: 1 });

    const text = documents.apply(skeleton.edit!).get(uri)!;
    assert.match(text, /if \(klp_get_prev_state\(STAT_TOTALS\)\) \{/);
    const version = await client.change(uri, [{ text }]);
    documents.set(uri, text, version);
    const fixed = await client.waitForDiagnostics(uri, (p) => p.version === version, { description: `diagnostics of version ${version}` });
    // The skeleton also guards post_unpatch, so LP-STATE-REVERT-FREE goes too.
    assert.deepEqual(codes(fixed.diagnostics), ['LP-SHADOW-ALLOC-DUP', 'LP-SHADOW-ID']);
  });

  it('refuses a fix computed for an older version, and computes new fixes only against the current text', async () => {
    const published = client.latestDiagnostics(uri)!;
    const duplicate = published.diagnostics.find((diagnostic) => diagnostic.code === 'LP-SHADOW-ALLOC-DUP')!;
    const [stale] = await codeActions(client, uri, duplicate);
    assert.equal(stale.title, 'Use klp_shadow_get_or_alloc(), which returns an existing variable');
    const computedFor = (stale.edit!.documentChanges![0] as TextDocumentEdit).textDocument.version;
    assert.equal(computedFor, documents.texts.get(uri)!.version);

    // The user types before the fix is applied: a new first line moves everything down.
    const current = documents.texts.get(uri)!;
    const text = `/* edited */\n${current.text}`;
    const version = await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '/* edited */\n' }]);
    documents.set(uri, text, version);
    assert.throws(() => documents.apply(stale.edit!), /refused: the edit is for version \d+, the document is at version \d+/);
    assert.equal(documents.texts.get(uri)!.text, text, 'nothing was applied');

    // Asking again at the call's new place while the client still holds the old diagnostic: the
    // fix and the diagnostic it names are the current text's, not the stale ones.
    const moved = positionOf(text, 'klp_shadow_alloc(p, SV_STAT_LAST');
    const [fresh] = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: moved, end: moved },
      context: { diagnostics: [duplicate] },
    });
    assert.ok(fresh, 'a fix at the new position');
    assert.equal(fresh.diagnostics![0].range.start.line, moved.line, 'the current diagnostic, not the stale one');
    const change = fresh.edit!.documentChanges![0] as TextDocumentEdit;
    assert.equal(change.textDocument.version, version);
    assert.equal(change.edits[0].range.start.line, moved.line);
    const applied = documents.apply(fresh.edit!).get(uri)!;
    assert.match(applied, /last = klp_shadow_get_or_alloc\(p, SV_STAT_LAST,/);
    const next = await client.change(uri, [{ text: applied }]);
    documents.set(uri, applied, next);
    const fixed = await client.waitForDiagnostics(uri, (p) => p.version === next);
    assert.deepEqual(codes(fixed.diagnostics), ['LP-SHADOW-ID']);
  });

  it('offers nothing where there is no finding', async () => {
    const current = documents.texts.get(uri)!;
    const at = positionOf(current.text, 'MODULE_LICENSE');
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: at, end: at },
      context: { diagnostics: [] },
    });
    assert.deepEqual(actions, []);
  });

  it('treats a request without a range (as some clients send) as one about the whole document', async () => {
    const fixme = await client.open(join(seriesFixtures, 'single-fixes', 'lp_fixme.c'));
    await client.waitForDiagnostics(fixme, (p) => p.version === 1 && p.diagnostics.length === 4);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: fixme }, context: { diagnostics: [{ code: 'LP-TERMINATOR' }] } });
    assert.deepEqual(actions.map((action) => String(action.diagnostics?.[0].code)).sort(), ['LP-MODINFO-MISSING', 'LP-SHADOW-LEAK', 'LP-STATE-UNDECLARED', 'LP-TERMINATOR']);
    await client.close(fixme);
  });
});

describe('quick fixes for the other series problems', () => {
  let client: LspTestClient;
  after(() => client?.stop());

  for (const { series, file, code, expected } of [
    { series: 'leak', file: 'lp_cmdline_v2.c', code: 'LP-SHADOW-CUMULATIVE-DROP', expected: /klp_shadow_free_all\(SV_CMDLINE_READER, cmdline_reader_dtor\);/ },
    { series: 'state-regression', file: 'lp_uptime_v2.c', code: 'LP-STATE-DOWNGRADE', expected: /\.version = 2,/ },
    { series: 'deprecation', file: 'lp_loadavg_v2.c', code: 'LP-STATE-DEPRECATED', expected: /klp_shadow_free_all\(LOADAVG_SAMPLES, NULL\);/ },
  ]) {
    it(`${code} in ${series}`, async () => {
      await client?.stop();
      const folder = join(seriesFixtures, series);
      const path = join(folder, file);
      const text = readFileSync(path, 'utf8');
      client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 10 } } });
      await waitForWorkspace(client, [path]);
      const uri = await client.open(path, text);
      const published = await client.waitForDiagnostics(uri, (p) => p.version === 1 && has(code)(p));
      const before = codes(published.diagnostics);
      const diagnostic = published.diagnostics.find((candidate) => candidate.code === code)!;
      assert.ok(diagnostic.relatedInformation?.some((item) => item.location.uri !== uri), 'related information in the predecessor');
      const [fix] = await codeActions(client, uri, diagnostic);
      assert.ok(fix, `a fix for ${code}`);
      const documents = new Documents();
      documents.set(uri, text, 1);
      const fixedText = documents.apply(fix.edit!).get(uri)!;
      assert.match(fixedText, expected);
      const version = await client.change(uri, [{ text: fixedText }]);
      const after = await client.waitForDiagnostics(uri, (p) => p.version === version);
      assert.deepEqual(codes(after.diagnostics), before.filter((other) => other !== code));
    });
  }
});

describe('series and policy settings', () => {
  let client: LspTestClient;
  after(() => client?.stop());

  it('the livepatch.series setting overrides the series file', async () => {
    const folder = join(seriesFixtures, 'leak');
    const v2 = join(folder, 'lp_cmdline_v2.c');
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 10 } } });
    await waitForWorkspace(client, [join(folder, 'lp_cmdline_v1.c'), v2]);
    const uri = await client.open(v2);
    await client.waitForDiagnostics(uri, has('LP-SHADOW-CUMULATIVE-DROP'));
    const since = client.publishes.length;
    // Release 2 first: then release 1 replaces it, and nothing is orphaned.
    await client.changeSettings({ diagnostics: { debounceMs: 10 }, series: ['lp_cmdline_v2.c', 'lp_cmdline_v1'] });
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since, description: 'no finding with the reversed order' });
    await client.stop();
  });

  it('livepatch.policy.refuseConflicts makes stacking an error in every open patch', async () => {
    const folder = join(seriesFixtures, 'stacking');
    const a = join(folder, 'lp_version_a.c');
    const b = join(folder, 'lp_version_b.c');
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 10 } } });
    await waitForWorkspace(client, [a, b]);
    const uriA = await client.open(a);
    const stacked = await client.waitForDiagnostics(uriA, has('LP-NON-CUMULATIVE'));
    assert.equal(stacked.diagnostics[0].severity, DiagnosticSeverity.Warning);
    assert.match(stacked.diagnostics[0].message, /'lp_version_b' is loaded after this patch, so its 'version_proc_show' runs/);
    const since = client.publishes.length;
    await client.changeSettings({ diagnostics: { debounceMs: 10 }, policy: { refuseConflicts: true } });
    await client.waitForDiagnostics(uriA, (p) => p.diagnostics[0]?.severity === DiagnosticSeverity.Error, { since, description: 'an error under refuseConflicts' });
    await client.waitForDiagnostics(fileUri(b), (p) => p.diagnostics[0]?.severity === DiagnosticSeverity.Error, { since, description: 'the background file too' });
  });

  it('an edit in one patch re-publishes the other open patch', async () => {
    const folder = join(seriesFixtures, 'stacking');
    const a = join(folder, 'lp_version_a.c');
    const b = join(folder, 'lp_version_b.c');
    const uriA = fileUri(a);
    const uriB = await client.open(b);
    await client.waitForDiagnostics(uriB, (p) => p.version === 1 && has('LP-NON-CUMULATIVE')(p));
    // Making patch B cumulative ends the stacking for A as well.
    const text = readFileSync(b, 'utf8');
    const at = positionOf(text, '\t.objs = objs,\n', '\t.objs = objs,\n'.length);
    const since = client.publishes.length;
    await client.change(uriB, [{ range: { start: at, end: at }, text: '\t.replace = true,\n' }]);
    await client.waitForDiagnostics(uriA, (p) => p.diagnostics.length === 0, { since, description: 'lp_version_a.c re-published without LP-NON-CUMULATIVE' });
  });
});

describe('a correct takeover series', () => {
  let client: LspTestClient;
  after(() => client?.stop());

  it('produces no diagnostic in any of its patches', async () => {
    const folder = join(seriesFixtures, 'correct-takeover');
    const paths = ['lp_meminfo_v1.c', 'lp_meminfo_v2.c', 'lp_meminfo_v3.c'].map((name) => join(folder, name));
    client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 10 } } });
    await waitForWorkspace(client, paths);
    for (const path of paths) {
      const uri = await client.open(path);
      const published = await client.waitForDiagnostics(uri, (p) => p.version === 1);
      assert.deepEqual(published.diagnostics, [], path);
    }
  });
});
