/**
 * Every quick fix, verified end to end on the series fixtures: the edits are applied to the
 * text, the workspace is analysed again, and the finding must be gone with no new finding in
 * any file (syntax findings included, so the result still parses as well as before).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits, normalizeEdits } from '../../../server/src/fixes/index';
import { verifyFix } from './fixHarness';
import { readText, seriesFolder } from './seriesHarness';

const cases: { series: string; file: string; code: string; title?: string; expect: RegExp[] }[] = [
  { series: 'single-fixes', file: 'lp_fixme.c', code: 'LP-TERMINATOR', expect: [/\t},\n\t\{ \}\n\};/] },
  { series: 'single-fixes', file: 'lp_fixme.c', code: 'LP-MODINFO-MISSING', expect: [/MODULE_LICENSE\("GPL"\);\nMODULE_INFO\(livepatch, "Y"\);\n/] },
  {
    series: 'single-fixes',
    file: 'lp_fixme.c',
    code: 'LP-STATE-UNDECLARED',
    expect: [/static struct klp_state states\[\] = \{\n\t\{\n\t\t\.id = CMDLINE_STATE,\n\t\t\.version = 1,\n\t\},\n\t\{ \}\n\};\n\nstatic struct klp_patch patch = \{/, /\t\.states = states,\n\};/],
  },
  {
    series: 'single-fixes',
    file: 'lp_fixme.c',
    code: 'LP-SHADOW-LEAK',
    expect: [/static void fixme_post_unpatch\(struct klp_object \*obj\)\n\{\n\tklp_shadow_free_all\(CMDLINE_OPENS, NULL\);\n\}/, /\t\t\t\.post_unpatch = fixme_post_unpatch,\n/],
  },
  {
    series: 'leak',
    file: 'lp_cmdline_v2.c',
    code: 'LP-SHADOW-CUMULATIVE-DROP',
    expect: [
      /#include <linux\/slab\.h>\n\n#define SV_CMDLINE_READER\t0x4c502001\n/,
      /struct cmdline_reader \{\n\tpid_t pid;\n\tchar \*comm;\n\};\n\nstatic void cmdline_reader_dtor/,
      /klp_shadow_free_all\(SV_CMDLINE_READER, cmdline_reader_dtor\);/,
      /\.callbacks = \{\n\t\t\t\.post_patch = livepatch_post_patch,\n\t\t\},/,
    ],
  },
  { series: 'state-regression', file: 'lp_uptime_v2.c', code: 'LP-STATE-DOWNGRADE', expect: [/\.id = UPTIME_CLOCK_STATE,\n\t\t\.version = 2,/] },
  {
    series: 'state-regression',
    file: 'lp_uptime_v2.c',
    code: 'LP-STATE-MISSING',
    expect: [/#define UPTIME_CLOCK_STATE\t0x4c503001\n#define UPTIME_FORMAT_STATE\t0x4c503002\n/, /\t\{\n\t\t\.id = UPTIME_FORMAT_STATE,\n\t\t\.version = 1,\n\t\},\n\t\{ \}/],
  },
  { series: 'stacking', file: 'lp_version_b.c', code: 'LP-NON-CUMULATIVE', expect: [/\t\.objs = objs,\n\t\.replace = true,\n\};/] },
  {
    series: 'deprecation',
    file: 'lp_loadavg_v2.c',
    code: 'LP-STATE-DEPRECATED',
    expect: [/#include <linux\/slab\.h>/, /struct klp_state \*prev_state = klp_get_prev_state\(LOADAVG_SAMPLES\);/, /kfree\(prev_state->data\);\n\tprev_state->data = NULL;\n\tklp_shadow_free_all\(LOADAVG_SAMPLES, NULL\);/],
  },
  {
    series: 'takeover-mistakes',
    file: 'lp_stat_v2.c',
    code: 'LP-STATE-TAKEOVER',
    expect: [
      /\tif \(klp_get_prev_state\(STAT_TOTALS\)\) \{\n\t\t\/\* 'lp_stat_v1' is installed: reuse its data, set nothing up again\. \*\/\n\t\tstate->data = klp_get_prev_state\(STAT_TOTALS\)->data;\n\t\treturn 0;\n\t\}/,
      /static void stat_post_patch\(struct klp_object \*obj\)/,
      /static void stat_pre_unpatch\(struct klp_object \*obj\)/,
      /\tif \(klp_get_prev_state\(STAT_TOTALS\)\)\n\t\treturn;\n/,
      /\t\t\t\.post_patch = stat_post_patch,\n\t\t\t\.pre_unpatch = stat_pre_unpatch,\n/,
    ],
  },
  { series: 'takeover-mistakes', file: 'lp_stat_v2.c', code: 'LP-STATE-REVERT-FREE', title: 'Free in post_unpatch only', expect: [/if \(klp_get_prev_state\(STAT_TOTALS\)\)\n\t\treturn;\n/] },
  { series: 'takeover-mistakes', file: 'lp_stat_v2.c', code: 'LP-STATE-REVERT-FREE', title: 'reference 8.2 skeleton', expect: [/stat_post_patch/] },
  { series: 'takeover-mistakes', file: 'lp_stat_v2.c', code: 'LP-SHADOW-ALLOC-DUP', expect: [/last = klp_shadow_get_or_alloc\(p, SV_STAT_LAST,/] },
];

describe('quick fixes remove their finding and add none', () => {
  for (const item of cases) {
    it(`${item.code} in ${item.series}/${item.file}${item.title ? ` (${item.title})` : ''}`, async () => {
      const folder = seriesFolder(item.series);
      const file = join(folder, item.file);
      const { texts } = await verifyFix(folder, file, item.code, { title: item.title });
      const text = texts.get(file);
      assert.ok(text, 'the fix edits the file of the finding');
      for (const pattern of item.expect) assert.match(text, pattern);
    });
  }

  it('LP-STATE-MISSING for a state the predecessor uses in its callbacks: declares it and takes it over', async () => {
    const folder = seriesFolder('takeover-mistakes');
    const file = join(folder, 'lp_stat_v2.c');
    const withoutStates = readText(file)
      .replace(/static struct klp_state states\[\] = \{[\s\S]*?\n\};\n\n/, '')
      .replace('\t.states = states,\n', '');
    const { fix, texts } = await verifyFix(folder, file, 'LP-STATE-MISSING', { overrides: new Map([[file, withoutStates]]) });
    assert.match(fix.title, /^Carry state STAT_TOTALS \(version 1, as in 'lp_stat_v1'\) forward and take it over in the callbacks$/);
    const text = texts.get(file)!;
    assert.match(text, /static struct klp_state states\[\] = \{\n\t\{\n\t\t\.id = STAT_TOTALS,\n\t\t\.version = 1,\n\t\},\n\t\{ \}\n\};/);
    assert.match(text, /\t\.states = states,\n/);
    assert.match(text, /static void stat_post_patch/);
  });
});

describe('edit helpers', () => {
  const at = (line: number, character: number) => ({ line, character });
  it('apply edits against the original text, inserts at one place in order', () => {
    const edits = [
      { file: 'f', range: { start: at(1, 0), end: at(1, 0) }, newText: 'b\n' },
      { file: 'f', range: { start: at(0, 0), end: at(0, 3) }, newText: 'one' },
      { file: 'f', range: { start: at(1, 0), end: at(1, 0) }, newText: 'c\n' },
    ];
    assert.equal(applyEdits('abc\nxyz\n', edits), 'one\nb\nc\nxyz\n');
    assert.deepEqual(normalizeEdits(edits)?.map((edit) => edit.newText), ['one', 'b\nc\n']);
  });
  it('refuse overlapping edits', () => {
    const edits = [
      { file: 'f', range: { start: at(0, 0), end: at(0, 3) }, newText: 'x' },
      { file: 'f', range: { start: at(0, 2), end: at(0, 4) }, newText: 'y' },
    ];
    assert.equal(normalizeEdits(edits), undefined);
  });
});
