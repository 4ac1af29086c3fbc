/**
 * `npm run bench`: prints the figures the issues set budgets for. Measurements, not tests:
 * nothing here fails a build; the closing notes of the issues quote these numbers.
 *
 *  - pipeline throughput (parse + model + checks) of the batch path, in one thread and with the
 *    facts worker pool, on two generated corpora (compact C, and C written like kernel sources);
 *  - keystroke → published diagnostics latency through the real server over stdio;
 *  - resident memory of the server process after the run.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer, type AnalyzerOptions } from '../server/src/analysis/analyzer';
import { defaultKernelModel, loadKernelModelFromText } from '../server/src/kernel/load';
import { LspTestClient } from '../test/protocol/lspClient';
import { defaultPoolSize, FactsWorkerPool } from '../server/src/analysis/factsWorkerPool';
import { generateCorpus, generateKernelStyleCorpus, generateLongFile } from './corpus';
import { seriesBench } from './series';
import { simulationBench } from './simulation';
import { distributionLayoutBench } from './layouts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const fmt = (n: number, digits = 1) => n.toFixed(digits);

interface ThroughputRun {
  ms: number;
  findings: number;
}

/**
 * The batch path `klp check` and the server's workspace pass take: a new analyzer, addFiles
 * (parsing in worker threads, or in this thread with `workers: 0`), then analyze every file.
 * Worker start-up is inside the measured time. The first run warms up the JIT and is dropped.
 */
async function measureBatch(corpus: { name: string; text: string }[], options: AnalyzerOptions, runs = 6): Promise<ThroughputRun[]> {
  const kernel = defaultKernelModel();
  const results: ThroughputRun[] = [];
  for (let run = 0; run < runs; run++) {
    const files = new Map(corpus.map((f) => [`/corpus/${f.name}`, f.text]));
    const analyzer = await Analyzer.create(kernel, { readFile: (p) => files.get(p), listFolder: () => [] }, options);
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    await analyzer.addFiles([...files.keys()]);
    let findings = 0;
    for (const path of files.keys()) findings += analyzer.analyze(path).findings.length;
    const ms = performance.now() - start;
    analyzer.dispose();
    if (run > 0) results.push({ ms, findings });
  }
  return results;
}

async function pipelineThroughput(): Promise<void> {
  const corpora = [
    { label: 'generated corpus', files: generateCorpus(1.5 * 1024 * 1024) },
    { label: 'kernel-style corpus', files: generateKernelStyleCorpus(1.5 * 1024 * 1024) },
  ];
  const pooled = defaultPoolSize();
  for (const { label, files } of corpora) {
    const bytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
    const mib = bytes / 1024 / 1024;
    console.log(`pipeline throughput, ${label}: ${fmt(mib, 2)} MiB in ${files.length} files (parse + model + checks, addFiles + analyze every file)`);
    // One pool for every run of the last line: its workers are warm after the dropped first run,
    // like the main thread is on every line. The middle line starts new workers every run: their
    // JIT is cold, which is what a fresh `klp check` pays (it parses in one thread below 4 MiB).
    const warmPool = new FactsWorkerPool({ size: pooled });
    const configurations: [string, AnalyzerOptions][] = [
      ['single thread', { workers: 0 }],
      [`${pooled} worker threads, new (cold) each run`, { workers: pooled }],
      [`${pooled} worker threads, warm`, { pool: warmPool }],
    ];
    try {
      for (const [name, options] of configurations) {
        // The warm pool stands for the long-lived server: its workers' JIT keeps warming for a few
        // batches, so it gets more runs than the lines whose state each run starts afresh.
        const runs = await measureBatch(files, options, options.pool ? 11 : 6);
        const ms = median(runs.map((r) => r.ms));
        const budget = options.pool ? ' (budget ≥ 4 MiB/s)' : '';
        console.log(`  ${name}: median ${fmt(ms)} ms → ${fmt(mib / (ms / 1000), 2)} MiB/s${budget}  [${runs.map((r) => fmt(r.ms, 0)).join(', ')} ms; ${runs[0].findings} findings]`);
      }
    } finally {
      await warmPool.terminate();
    }
  }
}

function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function keystrokeLatency(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'klp-bench-'));
  const path = join(folder, 'lp_long.c');
  const text = generateLongFile(5000);
  writeFileSync(path, text);
  const client = await LspTestClient.start({ workspaceFolder: folder, settings: { diagnostics: { debounceMs: 0, workspace: false } } });
  try {
    const uri = await client.open(path, text);
    await client.waitForDiagnostics(uri, () => true, { description: 'first diagnostics' });
    const lines = text.split('\n');
    const target = lines.findIndex((l) => l.includes('ret += i *'));
    const samples: number[] = [];
    for (let i = 0; i < 120; i++) {
      // Type one character, then delete it: each is a keystroke with its own version.
      const insert = i % 2 === 0;
      const position = { line: target, character: 1 };
      const range = insert ? { start: position, end: position } : { start: position, end: { line: target, character: 2 } };
      const since = client.publishes.length;
      const start = performance.now();
      const version = await client.change(uri, [{ range, text: insert ? 'x' : '' }]);
      await client.waitForDiagnostics(uri, (p) => p.version === version, { since, description: `diagnostics for version ${version}` });
      if (i >= 20) samples.push(performance.now() - start);
    }
    console.log(`keystroke → diagnostics on a ${lines.length}-line file (${samples.length} edits): p50 ${fmt(percentile(samples, 50))} ms, p95 ${fmt(percentile(samples, 95))} ms (budget p95 ≤ 30 ms)`);
    const rss = rssOf(client.process.pid!);
    console.log(`server RSS after the run: ${rss === undefined ? 'unknown' : `${fmt(rss, 0)} MB`} (budget ≤ 250 MB)`);
  } finally {
    await client.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Issue 5's budget: a 200,000-symbol model loads (parse + validate + index) in ≤ 300 ms. */
async function modelLoadBench(): Promise<void> {
  const symbols = Array.from({ length: 200_000 }, (_, i) => ({ name: `fn_${i % 150_000}`, type: i % 3 ? 't' : 'T', address: (0xffffffff81000000 + i * 64).toString(16) }));
  const json = JSON.stringify({ formatVersion: 1, release: '6.1.0-bench', version: { major: 6, minor: 1, patch: 0 }, architecture: 'x86_64', objects: { vmlinux: { symbols } }, loadedModules: [] });
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    const { model } = loadKernelModelFromText(json, 'bench');
    model!.lookup('vmlinux', 'fn_1');
    times.push(performance.now() - start);
  }
  console.log(`kernel model load: 200,000 symbols (${fmt(json.length / 1024 / 1024, 1)} MiB JSON) median ${fmt(median(times))} ms incl. first lookup (budget ≤ 300 ms)`);
}

/** Sections by name: `node dist/bench.js layouts model-load` runs only those (all when none given). */
const sections: [string, () => Promise<void>][] = [
  ['pipeline', pipelineThroughput],
  ['keystroke', keystrokeLatency],
  ['series', seriesBench],
  ['simulation', simulationBench],
  ['model-load', modelLoadBench],
  ['layouts', distributionLayoutBench],
];

async function main(): Promise<void> {
  console.log('Livepatch Workbench benchmarks (2-core machine figures vary with load; run twice)');
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !sections.some(([section]) => section === name));
  if (unknown.length > 0) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${sections.map(([name]) => name).join(', ')}`);
  for (const [name, run] of sections) if (wanted.length === 0 || wanted.includes(name)) await run();
  console.log(`bench process RSS: ${fmt(process.memoryUsage().rss / 1024 / 1024, 0)} MB`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
