/**
 * A simulated scenario's load order as the series (priority 3: below the setting and series
 * files, above a guess): read from a real .klpsim fixture with the server's reader, given to a
 * real Analyzer over the series fixtures.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seriesFromScenario } from '../../../server/src/checks/series';
import { scenarioLoads, scenarioSeries } from '../../../server/src/lsp/features/scenarioSeries';
import { analyzeSeries, findingKeys, readText, seriesFolder } from './seriesHarness';

const folder = seriesFolder('scenario-order');
const plain = join(folder, 'lp_cmdline_plain.c');
const tracking = join(folder, 'lp_cmdline_tracking.c');

function orderOf(scenario: string) {
  const path = join(folder, scenario);
  const order = scenarioSeries(scenario, readText(path), path);
  assert.ok(order, `${scenario} gives an order`);
  return order;
}

describe('the load order of a scenario as the series', () => {
  it('lists what insmod and modprobe load, in order, each module once, with its C file', () => {
    const text = 'insmod lp_cmdline_tracking.ko\nrmmod lp_cmdline_tracking\ninsmod lp_cmdline_tracking.ko\nmodprobe lp_cmdline_plain\ninsmod missing.ko\n';
    const loads = scenarioLoads(text, join(folder, 'x.klpsim'));
    assert.deepEqual(
      loads.map((load) => [load.text, load.path, load.line]),
      [
        ['lp_cmdline_tracking.ko', tracking, 0],
        ['lp_cmdline_tracking.ko', tracking, 2],
        ['lp_cmdline_plain', plain, 3],
        ['missing.ko', undefined, 4],
      ],
    );
    const order = seriesFromScenario('x.klpsim', loads);
    assert.equal(order.source, 'the load order of scenario x.klpsim');
    assert.deepEqual(order.entries.map((entry) => entry.text), ['lp_cmdline_tracking.ko', 'lp_cmdline_plain', 'missing.ko']);
  });

  it('gives no order for a scenario that loads one module, or none', () => {
    assert.equal(scenarioSeries('one', 'insmod lp_cmdline_plain.ko\n', join(folder, 'one.klpsim')), undefined);
    assert.equal(scenarioSeries('bad', 'insmod\nbogus line\n', join(folder, 'bad.klpsim')), undefined);
  });

  it('makes a guessed finding firm and names the scenario, and a reversed scenario removes it', async () => {
    const analyzer = await analyzeSeries(folder);
    try {
      const [guessed] = analyzer.analyze(plain).findings;
      assert.equal(guessed.code, 'LP-SHADOW-CUMULATIVE-DROP');
      assert.equal(guessed.severity, 'information');

      assert.equal(analyzer.setScenarioSeries(orderOf('tracking-then-plain.klpsim')), true);
      const [firm] = analyzer.analyze(plain).findings;
      assert.equal(firm.code, 'LP-SHADOW-CUMULATIVE-DROP');
      assert.equal(firm.severity, 'warning');
      assert.match(firm.message, /'lp_cmdline_tracking' \(before this patch in the load order of scenario tracking-then-plain\.klpsim\)/);
      assert.deepEqual(findingKeys(analyzer.analyze(tracking).findings), []);
      assert.equal(analyzer.setScenarioSeries(orderOf('tracking-then-plain.klpsim')), false, 'the same order is no change');

      analyzer.setScenarioSeries(orderOf('plain-then-tracking.klpsim'));
      assert.deepEqual(findingKeys(analyzer.analyze(plain).findings), []);
      assert.deepEqual(findingKeys(analyzer.analyze(tracking).findings), []);

      analyzer.setScenarioSeries(undefined);
      assert.equal(analyzer.analyze(plain).findings[0]?.severity, 'information', 'back to the guess');
    } finally {
      analyzer.dispose();
    }
  });

  it('ranks below a series file: a module a series file lists keeps that order', async () => {
    // The leak series file says v1 then v2; a scenario loading them the other way round is ignored for them.
    const leak = seriesFolder('leak');
    const analyzer = await analyzeSeries(leak);
    try {
      const reversed = seriesFromScenario('reversed.klpsim', [
        { text: 'lp_cmdline_v2.ko', path: join(leak, 'lp_cmdline_v2.c') },
        { text: 'lp_cmdline_v1.ko', path: join(leak, 'lp_cmdline_v1.c') },
      ]);
      analyzer.setScenarioSeries(reversed);
      const [drop] = analyzer.analyze(join(leak, 'lp_cmdline_v2.c')).findings;
      assert.equal(drop?.code, 'LP-SHADOW-CUMULATIVE-DROP');
      assert.match(drop.message, /before this patch in livepatch\.series/);
    } finally {
      analyzer.dispose();
    }
  });
});
