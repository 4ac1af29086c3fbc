/**
 * The editor's views of the whole workspace through the real server: code lenses above
 * `struct klp_patch`, the Livepatch tree (`livepatch/patches`), workspace symbols, and find
 * references / rename of shadow and state id macros across the modules of a patch series.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResponseError, SymbolKind, type CodeLens, type Location, type SymbolInformation, type WorkspaceEdit } from 'vscode-languageserver-protocol';
import { KernelModelChangedNotification, LivepatchPatchesRequest, type KernelModelInfo, type TreePatch } from '../../server/src/protocol/messages';
import { LspTestClient, defaultTimeoutMs, fileUri, lspFixtures, positionOf, repoRoot } from './lspClient';

const series = join(repoRoot, 'test', 'fixtures', 'editor', 'series');
const v1 = join(series, 'livepatch-fix-v1.c');
const v2 = join(series, 'livepatch-fix-v2.c');
const ids = join(series, 'fix-ids.h');
const v1Text = readFileSync(v1, 'utf8');
const v2Text = readFileSync(v2, 'utf8');
const idsText = readFileSync(ids, 'utf8');

function where(location: Location): string {
  const file = location.uri.slice(location.uri.lastIndexOf('/') + 1);
  return `${file}:${location.range.start.line + 1}:${location.range.start.character + 1}`;
}

describe('workspace navigation', () => {
  let client: LspTestClient;
  let v1Uri: string;
  let v2Uri: string;

  before(async () => {
    // Background diagnostics off: the features must find the workspace's modules by themselves.
    client = await LspTestClient.start({ workspaceFolder: series, settings: { diagnostics: { workspace: false, debounceMs: 10 } } });
    v1Uri = await client.open(v1);
    v2Uri = await client.open(v2);
    await client.waitForDiagnostics(v2Uri);
  });
  after(() => client?.stop());

  describe('code lenses', () => {
    it('offers "Simulate load" above a patch, and a replace of every other livepatch for a cumulative one', async () => {
      const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: v2Uri } });
      const patchLine = positionOf(v2Text, 'static struct klp_patch patch = {').line;
      assert.deepEqual(
        lenses.map((lens) => [lens.range.start.line, lens.command?.title, lens.command?.command]),
        [
          [patchLine, 'Simulate load', 'livepatch.runSimulation'],
          [patchLine, 'Simulate replace of livepatch_fix_v1', 'livepatch.runSimulation'],
        ],
      );
      assert.deepEqual(lenses[1].command?.arguments, [{ kind: 'replace', moduleUri: v2Uri, predecessor: 'livepatch_fix_v1' }]);
    });

    it('offers nothing in a file without a patch', async () => {
      const uri = await client.open(ids);
      try {
        assert.deepEqual(await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } }), []);
      } finally {
        await client.close(uri);
      }
    });
  });

  describe('the Livepatch tree', () => {
    let patches: TreePatch[];
    before(async () => {
      patches = await client.request<TreePatch[]>(LivepatchPatchesRequest.method, undefined);
    });

    it('lists the patches of the workspace in series order, not other modules', () => {
      assert.deepEqual(
        patches.map((p) => [p.module, p.variable, p.replace]),
        [
          ['livepatch_fix_v1', 'patch', true],
          ['livepatch_fix_v2', 'patch', true],
        ],
      );
      assert.equal(patches[1].location.uri, v2Uri);
    });

    it('lists objects with functions and callbacks, states and shadow ids', () => {
      const v2Patch = patches[1];
      assert.deepEqual(v2Patch.objects.map((o) => o.name), ['vmlinux']);
      const [vmlinux] = v2Patch.objects;
      assert.deepEqual(vmlinux.functions.map((f) => [f.oldName, f.newFunc]), [['cmdline_proc_show', 'livepatch_cmdline_proc_show']]);
      assert.deepEqual(vmlinux.callbacks.map((c) => [c.kind, c.function]), [
        ['pre_patch', 'fix_v2_pre_patch'],
        ['post_unpatch', 'fix_v2_post_unpatch'],
      ]);
      assert.deepEqual(v2Patch.states.map((s) => [s.id, s.value, s.version]), [['CMDLINE_STATE_ID', 0x1c0de, 2]]);
      assert.deepEqual(v2Patch.shadowIds.map((s) => [s.id, s.value, s.apis]), [['CMDLINE_SHADOW_ID', 0x5a1d, ['klp_shadow_get', 'klp_shadow_free_all']]]);
      assert.equal(vmlinux.functions[0].location.range.start.line, positionOf(v2Text, '.old_name = "cmdline_proc_show"').line - 1);
    });
  });

  describe('workspace symbols', () => {
    it('finds a patched function in every patch of the series', async () => {
      const symbols = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'cmdline_proc_show' });
      const patched = symbols.filter((s) => s.name === 'cmdline_proc_show');
      assert.deepEqual(
        patched.map((s) => [s.containerName, where(s.location)]),
        [
          ['livepatch_fix_v1: patched in vmlinux', `livepatch-fix-v1.c:${positionOf(v1Text, '"cmdline_proc_show"').line + 1}:${positionOf(v1Text, '"cmdline_proc_show"').character + 1}`],
          ['livepatch_fix_v2: patched in vmlinux', `livepatch-fix-v2.c:${positionOf(v2Text, '"cmdline_proc_show"').line + 1}:${positionOf(v2Text, '"cmdline_proc_show"').character + 1}`],
        ],
      );
      assert.ok(symbols.some((s) => s.name === 'livepatch_cmdline_proc_show' && s.kind === SymbolKind.Function));
    });

    it('matches the query as a subsequence, ignoring case, and finds ids and callbacks', async () => {
      const symbols = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'shadowid' });
      assert.ok(symbols.some((s) => s.name === 'CMDLINE_SHADOW_ID' && s.kind === SymbolKind.Key && s.location.uri === fileUri(ids)));
      const callbacks = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'post_unpatch' });
      assert.deepEqual(callbacks.map((s) => s.name), ['fix_v2_post_unpatch']);
    });
  });

  describe('references and rename of id macros', () => {
    const shadowAt = () => positionOf(v1Text, 'CMDLINE_SHADOW_ID', 3);

    it('finds every use of a shadow id across the series, with or without the definition', async () => {
      const references = await client.request<Location[]>('textDocument/references', {
        textDocument: { uri: v1Uri },
        position: shadowAt(),
        context: { includeDeclaration: true },
      });
      const expected = [
        `fix-ids.h:${positionOf(idsText, 'CMDLINE_SHADOW_ID').line + 1}:9`,
        `livepatch-fix-v1.c:${shadowAt().line + 1}:${shadowAt().character - 2}`,
        `livepatch-fix-v2.c:${positionOf(v2Text, 'klp_shadow_get(m, CMDLINE_SHADOW_ID').line + 1}:${positionOf(v2Text, 'CMDLINE_SHADOW_ID').character + 1}`,
        `livepatch-fix-v2.c:${positionOf(v2Text, 'klp_shadow_free_all(CMDLINE_SHADOW_ID').line + 1}:${positionOf(v2Text, 'CMDLINE_SHADOW_ID', 0, 1).character + 1}`,
      ];
      assert.deepEqual(references.map(where).sort(), expected.sort());
      const withoutDefinition = await client.request<Location[]>('textDocument/references', {
        textDocument: { uri: v1Uri },
        position: shadowAt(),
        context: { includeDeclaration: false },
      });
      assert.equal(withoutDefinition.length, 3);
      assert.ok(!withoutDefinition.some((l) => l.uri === fileUri(ids)));
    });

    it('finds a state id used in klp_state and klp_get_state', async () => {
      const position = positionOf(v2Text, 'CMDLINE_STATE_ID', 2);
      const references = await client.request<Location[]>('textDocument/references', { textDocument: { uri: v2Uri }, position, context: { includeDeclaration: true } });
      assert.deepEqual(
        references.map((l) => l.uri.slice(l.uri.lastIndexOf('/') + 1)).sort(),
        ['fix-ids.h', 'livepatch-fix-v1.c', 'livepatch-fix-v2.c', 'livepatch-fix-v2.c'],
      );
    });

    it('leaves other identifiers to the C extension', async () => {
      const position = positionOf(v1Text, 'seq_printf', 2);
      assert.equal(await client.request('textDocument/references', { textDocument: { uri: v1Uri }, position, context: { includeDeclaration: true } }), null);
      assert.equal(await client.request('textDocument/prepareRename', { textDocument: { uri: v1Uri }, position }), null);
    });

    it('renames a shadow id everywhere it is used', async () => {
      const prepared = await client.request<{ range: Location['range']; placeholder: string }>('textDocument/prepareRename', { textDocument: { uri: v1Uri }, position: shadowAt() });
      assert.equal(prepared.placeholder, 'CMDLINE_SHADOW_ID');
      assert.equal(prepared.range.start.character, shadowAt().character - 3);
      const edit = await client.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: v1Uri }, position: shadowAt(), newName: 'CMDLINE_READS_ID' });
      const changes = edit.changes ?? {};
      assert.deepEqual(Object.keys(changes).sort(), [fileUri(ids), v1Uri, v2Uri].sort());
      assert.equal(changes[v2Uri].length, 2);
      assert.ok(Object.values(changes).flat().every((e) => e.newText === 'CMDLINE_READS_ID'));
      // Applying the edits to the header gives the renamed definition.
      const [headerEdit] = changes[fileUri(ids)];
      const line = idsText.split('\n')[headerEdit.range.start.line];
      assert.equal(line.slice(headerEdit.range.start.character, headerEdit.range.end.character), 'CMDLINE_SHADOW_ID');
    });

    it('refuses a name that is not a C identifier or is taken', async () => {
      await assert.rejects(
        client.request('textDocument/rename', { textDocument: { uri: v1Uri }, position: shadowAt(), newName: '2fast' }),
        (error: unknown) => error instanceof ResponseError && /not a C identifier/.test(error.message),
      );
      await assert.rejects(
        client.request('textDocument/rename', { textDocument: { uri: v1Uri }, position: shadowAt(), newName: 'CMDLINE_STATE_ID' }),
        (error: unknown) => error instanceof ResponseError && /already defined/.test(error.message),
      );
    });
  });
});

describe('series order', () => {
  it('follows the livepatch.series setting, as the checks do', async () => {
    const client = await LspTestClient.start({ workspaceFolder: series, settings: { series: ['livepatch-fix-v2.c', 'livepatch_fix_v1'] } });
    try {
      // Settings are read after `initialized`; the workspace pass they start shows they were.
      await client.waitFor('the settings to be read', () => (client.progress.length > 0 ? true : undefined));
      const ordered = await client.request<TreePatch[]>(LivepatchPatchesRequest.method, undefined);
      assert.deepEqual(ordered.map((p) => p.module), ['livepatch_fix_v2', 'livepatch_fix_v1']);
    } finally {
      await client.stop();
    }
  });
});

describe('kernel model status', () => {
  it('tells the client the model in use, and again when the setting changes it', async () => {
    const client = await LspTestClient.start({ workspaceFolder: series });
    const received: KernelModelInfo[] = [];
    const waiting: (() => void)[] = [];
    client.connection.onNotification(KernelModelChangedNotification.method, (info: KernelModelInfo) => {
      received.push(info);
      for (const wake of waiting.splice(0)) wake();
    });
    // The test client re-checks waits on its own events only: this one wakes them itself.
    const status = (index: number, description: string) =>
      client.within(description, defaultTimeoutMs, async () => {
        while (received.length <= index) await new Promise<void>((resolve) => waiting.push(resolve));
        return received[index];
      });
    try {
      const first = await status(0, 'the first status');
      assert.equal(first.source, 'embedded default');
      await client.changeSettings({ kernelModel: join(lspFixtures, 'model', 'kallsyms-6.1.0-99-amd64') });
      const second = await status(1, 'the status after the change');
      assert.equal(second.release, '6.1.0-99-amd64');
      assert.deepEqual(second.loadErrors, []);
      await client.changeSettings({ kernelModel: join(lspFixtures, 'model', 'broken-model.json') });
      const third = await status(2, 'the status after a failed load');
      assert.equal(third.release, '6.1.0-99-amd64', 'the previous model stays in use');
      assert.equal(third.loadErrors.length, 1);
    } finally {
      await client.stop();
    }
  });
});
