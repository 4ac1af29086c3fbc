/**
 * The packaged extension: `vsce package --no-dependencies` (offline: the bundles carry every
 * dependency) must produce a .vsix holding only the bundles, wasm files, queries, grammars, the
 * embedded kernel model, docs and the manifest — nothing of the sources, tests, node_modules or
 * source maps. The .vsix is a zip; its central directory is read here without any tool.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(__dirname, '..', '..');

interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
}

/** Entries of a zip file from its central directory (no zip64: a .vsix is small). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const endSignature = 0x06054b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== endSignature) end--;
  if (end < 0) throw new Error('not a zip file: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry ${index}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Everything a .vsix of this extension may contain. */
const allowed: RegExp[] = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/(readme|changelog)\.md$/i,
  /^extension\/LICENSE(\.\w+)?$/,
  /^extension\/dist\/(client|server)\.js$/,
  /^extension\/dist\/[\w-]+\.wasm$/,
  /^extension\/dist\/queries\/[\w-]+\.scm$/,
  /^extension\/dist\/media\/(timeline|codicon)\.css$/,
  /^extension\/dist\/media\/codicon\.ttf$/,
  /^extension\/syntaxes\/[\w.-]+\.json$/,
  /^extension\/data\/(default-kernel-model\.json\.gz|PROVENANCE\.md)$/,
  /^extension\/docs\/([\w-]+\/)*[\w.-]+\.md$/,
];

const required = [
  'extension/package.json',
  'extension/dist/client.js',
  'extension/dist/server.js',
  'extension/dist/simulationWorker.js',
  'extension/dist/web-tree-sitter.wasm',
  'extension/dist/tree-sitter-c.wasm',
  'extension/dist/queries/facts.scm',
  'extension/dist/media/timeline.css',
  'extension/dist/media/codicon.css',
  'extension/dist/media/codicon.ttf',
  'extension/syntaxes/klpsim.tmLanguage.json',
  'extension/syntaxes/klpsim.language-configuration.json',
  'extension/syntaxes/livepatch-c.injection.tmLanguage.json',
  'extension/data/default-kernel-model.json.gz',
  'extension/docs/editor.md',
];

/**
 * Bundles the client and server load by file name at run time (worker threads): found as string
 * literals naming a file of dist/, so a new worker bundle cannot be forgotten in .vscodeignore.
 */
function bundlesLoadedByName(): string[] {
  const names = new Set<string>();
  for (const bundle of ['client.js', 'server.js']) {
    const text = readFileSync(join(root, 'dist', bundle), 'utf8');
    for (const match of text.matchAll(/["'`]([\w.-]+\.js)["'`]/g)) {
      if (match[1] !== bundle && existsSync(join(root, 'dist', match[1]))) names.add(match[1]);
    }
  }
  return [...names].sort();
}

describe('the .vsix package', () => {
  let folder: string;
  let vsix: string;
  let entries: ZipEntry[];

  before(() => {
    assert.ok(existsSync(join(root, 'dist', 'server.js')), 'dist/ is missing: run `npm run build` first');
    folder = mkdtempSync(join(tmpdir(), 'livepatch-vsix-'));
    vsix = join(folder, 'livepatch-workbench.vsix');
    const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    const run = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, `vsce package failed:\n${run.stdout}\n${run.stderr}`);
    entries = zipEntries(readFileSync(vsix));
  });
  after(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('ships only bundles, wasm, queries, grammars, the kernel model, docs and the manifest', (t) => {
    const loaded = new Set(bundlesLoadedByName().map((name) => `extension/dist/${name}`));
    const unexpected = entries.map((entry) => entry.name).filter((name) => !loaded.has(name) && !allowed.some((pattern) => pattern.test(name)));
    assert.deepEqual(unexpected, []);
    const size = readFileSync(vsix).length;
    t.diagnostic(`${entries.length} files, ${(size / 1024 / 1024).toFixed(2)} MiB packed, ${(entries.reduce((sum, e) => sum + e.size, 0) / 1024 / 1024).toFixed(2)} MiB unpacked`);
    // The bundles and the embedded model; far more means something slipped in.
    assert.ok(size < 8 * 1024 * 1024, `the .vsix is ${size} bytes`);
  });

  it('ships everything the extension loads at run time', () => {
    const names = new Set(entries.map((entry) => entry.name));
    for (const name of required) assert.ok(names.has(name), `${name} is in the .vsix`);
    const loaded = bundlesLoadedByName();
    assert.ok(loaded.includes('simulationWorker.js'), `the server names its simulation worker (found: ${loaded.join(', ')})`);
    for (const name of loaded) assert.ok(names.has(`extension/dist/${name}`), `dist/${name}, which a bundle loads, is in the .vsix (add it to .vscodeignore)`);
  });

  it('ships the grammars and language configuration the manifest names', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      main: string;
      contributes: { grammars: { path: string }[]; languages: { configuration?: string }[] };
    };
    const names = new Set(entries.map((entry) => entry.name));
    const paths = [manifest.main, ...manifest.contributes.grammars.map((g) => g.path), ...manifest.contributes.languages.map((l) => l.configuration).filter((p): p is string => !!p)];
    for (const path of paths) assert.ok(names.has(`extension/${path.replace(/^\.\//, '')}`), `${path} is in the .vsix`);
  });
});
