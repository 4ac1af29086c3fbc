/**
 * The facts worker pool and the analyzer's batch path (addFiles): facts read in worker threads
 * are the facts the main thread reads, a worker that dies or a file that cannot be parsed does
 * not lose the batch, cancellation stops it, and the analysis of a batch is the analysis of the
 * same files added one by one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Analyzer, type FileSystemHost } from '../../../server/src/analysis/analyzer';
import { decodeFacts, decodeFactsAndLayout, encodeFacts } from '../../../server/src/analysis/factsCodec';
import { FactsWorkerPool, PoolUnavailableError, type PooledFacts } from '../../../server/src/analysis/factsWorkerPool';
import { layoutFactsOf, mayHoldLayoutFacts } from '../../../server/src/layouts/workspace';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { emptyFacts } from '../../../server/src/model/fileFacts';
import { parseFileFacts } from '../../../server/src/parser/sourceFile';
import { compiledWasm, loadCLanguage, newCParser } from '../../../server/src/parser/treeSitter';
import { generateModule } from '../../../bench/corpus';
import { fixturesRoot, sourcesUnder } from '../../helpers/fixtureSources';


const fixtureFiles = sourcesUnder(fixturesRoot);
const binary = { path: '/virtual/blob.c', text: 'ELF\0\0\0 not C at all' };

/** The facts every fixture has when read in this thread. */
async function inThreadFacts(files: { path: string; text: string }[]) {
  await loadCLanguage();
  const parser = newCParser();
  try {
    // The layout facts (relocation macros, template markers) the analyzer would scan in this thread.
    return files.map((f) => {
      const parsed: PooledFacts = parseFileFacts(parser, f.path, f.text);
      if (mayHoldLayoutFacts(f.text)) parsed.layout = layoutFactsOf(f.path, f.text);
      return parsed;
    });
  } finally {
    parser.delete();
  }
}

