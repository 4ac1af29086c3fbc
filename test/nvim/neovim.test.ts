/**
 * A third-party LSP client: Neovim's built-in client, headless, against the real server over
 * stdio (test/nvim/client.lua). Proof that the server follows the protocol, not one client's
 * habits. Needs `nvim` (Debian's neovim package; .ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const repoRoot = resolve(__dirname, '..', '..');
const hasNeovim = spawnSync('nvim', ['--version']).status === 0;

test('Neovim gets diagnostics and a code action from the server', { skip: !hasNeovim && 'nvim is not installed' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'klp-nvim-'));
  try {
    const out = join(work, 'result.json');
    const result = spawnSync('nvim', ['--headless', '--clean', '-c', `luafile ${join(repoRoot, 'test', 'nvim', 'client.lua')}`], {
      env: {
        ...process.env,
        KLP_NVIM_OUT: out,
        KLP_NVIM_FILE: join(repoRoot, 'test', 'fixtures', 'nvim', 'lp-missing-modinfo.c'),
        KLP_SERVER: join(repoRoot, 'dist', 'server.js'),
        KLP_NODE: process.execPath,
        HOME: work,
        XDG_STATE_HOME: work,
        XDG_DATA_HOME: work,
      },
      encoding: 'utf8',
      timeout: 90_000,
    });
    assert.equal(result.status, 0, `nvim exited with ${result.status}: ${result.stderr}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      error?: string;
      diagnostics: { code: string; message: string; line: number }[];
      actions: { title: string; has_edit: boolean }[];
    };
    assert.equal(report.error, undefined);
    const modinfo = report.diagnostics.find((d) => d.code === 'LP-MODINFO-MISSING');
    assert.ok(modinfo, `no LP-MODINFO-MISSING among ${JSON.stringify(report.diagnostics)}`);
    assert.match(modinfo.message, /MODULE_INFO\(livepatch, "Y"\)/);
    assert.ok(report.actions.some((a) => /MODULE_INFO/.test(a.title) && a.has_edit), `no MODULE_INFO fix among ${JSON.stringify(report.actions)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
