/**
 * The manifest's editor parts agree with the client: every contributed command is registered by
 * the extension and vice versa, each has the "Livepatch" category, the code lens command exists,
 * menus and views name what exists, activation covers C and scenarios, and untrusted workspaces
 * get limited support with the kernel model setting restricted.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runSimulationCommand } from '../../server/src/lsp/features/codeLens';
import { settingDeclarations } from '../../server/src/protocol/settings';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const clientSources = readdirSync(join(root, 'client', 'src'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => readFileSync(join(root, 'client', 'src', name), 'utf8'))
  .join('\n');

describe('the manifest and the client', () => {
  const commands: { command: string; title: string; category?: string }[] = manifest.contributes.commands;

  it('registers exactly the contributed commands, all in the Livepatch category', () => {
    const registered = [...clientSources.matchAll(/registerCommand\('([\w.]+)'/g)].map((match) => match[1]).sort();
    assert.deepEqual(commands.map((c) => c.command).sort(), registered);
    for (const command of commands) assert.equal(command.category, 'Livepatch', command.command);
  });

  it('has the commands the issue asks for, and the one the code lenses run', () => {
    const titles = commands.map((c) => c.title);
    for (const title of ['Run Simulation', 'Select Kernel Model', 'Capture Kernel Model from this Machine', 'Restart Server', 'Show Output']) {
      assert.ok(titles.includes(title), title);
    }
    assert.ok(commands.some((c) => c.command === runSimulationCommand));
  });

  it('names only existing commands and views in menus', () => {
    const known = new Set(commands.map((c) => c.command));
    const viewIds = new Set(Object.values(manifest.contributes.views).flat().map((view) => (view as { id: string }).id));
    assert.ok(viewIds.has('livepatch.patches'));
    assert.ok(clientSources.includes("livepatchTreeViewId = 'livepatch.patches'"));
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items as { command: string; when?: string }[]) {
        assert.ok(known.has(item.command), `${menu}: ${item.command}`);
        const view = /view == ([\w.]+)/.exec(item.when ?? '')?.[1];
        if (view) assert.ok(viewIds.has(view), `${menu}: view ${view}`);
      }
    }
  });

  it('activates on C and on scenarios, and serves .h files opened as C++', () => {
    assert.ok(manifest.activationEvents.includes('onLanguage:c'));
    assert.ok(manifest.activationEvents.includes('onLanguage:klpsim'));
    // A distribution tree's list or a series file may be the first thing opened: no C file yet.
    assert.ok(manifest.activationEvents.includes('workspaceContains:**/patched_funcs.csv'));
    assert.ok(manifest.activationEvents.includes('workspaceContains:**/livepatch.series'));
    assert.match(clientSources, /language: 'cpp', pattern: '\*\*\/\*\.h'/);
    assert.match(clientSources, /language: 'klpsim'/);
  });

  it('declares limited support in untrusted workspaces with the kernel model setting restricted', () => {
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.deepEqual(untrusted.restrictedConfigurations, ['livepatch.kernelModel']);
    for (const key of untrusted.restrictedConfigurations) assert.ok(settingDeclarations.some((d) => d.key === key), key);
  });

  it('packages offline with vsce at an exact version', () => {
    assert.match(manifest.devDependencies['@vscode/vsce'], /^\d+\.\d+\.\d+$/);
    assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
  });
});
