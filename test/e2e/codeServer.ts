/**
 * A real VS Code for the end-to-end test: the extension packaged as a .vsix with vsce, installed
 * with `code-server --install-extension` into a private extensions folder, and code-server served
 * on a free loopback port with no authentication. Everything it writes (user data, extensions,
 * its config file) stays in one temporary folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeServerEntry, repoRoot } from './host';

/** Packages the extension from the current dist/ (as `npm run package` does) into `vsix`. */
export function packageExtension(vsix: string): void {
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const run = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (run.status !== 0) throw new Error(`vsce package failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
}

/** The folders of one code-server instance, all under `root`. */
export interface CodeServerFolders {
  userData: string;
  extensions: string;
  config: string;
  xdg: string;
}

export function codeServerFolders(root: string): CodeServerFolders {
  const folders = { userData: join(root, 'user-data'), extensions: join(root, 'extensions'), config: join(root, 'config.yaml'), xdg: join(root, 'xdg') };
  mkdirSync(join(folders.userData, 'User'), { recursive: true });
  mkdirSync(folders.extensions, { recursive: true });
  mkdirSync(folders.xdg, { recursive: true });
  return folders;
}

/**
 * User settings of the test profile: the workspace is trusted (trust is off), and nothing opens
 * on its own or asks for attention (welcome page, tips, update checks, telemetry).
 */
export function writeUserSettings(folders: CodeServerFolders): void {
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
  };
  writeFileSync(join(folders.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

function environment(folders: CodeServerFolders): NodeJS.ProcessEnv {
  // code-server and VS Code write under XDG folders when not told otherwise: keep them private.
  return { ...process.env, XDG_CONFIG_HOME: folders.xdg, XDG_DATA_HOME: folders.xdg, XDG_CACHE_HOME: folders.xdg };
}

function commonArguments(folders: CodeServerFolders): string[] {
  return ['--config', folders.config, '--user-data-dir', folders.userData, '--extensions-dir', folders.extensions];
}

/** `code-server --install-extension <vsix>`; returns what it printed. */
export function installExtension(folders: CodeServerFolders, vsix: string): string {
  const run = spawnSync(process.execPath, [codeServerEntry, ...commonArguments(folders), '--install-extension', vsix], {
    env: environment(folders),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`code-server --install-extension failed (${run.status ?? run.signal}):\n${output}`);
  return output;
}

export interface RunningCodeServer {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  /** Everything the server printed so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts code-server on a free loopback port; resolves once it says where it listens. */
export function startCodeServer(folders: CodeServerFolders, workspace: string, timeoutMs = 60_000): Promise<RunningCodeServer> {
  const args = [codeServerEntry, ...commonArguments(folders), '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', workspace];
  // Its own process group, so stop() ends the extension host and language server it started too.
  const child = spawn(process.execPath, args, { env: environment(folders), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = () => stopProcessGroup(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`code-server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve({ url: listening[1], log: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      // Children that outlived the server (extension host, language server) go with the group.
      signalGroup(pid, 'SIGKILL');
      resolve();
    });
    signalGroup(pid, 'SIGTERM');
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
