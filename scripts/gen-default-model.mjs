#!/usr/bin/env node
// Builds data/default-kernel-model.json.gz, the embedded default kernel model, from Debian's
// packages for one kernel build (see data/PROVENANCE.md for what is derived and how).
//
//   node scripts/gen-default-model.mjs [--deb-dir DIR] [--work-dir DIR] [--out FILE]
//
// Debian ships a placeholder System.map in the image package; the real one (and vmlinux, whose
// __mcount_loc table gives the ftrace-patchable functions) is in the -dbg package. Missing .deb
// files are fetched with `apt-get download`. The importers are the server's own TypeScript code,
// bundled here with esbuild so the model is produced by the same logic that reads models.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}
const debDir = opt('--deb-dir', '/tmp/kpkg');
const workDir = opt('--work-dir', '/tmp/klp-gen-model');
const outFile = opt('--out', join(root, 'data/default-kernel-model.json.gz'));

const RELEASE = '6.1.0-50-amd64';
const DEB_VERSION = '6.1.176-1';
const IMAGE_PKG = `linux-image-${RELEASE}-unsigned`;
const DBG_PKG = `linux-image-${RELEASE}-dbg`;
// A few large, commonly patched modules; the first two are loaded at simulation start so both
// "target loaded" and "target not loaded" situations exist in the default model.
const MODULES = ['ext4', 'nf_conntrack', 'xfs', 'btrfs'];
const LOADED = ['ext4', 'nf_conntrack'];

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

function run(cmd, argv, options = {}) {
  return execFileSync(cmd, argv, { maxBuffer: 1 << 30, ...options });
}

