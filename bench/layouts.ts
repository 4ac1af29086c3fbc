/**
 * Throughput of the full `klp check` pipeline on a generated distribution tree: per-fix folders
 * with a template main file (@@KLP_FUNCS@@ / @@KLP_OBJECTS@@), extracted kernel code full of
 * extern declarations with relocation macros, attributes and #if blocks, and a patched_funcs.csv.
 * The tree is written to a temporary folder and read from disk, as `klp check <folder>` does.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer, type AnalyzerOptions } from '../server/src/analysis/analyzer';
import { defaultPoolSize, FactsWorkerPool } from '../server/src/analysis/factsWorkerPool';
import { nodeFileSystem } from '../server/src/analysis/nodeFileSystem';
import { defaultKernelModel } from '../server/src/kernel/load';
import { generateKernelStyleCorpus } from './corpus';

const vmlinuxTargets = ['cmdline_proc_show', 'meminfo_proc_show', 'uptime_proc_show', 'pipe_read', 'pipe_write', 'tcp_ack', 'tcp_rcv_established', 'do_mmap', 'vfs_ioctl', 'si_meminfo'];
const ext4Targets = ['ext4_file_write_iter', 'ext4_setattr', 'ext4_ioctl', 'ext4_get_block', 'ext4_xattr_get'];
/** Symbols of the embedded model the relocations name (so the checks have work, and no error). */
const relocated = ['saved_command_line', 'boot_command_line', 'si_meminfo', 'vm_commit_limit', '__wake_up_sync_key', 'setattr_prepare'];

function extractedFunction(fix: number, name: string, index: number): string {
  let body = '';
  for (let i = 0; i < 6; i++) {
    body += `\tif (unlikely(klpe_state_${fix}[${i}] & (1UL << ${(index + i) % 31}))) {\n\t\tspin_lock(&klpe_lock_${fix});\n\t\tret += klpe_helper_${fix}_${i}(arg, ${i});\n\t\tspin_unlock(&klpe_lock_${fix});\n\t}\n`;
  }
  return `/* New. */
int klpp_${name}(void *arg, unsigned long flags)
{
\tint ret = 0;

${body}#if IS_ENABLED(CONFIG_PROC_FS)
\tret = min_t(int, ret, 4096);
#else
\tret = ret > 4096 ? 4096 : ret;
#endif
\treturn ret;
}

`;
}

function extractedFile(fix: number, names: string[]): string {
  let text = `/*\n * Extracted kernel code for bsc#${1300000 + fix}, fix applied.\n */\n#include <linux/kernel.h>\n#include <linux/spinlock.h>\n\n`;
  for (let i = 0; i < 6; i++) {
    text += `extern int klpe_helper_${fix}_${i}(void *arg, int n) KLP_RELOC_SYMBOL(vmlinux, vmlinux, ${relocated[(fix + i) % relocated.length]});\n`;
    text += `extern unsigned long klpe_counter_${fix}_${i} __attribute__((aligned(8))) KLP_RELOC_SYMBOL_POS(vmlinux, vmlinux, ${relocated[(fix + i + 1) % relocated.length]}, 1);\n`;
  }
  text += `extern unsigned long klpe_state_${fix}[8] KLP_RELOC_SYMBOL(vmlinux, vmlinux, saved_command_line);\nextern spinlock_t klpe_lock_${fix} __attribute__((weak));\n\n`;
  names.forEach((name, index) => (text += extractedFunction(fix, name, index)));
  return text;
}

function template(fix: number): string {
  return `// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>

static struct klp_func vmlinux_funcs[] = {
\t@@KLP_FUNCS@@
\t{ }
};

static struct klp_object objs[] = {
\t{ .funcs = vmlinux_funcs, },
\t@@KLP_OBJECTS@@
\t{ }
};

static struct klp_patch patch = {
\t.mod = THIS_MODULE,
\t.objs = objs,
\t.replace = @@KLP_REPLACE@@,
};

static int __init livepatch_bsc${1300000 + fix}_init(void)
{
\treturn klp_enable_patch(&patch);
}

static void __exit livepatch_bsc${1300000 + fix}_exit(void)
{
}

module_init(livepatch_bsc${1300000 + fix}_init);
module_exit(livepatch_bsc${1300000 + fix}_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
}

/** Writes `fixes` fix folders; returns the paths and the bytes written. */
export function writeDistributionTree(root: string, fixes: number): { files: string[]; bytes: number } {
  const files: string[] = [];
  let bytes = 0;
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    files.push(path);
    bytes += Buffer.byteLength(text);
  };
  for (let fix = 0; fix < fixes; fix++) {
    const folder = join(root, `bsc${1300000 + fix}`);
    mkdirSync(folder);
    const vmlinux = [vmlinuxTargets[fix % vmlinuxTargets.length], vmlinuxTargets[(fix + 3) % vmlinuxTargets.length]];
    const ext4 = [ext4Targets[fix % ext4Targets.length]];
    const lines = [...vmlinux.map((n) => `vmlinux  ${n}  klpp_${n}`), ...ext4.map((n) => `ext4, ${n}, klpp_${n}`)];
    write(join(folder, 'patched_funcs.csv'), `# bsc#${1300000 + fix}\n${lines.join('\n')}\n`);
    write(join(folder, `livepatch_bsc${1300000 + fix}.c`), template(fix));
    write(join(folder, 'vmlinux_fix.c'), extractedFile(fix, vmlinux));
    write(join(folder, 'ext4_fix.c'), extractedFile(fix, ext4));
  }
  return { files, bytes };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

