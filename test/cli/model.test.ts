/** `klp model import` and `klp model capture` through the real CLI (bin/klp, built bundle). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { kernelModelFromJson } from '../../server/src/kernel/load';

const repoRoot = resolve(__dirname, '..', '..');
const klp = join(repoRoot, 'bin', 'klp');
const work = mkdtempSync(join(tmpdir(), 'klp-model-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [klp, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
}

function hasCompiler(): boolean {
  return spawnSync('cc', ['--version']).status === 0;
}

describe('klp model import', () => {
  it('imports a System.map and the symbol tables of the modules below --modules', { skip: !hasCompiler() && 'no C compiler to build a module object' }, () => {
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'kernel', 'System.map-6.1.0-99-amd64'), join(work, 'System.map-6.1.0-99-amd64'));
    const modules = join(work, 'lib', 'modules', '6.1.0-99-amd64', 'kernel', 'fs');
    mkdirSync(modules, { recursive: true });
    // A relocatable object is what a .ko is: an ELF with a symbol table.
    writeFileSync(join(work, 'toy.c'), 'static int toy_helper(int x) { return x + 1; }\nint toy_entry(int x) { return toy_helper(x) * 2; }\nint toy_counter;\n');
    assert.equal(spawnSync('cc', ['-c', '-O0', '-o', join(modules, 'toy-fs.ko'), join(work, 'toy.c')]).status, 0);
    const result = run(['model', 'import', 'System.map-6.1.0-99-amd64', '--modules', 'lib/modules', '-o', 'model.json']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /wrote model\.json: 6\.1\.0-99-amd64 x86_64/);
    const { model, errors } = kernelModelFromJson(JSON.parse(readFileSync(join(work, 'model.json'), 'utf8')), 'model.json');
    assert.deepEqual(errors, []);
    assert.deepEqual(model!.lookup('toy_fs', 'toy_helper').map((s) => s.type), ['t']);
    assert.equal(model!.lookup('toy_fs', 'toy_entry').length, 1);
    assert.ok(model!.lookup('vmlinux', 'type_show').length >= 2);
  });

  it('refuses bad input with one line and exit 2', () => {
    writeFileSync(join(work, 'garbage.txt'), 'this is not a symbol table\n');
    for (const args of [
      ['model', 'import', 'missing.map', '-o', 'x.json'],
      ['model', 'import', 'garbage.txt', '-o', 'x.json'],
      ['model', 'import', 'garbage.txt'],
      ['model', 'frobnicate'],
    ]) {
      const result = run(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});

describe('klp model capture', () => {
  it('captures this machine, listing what it could not read', { skip: !existsSync('/proc/kallsyms') && 'no /proc/kallsyms' }, () => {
    const result = run(['model', 'capture', '-o', 'live.json']);
    assert.equal(result.status, 0, result.stderr);
    const { model, errors } = kernelModelFromJson(JSON.parse(readFileSync(join(work, 'live.json'), 'utf8')), 'live.json');
    assert.deepEqual(errors, []);
    assert.ok(model!.objects.get('vmlinux')!.symbols.length > 1000);
    // What capture could not read is reported, one line each, on stderr.
    for (const line of result.stderr.trim().split('\n').filter(Boolean)) assert.match(line, /^klp: /);
  });
});
