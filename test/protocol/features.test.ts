/**
 * The livepatch language features on the fixtures, against the fixture kernel model: document
 * symbols (patch → objects → funcs, callbacks, states), hover on `.old_name`, completion of
 * `.old_name`, and go to definition of new_func, callbacks and id macros.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompletionItemKind,
  SymbolKind,
  type CompletionList,
  type DocumentSymbol,
  type Hover,
  type Location,
  type MarkupContent,
  type TextEdit,
} from 'vscode-languageserver-protocol';
import { LspTestClient, fileUri, lspFixtures, positionOf } from './lspClient';

const fixtureModel = join(lspFixtures, 'model', 'kallsyms-6.1.0-99-amd64');
const singlePath = join(lspFixtures, 'single', 'livepatch-cmdline.c');
const singleText = readFileSync(singlePath, 'utf8');
const brokenPath = join(lspFixtures, 'broken', 'livepatch-typo.c');
const brokenText = readFileSync(brokenPath, 'utf8');

function hoverText(hover: Hover | null): string {
  assert.ok(hover, 'a hover');
  return (hover.contents as MarkupContent).value;
}

describe('language features', () => {
  let client: LspTestClient;
  let singleUri: string;
  let brokenUri: string;

  before(async () => {
    client = await LspTestClient.start({
      workspaceFolder: join(lspFixtures, 'single'),
      settings: { kernelModel: fixtureModel, diagnostics: { debounceMs: 10 } },
    });
    singleUri = await client.open(singlePath);
    brokenUri = await client.open(brokenPath);
    // The fixture model is in use once the broken file is reported with its addresses.
    await client.waitForDiagnostics(brokenUri, (p) => p.diagnostics.some((d) => d.message.includes('ffffffff81100000')));
  });
  after(() => client?.stop());

  describe('document symbols', () => {
    let symbols: DocumentSymbol[];
    before(async () => {
      symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: singleUri } });
    });

    it('lists the patch with its objects', () => {
      assert.equal(symbols.length, 1);
      const [patch] = symbols;
      assert.equal(patch.name, 'patch');
      assert.equal(patch.kind, SymbolKind.Variable);
      assert.deepEqual(
        patch.children?.filter((c) => c.kind === SymbolKind.Module).map((c) => c.name),
        ['vmlinux', 'nfsd'],
      );
    });

    it('lists functions with their replacement and callbacks under each object', () => {
      const vmlinux = symbols[0].children!.find((c) => c.name === 'vmlinux')!;
      const functions = vmlinux.children!.filter((c) => c.kind === SymbolKind.Function);
      assert.deepEqual(
        functions.map((f) => [f.name, f.detail]),
        [
          ['cmdline_proc_show', '→ livepatch_cmdline_proc_show'],
          ['c_start', '→ livepatch_c_start, old_sympos 2'],
        ],
      );
      const callbacks = vmlinux.children!.filter((c) => c.kind === SymbolKind.Event);
      assert.deepEqual(
        callbacks.map((c) => [c.name, c.detail]),
        [
          ['pre_patch', 'cmdline_pre_patch'],
          ['post_unpatch', 'cmdline_post_unpatch'],
        ],
      );
      const nfsd = symbols[0].children!.find((c) => c.name === 'nfsd')!;
      assert.deepEqual(nfsd.children!.map((c) => c.name), ['nfsd_open']);
    });

    it('lists the states', () => {
      const states = symbols[0].children!.filter((c) => c.kind === SymbolKind.Constant);
      assert.deepEqual(states.map((s) => [s.name, s.detail]), [['state 7', 'version 1']]);
    });

    it('puts every selection range inside its range', () => {
      const inside = (symbol: DocumentSymbol): void => {
        const { range, selectionRange } = symbol;
        const before = (a: typeof range.start, b: typeof range.start) => a.line < b.line || (a.line === b.line && a.character <= b.character);
        assert.ok(before(range.start, selectionRange.start) && before(selectionRange.end, range.end), symbol.name);
        symbol.children?.forEach(inside);
      };
      symbols.forEach(inside);
    });
  });

  describe('hover on old_name', () => {
    const hoverAt = (uri: string, position: { line: number; character: number }) =>
      client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });

    it('describes a unique symbol: object, type, address, patchability', async () => {
      const text = hoverText(await hoverAt(singleUri, positionOf(singleText, '"cmdline_proc_show"', 3)));
      assert.match(text, /cmdline_proc_show/);
      assert.match(text, /`vmlinux`/);
      assert.match(text, /`t` local \(static\) function at `ffffffff81200000`/);
      assert.match(text, /Unique in `vmlinux`/);
      assert.match(text, /Patchable: /);
      assert.match(text, /6\.1\.0-99-amd64/);
    });

    it('lists same-named symbols and marks the one old_sympos selects', async () => {
      const hover = await hoverAt(singleUri, positionOf(singleText, '"c_start"', 2));
      const text = hoverText(hover);
      assert.match(text, /3 symbols named `c_start`/);
      assert.match(text, /`old_sympos = 1`: `t` local \(static\) function at `ffffffff81100000`/);
      assert.match(text, /`old_sympos = 2`: .*`ffffffff81200100`.* ← selected/);
      assert.match(text, /`old_sympos = 3`: .*`ffffffff81300000`/);
      const range = hover!.range!;
      assert.equal(range.start.line, positionOf(singleText, '"c_start"').line);
    });

    it('looks names up in the object of their klp_object', async () => {
      const text = hoverText(await hoverAt(singleUri, positionOf(singleText, '"nfsd_open"', 2)));
      assert.match(text, /\*\*`nfsd_open`\*\* in `nfsd`/);
      assert.match(text, /ffffffffc0001000/);
    });

    it('says when the object has no such symbol', async () => {
      const text = hoverText(await hoverAt(brokenUri, positionOf(brokenText, '"cmdline_proc_shw"', 2)));
      assert.match(text, /Not found: `vmlinux` has no symbol named `cmdline_proc_shw`/);
    });

    it('says when the ambiguous name has no old_sympos', async () => {
      const text = hoverText(await hoverAt(brokenUri, positionOf(brokenText, '"c_start"', 2)));
      assert.match(text, /old_sympos` 0 \(unset\) the kernel refuses/);
    });

    it('has nothing to say elsewhere', async () => {
      assert.equal(await hoverAt(singleUri, positionOf(singleText, 'seq_printf', 2)), null);
    });
  });

  describe('completion of old_name', () => {
    const completionText = singleText
      .replace('.old_name = "cmdline_proc_show",', '.old_name = "c_",')
      .replace('.old_name = "nfsd_open",', '.old_name = "nfsd_",');
    const completionPath = join(lspFixtures, 'single', 'completion-scratch.c');
    let completionUri: string;
    const completeAt = (uri: string, position: { line: number; character: number }) =>
      client.request<CompletionList | null>('textDocument/completion', { textDocument: { uri }, position });

    before(async () => {
      completionUri = await client.open(completionPath, completionText);
      await client.waitForDiagnostics(completionUri);
    });

    it('offers vmlinux functions starting with the typed prefix, replacing the string content', async () => {
      const position = positionOf(completionText, '"c_"', 3);
      const list = await completeAt(completionUri, position);
      assert.ok(list);
      assert.equal(list.isIncomplete, false);
      assert.deepEqual(list.items.map((i) => i.label), ['c_start', 'c_stop']);
      const [start, stop] = list.items;
      assert.equal(start.kind, CompletionItemKind.Function);
      assert.match(start.detail ?? '', /3 symbols/);
      assert.match(stop.detail ?? '', /local \(static\) function/);
      const edit = start.textEdit as TextEdit;
      assert.deepEqual(edit.range, { start: { line: position.line, character: position.character - 2 }, end: position });
      assert.equal(edit.newText, 'c_start');
    });

    it('offers no data symbols for vmlinux', async () => {
      const position = positionOf(completionText, '"c_"', 1);
      const list = await completeAt(completionUri, position);
      const labels = list!.items.map((i) => i.label);
      assert.ok(labels.includes('arch_cpu_idle'), 'weak functions are offered');
      assert.ok(labels.includes('cmdline_proc_show'));
      for (const data of ['saved_command_line', 'cmdline_buffer', 'cmdline_bss']) assert.ok(!labels.includes(data), data);
    });

    it('offers the symbols of the module a klp_object names', async () => {
      const list = await completeAt(completionUri, positionOf(completionText, '"nfsd_"', 6));
      assert.deepEqual(
        list!.items.map((i) => i.label).filter((label) => label.startsWith('nfsd_open') || label.startsWith('nfsd_release')),
        ['nfsd_open', 'nfsd_release'],
      );
    });

    it('completes while the string is still unterminated', async () => {
      const uri = await client.open(join(lspFixtures, 'single', 'typing-scratch.c'), 'static struct klp_func funcs[] = {\n\t{ .old_name = "cmdl\n');
      const list = await completeAt(uri, { line: 1, character: 19 });
      assert.deepEqual(list!.items.map((i) => i.label), ['cmdline_proc_init', 'cmdline_proc_show']);
      await client.close(uri);
    });

    it('stays out of other strings and code', async () => {
      assert.equal(await completeAt(completionUri, positionOf(completionText, 'this has been', 4)), null);
      assert.equal(await completeAt(completionUri, positionOf(completionText, 'seq_printf', 3)), null);
    });
  });

  describe('go to definition', () => {
    const definitionAt = (uri: string, position: { line: number; character: number }) =>
      client.request<Location | null>('textDocument/definition', { textDocument: { uri }, position });

    function assertAt(location: Location | null, uri: string, text: string, needle: string): void {
      assert.ok(location, `a definition for ${needle}`);
      assert.equal(location.uri, uri);
      assert.equal(location.range.start.line, positionOf(text, needle).line, needle);
    }

    it('goes from new_func to the replacement function', async () => {
      const location = await definitionAt(singleUri, positionOf(singleText, '= livepatch_cmdline_proc_show', 5));
      assertAt(location, singleUri, singleText, 'static int livepatch_cmdline_proc_show(');
      const name = positionOf(singleText, 'livepatch_cmdline_proc_show(struct');
      assert.equal(location!.range.start.character, name.character);
    });

    it('goes from a callback to its function', async () => {
      const location = await definitionAt(singleUri, positionOf(singleText, '= cmdline_pre_patch', 4));
      assertAt(location, singleUri, singleText, 'static int cmdline_pre_patch(');
    });

    it('goes from shadow and state ids to their macros', async () => {
      const shadow = await definitionAt(singleUri, positionOf(singleText, 'CMDLINE_SHADOW_ID, sizeof', 3));
      assertAt(shadow, singleUri, singleText, '#define CMDLINE_SHADOW_ID');
      const free = await definitionAt(singleUri, positionOf(singleText, 'CMDLINE_SHADOW_ID, NULL', 3));
      assertAt(free, singleUri, singleText, '#define CMDLINE_SHADOW_ID');
      const state = await definitionAt(singleUri, positionOf(singleText, '.id = CMDLINE_STATE_ID', 8));
      assertAt(state, singleUri, singleText, '#define CMDLINE_STATE_ID');
    });

    it('leaves other identifiers alone', async () => {
      assert.equal(await definitionAt(singleUri, positionOf(singleText, 'seq_printf', 2)), null);
      assert.equal(await definitionAt(singleUri, positionOf(singleText, '"cmdline_proc_show"', 3)), null);
    });

    it('crosses files of a Kbuild module', async () => {
      const mainPath = join(lspFixtures, 'multi', 'main.c');
      const mainText = readFileSync(mainPath, 'utf8');
      const replacementPath = join(lspFixtures, 'multi', 'replacement.c');
      const uri = await client.open(mainPath);
      const location = await definitionAt(uri, positionOf(mainText, '= livepatch_multi_cmdline_proc_show', 4));
      assertAt(location, fileUri(replacementPath), readFileSync(replacementPath, 'utf8'), 'int livepatch_multi_cmdline_proc_show(');
      await client.close(uri);
    });
  });
});

describe('completion against the embedded model', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({});
  });
  after(() => client?.stop());

  it('caps the list and marks it incomplete', async () => {
    const text = 'static struct klp_func funcs[] = {\n\t{ .old_name = "" },\n};\n';
    const uri = await client.open(join(lspFixtures, 'single', 'cap-scratch.c'), text);
    const list = await client.request<CompletionList | null>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 1, character: 16 },
    });
    assert.ok(list);
    assert.equal(list.items.length, 200);
    assert.equal(list.isIncomplete, true);
    const labels = list.items.map((i) => i.label);
    assert.deepEqual(labels, [...labels].sort(), 'sorted by name');
  });
});
