/**
 * Failures stay inside one request: a handler that throws answers with an empty result and a log
 * line, and the next request is served. Hostile documents (binary bytes, 5 MB, an unterminated
 * comment, invalid UTF-8 decoded as text, lone surrogates, edits outside the document) are
 * analysed or refused without taking the server down.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MessageType } from 'vscode-languageserver-protocol';
import { KernelModelInfoRequest, type KernelModelInfo } from '../../server/src/protocol/messages';
import { LspTestClient, fileUri, lspFixtures, repoRoot } from './lspClient';

/** Paths of documents that exist only in the editor (the analyzer gets their text on open). */
const scratch = join(lspFixtures, 'scratch');

async function assertServing(client: LspTestClient): Promise<void> {
  const info = await client.request<KernelModelInfo>(KernelModelInfoRequest.method, undefined);
  assert.ok(info && typeof info.release === 'string', 'livepatch/kernelModelInfo is answered');
  assert.ok(client.isRunning, 'the server process is alive');
}

/** Opens a document, waits for its diagnostics, and checks the usual requests on it are answered. */
async function openAndQuery(client: LspTestClient, name: string, text: string): Promise<void> {
  const uri = await client.open(join(scratch, name), text);
  await client.waitForDiagnostics(uri, () => true, { description: `diagnostics for ${name}`, timeoutMs: 60_000 });
  const symbols = await client.request<unknown[]>('textDocument/documentSymbol', { textDocument: { uri } }, 60_000);
  assert.ok(Array.isArray(symbols));
  await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 3 } });
  await client.request('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: 3 } });
  await client.request('textDocument/definition', { textDocument: { uri }, position: { line: 0, character: 3 } });
  await client.close(uri);
  await assertServing(client);
}

describe('robustness', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ settings: { diagnostics: { debounceMs: 10 } } });
  });
  after(() => client?.stop());

  it('answers a hover on a URI it cannot read with null, logs it, and serves the next request', async () => {
    // A file URI with a host cannot be turned into a local path: the handler throws.
    const result = await client.request('textDocument/hover', {
      textDocument: { uri: 'file://elsewhere/livepatch.c' },
      position: { line: 0, character: 0 },
    });
    assert.equal(result, null);
    const logged = await client.waitForLog((m) => m.message.includes('textDocument/hover failed'), 'the hover failure log line');
    assert.equal(logged.type, MessageType.Error);
    await assertServing(client);
  });

  it('answers requests with malformed parameters with empty results', async () => {
    const uri = await client.open(join(scratch, 'malformed.c'), 'int x;\n');
    assert.equal(await client.request('textDocument/completion', { textDocument: { uri } }), null);
    assert.deepEqual(await client.request('textDocument/documentSymbol', { textDocument: { uri: 'untitled:Untitled-1' } }), []);
    assert.equal(await client.request('textDocument/definition', { textDocument: { uri: 'untitled:Untitled-1' }, position: { line: 0, character: 0 } }), null);
    await client.close(uri);
    await assertServing(client);
  });

  it('copes with a binary file opened as C', async () => {
    const bytes = readFileSync(join(repoRoot, 'dist', 'tree-sitter-c.wasm')).subarray(0, 256 * 1024);
    await openAndQuery(client, 'binary.c', bytes.toString('latin1'));
  });

  it('copes with a 5 MB file', async () => {
    const line = (index: number) => `static int generated_${index}(int value) { return value * ${index} + 1; /* filler */ }\n`;
    const parts: string[] = [];
    let size = 0;
    for (let index = 0; size < 5 * 1024 * 1024; index++) {
      const text = line(index);
      parts.push(text);
      size += text.length;
    }
    await openAndQuery(client, 'huge.c', parts.join(''));
  });

  it('copes with an unterminated comment', async () => {
    await openAndQuery(
      client,
      'unterminated.c',
      '#include <linux/livepatch.h>\n/* this comment never ends\nstatic struct klp_func funcs[] = {\n\t{ .old_name = "cmdline_proc_show", },\n',
    );
  });

  it('copes with invalid UTF-8 decoded as text', async () => {
    const bytes = Buffer.concat([
      Buffer.from('static struct klp_func funcs[] = {\n\t{ .old_name = "'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x28, 0x8c, 0xbc, 0x80]),
      Buffer.from('", .new_func = f, }, { }\n};\n'),
    ]);
    await openAndQuery(client, 'invalid-utf8.c', bytes.toString('utf8'));
  });

  it('copes with lone surrogates and NUL characters', async () => {
    await openAndQuery(client, 'surrogates.c', 'static const char *s = "\ud800\udfff\ud83d";\n\0\0int x;\n');
  });

  it('copes with edits whose ranges lie outside the document', async () => {
    const uri = await client.open(join(scratch, 'edits.c'), 'int x;\n');
    await client.waitForDiagnostics(uri);
    const version = await client.change(uri, [
      { range: { start: { line: 40, character: 3 }, end: { line: 50, character: 0 } }, text: 'int y;\n' },
      { range: { start: { line: 0, character: 100 }, end: { line: 0, character: 2 } }, text: '' },
    ]);
    await client.waitForDiagnostics(uri, (p) => p.version === version, { description: `diagnostics for version ${version}` });
    await client.close(uri);
    await assertServing(client);
  });

  it('ignores documents that are not files', async () => {
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: 'untitled:Untitled-2', languageId: 'c', version: 1, text: 'int x;' },
    });
    await assertServing(client);
    assert.equal(client.latestDiagnostics('untitled:Untitled-2'), undefined);
  });

  it('serves documents again after all of this', async () => {
    const uri = await client.open(join(lspFixtures, 'single', 'livepatch-cmdline.c'));
    assert.equal(uri, fileUri(join(lspFixtures, 'single', 'livepatch-cmdline.c')));
    await client.waitForDiagnostics(uri);
    await client.close(uri);
  });
});
