/**
 * Patch series figure for `npm run bench`: a 20-patch cumulative series (states carried forward,
 * shadow variables taken over, a livepatch.series file) is written to a temp folder and
 * analysed through the Analyzer; then one patch is edited, as in the editor, and the whole
 * series is checked again — every patch, since an edit in one changes the cross-patch findings
 * of the others. Budget: ≤ 100 ms per re-check.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analyzer } from '../server/src/analysis/analyzer';
import { nodeFileSystem } from '../server/src/analysis/nodeFileSystem';
import { defaultKernelModel } from '../server/src/kernel/load';

const patchCount = 20;

/** Real 6.1 vmlinux /proc handlers, patched in turn by the releases. */
const targets = ['cmdline_proc_show', 'meminfo_proc_show', 'version_proc_show', 'uptime_proc_show', 'loadavg_proc_show'];

/** Release `n` of the series: written to be taken over, so the series is clean. */
function release(n: number): string {
  const funcs = targets.slice(0, 1 + (n % targets.length));
  return `// SPDX-License-Identifier: GPL-2.0
/* Release ${n} of the generated benchmark series. */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#define SERIES_READS		0x4c50f001
#define SERIES_TOTALS		0x4c50f002

struct series_reads {
	unsigned long count;
};

static struct klp_patch patch;
${funcs
  .map(
    (target) => `
static int livepatch_${target}(struct seq_file *m, void *v)
{
	struct series_reads *reads;

	reads = klp_shadow_get_or_alloc(m, SERIES_READS, sizeof(*reads), GFP_KERNEL, NULL, NULL);
	if (reads)
		reads->count++;
	seq_puts(m, "release ${n}\\n");
	return 0;
}
`,
  )
  .join('')}
static struct klp_func funcs[] = {
${funcs.map((target) => `\t{\n\t\t.old_name = "${target}",\n\t\t.new_func = livepatch_${target},\n\t},\n`).join('')}\t{ }
};

static int series_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, SERIES_TOTALS);
	struct klp_state *prev_state = klp_get_prev_state(SERIES_TOTALS);

	if (!state)
		return -EINVAL;
	if (prev_state) {
		state->data = prev_state->data;
		return 0;
	}
	state->data = kzalloc(PAGE_SIZE, GFP_KERNEL);
	return state->data ? 0 : -ENOMEM;
}

static void series_post_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, SERIES_TOTALS);
	struct klp_state *prev_state = klp_get_prev_state(SERIES_TOTALS);

	if (prev_state)
		state->data = prev_state->data;
}

static void series_post_unpatch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, SERIES_TOTALS);

	if (klp_get_prev_state(SERIES_TOTALS))
		return;
	kfree(state->data);
	klp_shadow_free_all(SERIES_READS, NULL);
}

static struct klp_object objs[] = {
	{
		.funcs = funcs,
		.callbacks = {
			.pre_patch = series_pre_patch,
			.post_patch = series_post_patch,
			.post_unpatch = series_post_unpatch,
		},
	},
	{ }
};

static struct klp_state states[] = {
	{
		.id = SERIES_TOTALS,
		.version = ${1 + Math.floor(n / 5)},
	},
	{
		.id = SERIES_READS,
		.version = 1,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.states = states,
	.replace = true,
};

static int livepatch_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_exit(void)
{
}

module_init(livepatch_init);
module_exit(livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function seriesBench(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'klp-series-'));
  const names = Array.from({ length: patchCount }, (_, index) => `lp_series_${String(index + 1).padStart(2, '0')}`);
  const paths = names.map((name) => join(folder, `${name}.c`));
  names.forEach((_, index) => writeFileSync(paths[index], release(index + 1)));
  writeFileSync(join(folder, 'livepatch.series'), `# Generated benchmark series, oldest first.\n${names.map((name) => `${name}.c`).join('\n')}\n`);
  const analyzer = await Analyzer.create(defaultKernelModel(), nodeFileSystem);
  try {
    for (const path of paths) analyzer.addFile(path);
    let findings = 0;
    for (const path of paths) findings += analyzer.analyze(path).findings.length;
    // The edited patch is open, as in the editor: its text changes one keystroke at a time.
    const edited = paths[patchCount / 2];
    const text = release(patchCount / 2 + 1);
    analyzer.openDocument(edited, text);
    const line = text.split('\n').findIndex((l) => l.includes('seq_puts(m, "release'));
    const samples: number[] = [];
    for (let run = 0; run < 60; run++) {
      const insert = run % 2 === 0;
      const position = { line, character: 1 };
      const start = performance.now();
      analyzer.changeDocument(edited, [
        { range: insert ? { start: position, end: position } : { start: position, end: { line, character: 2 } }, text: insert ? ' ' : '' },
      ]);
      let after = 0;
      for (const path of paths) after += analyzer.analyze(path).findings.length;
      const elapsed = performance.now() - start;
      if (run >= 10) samples.push(elapsed);
      if (after !== findings && run % 2 === 1) throw new Error(`the series changed its findings after an edit and its undo (${findings} → ${after})`);
    }
    console.log(
      `series re-check after an edit in one of ${patchCount} patches (all ${patchCount} analysed, ${findings} findings): ` +
        `p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms (budget ≤ 100 ms)`,
    );
  } finally {
    analyzer.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
}
