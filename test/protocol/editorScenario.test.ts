/**
 * The `.klpsim` scenario language through the real server: diagnostics for lines the simulator
 * refuses and for modules it cannot find (at the word, line:column), kept apart from the C
 * analysis, and completion of commands, module files and names, parameters and sysfs paths.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CompletionList, type DocumentSymbol, type TextEdit } from 'vscode-languageserver-protocol';
import { parseScenario } from '../../server/src/sim/scenario/parse';
import { scenarioCommands } from '../../server/src/lsp/features/scenarioLanguage';
import { LspTestClient, repoRoot } from './lspClient';

const series = join(repoRoot, 'test', 'fixtures', 'editor', 'series');
const scenarioPath = join(series, 'scenarios', 'typed.klpsim');

describe('scenario language', () => {
  let client: LspTestClient;

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: series, settings: { diagnostics: { debounceMs: 10 } } });
  });
  after(() => client?.stop());

  async function complete(text: string): Promise<CompletionList> {
    const uri = await client.open(scenarioPath, text, 'klpsim');
    try {
      const lines = text.split('\n');
      const position = { line: lines.length - 1, character: lines[lines.length - 1].length };
      return await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position });
    } finally {
      await client.close(uri);
    }
  }

  const labels = (list: CompletionList) => list.items.map((item) => item.label);

  it('reports bad lines and modules without source at line:column, and clears them on close', async () => {
    const text = [
      '# a scenario being typed',
      'insmod ../livepatch-fix-v1.ko',
      'insmod ../missing-module.ko',
      'sleep soon',
      'modprobe no_such_thing',
      '  frobnicate now',
    ].join('\n');
    const uri = await client.open(scenarioPath, text, 'klpsim');
    const published = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    const summary = published.diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.code]);
    assert.deepEqual(summary, [
      [3, 0, 5, 1, 'SIM-SCENARIO'],
      [5, 2, 12, 1, 'SIM-SCENARIO'],
      [2, 7, 27, 1, 'SIM-NO-MODULE'],
      [4, 9, 22, 2, 'SIM-NO-MODULE'],
    ]);
    assert.ok(published.diagnostics.every((d) => d.source === 'livepatch'));
    assert.match(published.diagnostics[1].message, /unknown command 'frobnicate'/);
    assert.match(published.diagnostics[2].message, /no source for \.\.\/missing-module\.ko/);

    // An edit that fixes everything clears the diagnostics.
    const since = client.publishes.length;
    await client.change(uri, [{ text: 'insmod ../livepatch-fix-v1.ko\n' }]);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since });
    const beforeClose = client.publishes.length;
    await client.close(uri);
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, { since: beforeClose });
  });

  it('never analyses a scenario as C', async () => {
    const uri = await client.open(scenarioPath, 'insmod ../livepatch-fix-v1.ko\n', 'klpsim');
    try {
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.deepEqual(symbols, []);
      const published = await client.waitForDiagnostics(uri);
      assert.ok(!published.diagnostics.some((d) => String(d.code).startsWith('LP-')));
    } finally {
      await client.close(uri);
    }
  });

  it('completes commands at the start of a line, and knows every command the parser knows', async () => {
    const list = await complete('# header\nin');
    assert.ok(labels(list).includes('insmod'));
    assert.ok(labels(list).includes('wait transition'));
    const insmod = list.items.find((item) => item.label === 'insmod')!;
    assert.deepEqual((insmod.textEdit as TextEdit).range, { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } });
    assert.equal((insmod.textEdit as TextEdit).newText, 'insmod ');
    const known = /\(known: (.*)\)/.exec(parseScenario('frobnicate').errors[0].message)![1].split(', ');
    assert.deepEqual(scenarioCommands.map((c) => c.name).sort(), [...known].sort());
  });

  it('completes module files after insmod, relative to the scenario', async () => {
    const list = await complete('insmod ');
    assert.deepEqual(labels(list), ['../livepatch-fix-v1.ko', '../livepatch-fix-v2.ko', '../target/demo-target.ko']);
  });

  it('completes module names after rmmod and livepatch names after wait transition', async () => {
    assert.deepEqual(labels(await complete('rmmod ')), ['livepatch_fix_v1', 'livepatch_fix_v2', 'demo_target']);
    assert.deepEqual(labels(await complete('wait transition livepatch_')), ['livepatch_fix_v1', 'livepatch_fix_v2']);
    assert.deepEqual(labels(await complete('wait ')), ['transition']);
  });

  it('completes module parameters after the module file', async () => {
    assert.deepEqual(labels(await complete('insmod ../target/demo-target.ko ')), ['verbose=']);
  });

  it('completes the sysfs and procfs files to write and to read', async () => {
    const writable = labels(await complete('echo 0 > /sys/'));
    assert.ok(writable.includes('/sys/kernel/livepatch/livepatch_fix_v2/enabled'));
    assert.ok(writable.includes('/sys/kernel/livepatch/livepatch_fix_v2/force'));
    assert.ok(writable.includes('/sys/module/demo_target/parameters/verbose'));
    assert.ok(!writable.includes('/sys/kernel/livepatch/livepatch_fix_v2/transition'), 'transition is read-only');
    const readable = await complete('cat /sys/kernel/livepatch/');
    assert.ok(labels(readable).includes('/sys/kernel/livepatch/livepatch_fix_v1/transition'));
    assert.ok(labels(readable).includes('/sys/kernel/livepatch/livepatch_fix_v1/vmlinux/patched'));
    assert.ok(labels(readable).includes('/proc/cmdline'));
    // The embedded model is 6.1: attributes of later kernels are not offered.
    assert.ok(!labels(readable).some((label) => label.endsWith('/stack_order')));
    const edit = readable.items[0].textEdit as TextEdit;
    assert.deepEqual(edit.range, { start: { line: 0, character: 4 }, end: { line: 0, character: 26 } });
  });

  it('offers nothing inside comments', async () => {
    assert.deepEqual(labels(await complete('# insmod ')), []);
    assert.deepEqual(labels(await complete('cat /proc/cmdline # rm')), []);
  });
});
