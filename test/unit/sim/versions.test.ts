/**
 * Behaviour that depends on the kernel version or configuration of the model: sysfs
 * attributes (reference 6.1: object `patched` since 6.0, `replace` 6.11, `stack_order` 6.14)
 * and the enable-time warnings of a kernel without reliable stack traces (2.2 step 5).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import type { KernelModel, KernelVersion } from '../../../server/src/kernel/types';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import { runScenario } from '../../../server/src/sim/scenario/run';
import { formatTranscript } from '../../../server/src/sim/scenario/transcript';

function variant(changes: { version?: KernelVersion; features?: Record<string, boolean> }): KernelModel {
  const base = defaultKernelModel();
  const copy = Object.assign(Object.create(Object.getPrototypeOf(base)) as KernelModel, base);
  if (changes.version) Object.assign(copy, { version: changes.version });
  // A loaded model has its features both typed and in the raw JSON; keep the copy the same.
  if (changes.features) Object.assign(copy, { features: changes.features, raw: { ...base.raw, features: changes.features } });
  return copy;
}

async function transcript(kernel: KernelModel, text: string): Promise<string> {
  const parsed = parseScenario(text);
  assert.deepEqual(parsed.errors, []);
  const scenarioPath = join(__dirname, '..', '..', 'fixtures', 'sim', 'stacking', 'generated.klpsim');
  return formatTranscript(await runScenario(parsed.lines, { scenarioPath, kernel }));
}

describe('kernel versions', () => {
  it('shows replace and stack_order from 6.14, with stack_order counting enable order', async () => {
    const text = await transcript(variant({ version: { major: 6, minor: 14, patch: 0 } }), [
      'insmod lp_lower.ko',
      'insmod lp_upper.ko',
      'ls /sys/kernel/livepatch/lp_upper',
      'cat /sys/kernel/livepatch/lp_upper/stack_order',
      'cat /sys/kernel/livepatch/lp_upper/replace',
      'echo 0 > /sys/kernel/livepatch/lp_lower/enabled',
      'cat /sys/kernel/livepatch/lp_upper/stack_order',
    ].join('\n'));
    assert.match(text, /% ls \/sys\/kernel\/livepatch\/lp_upper\nenabled\nforce\nreplace\nstack_order\ntransition\nvmlinux\n/);
    assert.match(text, /% cat \/sys\/kernel\/livepatch\/lp_upper\/stack_order\n2\n/);
    assert.match(text, /% cat \/sys\/kernel\/livepatch\/lp_upper\/replace\n0\n/);
    assert.match(text, /unpatching complete\n% cat \/sys\/kernel\/livepatch\/lp_upper\/stack_order\n1\n/);
  });

  it('has no replace/stack_order before 6.11 and no object patched attribute before 6.0', async () => {
    const text = await transcript(variant({ version: { major: 5, minor: 15, patch: 0 } }), [
      'insmod lp_upper.ko',
      'ls /sys/kernel/livepatch/lp_upper',
      'ls /sys/kernel/livepatch/lp_upper/vmlinux',
      'cat /sys/kernel/livepatch/lp_upper/replace',
      'cat /sys/kernel/livepatch/lp_upper/vmlinux/patched',
    ].join('\n'));
    assert.match(text, /% ls \/sys\/kernel\/livepatch\/lp_upper\nenabled\nforce\ntransition\nvmlinux\n/);
    assert.match(text, /% ls \/sys\/kernel\/livepatch\/lp_upper\/vmlinux\nmeminfo_proc_show,1\n/);
    assert.match(text, /cat: \/sys\/kernel\/livepatch\/lp_upper\/replace: No such file or directory/);
    assert.match(text, /cat: \/sys\/kernel\/livepatch\/lp_upper\/vmlinux\/patched: No such file or directory/);
  });

  it('warns twice and still enables when the architecture has no reliable stack traces', async () => {
    const text = await transcript(variant({ features: { reliableStacktrace: false } }), 'insmod lp_upper.ko\n');
    assert.match(
      text,
      /livepatch: This architecture doesn't have support for the livepatch consistency model\.\nlivepatch: The livepatch transition may never complete\.\nlivepatch: enabling patch 'lp_upper'\n/,
    );
  });
});
