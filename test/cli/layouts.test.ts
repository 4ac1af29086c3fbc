/**
 * `klp check` on the layout fixture trees (kpatch, distribution, klp-build), run as a user runs
 * it: every expected finding at the line of the text it is about, nothing else, and no syntax
 * errors from template markers, relocation macros or generator macros.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JsonFinding } from '../../server/src/cli/formats/json';

const repoRoot = join(__dirname, '..', '..');
const layouts = join(repoRoot, 'test', 'fixtures', 'layouts');

function check(...paths: string[]): { status: number | null; findings: JsonFinding[] } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'klp'), 'check', '--format', 'json', ...paths], { cwd: layouts, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  assert.equal(result.stderr, '', 'nothing on stderr');
  return { status: result.status, findings: JSON.parse(result.stdout) as JsonFinding[] };
}

/** [file, 1-based line of the first line containing `needle`, code]. */
function expected(file: string, needle: string, code: string): string {
  const lines = readFileSync(join(layouts, file), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `'${needle}' in ${file}`);
  return `${file}:${index + 1} ${code}`;
}

const found = (findings: JsonFinding[]) => findings.map((f) => `${f.file}:${f.line} ${f.code}`).sort();

describe('klp check on layout trees', () => {
  it('distribution: findings of the lists on the lists, markers understood', () => {
    const { status, findings } = check('distribution');
    assert.equal(status, 1);
    const fix1 = 'distribution/bsc1210001';
    const fix2 = 'distribution/bsc1210002';
    const fix3 = 'distribution/bsc1210003';
    assert.deepEqual(
      found(findings),
      [
        // Replacement functions of a fix are named from the template's generated table in another
        // file, so they cannot be static: no LP-NEWFUNC-NAME for their external linkage.
        expected(`${fix2}/livepatch_bsc1210002.c`, '@@KLP_REPLACE@@', 'LP-TEMPLATE-MARKER'),
        // Relocation macros of the extracted code: a typo, and a module section using vmlinux.
        expected(`${fix2}/meminfo.c`, 'vm_commit_limt', 'LP-RELOC-SYMBOL'),
        expected(`${fix2}/meminfo.c`, 'KLP_RELOC_SYMBOL(nfs, vmlinux, system_wq)', 'LP-RELOC-VMLINUX'),
        expected(`${fix2}/patched_funcs.csv`, 'si_meminfo_node_avail', 'LP-SYMBOL-NOT-FOUND'),
        expected(`${fix2}/patched_funcs.csv`, 'klpp_uptime_proc_show', 'LP-NEWFUNC-UNDEFINED'),
        expected(`${fix2}/patched_funcs.csv`, 'vmlinux,pipe_read', 'LP-CSV-SYNTAX'),
        expected(`${fix2}/patched_funcs.csv`, 'first', 'LP-CSV-SYNTAX'),
        expected(`${fix2}/patched_funcs.csv`, 'nfs,', 'LP-OBJECT-NOT-LOADED'),
        expected(`${fix3}/livepatch_bsc1210003.c`, '@@KLP_PATCH_VERSION@@', 'LP-TEMPLATE-MARKER'),
        expected(`${fix3}/patched_funcs.csv`, 'xfs', 'LP-CSV-OBJECT'),
        // A relocation macro of a local header the template includes.
        expected(`${fix3}/livepatch_bsc1210003.h`, 'pipe_unlok', 'LP-RELOC-SYMBOL'),
      ].sort(),
    );
    const csvSyntax = findings.find((f) => f.code === 'LP-CSV-SYNTAX' && f.message.includes('first'))!;
    assert.equal(csvSyntax.column, readFileSync(join(layouts, fix2, 'patched_funcs.csv'), 'utf8').split('\n')[csvSyntax.line - 1].indexOf('first') + 1);
  });

  it('kpatch: callbacks checked, no skeleton findings for generated parts', () => {
    const { status, findings } = check('kpatch');
    assert.equal(status, 1);
    const file = 'kpatch/bz2210005-meminfo/meminfo.c';
    const fork = 'kpatch/bz2210006-fork-stamp/kernel/fork.c';
    const forkLines = readFileSync(join(layouts, fork), 'utf8').split('\n');
    // Every call of kpatch's old shadow API gets the suggestion of the kernel's.
    const suggestions = forkLines.flatMap((line, index) => (/kpatch_shadow_\w+\(/.test(line) ? [`${fork}:${index + 1} LP-KPATCH-SHADOW`] : []));
    assert.equal(suggestions.length, 5);
    assert.deepEqual(found(findings), [
      expected(file, 'KPATCH_PRE_PATCH_CALLBACK(', 'LP-CB-SIGNATURE'),
      expected(file, 'KPATCH_PRE_UNPATCH_CALLBACK(', 'LP-CB-SIGNATURE'),
      ...suggestions,
      // Read as klp_shadow_* calls: "wakeups" is never freed, the stamp only one by one.
      expected(fork, 'kpatch_shadow_alloc(p, "wakeups"', 'LP-SHADOW-LEAK'),
      expected(fork, 'kpatch_shadow_alloc(p, SHADOW_FORK_STAMP', 'LP-SHADOW-ALLOC-DUP'),
    ].sort());
  });

  it('klp-build: descriptors checked like tables', () => {
    const { status, findings } = check('klp-build');
    assert.equal(status, 1);
    const file = 'klp-build/livepatch-broken/klp_objects.c';
    assert.deepEqual(found(findings), [
      expected(file, '"pipe_read"', 'LP-ALWAYS-ON-STACK'),
      expected(file, '"pipe_wirte"', 'LP-SYMBOL-NOT-FOUND'),
      expected(file, '.nr_funcs = 3', 'LP-EXT-NR-FUNCS'),
    ].sort());
  });
});

describe('klp check on a single patched_funcs.csv', () => {
  it('analyses the fix folder the list belongs to and reports the list\'s findings only', () => {
    const fix2 = 'distribution/bsc1210002';
    const { status, findings } = check(`${fix2}/patched_funcs.csv`);
    assert.equal(status, 1);
    assert.deepEqual(
      found(findings),
      [
        // Only the template and the extracted code tell which objects and functions these lines reach.
        expected(`${fix2}/patched_funcs.csv`, 'si_meminfo_node_avail', 'LP-SYMBOL-NOT-FOUND'),
        expected(`${fix2}/patched_funcs.csv`, 'klpp_uptime_proc_show', 'LP-NEWFUNC-UNDEFINED'),
        expected(`${fix2}/patched_funcs.csv`, 'vmlinux,pipe_read', 'LP-CSV-SYNTAX'),
        expected(`${fix2}/patched_funcs.csv`, 'first', 'LP-CSV-SYNTAX'),
        expected(`${fix2}/patched_funcs.csv`, 'nfs,', 'LP-OBJECT-NOT-LOADED'),
      ].sort(),
    );
  });

  it('still reports the folder\'s other files when they are named too', () => {
    const fix2 = 'distribution/bsc1210002';
    const { findings } = check(`${fix2}/patched_funcs.csv`, `${fix2}/livepatch_bsc1210002.c`);
    assert.deepEqual(
      found(findings).filter((f) => !f.includes('patched_funcs.csv')),
      [expected(`${fix2}/livepatch_bsc1210002.c`, '@@KLP_REPLACE@@', 'LP-TEMPLATE-MARKER')],
    );
  });
});
