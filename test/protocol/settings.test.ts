/**
 * The manifest's `contributes.configuration` and the server's settings declarations must match
 * key for key (a setting cannot exist on one side only), and `parseSettings` must accept exactly
 * what the declarations allow. Also checks the manifest parts the client relies on.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  defaultSettings,
  parseSettings,
  settingDeclarations,
  settingValue,
  settingsSection,
} from '../../server/src/protocol/settings';
import { repoRoot } from './lspClient';

interface ManifestProperty {
  type: string;
  default: unknown;
  description?: string;
  markdownDescription?: string;
  scope?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
}

/** The text of every TypeScript file of the client, concatenated. */
function clientSources(folder: string): string {
  return readdirSync(folder)
    .map((name) => join(folder, name))
    .map((path) => (statSync(path).isDirectory() ? clientSources(path) : path.endsWith('.ts') ? readFileSync(path, 'utf8') : ''))
    .join('\n');
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const properties: Record<string, ManifestProperty> = manifest.contributes.configuration.properties;

describe('settings declared once', () => {
  it('package.json declares exactly the server settings keys', () => {
    const declared = settingDeclarations.map((d) => d.key).sort();
    assert.deepEqual(Object.keys(properties).sort(), declared);
  });

  it('every key lives under the livepatch section', () => {
    for (const key of Object.keys(properties)) assert.ok(key.startsWith(`${settingsSection}.`), key);
  });

  for (const declaration of settingDeclarations) {
    it(`${declaration.key} has the same type, default, scope, bounds and description`, () => {
      const property = properties[declaration.key];
      assert.ok(property, `${declaration.key} is missing from package.json`);
      assert.equal(property.type, declaration.type);
      assert.deepEqual(property.default, declaration.default);
      assert.equal(property.scope, declaration.scope);
      assert.deepEqual(property.enum, declaration.enum);
      assert.equal(property.minimum, declaration.minimum);
      assert.equal(property.maximum, declaration.maximum);
      assert.equal(property.description ?? property.markdownDescription, declaration.description);
      assert.ok(declaration.description.length > 20, 'a real description');
    });

    it(`${declaration.key} defaults to the value in defaultSettings`, () => {
      assert.deepEqual(settingValue(defaultSettings, declaration.key), declaration.default);
    });
  }
});

describe('parseSettings', () => {
  it('fills everything missing with defaults', () => {
    assert.deepEqual(parseSettings(undefined), { settings: defaultSettings, problems: [] });
    assert.deepEqual(parseSettings({}), { settings: defaultSettings, problems: [] });
  });

  it('takes valid nested values', () => {
    const { settings, problems } = parseSettings({
      kernelModel: '/models/6.8.json',
      diagnostics: { debounceMs: 0, workspace: false },
      index: { maxFiles: 10 },
      log: { level: 'debug' },
      trace: { server: 'verbose' },
      series: ['lp_v1.c', 'v2/'],
      policy: { refuseConflicts: true },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      kernelModel: '/models/6.8.json',
      diagnostics: { debounceMs: 0, workspace: false },
      index: { maxFiles: 10 },
      log: { level: 'debug' },
      trace: { server: 'verbose' },
      series: ['lp_v1.c', 'v2/'],
      policy: { refuseConflicts: true },
    });
  });

  it('replaces ill-typed or out-of-range values by defaults and names them', () => {
    const { settings, problems } = parseSettings({
      kernelModel: 42,
      diagnostics: { debounceMs: -5, workspace: 'yes' },
      index: { maxFiles: 1.5 },
      log: { level: 'loud' },
      series: ['ok', 3],
    });
    assert.deepEqual(settings, defaultSettings);
    assert.equal(problems.length, 6);
    assert.ok(problems.some((problem) => problem.startsWith('livepatch.log.level')));
  });

  it('does not share state with the defaults', () => {
    const { settings } = parseSettings({ diagnostics: { debounceMs: 5 } });
    assert.equal(settings.diagnostics.debounceMs, 5);
    assert.equal(defaultSettings.diagnostics.debounceMs, 250);
  });
});

describe('manifest', () => {
  it('activates on C, runs the client bundle and contributes the Livepatch commands', () => {
    assert.equal(manifest.main, './dist/client.js');
    assert.ok(manifest.activationEvents.includes('onLanguage:c'));
    const commands: { command: string; title: string; category?: string }[] = manifest.contributes.commands;
    for (const command of ['livepatch.restartServer', 'livepatch.showOutput', 'livepatch.showKernelModelInfo']) {
      const entry = commands.find((c) => c.command === command);
      assert.ok(entry, `${command} is contributed`);
      assert.equal(entry.category, 'Livepatch');
    }
  });

  it('the client registers every contributed livepatch command', () => {
    const source = clientSources(join(repoRoot, 'client', 'src'));
    const commands: { command: string }[] = manifest.contributes.commands;
    for (const { command } of commands.filter((c) => c.command.startsWith('livepatch.'))) {
      assert.ok(source.includes(`'${command}'`), `${command} is registered somewhere in client/src`);
    }
  });
});