/** A worker that dies on files containing `marker`, and otherwise is the real facts worker. */
function crashingWorker(marker: string): Worker {
  const tsxRegister = 'tsx/cjs';
  const tsx = require.resolve(tsxRegister);
  const entry = join(__dirname, '../../../server/src/analysis/factsWorker.ts');
  const code = `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (m) => { if (m.files.some((f) => f.text.includes(${JSON.stringify(marker)}))) process.exit(3); });
    require(${JSON.stringify(tsx)});
    require(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, stdout: true, stderr: true, workerData: { wasm: compiledWasm() } });
}

describe('facts worker pool', () => {
  let files: { path: string; text: string }[];
  before(async () => {
    await loadCLanguage();
    files = [...fixtureFiles.map((path) => ({ path, text: readFileSync(path, 'utf8') })), binary];
  });

  it('encoded facts decode to the very same facts (every fixture), with their layout facts', async () => {
    const expected = await inThreadFacts(files);
    for (const [i, file] of files.entries()) {
      assert.deepStrictEqual(decodeFacts(structuredClone(encodeFacts(expected[i].facts).encoded)), expected[i].facts, file.path);
      const both = decodeFactsAndLayout(structuredClone(encodeFacts(expected[i].facts, expected[i].layout).encoded));
      assert.deepStrictEqual(both, { facts: expected[i].facts, layout: expected[i].layout }, file.path);
    }
    assert.ok(expected.some((e) => e.layout?.relocations.some((r) => r.position !== undefined)), 'a relocation with a position');
  });

  it('a relocation position that is no int32 survives the trip', () => {
    const facts = emptyFacts('/x/a.c');
    const location = { file: '/x/a.c', range: { start: { line: 1, character: 2 }, end: { line: 1, character: 40 } } };
    const layout = { markers: [], relocations: [{ sectionObject: 'vmlinux', symbolObject: 'vmlinux', symbol: 'foo', position: 2 ** 40, location, offset: 7 }] };
    assert.deepStrictEqual(decodeFactsAndLayout(encodeFacts(facts, layout).encoded), { facts, layout });
  });

  it('facts read in workers equal the facts read in this thread, for every fixture', async () => {
    const expected = await inThreadFacts(files);
    const pool = new FactsWorkerPool({ size: 2 });
    try {
      const results = await Promise.all(files.map((f) => pool.extract(f.path, f.text)));
      for (const [i, file] of files.entries()) assert.deepStrictEqual(results[i], expected[i], file.path);
      assert.match(results[results.length - 1].unparsable ?? '', /binary file/);
      assert.ok(results.some((r) => (r.layout?.relocations.length ?? 0) > 0) && results.some((r) => (r.layout?.markers.length ?? 0) > 0), 'fixtures with relocation macros and template markers');
    } finally {
      await pool.terminate();
    }
  });

  it('a worker that dies is replaced; its file is tried once more, then reported, and the batch is complete', async () => {
    const logs: string[] = [];
    const pool = new FactsWorkerPool({ size: 2, log: (m) => logs.push(m) });
    pool.spawn = () => crashingWorker('KILL_THE_WORKER');
    const batch = [...files.slice(0, 6), { path: '/virtual/killer.c', text: 'int x; /* KILL_THE_WORKER */' }, ...files.slice(6, 12)];
    const expected = await inThreadFacts(batch);
    try {
      const results = await Promise.all(batch.map((f) => pool.extract(f.path, f.text)));
      for (const [i, file] of batch.entries()) {
        if (file.path === '/virtual/killer.c') {
          assert.match(results[i].unparsable ?? '', /worker thread died twice/);
          assert.deepStrictEqual(results[i].facts.functions, []);
        } else {
          assert.deepStrictEqual(results[i], expected[i], file.path);
        }
      }
      assert.ok(logs.some((m) => /exited/.test(m)), logs.join('\n'));
      // Still serving after the crashes.
      assert.deepStrictEqual(await pool.extract(files[0].path, files[0].text), expected[0]);
    } finally {
      await pool.terminate();
    }
  });

  it('files requested together travel in batches, and each gets its own facts', async () => {
    const small = files.filter((f) => f.text.length < 4096).slice(0, 20);
    assert.ok(small.length >= 12, 'enough small fixtures');
    const expected = await inThreadFacts(small);
    const pool = new FactsWorkerPool({ size: 1 });
    let requests = 0;
    const spawn = pool.spawn;
    pool.spawn = () => {
      const worker = spawn();
      const post = worker.postMessage.bind(worker);
      worker.postMessage = ((message: unknown, transfer?: never) => {
        requests++;
        post(message, transfer);
      }) as typeof worker.postMessage;
      return worker;
    };
    // A signal on every request: one listener for them all (no MaxListenersExceeded warning).
    const controller = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const results = await Promise.all(small.map((f) => pool.extract(f.path, f.text, controller.signal)));
      for (const [i, file] of small.entries()) assert.deepStrictEqual(results[i], expected[i], file.path);
      assert.ok(requests > 0 && requests <= Math.ceil(small.length / 8) + 1, `${requests} messages for ${small.length} files`);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepStrictEqual(warnings.filter((w) => /listeners/i.test(w)), []);
    } finally {
      process.off('warning', onWarning);
      await pool.terminate();
    }
  });

  it('when no worker can start, requests reject with PoolUnavailableError', async () => {
    const pool = new FactsWorkerPool({ size: 2 });
    pool.spawn = () => {
      throw new Error('no threads here');
    };
    await assert.rejects(pool.extract('/a.c', 'int a;'), PoolUnavailableError);
    assert.equal(pool.available, false);
  });

  it('an aborted request rejects and is not run; terminate rejects what is pending', async () => {
    const pool = new FactsWorkerPool({ size: 1 });
    try {
      const controller = new AbortController();
      const pending = pool.extract('/a.c', 'int a;', controller.signal);
      controller.abort();
      await assert.rejects(pending, /abort/i);
      const late = assert.rejects(pool.extract('/b.c', 'int b;'), PoolUnavailableError);
      await pool.terminate();
      await late;
    } finally {
      await pool.terminate();
    }
  });
});

describe('Analyzer.addFiles', () => {
  const kernel = defaultKernelModel();
  const corpus = Array.from({ length: 12 }, (_, i) => ({ path: `/corpus/lp_batch_${i}.c`, text: generateModule(100 + i, 6) }));
  const folder = join(fixturesRoot, 'checks');
  const onDisk = readdirSync(folder).filter((name) => /\.[ch]$|^(Kbuild|Makefile)$/.test(name)).map((name) => join(folder, name));
  const diskFs: FileSystemHost = {
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    listFolder: () => [],
  };
  const memoryFs = (extra: Map<string, string>): FileSystemHost => ({ readFile: (path) => extra.get(path) ?? diskFs.readFile(path), listFolder: () => [] });
  const analyzers: Analyzer[] = [];
  after(() => analyzers.forEach((a) => a.dispose()));
  // minPoolBytes 0: these batches are small, and the pool is what is under test.
  const analyzer = async (fs: FileSystemHost, workers: number) => {
    const a = await Analyzer.create(kernel, fs, { workers, minPoolBytes: 0 });
    analyzers.push(a);
    return a;
  };
  const findingsOf = (a: Analyzer, paths: string[]) => paths.map((p) => a.analyze(p).findings);

  it('gives the findings of adding the files one by one (fixtures and a generated batch)', async () => {
    const files = new Map(corpus.map((f) => [f.path, f.text]));
    const paths = [...onDisk, ...files.keys(), '/corpus/missing.c'];
    const oneByOne = await analyzer(memoryFs(files), 0);
    for (const path of paths) oneByOne.addFile(path);
    const pooled = await analyzer(memoryFs(files), 2);
    const progress: number[] = [];
    const result = await pooled.addFiles(paths, { onProgress: (done, total) => progress.push(done / total) });
    assert.equal(result.cancelled, false);
    assert.equal(progress[progress.length - 1], 1);
    const sources = paths.filter((p) => /\.[ch]$/.test(p) && p !== '/corpus/missing.c');
    assert.equal(result.added, sources.length);
    assert.deepStrictEqual(findingsOf(pooled, sources), findingsOf(oneByOne, sources));
    assert.deepStrictEqual(pooled.modules().map((m) => m.name), oneByOne.modules().map((m) => m.name));
    for (const path of sources) assert.equal(pooled.textOf(path), oneByOne.textOf(path));
  });

  it('a distribution tree in a batch (fix modules assembled while workers parse) gives the findings and models of one thread', async () => {
    const tree = join(fixturesRoot, 'layouts', 'distribution');
    const paths = readdirSync(tree)
      .flatMap((fix) => readdirSync(join(tree, fix)).map((name) => join(tree, fix, name)))
      .filter((path) => statSync(path).isFile());
    assert.ok(paths.some((path) => path.endsWith('patched_funcs.csv')) && paths.filter((path) => path.endsWith('.c')).length >= 6, 'fix folders with a list and C files');
    const oneThread = await analyzer(diskFs, 0);
    await oneThread.addFiles(paths);
    const pooled = await analyzer(diskFs, 2);
    await pooled.addFiles(paths);
    const fixModules = pooled.modules().filter((m) => m.isLivepatch);
    assert.equal(fixModules.length, readdirSync(tree).length, 'one livepatch module per fix folder');
    assert.deepStrictEqual(pooled.modules().map((m) => m.name), oneThread.modules().map((m) => m.name));
    assert.deepStrictEqual(findingsOf(pooled, paths), findingsOf(oneThread, paths));
  });

  it('an unparsable file in the batch is reported and the rest is analysed', async () => {
    const files = new Map([...corpus.slice(0, 4).map((f): [string, string] => [f.path, f.text]), [binary.path, binary.text]]);
    const pooled = await analyzer(memoryFs(files), 2);
    await pooled.addFiles([...files.keys()]);
    assert.deepStrictEqual(pooled.analyze(binary.path).findings.map((f) => f.code), ['LP-UNPARSABLE']);
    for (const f of corpus.slice(0, 4)) assert.ok(pooled.moduleOf(f.path)?.isLivepatch, f.path);
  });

  it('stops when its signal aborts, keeping the files read so far', async () => {
    const files = new Map(corpus.map((f) => [f.path, f.text]));
    const pooled = await analyzer(memoryFs(files), 2);
    const controller = new AbortController();
    const result = await pooled.addFiles([...files.keys()], {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.added, 2);
    assert.equal(pooled.modules().length, 2);
  });

  it('parses a small batch in this thread: no worker starts for it', async () => {
    const files = new Map(corpus.map((f) => [f.path, f.text]));
    const pool = new FactsWorkerPool({ size: 2 });
    let spawned = 0;
    const spawn = pool.spawn;
    pool.spawn = () => {
      spawned++;
      return spawn();
    };
    try {
      const small = await Analyzer.create(kernel, memoryFs(files), { pool });
      analyzers.push(small);
      await small.addFiles([...files.keys()]);
      assert.equal(spawned, 0);
      const forced = await Analyzer.create(kernel, memoryFs(files), { pool, minPoolBytes: 0 });
      analyzers.push(forced);
      await forced.addFiles([...files.keys()]);
      assert.ok(spawned > 0);
      assert.deepStrictEqual(findingsOf(forced, [...files.keys()]), findingsOf(small, [...files.keys()]));
    } finally {
      await pool.terminate();
    }
  });

  it('a file opened while the batch runs keeps its open text', async () => {
    const files = new Map(corpus.map((f) => [f.path, f.text]));
    const pooled = await analyzer(memoryFs(files), 2);
    const open = corpus[5].path;
    const edited = 'static int only_this(void) { return 0; }\n';
    const batch = pooled.addFiles([...files.keys()], {
      onProgress: (done) => {
        if (done === 1) pooled.openDocument(open, edited);
      },
    });
    await batch;
    assert.equal(pooled.textOf(open), edited);
    assert.deepStrictEqual([...(pooled.moduleOf(open)?.functions.keys() ?? [])], ['only_this']);
  });
});
