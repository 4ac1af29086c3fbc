/**
 * The editor features' plain logic, without a server: generated scenarios (and that the
 * simulator's parser accepts them), the step of each simulation finding, identifier occurrences
 * for references and rename, scenario completion contexts, series order and workspace symbol
 * matching. The same features are tested through the real server in test/protocol/editor*.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultScenario, loadScenario, replaceScenario, type ScenarioModule } from '../../../server/src/lsp/features/generatedScenarios';
import { identifierOccurrences } from '../../../server/src/lsp/features/idReferences';
import { completeScenarioLine, type ScenarioCompletionData } from '../../../server/src/lsp/features/scenarioLanguage';
import { findingSteps } from '../../../server/src/lsp/features/simulationRunner';
import { compareSeriesNames } from '../../../server/src/lsp/features/workspaceModules';
import { matchesQuery } from '../../../server/src/lsp/features/workspaceSymbols';
import type { SimEvent } from '../../../server/src/sim/events';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import type { SimFinding } from '../../../server/src/sim/simulator';

const commands = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
const module = (name: string, replace: boolean, koPath = `/w/${name.replace(/_/g, '-')}.ko`): ScenarioModule => ({ name, koPath, replace });

describe('generated scenarios', () => {
  it('loads in order, disables back to the first cumulative patch, removes everything', () => {
    const text = defaultScenario([module('lp_v1', false), module('lp_v2', true), module('lp_v3', false)], '/w');
    assert.deepEqual(commands(text), [
      'insmod lp-v1.ko',
      'wait transition lp_v1',
      'insmod lp-v2.ko',
      'wait transition lp_v2',
      'insmod lp-v3.ko',
      'wait transition lp_v3',
      'echo 0 > /sys/kernel/livepatch/lp_v3/enabled',
      'wait transition lp_v3',
      'echo 0 > /sys/kernel/livepatch/lp_v2/enabled',
      'wait transition lp_v2',
      'rmmod lp_v3',
      'rmmod lp_v2',
      'rmmod lp_v1',
    ]);
    assert.deepEqual(parseScenario(text).errors, []);
  });

  it('disables every patch of a series without a cumulative one', () => {
    const text = defaultScenario([module('a', false), module('b', false)], '/w');
    assert.equal(commands(text).filter((line) => line.startsWith('echo 0')).length, 2);
  });

  it('names modules outside the folder by path, quoting what the parser would split', () => {
    const text = loadScenario(module('lp', false, '/other place/lp.ko'), '/w/scenarios');
    assert.deepEqual(commands(text), ["insmod '../../other place/lp.ko'", 'wait transition lp']);
    const parsed = parseScenario(text);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.lines[0].command, { kind: 'insmod', path: '../../other place/lp.ko', params: [] });
  });

  it('replaces a predecessor and shows its patch is gone', () => {
    const text = replaceScenario(module('lp_v1', false), module('lp_v2', true), '/w');
    assert.deepEqual(commands(text).slice(-2), ['cat /sys/kernel/livepatch/lp_v2/enabled', 'cat /sys/kernel/livepatch/lp_v1/enabled']);
    assert.deepEqual(parseScenario(text).errors, []);
  });
});

describe('the step of a simulation finding', () => {
  const command = (line: number, text: string): SimEvent => ({ kind: 'command', time: 0, text, line });
  const finding = (code: string, message: string): SimFinding => ({ code, severity: 'warning', message });

  it('follows faults and stalls to the command that was running, and knows the end and compile findings', () => {
    const events: SimEvent[] = [
      command(1, 'insmod a.ko'),
      { kind: 'fault', time: 0, task: 'insmod', message: 'NULL pointer dereference', stack: [] },
      command(2, 'cat /proc/cmdline'),
      command(3, 'wait transition a'),
      { kind: 'transition', time: 1, patch: 'a', phase: 'stalled', target: 'patched' },
      command(4, 'rmmod a'),
    ];
    const findings = [
      finding('SIM-COMPILE', 'not modeled (that code faults if it runs)'),
      finding('SIM-FAULT', 'insmod: NULL pointer dereference in a_init()'),
      finding('SIM-STALLED', "transition of 'a' stalled: cat:1000"),
      finding('SIM-STUCK', 'kworker: still sleeping'),
      finding('SIM-SHADOW-LEAK', 'shadow variable left'),
      finding('SIM-STALLED', "the transition of 'a' has not completed at the end of the scenario"),
    ];
    assert.deepEqual(findingSteps(findings, events), [
      'compile',
      { line: 1, text: 'insmod a.ko' },
      { line: 3, text: 'wait transition a' },
      undefined,
      'end',
      'end',
    ]);
  });
});

describe('identifier occurrences', () => {
  it('finds whole identifiers in code, not in comments, strings or longer names', () => {
    const text = [
      '#define SHADOW_ID 0x5a1d /* SHADOW_ID */',
      'p = klp_shadow_get(obj, SHADOW_ID); // SHADOW_ID',
      'pr_info("SHADOW_ID %d\\n", MY_SHADOW_ID + SHADOW_ID_2);',
      "c = 'S'; x = SHADOW_ID;",
    ].join('\n');
    assert.deepEqual(
      identifierOccurrences(text, 'SHADOW_ID').map((o) => [o.range.start.line, o.range.start.character, o.range.end.character, o.isDefinition]),
      [
        [0, 8, 17, true],
        [1, 24, 33, false],
        [3, 13, 22, false],
      ],
    );
  });

  it('counts lines through block comments and escaped line breaks in strings', () => {
    const text = '/* one\n two */ const char *s = "a\\\nb";\n  SHADOW_ID;';
    assert.deepEqual(identifierOccurrences(text, 'SHADOW_ID').map((o) => o.range.start), [{ line: 3, character: 2 }]);
  });
});

