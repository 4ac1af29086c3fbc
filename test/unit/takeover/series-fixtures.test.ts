/**
 * The patch series fixtures (test/fixtures/series/<name>/): every C file's findings, through
 * the real Analyzer against the default 6.1 model with the folder's livepatch.series, must be
 * exactly its markers. A file without markers must stay clean: false positives count as much
 * as misses, and the correct-takeover series is the main guard against them.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { expectedKeys } from './markers';
import { analyzeSeries, findingKeys, loggedBy, readText, seriesFixtures, seriesFolder, sourcesOf } from './seriesHarness';

const folders = readdirSync(seriesFixtures).filter((name) => statSync(join(seriesFixtures, name)).isDirectory()).sort();

describe('series fixtures against the default 6.1 kernel model', () => {
  it('cover a leak, a state regression, a correct takeover, stacking and a deprecation', () => {
    for (const name of ['leak', 'state-regression', 'correct-takeover', 'stacking', 'deprecation']) assert.ok(folders.includes(name), name);
  });

  for (const name of folders) {
    it(name, async () => {
      const folder = seriesFolder(name);
      const analyzer = await analyzeSeries(folder);
      try {
        for (const file of sourcesOf(folder)) {
          const actual = findingKeys(analyzer.analyze(file).findings);
          assert.deepEqual(actual, expectedKeys(readText(file)), `${name}/${basename(file)}`);
        }
        assert.deepEqual(loggedBy(analyzer), [], 'no check may fail on a fixture');
      } finally {
        analyzer.dispose();
      }
    });
  }

  it('the correct takeover series stays clean without its series file too (guessed order)', async () => {
    const folder = seriesFolder('correct-takeover');
    const analyzer = await analyzeSeries(folder, { hideSeriesFile: true });
    try {
      for (const file of sourcesOf(folder)) assert.deepEqual(findingKeys(analyzer.analyze(file).findings), [], basename(file));
    } finally {
      analyzer.dispose();
    }
  });

  it('a guessed order makes findings one step milder and says so', async () => {
    const folder = seriesFolder('leak');
    const analyzer = await analyzeSeries(folder, { hideSeriesFile: true });
    try {
      const [drop] = analyzer.analyze(join(folder, 'lp_cmdline_v2.c')).findings;
      assert.equal(drop.code, 'LP-SHADOW-CUMULATIVE-DROP');
      assert.equal(drop.severity, 'information');
      assert.match(drop.message, /'lp_cmdline_v1' \(if it is installed when this patch loads: no series gives the order\)/);
    } finally {
      analyzer.dispose();
    }
  });

  it('the livepatch.series setting overrides the file', async () => {
    const folder = seriesFolder('leak');
    // Reversed: release 2 first, so release 1 replaces it and nothing is orphaned.
    const analyzer = await analyzeSeries(folder, { series: [join(folder, 'lp_cmdline_v2.c'), 'lp_cmdline_v1'] });
    try {
      for (const file of sourcesOf(folder)) assert.deepEqual(findingKeys(analyzer.analyze(file).findings), [], basename(file));
    } finally {
      analyzer.dispose();
    }
  });

  it('livepatch.policy.refuseConflicts turns stacking into an error', async () => {
    const folder = seriesFolder('stacking');
    const analyzer = await analyzeSeries(folder, { policy: { refuseConflicts: true } });
    try {
      const [stacked] = analyzer.analyze(join(folder, 'lp_version_a.c')).findings;
      assert.equal(stacked.code, 'LP-NON-CUMULATIVE');
      assert.equal(stacked.severity, 'error');
      assert.match(stacked.message, /'lp_version_b' is loaded after this patch, so its 'version_proc_show' runs/);
      assert.match(stacked.message, /refuseConflicts makes this an error/);
    } finally {
      analyzer.dispose();
    }
  });
});
