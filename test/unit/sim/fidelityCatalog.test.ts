/**
 * docs/fidelity.md claims, per message of the reference's catalog (sections 14 and 15), that the
 * simulator reproduces it and which fixture shows it. This test holds the table to that: each
 * row marked reproduced must match a line of the fixture's `.expected` transcript and of the
 * transcript the fixture's scenario produces now, and the totals must be the table's own.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixtureRoot, runFixture, type FixtureRun } from './scenarioFixtures';

const docPath = join(__dirname, '..', '..', '..', 'docs', 'fidelity.md');

interface CatalogRow {
  id: string;
  template: string;
  status: string;
  fixture: string;
  notes: string;
}

/** The rows of both tables: the first cell is a catalog number (1-45) or U1-U6. */
function readRows(text: string): CatalogRow[] {
  const rows: CatalogRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) continue;
    // No template or note of the catalog contains a '|' of its own.
    const cells = line.replace(/^\|/, '').replace(/\|\s*$/, '').split('|').map((c) => c.trim());
    if (!/^U?\d+$/.test(cells[0])) continue;
    const template = /^`(.*)`$/.exec(cells[2]);
    assert.ok(template, `row ${cells[0]}: the template must be one code span, found ${cells[2]}`);
    rows.push({ id: cells[0], template: template[1], status: cells[3], fixture: cells[4] ?? '', notes: cells[5] ?? '' });
  }
  return rows;
}

/** A template as a whole-line pattern: printf placeholders and <words> match any text. */
export function templatePattern(template: string): RegExp {
  const parts = template.split(/%(?:lu|lx|ld|d|s|p)|<[a-z_]+>/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+?')}$`);
}

/** The output blocks of every `% <tool> ...` command of a transcript. */
function commandBlocks(transcript: string, tool: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of transcript.split('\n')) {
    if (line.startsWith('% ')) {
      current = line.slice(2).split(' ')[0] === tool ? [] : undefined;
      if (current) blocks.push(current);
    } else if (current) current.push(line);
  }
  return blocks;
}

const rows = readRows(readFileSync(docPath, 'utf8'));
const runs = new Map<string, Promise<FixtureRun>>();
function run(fixture: string): Promise<FixtureRun> {
  let pending = runs.get(fixture);
  if (!pending) runs.set(fixture, (pending = runFixture(join(fixtureRoot, `${fixture}.klpsim`))));
  return pending;
}

describe('fidelity catalog (docs/fidelity.md)', () => {
  it('lists every catalog entry once, each with a status, and states the right totals', () => {
    const expectedIds = [...Array.from({ length: 45 }, (_, i) => `${i + 1}`), ...Array.from({ length: 6 }, (_, i) => `U${i + 1}`)];
    assert.deepEqual(rows.map((r) => r.id), expectedIds);
    for (const row of rows) {
      assert.ok(['reproduced', 'reproduced (no output)', 'not modeled'].includes(row.status), `row ${row.id}: unknown status '${row.status}'`);
      if (row.status === 'not modeled') {
        assert.equal(row.fixture, '', `row ${row.id}: a row that is not modeled names no fixture`);
        assert.ok(row.notes.length > 20, `row ${row.id}: say why it is not modeled`);
      } else assert.ok(existsSync(join(fixtureRoot, `${row.fixture}.klpsim`)), `row ${row.id}: no fixture ${row.fixture}.klpsim`);
    }
    const reproduced = (list: CatalogRow[]) => list.filter((r) => r.status.startsWith('reproduced')).length;
    const kernel = rows.filter((r) => !r.id.startsWith('U'));
    const tools = rows.filter((r) => r.id.startsWith('U'));
    const text = readFileSync(docPath, 'utf8');
    const totals = /\*\*Totals: (\d+) of (\d+) reproduced\*\* \(section 14: (\d+) of (\d+); section 15: (\d+) of (\d+)\)/.exec(text);
    assert.ok(totals, 'the totals line is missing');
    assert.deepEqual(totals.slice(1).map(Number), [reproduced(rows), rows.length, reproduced(kernel), kernel.length, reproduced(tools), tools.length]);
  });

  for (const row of rows.filter((r) => r.status === 'reproduced')) {
    it(`#${row.id} ${row.template} is in ${row.fixture}`, async () => {
      const pattern = templatePattern(row.template);
      const expected = readFileSync(join(fixtureRoot, `${row.fixture}.expected`), 'utf8');
      assert.ok(expected.split('\n').some((l) => pattern.test(l)), `${row.fixture}.expected has no line matching ${pattern}`);
      const fixture = await run(row.fixture);
      assert.deepEqual(fixture.inputErrors, []);
      assert.ok(fixture.transcript.split('\n').some((l) => pattern.test(l)), `running ${row.fixture} printed no line matching ${pattern}`);
    });
  }

  for (const row of rows.filter((r) => r.status === 'reproduced (no output)')) {
    it(`#${row.id} ${row.template} stays silent in ${row.fixture}`, async () => {
      const pattern = templatePattern(row.template);
      const tool = row.template.split(':')[0];
      for (const transcript of [readFileSync(join(fixtureRoot, `${row.fixture}.expected`), 'utf8'), (await run(row.fixture)).transcript]) {
        // A command of that tool the kernel answered (log lines), without a line of the tool's own.
        const silent = commandBlocks(transcript, tool).filter((block) => block.length > 0 && !block.some((l) => pattern.test(l)));
        assert.ok(silent.length > 0, `${row.fixture}: no '${tool}' command that printed kernel lines but nothing matching ${pattern}`);
      }
    });
  }

  it('turns placeholders into wildcards and nothing else', () => {
    const pattern = templatePattern("livepatch: '%s': %s complete");
    assert.ok(pattern.test("livepatch: 'lp_a': patching complete"));
    assert.ok(!pattern.test("livepatch: 'lp_a': patching completed"));
    assert.ok(!pattern.test("xlivepatch: 'lp_a': patching complete"));
    assert.ok(templatePattern('rmmod: ERROR: Module <name> is in use').test('rmmod: ERROR: Module lp_a is in use'));
    assert.ok(!templatePattern('Duplicate shadow variable <%p, %lx>').test('Duplicate shadow variable 0000000012345678, 1'));
  });
});
