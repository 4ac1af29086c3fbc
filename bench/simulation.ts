/**
 * Simulator figures for `npm run bench`: interpreter speed on a plain C loop, and a 1,000-command
 * load/replace/disable/unload scenario run end to end (compile, interpret, core, transcript).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureInterpreterSpeed } from '../server/src/interp/benchmark';
import { defaultKernelModel } from '../server/src/kernel/load';
import { loadCLanguage } from '../server/src/parser/treeSitter';
import { parseScenario } from '../server/src/sim/scenario/parse';
import { runScenario } from '../server/src/sim/scenario/run';
import { formatTranscript } from '../server/src/sim/scenario/transcript';

/** A cumulative patch of one /proc function with a pre_patch callback and a state. */
function cumulativePatch(name: string, target: string, version: number): string {
  return `#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int ${name}_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\\n", "${name}");
	return 0;
}

static int ${name}_pre_patch(struct klp_object *obj)
{
	pr_info("preparing\\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "${target}", .new_func = ${name}_show, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, .callbacks = { .pre_patch = ${name}_pre_patch, }, },
	{ }
};

static struct klp_state states[] = {
	{ .id = 0x5e17, .version = ${version}, },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.states = states,
	.replace = true,
};

static int __init ${name}_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit ${name}_exit(void)
{
}

module_init(${name}_init);
module_exit(${name}_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
}

export async function simulationBench(): Promise<void> {
  await loadCLanguage();
  const speeds = [0, 1, 2].map(() => measureInterpreterSpeed().statementsPerSecond);
  const best = Math.max(...speeds);
  console.log(`interpreter: ${(best / 1e6).toFixed(1)} million simple C statements/s (best of 3; budget ≥ 2)`);

  const folder = mkdtempSync(join(tmpdir(), 'klp-sim-bench-'));
  try {
    writeFileSync(join(folder, 'lp_first.c'), cumulativePatch('lp_first', 'cmdline_proc_show', 1));
    writeFileSync(join(folder, 'lp_second.c'), cumulativePatch('lp_second', 'version_proc_show', 1));
    const commands: string[] = [];
    while (commands.length < 1000) {
      commands.push(
        'insmod lp_first.ko',
        'insmod lp_second.ko',
        'rmmod lp_first',
        'echo 0 > /sys/kernel/livepatch/lp_second/enabled',
        'rmmod lp_second',
      );
    }
    const scenario = join(folder, 'bench.klpsim');
    writeFileSync(scenario, `${commands.join('\n')}\n`);
    const kernel = defaultKernelModel();
    const start = performance.now();
    const parsed = parseScenario(commands.join('\n'));
    const result = await runScenario(parsed.lines, { scenarioPath: scenario, kernel });
    const transcript = formatTranscript(result);
    const elapsed = performance.now() - start;
    const refused = transcript.split('\n').filter((l) => l.includes('ERROR')).length;
    console.log(`scenario: ${parsed.lines.length} commands (load, replace, unload, disable) in ${(elapsed / 1000).toFixed(2)} s, ${transcript.split('\n').length} transcript lines, ${refused} refusals (budget ≤ 2 s)`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
