/**
 * Scenario fixtures: every `*.klpsim` under test/fixtures/sim has a `*.expected` transcript next
 * to it, written from the reference's templates and reviewed line by line. UPDATE_EXPECTED=1
 * rewrites them (read the diff before committing).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import { runScenario } from '../../../server/src/sim/scenario/run';
import { formatTranscript } from '../../../server/src/sim/scenario/transcript';

const root = join(__dirname, '..', '..', 'fixtures', 'sim');

function scenarios(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) found.push(...scenarios(path));
    else if (name.endsWith('.klpsim')) found.push(path);
  }
  return found;
}

describe('scenario transcripts', () => {
  for (const path of scenarios(root)) {
    it(relative(root, path), async () => {
      const parsed = parseScenario(readFileSync(path, 'utf8'));
      assert.deepEqual(parsed.errors, []);
      const result = await runScenario(parsed.lines, { scenarioPath: path, kernel: defaultKernelModel() });
      assert.deepEqual(result.inputErrors, []);
      // Paths in findings are made relative so expectations do not depend on the checkout.
      const actual = formatTranscript(result).split(`${root}/`).join('');
      const expectedPath = path.replace(/\.klpsim$/, '.expected');
      if (process.env.UPDATE_EXPECTED) writeFileSync(expectedPath, actual);
      assert.ok(existsSync(expectedPath), `missing ${relative(root, expectedPath)} (run with UPDATE_EXPECTED=1 and review it)`);
      assert.equal(actual, readFileSync(expectedPath, 'utf8'));
    });
  }
});
