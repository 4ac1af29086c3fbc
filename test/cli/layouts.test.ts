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

function check(tree: string): { status: number | null; findings: JsonFinding[] } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'klp'), 'check', '--format', 'json', tree], { cwd: layouts, encoding: 'utf8', timeout: 120_000 });
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
        // Replacement functions of a multi-file fix cannot be static: the existing information.
        expected(`${fix1}/cmdline.c`, 'int klpp_cmdline_proc_show(', 'LP-NEWFUNC-NAME'),
        expected(`${fix1}/ext4_file.c`, 'ssize_t klpp_ext4_file_write_iter(', 'LP-NEWFUNC-NAME'),
        expected(`${fix1}/ext4_inode.c`, 'int klpp_ext4_setattr(', 'LP-NEWFUNC-NAME'),
        expected(`${fix2}/meminfo.c`, 'int klpp_meminfo_proc_show(', 'LP-NEWFUNC-NAME'),
        expected(`${fix2}/meminfo.c`, 'void klpp_si_meminfo_node_avail(', 'LP-NEWFUNC-NAME'),
        expected(`${fix2}/meminfo.c`, 'ssize_t klpp_nfs_file_write(', 'LP-NEWFUNC-NAME'),
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
      ].sort(),
    );
    const csvSyntax = findings.find((f) => f.code === 'LP-CSV-SYNTAX' && f.message.includes('first'))!;
    assert.equal(csvSyntax.column, readFileSync(join(layouts, fix2, 'patched_funcs.csv'), 'utf8').split('\n')[csvSyntax.line - 1].indexOf('first') + 1);
  });

  it('kpatch: callbacks checked, no skeleton findings for generated parts', () => {
    const { status, findings } = check('kpatch');
    assert.equal(status, 1);
    const file = 'kpatch/bz2210005-meminfo/meminfo.c';
    assert.deepEqual(found(findings), [
      expected(file, 'KPATCH_PRE_PATCH_CALLBACK(', 'LP-CB-SIGNATURE'),
      expected(file, 'KPATCH_PRE_UNPATCH_CALLBACK(', 'LP-CB-SIGNATURE'),
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
