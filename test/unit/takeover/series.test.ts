/** The series order: the file format, matching entries to modules, the installed set, guesses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  guessOrder,
  installedBefore,
  orderedModules,
  parseSeriesFile,
  SeriesFiles,
  seriesFromSetting,
} from '../../../server/src/checks/series';
import type { LivepatchModule } from '../../../server/src/model/types';
import { func, livepatchModule, object, patch, state } from '../checks/builders';
import { fakeKernel } from '../checks/fakeKernel';

function module(name: string, options: { files?: string[]; kbuild?: boolean; replace?: boolean; states?: [number, number][] } = {}): LivepatchModule {
  const built = livepatchModule({
    name,
    patches: [patch('patch', [object(undefined, [func('cmdline_proc_show', 'livepatch_cmdline_proc_show')])], { replace: options.replace ?? true, states: options.states?.map(([id, version]) => state(id, version)) })],
  });
  built.files = options.files ?? [`/work/series/${name}.c`];
  built.nameSource = options.kbuild ? 'kbuild' : 'file';
  return built;
}

describe('series file', () => {
  it('has one entry per line, # comments, paths relative to its folder', () => {
    const entries = parseSeriesFile('# oldest first\nlp_v1.c\n\n  v2/   # a Kbuild module\nlp_v3\n', '/work/series');
    assert.deepEqual(entries, [
      { text: 'lp_v1.c', path: '/work/series/lp_v1.c', line: 1 },
      { text: 'v2/', path: '/work/series/v2', line: 3 },
      { text: 'lp_v3', path: '/work/series/lp_v3', line: 4 },
    ]);
  });

  it('entries name modules by C file, by Kbuild folder or by name; unknown entries are skipped', () => {
    const v1 = module('lp_v1');
    const v2 = module('lp_fix', { files: ['/work/series/v2/main.c', '/work/series/v2/helpers.c'], kbuild: true });
    const v3 = module('lp_v3', { files: ['/elsewhere/lp-v3.c'] });
    const order = { source: '/work/series/livepatch.series', entries: parseSeriesFile('lp_v1.c\nv2\nmissing.c\nlp-v3.ko\n', '/work/series') };
    assert.deepEqual(orderedModules(order, [v3, v2, v1]).map((m) => m.name), ['lp_v1', 'lp_fix', 'lp_v3']);
  });

  it('the setting takes absolute paths and names', () => {
    const order = seriesFromSetting(['/work/series/lp_v1.c', ' lp_v2 ', '']);
    assert.deepEqual(order.entries, [{ text: '/work/series/lp_v1.c', path: '/work/series/lp_v1.c' }, { text: 'lp_v2', path: undefined }]);
  });

  it('is found in a module folder or the two above it, the deepest first, and re-read each time', () => {
    const files = new Map([
      ['/work/livepatch.series', 'a\n'],
      ['/work/series/livepatch.series', 'b\n'],
    ]);
    const reads: string[] = [];
    const finder = new SeriesFiles();
    const readFile = (path: string) => {
      reads.push(path);
      return files.get(path);
    };
    assert.deepEqual(finder.find({ readFile }, ['/work/series/v1']).map((order) => order.source), ['/work/series/livepatch.series', '/work/livepatch.series']);
    reads.length = 0;
    files.set('/work/series/livepatch.series', 'c\n');
    const again = finder.find({ readFile }, ['/work/series/v1']);
    assert.equal(again[0].entries[0].text, 'c');
    assert.deepEqual(reads.sort(), ['/work/livepatch.series', '/work/series/livepatch.series'], 'folders without a file are not probed again');
  });
});

describe('installed set', () => {
  it('walks the series: a cumulative patch replaces the ones before it, others stack', () => {
    const a = module('lp_a');
    const b = module('lp_b', { replace: false });
    const c = module('lp_c', { replace: false });
    const d = module('lp_d');
    const context = { kernel: fakeKernel(), modules: [d, c, b, a], series: [seriesFromSetting(['lp_a', 'lp_b', 'lp_c', 'lp_d'])] };
    assert.deepEqual(installedBefore(a, context), []);
    assert.deepEqual(installedBefore(c, context).map((p) => p.module.name), ['lp_a', 'lp_b']);
    assert.deepEqual(installedBefore(d, context).map((p) => [p.module.name, p.basis]), [['lp_a', 'series'], ['lp_b', 'series'], ['lp_c', 'series']]);
  });

  it('without a series: every other livepatch that may have come first', () => {
    const v1 = module('lp_v1', { states: [[1, 1]] });
    const v2 = module('lp_v2', { states: [[1, 2]] });
    const other = module('vendor_fix');
    const context = { kernel: fakeKernel(), modules: [v1, v2, other] };
    assert.deepEqual(installedBefore(v1, context).map((p) => [p.module.name, p.basis]), [['vendor_fix', 'guess']]);
    // vendor_fix carries none of the states, so it looks older than both, and lp_v1 (cumulative)
    // replaced it before lp_v2 loads.
    assert.deepEqual(installedBefore(v2, context).map((p) => p.module.name), ['lp_v1']);
    const unrelated = module('other_vendor', { replace: false });
    const withUnrelated = { kernel: fakeKernel(), modules: [v1, v2, unrelated] };
    assert.deepEqual(installedBefore(v2, withUnrelated).map((p) => p.module.name), ['lp_v1', 'other_vendor']);
  });

  it('guesses from state versions, carried states and numbered names', () => {
    assert.equal(guessOrder(module('x', { states: [[1, 1]] }), module('y', { states: [[1, 2]] })), -1);
    assert.equal(guessOrder(module('x', { states: [[1, 1]] }), module('y', { states: [[1, 1], [2, 1]] })), -1);
    assert.equal(guessOrder(module('lp_fix_10'), module('lp_fix_9')), 1);
    assert.equal(guessOrder(module('alpha'), module('beta')), 0);
  });

  it('guesses the same order whichever module is asked about first (the pair table fills both cells from one guess)', () => {
    const modules = [
      module('lp_fix_9'),
      module('lp_fix_10'),
      module('x', { states: [[1, 1]] }),
      module('y', { states: [[1, 2]] }),
      module('z', { states: [[1, 1], [2, 1]] }),
      module('w', { states: [[1, 2], [2, 1]] }),
      module('v', { states: [[1, 1], [2, 2]] }),
      module('alpha'),
    ];
    for (const a of modules) for (const b of modules) assert.equal(Math.sign(guessOrder(a, b)), -Math.sign(guessOrder(b, a)) || 0, `${a.name} / ${b.name}`);
  });
});
