/**
 * The client's logic that needs no editor: recognising scenario arguments, the simulation report
 * for the output channel, the status bar text for a kernel model, the setting value and target
 * "Select Kernel Model" writes, the capture command's answer, and the Livepatch tree's nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelModelInfo, RunSimulationResult, TreePatch } from '../../server/src/protocol/messages';
import { captureKernelModelAnswer, kernelModelSettingTarget, kernelModelSettingValue, kernelModelStatus } from '../../client/src/kernelModelText';
import { findingsSummary, formatSimulationReport, isScenarioSource, resultHeadline, scenarioOfArgument } from '../../client/src/simulationText';
import { treeNodes } from '../../client/src/treeNodes';

const range = { start: { line: 3, character: 0 }, end: { line: 3, character: 10 } };

function result(overrides: Partial<RunSimulationResult> = {}): RunSimulationResult {
  return {
    label: 'upgrade.klpsim',
    scenarioUri: 'file:///w/upgrade.klpsim',
    scenarioText: 'insmod a.ko\n',
    transcript: '% insmod a.ko\nlivepatch: enabling patch \'a\'\n',
    findings: [],
    diagnostics: [],
    inputErrors: [],
    kernel: { release: '6.1.0-50-amd64', architecture: 'x86_64', source: 'embedded default' },
    durationMs: 42,
    ...overrides,
  };
}

describe('scenario arguments', () => {
  it('accepts the four scenario sources and nothing else', () => {
    assert.ok(isScenarioSource({ kind: 'default' }));
    assert.ok(isScenarioSource({ kind: 'file', uri: 'file:///a.klpsim' }));
    assert.ok(isScenarioSource({ kind: 'load', moduleUri: 'file:///a.c' }));
    assert.ok(isScenarioSource({ kind: 'replace', moduleUri: 'file:///a.c', predecessor: 'b' }));
    for (const value of [undefined, null, 'default', { kind: 'file' }, { kind: 'replace', moduleUri: 'x' }, { kind: 'run' }]) {
      assert.equal(isScenarioSource(value), false, JSON.stringify(value));
    }
  });

  it('takes the scenario of a tree node, as the view\'s inline action passes it', () => {
    const scenario = { kind: 'load', moduleUri: 'file:///a.c' } as const;
    assert.deepEqual(scenarioOfArgument(scenario), scenario);
    assert.deepEqual(scenarioOfArgument({ id: 'a/patch', label: 'a', scenario, children: [] }), scenario);
    assert.equal(scenarioOfArgument({ id: 'a/patch', label: 'a', children: [] }), undefined);
  });
});

describe('the simulation report', () => {
  const startedAt = new Date(2024, 0, 2, 13, 4, 5);

  it('counts findings by severity', () => {
    assert.equal(findingsSummary(result()), 'no findings');
    const findings = [
      { code: 'SIM-FAULT', severity: 'error' as const, message: 'x' },
      { code: 'SIM-SHADOW-LEAK', severity: 'warning' as const, message: 'y' },
      { code: 'SIM-SHADOW-LEAK', severity: 'warning' as const, message: 'z' },
      { code: 'SIM-STATE-LEFT', severity: 'information' as const, message: 'w' },
    ];
    assert.equal(findingsSummary(result({ findings })), '1 error, 2 warnings, 1 information');
    assert.equal(resultHeadline(result({ findings })), 'Simulated upgrade.klpsim: 1 error, 2 warnings, 1 information');
  });

  it('prints a header, the transcript as klp simulate prints it, and a summary', () => {
    const text = formatSimulationReport(result(), startedAt);
    const lines = text.split('\n');
    assert.match(lines[1], /^Simulation: upgrade\.klpsim {3}kernel 6\.1\.0-50-amd64 \(x86_64, embedded default\) {3}13:04:05, 42 ms$/);
    assert.deepEqual(lines.slice(3, 5), ['% insmod a.ko', "livepatch: enabling patch 'a'"]);
    assert.ok(text.endsWith('no findings\n'));
    assert.ok(!text.includes('Generated scenario'));
  });

  it('prints a generated scenario before its transcript', () => {
    const text = formatSimulationReport(result({ scenarioUri: undefined, label: 'default scenario', scenarioText: '# generated\ninsmod a.ko\n' }), startedAt);
    assert.match(text, /Generated scenario:\n {2}# generated\n {2}insmod a\.ko\n\n% insmod a\.ko/);
  });

  it('says why nothing ran', () => {
    const bad = result({ transcript: '', inputErrors: [{ message: "unknown command 'x'", line: 2, column: 1 }] });
    assert.match(formatSimulationReport(bad, startedAt), /Nothing ran; the scenario has problems:\n {2}line 2:1: unknown command 'x'/);
    assert.equal(resultHeadline(bad), "Simulation of upgrade.klpsim did not run: line 2: unknown command 'x'");
  });
});

describe('the kernel model status', () => {
  const info: KernelModelInfo = {
    release: '6.1.0-50-amd64',
    architecture: 'x86_64',
    source: 'embedded default',
    objectCount: 5,
    symbolCount: 1234,
    configuredPath: '',
    loadErrors: [],
  };

  it('shows release and architecture, a spinner before the server answered', () => {
    assert.deepEqual(kernelModelStatus(info).text, '$(circuit-board) 6.1.0-50-amd64 x86_64');
    assert.equal(kernelModelStatus(info).warning, false);
    assert.match(kernelModelStatus(info).tooltip, /the model embedded in the extension/);
    assert.match(kernelModelStatus(undefined).text, /loading~spin/);
  });

  it('warns when the configured model is not in use', () => {
    const status = kernelModelStatus({ ...info, configuredPath: 'models/bad.json', loadErrors: ['invalid JSON'] });
    assert.equal(status.warning, true);
    assert.match(status.text, /^\$\(warning\) /);
    assert.match(status.tooltip, /`models\/bad\.json` is not in use:\*\* invalid JSON/);
  });

  it('writes a path relative to the first workspace folder when inside it', () => {
    assert.equal(kernelModelSettingValue('/work/lp/models/k.json', '/work/lp'), 'models/k.json');
    assert.equal(kernelModelSettingValue('/boot/System.map-6.1', '/work/lp'), '/boot/System.map-6.1');
    assert.equal(kernelModelSettingValue('/work/lp-other/k.json', '/work/lp'), '/work/lp-other/k.json');
    assert.equal(kernelModelSettingValue('/boot/System.map-6.1', undefined), '/boot/System.map-6.1');
  });

  it('writes the user setting when the workspace is untrusted or absent', () => {
    assert.equal(kernelModelSettingTarget({ trusted: true, hasWorkspaceFolder: true }), 'workspace');
    assert.equal(kernelModelSettingTarget({ trusted: false, hasWorkspaceFolder: true }), 'user');
    assert.equal(kernelModelSettingTarget({ trusted: true, hasWorkspaceFolder: false }), 'user');
  });

  it('refuses to capture in an untrusted workspace, and says capture is not available yet', () => {
    assert.equal(captureKernelModelAnswer(false).kind, 'refused');
    assert.equal(captureKernelModelAnswer(true).kind, 'unavailable');
    assert.match(captureKernelModelAnswer(true).message, /not available yet/);
  });
});

describe('the Livepatch tree nodes', () => {
  const location = { uri: 'file:///w/v2.c', range };
  const patches: TreePatch[] = [
    {
      module: 'livepatch_fix_v2',
      variable: 'patch',
      replace: true,
      location,
      objects: [
        {
          name: 'vmlinux',
          location,
          functions: [{ oldName: 'c_start', newFunc: 'lp_c_start', oldSympos: 2, location }],
          callbacks: [{ kind: 'pre_patch', function: 'fix_pre_patch', location }],
        },
      ],
      states: [{ id: 'FIX_STATE', value: 0x1c0de, version: 2, location }],
      shadowIds: [{ id: 'FIX_SHADOW', value: 0x5a1d, apis: ['klp_shadow_get'], location }],
    },
  ];

  it('nests objects, functions and callbacks, then states and shadow ids under the patch', () => {
    const [patch] = treeNodes(patches);
    assert.equal(patch.label, 'livepatch_fix_v2');
    assert.equal(patch.description, 'cumulative');
    assert.deepEqual(patch.scenario, { kind: 'load', moduleUri: 'file:///w/v2.c' });
    assert.deepEqual(patch.children.map((c) => c.label), ['vmlinux', 'States', 'Shadow variables']);
    const [vmlinux, states, shadows] = patch.children;
    assert.deepEqual(vmlinux.children.map((c) => [c.label, c.description, c.icon]), [
      ['c_start', '→ lp_c_start, old_sympos 2', 'symbol-function'],
      ['pre_patch', 'fix_pre_patch', 'symbol-event'],
    ]);
    assert.deepEqual(states.children.map((c) => [c.label, c.description]), [['FIX_STATE', '0x1c0de, version 2']]);
    assert.deepEqual(shadows.children.map((c) => [c.label, c.description, c.tooltip]), [['FIX_SHADOW', '0x5a1d', 'Used by klp_shadow_get']]);
    assert.deepEqual(vmlinux.children[0].location, location);
  });

  it('gives every node an id that is unique and stable', () => {
    const ids: string[] = [];
    const visit = (nodes: ReturnType<typeof treeNodes>) => nodes.forEach((node) => (ids.push(node.id), visit(node.children)));
    visit(treeNodes(patches));
    assert.equal(new Set(ids).size, ids.length);
    visit(treeNodes(patches));
    assert.equal(new Set(ids).size, ids.length / 2);
  });

  it('omits empty groups and shows a literal id once', () => {
    const [patch] = treeNodes([{ ...patches[0], replace: undefined, states: [{ id: '0x7', value: 7, location }], shadowIds: [] }]);
    assert.equal(patch.description, undefined);
    assert.deepEqual(patch.children.map((c) => c.label), ['vmlinux', 'States']);
    assert.equal(patch.children[1].children[0].description, undefined);
  });
});
