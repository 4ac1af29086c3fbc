/**
 * Scenario fixtures: every `*.klpsim` under test/fixtures/sim has a `*.expected` transcript next
 * to it, written from the reference's templates and reviewed line by line. UPDATE_EXPECTED=1
 * rewrites them (read the diff before committing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { fixtureRoot, runFixture, scenarioFiles } from './scenarioFixtures';

describe('scenario transcripts', () => {
  for (const path of scenarioFiles()) {
    it(relative(fixtureRoot, path), async () => {
      const run = await runFixture(path);
      assert.deepEqual(run.parseErrors, []);
      assert.deepEqual(run.inputErrors, []);
      const expectedPath = path.replace(/\.klpsim$/, '.expected');
      if (process.env.UPDATE_EXPECTED) writeFileSync(expectedPath, run.transcript);
      assert.ok(existsSync(expectedPath), `missing ${relative(fixtureRoot, expectedPath)} (run with UPDATE_EXPECTED=1 and review it)`);
      assert.equal(run.transcript, readFileSync(expectedPath, 'utf8'));
    });
  }
});