interface CheckRun {
  ms: number;
  findings: number;
  syntax: number;
}

/**
 * One batch over the tree as the CLI or the server runs it: a new analyzer, addFiles (read from
 * disk), analyze every reported file. `klp check` parses in its own thread below 4 MiB (cold
 * workers cost more than they save there); the server keeps a warm worker pool for its workspace
 * pass. A collection first, as the pipeline bench does: a run must not pay for the garbage of the
 * one before it, which a fresh process or a server's first pass never has.
 */
async function checkOnce(files: string[], options: AnalyzerOptions): Promise<CheckRun> {
  const kernel = defaultKernelModel();
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  const analyzer = await Analyzer.create(kernel, nodeFileSystem, options);
  let findings = 0;
  let syntax = 0;
  try {
    await analyzer.addFiles(files);
    for (const file of files) {
      for (const finding of analyzer.analyze(file).findings) {
        findings++;
        if (finding.code === 'LP-SYNTAX') syntax++;
      }
    }
  } finally {
    analyzer.dispose();
  }
  return { ms: performance.now() - start, findings, syntax };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function report(label: string, mib: number, files: string[]): Promise<void> {
  console.log(`  ${label}:`);
  const cli: CheckRun[] = [];
  for (let run = 0; run < 5; run++) cli.push(await checkOnce(files, { minPoolBytes: 4 * 1024 * 1024 }));
  const [cold, ...warm] = cli;
  const ms = median(warm.map((r) => r.ms));
  console.log(
    `    klp check path (one thread): first run ${fmt(cold.ms)} ms → ${fmt(mib / (cold.ms / 1000), 2)} MiB/s; then median ${fmt(ms)} ms → ${fmt(mib / (ms / 1000), 2)} MiB/s` +
      `  [${cli.map((r) => fmt(r.ms, 0)).join(', ')} ms; ${cold.findings} findings, ${cold.syntax} syntax errors]`,
  );
  // The server's first workspace pass starts its workers (they stop after 10 s without work):
  // new, cold workers each run.
  const fresh: CheckRun[] = [];
  for (let run = 0; run < 4; run++) fresh.push(await checkOnce(files, { workers: defaultPoolSize(), minPoolBytes: 0 }));
  const freshMs = median(fresh.map((r) => r.ms));
  console.log(`    server workspace pass (${defaultPoolSize()} facts workers started for it): median ${fmt(freshMs)} ms → ${fmt(mib / (freshMs / 1000), 2)} MiB/s  [${fresh.map((r) => fmt(r.ms, 0)).join(', ')} ms]`);
  // A pass while its pool is still running (another pass within 10 s): workers warm after the
  // first (dropped) batch; they keep warming for a few more, hence the longer series.
  const pool = new FactsWorkerPool({ size: defaultPoolSize() });
  try {
    const pooled: CheckRun[] = [];
    for (let run = 0; run < 31; run++) pooled.push(await checkOnce(files, { pool, minPoolBytes: 0 }));
    const steady = pooled.slice(1, 11);
    const poolMs = median(steady.map((r) => r.ms));
    console.log(
      `    server workspace pass (${pool.size} warm facts workers): median ${fmt(poolMs)} ms → ${fmt(mib / (poolMs / 1000), 2)} MiB/s (budget ≥ 4 MiB/s)` +
        `  [${steady.map((r) => fmt(r.ms, 0)).join(', ')} ms; ${steady[0].findings} findings]`,
    );
    // The passes above still pay for the engine's warm-up: functions reach the optimising
    // compiler in each of the first ten or so (on the distribution tree, 150, 49, 47, 32, 32, 29,
    // 29, 10, 13, 9, 10, 12 compiles in passes 1-12, about 3 a pass in passes 22-31). A
    // long-running server is past that; passes 22-31 measure it there.
    const warmJit = pooled.slice(21);
    const warmMs = median(warmJit.map((r) => r.ms));
    console.log(
      `    same, engine warm (passes 22-31): median ${fmt(warmMs)} ms → ${fmt(mib / (warmMs / 1000), 2)} MiB/s (budget ≥ 4 MiB/s)` +
        `  [${warmJit.map((r) => fmt(r.ms, 0)).join(', ')} ms]`,
    );
    if (steady[0].findings !== cold.findings) console.log(`    (the two paths disagree: ${cold.findings} and ${steady[0].findings} findings)`);
  } finally {
    await pool.terminate();
  }
}

export async function distributionLayoutBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'klp-bench-distribution-'));
  try {
    let fixes = 100;
    let tree = writeDistributionTree(root, fixes);
    // At least 1 MiB: add fix folders until the tree is that big.
    while (tree.bytes < 1024 * 1024) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
      fixes = Math.ceil(fixes * 1.2);
      tree = writeDistributionTree(root, fixes);
    }
    const mib = tree.bytes / 1024 / 1024;
    console.log(`distribution layout (parse + model + checks, addFiles + analyze every file): ${fixes} fix folders, ${tree.files.length} files, ${fmt(mib, 2)} MiB on disk`);
    await report('distribution tree', mib, tree.files);
    // The same pipeline on upstream-style sources of the same size, in the same process: the
    // machine is shared, so the ratio says more than either figure alone.
    const upstream = join(root, 'upstream');
    mkdirSync(upstream);
    const corpus = generateKernelStyleCorpus(tree.bytes);
    const paths = corpus.map((file) => join(upstream, file.name));
    corpus.forEach((file, i) => writeFileSync(paths[i], file.text));
    await report('kernel-style corpus, same size (baseline)', corpus.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0) / 1024 / 1024, paths);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