function debPath(pkg) {
  const file = join(debDir, `${pkg}_${DEB_VERSION}_amd64.deb`);
  if (existsSync(file)) return file;
  mkdirSync(debDir, { recursive: true });
  log(`fetching ${pkg}=${DEB_VERSION} with apt-get download (run apt-get update first if this fails)`);
  const r = spawnSync('apt-get', ['download', `${pkg}=${DEB_VERSION}`], { cwd: debDir, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(file)) throw new Error(`cannot download ${pkg}=${DEB_VERSION} into ${debDir}`);
  return file;
}

/** Extracts the named members (paths as dpkg-deb lists them, "./...") without unpacking all. */
function extract(deb, members, dest) {
  const missing = members.filter((m) => !existsSync(join(dest, m)));
  if (missing.length === 0) return;
  mkdirSync(dest, { recursive: true });
  log(`extracting ${missing.length} file(s) from ${basename(deb)}`);
  const r = spawnSync('sh', ['-c', 'dest="$1"; shift; dpkg-deb --fsys-tarfile "$0" | tar -x -C "$dest" "$@"', deb, dest, ...missing], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`extracting from ${deb} failed`);
}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/** The server's kernel code as a CommonJS module, bundled from the TypeScript sources. */
async function loadKernelTools() {
  const result = await build({
    stdin: {
      contents: [
        "export * from './importSystemMap';",
        "export * from './importConfig';",
        "export * from './elfSymbols';",
        "export * from './load';",
        "export * from './versions';",
      ].join('\n'),
      resolveDir: join(root, 'server/src/kernel'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'kernel-tools.cjs');
  writeFileSync(file, result.outputFiles[0].text);
  return createRequire(import.meta.url)(file);
}

/** JSON with one symbol per line: readable diffs and useful line numbers in errors. */
function serialize(model) {
  const parts = [];
  const top = { ...model, objects: undefined };
  const head = JSON.stringify(top, null, 2).replace(/\n}$/, '');
  parts.push(head.replace(/,?\n {2}"objects": undefined/, ''));
  parts.push(',\n  "objects": {');
  Object.entries(model.objects).forEach(([name, obj], i) => {
    parts.push(`${i ? ',' : ''}\n    ${JSON.stringify(name)}: {\n      "symbols": [`);
    parts.push(obj.symbols.map((s) => `\n${JSON.stringify(s)}`).join(','));
    parts.push('\n      ]');
    for (const key of Object.keys(obj)) {
      if (key === 'symbols') continue;
      parts.push(`,\n      ${JSON.stringify(key)}: ${JSON.stringify(obj[key])}`);
    }
    parts.push('\n    }');
  });
  parts.push('\n  }\n}\n');
  return parts.join('');
}

const kt = await loadKernelTools();
const imageDeb = debPath(IMAGE_PKG);
const dbgDeb = debPath(DBG_PKG);
const imageDir = join(workDir, 'image');
const dbgDir = join(workDir, 'dbg');

const modulePaths = new Map();
for (const line of run('dpkg-deb', ['-c', imageDeb]).toString().split('\n')) {
  const match = /(\.\/lib\/modules\/\S*\/([^/\s]+)\.ko(?:\.xz|\.zst|\.gz)?)$/.exec(line);
  if (match && MODULES.includes(match[2].replace(/-/g, '_'))) modulePaths.set(match[2].replace(/-/g, '_'), match[1]);
}
const configMember = `./boot/config-${RELEASE}`;
extract(imageDeb, [configMember, ...modulePaths.values()], imageDir);
const mapMember = `./usr/lib/debug/boot/System.map-${RELEASE}`;
const vmlinuxMember = `./usr/lib/debug/boot/vmlinux-${RELEASE}`;
extract(dbgDeb, [mapMember, vmlinuxMember], dbgDir);

const configText = readFileSync(join(imageDir, configMember), 'utf8');
const config = kt.parseKernelConfig(configText);
// The config header names the upstream version; the release only carries Debian's ABI number.
const header = /^# Linux\/\S+ (\S+) Kernel Configuration/m.exec(configText);
const version = kt.parseKernelVersion(header ? header[1] : DEB_VERSION);

log('reading vmlinux __mcount_loc');
const vmlinux = kt.ElfFile.open(join(dbgDir, vmlinuxMember));
const vmlinuxFtrace = kt.vmlinuxFtraceLocations(vmlinux);
vmlinux.close();

const generated = new Date().toISOString().slice(0, 10);
const imported = kt.importSystemMap(readFileSync(join(dbgDir, mapMember), 'utf8'), {
  fileName: `System.map-${RELEASE}`,
  release: RELEASE,
  version,
  architecture: 'x86_64',
  config,
  features: { reliableStacktrace: true },
  loadedModules: [],
  ftraceLocations: { vmlinux: vmlinuxFtrace },
  // FTRACE_MCOUNT_MAX_OFFSET on x86: the fentry call must be the first instruction (after ENDBR).
  maxCallSiteOffset: config.CONFIG_X86_KERNEL_IBT === 'y' ? 4 : 0,
});
if (!imported.model) throw new Error(`System.map import failed: ${JSON.stringify(imported.errors)}`);
const model = imported.model;

const moduleInfo = {};
for (const name of MODULES) {
  const member = modulePaths.get(name);
  if (!member) {
    log(`module ${name} not in the package, skipped`);
    continue;
  }
  const file = join(imageDir, member);
  const bytes = file.endsWith('.xz')
    ? run('xz', ['-dc', file])
    : file.endsWith('.zst')
      ? run('zstd', ['-dc', file])
      : file.endsWith('.gz')
        ? run('gzip', ['-dc', file])
        : readFileSync(file);
  const obj = kt.moduleObjectFromElf(kt.ElfFile.fromBuffer(bytes));
  model.objects[name] = obj;
  moduleInfo[name] = member.replace(/^\.\//, '/');
}
model.loadedModules = LOADED.filter((m) => m in model.objects);

model.provenance = {
  ...model.provenance,
  description: `Debian ${RELEASE} (${DEB_VERSION}) x86_64 kernel: vmlinux and modules ${Object.keys(moduleInfo).join(', ')}`,
  packages: {
    [IMAGE_PKG]: { version: DEB_VERSION, sha256: await sha256(imageDeb), used: ['boot/config', 'module .ko files'] },
    [DBG_PKG]: { version: DEB_VERSION, sha256: await sha256(dbgDeb), used: ['usr/lib/debug/boot/System.map', 'usr/lib/debug/boot/vmlinux (__mcount_loc)'] },
  },
  modules: moduleInfo,
  moduleSymbols:
    'FUNC and OBJECT symbols from each .ko .symtab in symtab order, sizes from st_size, init-section symbols left out (freed after load) and listed in notPatchable; addresses are offsets in a layout of the module sections, not load addresses; type letters as module kallsyms computes them (upper case when exported)',
  modulePatchable: 'functions covering an __mcount_loc relocation target of the .ko',
  vmlinuxPatchable: `${vmlinuxFtrace.length} ftrace call sites between __start_mcount_loc and __stop_mcount_loc in vmlinux, each mapped to the System.map text symbol it starts (FTRACE_MCOUNT_MAX_OFFSET: sites not at a symbol start are bodies of overridden weak functions, which ftrace ignores); sites in init text dropped`,
  config: `boot/config-${RELEASE}: every CONFIG_ option that is set`,
  version: `upstream version from the config header ("${header ? header[0].slice(2) : 'absent'}")`,
  generatedBy: 'scripts/gen-default-model.mjs',
  generated,
};

const text = serialize(model);
const check = kt.loadKernelModelFromText(text, 'generated');
if (!check.model) throw new Error(`the generated model does not load: ${JSON.stringify(check.errors.slice(0, 5))}`);
mkdirSync(dirname(outFile), { recursive: true });
const gz = gzipSync(Buffer.from(text), { level: 9 });
writeFileSync(outFile, gz);

let total = 0;
for (const [name, obj] of Object.entries(model.objects)) {
  total += obj.symbols.length;
  log(`${name}: ${obj.symbols.length} symbols, ${obj.patchable?.length ?? 'unknown'} patchable, ${Object.keys(obj.notPatchable ?? {}).length} not patchable`);
}
const t0 = performance.now();
const loaded = kt.loadKernelModelFile(outFile);
const ms = performance.now() - t0;
if (!loaded.model) throw new Error('the written model does not load');
log(`wrote ${outFile}: ${total} symbols, ${(text.length / 1e6).toFixed(1)} MB JSON, ${(gz.length / 1e6).toFixed(2)} MB gzipped; loads in ${ms.toFixed(0)} ms`);