describe('scenario completion contexts', () => {
  const data: ScenarioCompletionData = {
    folder: '/w/scenarios',
    kernelVersion: { major: 6, minor: 14, patch: 0 },
    modules: [
      { name: 'lp_fix', koPath: '/w/lp-fix.ko', isLivepatch: true, parameters: [], objects: ['vmlinux', 'nfsd'] },
      { name: 'target', koPath: '/w/target/target.ko', isLivepatch: false, parameters: ['verbose'], objects: [] },
    ],
  };
  const labels = (line: string, character = line.length) => completeScenarioLine(line, character, data).items.map((item) => item.label);

  it('replaces the word under the cursor', () => {
    assert.equal(completeScenarioLine('cat /sys/ker', 12, data).start, 4);
    assert.equal(completeScenarioLine('insmod ', 7, data).start, 7);
    assert.equal(completeScenarioLine('  rm', 4, data).start, 2);
  });

  it('offers later kernels\' sysfs attributes and object directories by version', () => {
    const readable = labels('cat ');
    assert.ok(readable.includes('/sys/kernel/livepatch/lp_fix/stack_order'));
    assert.ok(readable.includes('/sys/kernel/livepatch/lp_fix/replace'));
    assert.ok(readable.includes('/sys/kernel/livepatch/lp_fix/nfsd/patched'));
    assert.ok(!readable.includes('/sys/kernel/livepatch/target/enabled'), 'only livepatch modules have a livepatch directory');
  });

  it('offers the redirection after a file, and /dev/kmsg after it', () => {
    assert.deepEqual(labels('cat /proc/cmdline '), ['> /dev/kmsg']);
    assert.deepEqual(labels('grep patched /proc/cmdline >'), ['/dev/kmsg']);
    assert.deepEqual(labels('grep '), []);
  });

  it('offers parameters of modprobe\'d modules and nothing after sleep', () => {
    assert.deepEqual(labels('modprobe target '), ['verbose=']);
    assert.deepEqual(labels('sleep '), []);
    assert.deepEqual(labels('echo 1 > /sys/kernel/livepatch/lp_fix/enabled '), []);
  });
});

describe('series order and symbol queries', () => {
  it('orders version numbers naturally', () => {
    assert.deepEqual(['lp_v10', 'lp_v2', 'lp_v1'].sort(compareSeriesNames), ['lp_v1', 'lp_v2', 'lp_v10']);
  });

  it('matches a query as a case-insensitive subsequence', () => {
    assert.ok(matchesQuery('CMDLINE_SHADOW_ID', 'shadowid'));
    assert.ok(matchesQuery('cmdline_proc_show', 'cps'));
    assert.ok(!matchesQuery('cmdline_proc_show', 'spc'));
    assert.ok(matchesQuery('anything', ''));
  });
});
