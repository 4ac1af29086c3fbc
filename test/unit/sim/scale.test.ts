/**
 * A long scenario: 1,000 load/replace/unload commands run to the end with the same kernel
 * output every round (no timing assertion; `npm run bench` measures speed).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import { runScenario } from '../../../server/src/sim/scenario/run';

// Modules of the replace fixtures: two non-cumulative patches, then a cumulative one.
const round = [
  'insmod lp_r1.ko',
  'insmod lp_r2.ko',
  'insmod lp_r3.ko',
  'rmmod lp_r1',
  'rmmod lp_r2',
  'echo 0 > /sys/kernel/livepatch/lp_r3/enabled',
  'rmmod lp_r3',
  'cat /proc/version',
];

describe('long scenarios', () => {
  it('runs 1,000 load/replace/unload commands', async () => {
    const lines: string[] = [];
    while (lines.length < 1000) lines.push(...round);
    lines.length = 1000;
    const parsed = parseScenario(lines.join('\n'));
    assert.deepEqual(parsed.errors, []);
    const scenarioPath = join(__dirname, '..', '..', 'fixtures', 'sim', 'replace', 'generated.klpsim');
    const result = await runScenario(parsed.lines, { scenarioPath, kernel: defaultKernelModel() });
    assert.deepEqual(result.inputErrors, []);
    assert.equal(result.entries.length, 1000);
    for (const entry of result.entries) assert.deepEqual(entry.stderr, [], `${entry.line.line}: ${entry.line.text}`);
    const completes = result.entries.filter((e) => e.line.text === 'insmod lp_r3.ko' && e.log.includes("livepatch: 'lp_r3': patching complete"));
    assert.equal(completes.length, result.entries.filter((e) => e.line.text === 'insmod lp_r3.ko').length);
    assert.equal(result.findings.filter((f) => f.severity === 'error').length, 0);
    assert.equal(result.simulator.patches.length, 0);
  });
});
