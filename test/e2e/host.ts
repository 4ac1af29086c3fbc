/**
 * Where the end-to-end test host lives: code-server and playwright-core in test/e2e/node_modules
 * (test/e2e/setup.sh installs them) and Debian's chromium. Each is looked up, never assumed, so
 * the test can skip with the reason when a developer has not run the setup.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PlaywrightModule } from './playwright';

export const e2eFolder = __dirname;
export const repoRoot = join(__dirname, '..', '..');
export const codeServerEntry = join(e2eFolder, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const playwrightFolder = join(e2eFolder, 'node_modules', 'playwright-core');

/**
 * Chromium's own binary is preferred over Debian's /usr/bin/chromium launcher script, which
 * only adds flags for a desktop session. KLP_E2E_CHROMIUM overrides both.
 */
export function findChromium(): string | undefined {
  const candidates = [process.env.KLP_E2E_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => !!path && existsSync(path));
}

/** What the end-to-end test lacks here, or undefined when everything is installed. */
export function e2eMissing(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(codeServerEntry)) missing.push('code-server (test/e2e/node_modules)');
  if (!existsSync(join(playwrightFolder, 'package.json'))) missing.push('playwright-core (test/e2e/node_modules)');
  if (!findChromium()) missing.push('chromium');
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} missing; run test/e2e/setup.sh to install them`;
}

/** playwright-core, loaded from test/e2e/node_modules at run time (the main install lacks it). */
export function loadPlaywright(): PlaywrightModule {
  return require(playwrightFolder) as PlaywrightModule;
}
