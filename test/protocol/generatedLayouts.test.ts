/**
 * Modules whose klp_patch a generator writes (kpatch-build, klp-build) in the real server over
 * stdio: they are livepatches for the Livepatch tree and the outline, yet get none of the
 * findings about the hand-written skeleton (modinfo tag, licence, klp_enable_patch) that the
 * generator provides.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CodeLens, CompletionList, Diagnostic, DocumentSymbol, SymbolInformation } from 'vscode-languageserver-protocol';
import { LivepatchPatchesRequest, type TreePatch } from '../../server/src/protocol/messages';
import { LspTestClient, positionOf, repoRoot } from './lspClient';

const layouts = join(repoRoot, 'test', 'fixtures', 'layouts');
const skeletonCodes = ['LP-MODINFO-MISSING', 'LP-LICENSE', 'LP-ENABLE-MISSING', 'LP-ENABLE-OUTSIDE-INIT', 'LP-PATCH-MOD', 'LP-TERMINATOR'];

/** The titles of the lenses of `uri`, by line. */
async function lensesByLine(client: LspTestClient, uri: string): Promise<[number, string][]> {
  const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
  return lenses.map((lens) => [lens.range.start.line, lens.command?.title ?? '']);
}

/** The `/sys/kernel/livepatch/<module>/<object>/patched` paths a scenario in `folder` is offered after `cat `. */
async function patchedFileCompletions(client: LspTestClient, folder: string): Promise<string[]> {
  const text = 'cat /sys/kernel/livepatch/';
  const uri = await client.open(join(folder, 'typed.klpsim'), text, 'klpsim');
  try {
    const list = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: text.length } });
    return list.items.map((item) => item.label).filter((label) => label.endsWith('/patched')).sort();
  } finally {
    await client.close(uri);
  }
}

function assertNoSkeletonFindings(diagnostics: Diagnostic[]): void {
  const codes = diagnostics.map((d) => String(d.code));
  for (const code of skeletonCodes) assert.ok(!codes.includes(code), `${code} in ${JSON.stringify(diagnostics)}`);
}

describe('kpatch modules in the language server', () => {
  const fix = join(layouts, 'kpatch', 'cve-2023-uptime');
  const uptime = join(fix, 'fs', 'proc', 'uptime.c');
  const uptimeText = readFileSync(uptime, 'utf8');
  let client: LspTestClient;
  let uri: string;
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: fix, settings: { diagnostics: { workspace: false, debounceMs: 10 } } });
    uri = await client.open(uptime);
  });
  after(() => client?.stop());

  it('publishes no skeleton finding for what kpatch-build generates', async () => {
    const published = await client.waitForDiagnostics(uri);
    assertNoSkeletonFindings(published.diagnostics);
  });

  it('lists the generated patch in the Livepatch tree with the callbacks of its object', async () => {
    const patches = await client.request<TreePatch[]>(LivepatchPatchesRequest.method, undefined);
    assert.equal(patches.length, 1, JSON.stringify(patches));
    const [patch] = patches;
    assert.equal(patch.location.uri, uri);
    assert.equal(patch.objects.length, 1);
    assert.equal(patch.objects[0].name, 'vmlinux');
    assert.deepEqual(
      patch.objects[0].callbacks.map((c) => [c.kind, c.function, c.location.range.start]),
      [
        ['pre_patch', 'uptime_pre_patch', positionOf(uptimeText, 'uptime_pre_patch);')],
        ['post_unpatch', 'uptime_post_unpatch', positionOf(uptimeText, 'uptime_post_unpatch);')],
      ],
    );
  });

  it('outlines the generated patch, spanning the callbacks it gathers', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.equal(symbols.length, 1, JSON.stringify(symbols));
    const [patch] = symbols;
    assert.match(patch.detail ?? '', /kpatch/);
    const object = patch.children?.[0];
    assert.deepEqual(object?.children?.map((c) => [c.name, c.detail]), [
      ['pre_patch', 'uptime_pre_patch'],
      ['post_unpatch', 'uptime_post_unpatch'],
    ]);
    const last = object!.children![1].range.end;
    assert.ok(patch.range.end.line >= last.line, 'the patch range holds its children');
  });

  it('offers no simulation lens: kpatch-build makes the tables from a binary diff, not from these sources', async () => {
    assert.deepEqual(await lensesByLine(client, uri), []);
  });

  it('completes the sysfs file of the object the generated patch patches', async () => {
    // A single-file module is named after its C file.
    assert.deepEqual(await patchedFileCompletions(client, fix), [`/sys/kernel/livepatch/${basename(uptime, '.c')}/vmlinux/patched`]);
  });
});

describe('klp-build modules in the language server', () => {
  const fix = join(layouts, 'klp-build', 'livepatch-tcp-fix');
  const descriptors = join(fix, 'klp_objects.c');
  const text = readFileSync(descriptors, 'utf8');
  let client: LspTestClient;
  let uri: string;
  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: fix, settings: { diagnostics: { workspace: false, debounceMs: 10 } } });
    uri = await client.open(descriptors);
  });
  after(() => client?.stop());

  it('publishes no skeleton finding for what klp-build generates', async () => {
    assertNoSkeletonFindings((await client.waitForDiagnostics(uri)).diagnostics);
  });

  it('lists the descriptors as a replacing patch in the Livepatch tree', async () => {
    const patches = await client.request<TreePatch[]>(LivepatchPatchesRequest.method, undefined);
    assert.deepEqual(patches.map((p) => [p.module, p.replace]), [['livepatch_tcp_fix', true]]);
    assert.deepEqual(
      patches[0].objects.map((o) => [o.name, o.functions.map((f) => [f.oldName, f.newFunc, f.location.range.start])]),
      [
        ['vmlinux', [
          ['tcp_rcv_established', 'tcp_rcv_established', positionOf(text, '{\n\t\t.old_name = "tcp_rcv_established"')],
          ['tcp_ack', 'tcp_ack', positionOf(text, '{\n\t\t.old_name = "tcp_ack"')],
        ]],
        ['nf_conntrack', [['nf_conntrack_in', 'nf_conntrack_in', positionOf(text, '{\n\t\t.old_name = "nf_conntrack_in"')]]],
      ],
    );
  });

  it('offers "Simulate load" at the livepatch_external.h include, and no replace without another module', async () => {
    const anchor = positionOf(text, '#include <linux/livepatch_external.h>').line;
    assert.deepEqual(await lensesByLine(client, uri), [[anchor, 'Simulate load']]);
  });

  it('completes the sysfs files of the objects the descriptors name', async () => {
    assert.deepEqual(await patchedFileCompletions(client, fix), [
      '/sys/kernel/livepatch/livepatch_tcp_fix/nf_conntrack/patched',
      '/sys/kernel/livepatch/livepatch_tcp_fix/vmlinux/patched',
    ]);
  });

  it('finds the descriptors\' patched functions as workspace symbols', async () => {
    const symbols = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'nf_conntrack_in' });
    const patched = symbols.filter((s) => s.location.uri === uri && s.containerName?.includes('patched in nf_conntrack'));
    assert.deepEqual(patched.map((s) => [s.name, s.location.range.start]), [['nf_conntrack_in', positionOf(text, '"nf_conntrack_in"')]]);
  });

  it('outlines the descriptors of the file', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(
      symbols.flatMap((patch) => patch.children ?? []).map((object) => [object.name, object.children?.map((f) => f.name)]),
      [
        ['vmlinux', ['tcp_rcv_established', 'tcp_ack']],
        ['nf_conntrack', ['nf_conntrack_in']],
      ],
    );
  });
});
