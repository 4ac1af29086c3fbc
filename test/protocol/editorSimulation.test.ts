/**
 * `livepatch/runSimulation` through the real server: scenario files (saved and unsaved text),
 * the generated default, load and replace scenarios, findings placed at their source lines as
 * "livepatch-sim" diagnostics labelled with the scenario and the step, work-done progress on the
 * client's token, bad scenarios (nothing runs), and cancellation.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, LSPErrorCodes, ResponseError } from 'vscode-languageserver-protocol';
import { RunSimulationRequest, type RunSimulationResult, type ScenarioSource } from '../../server/src/protocol/messages';
import { LspTestClient, defaultTimeoutMs, fileUri, repoRoot } from './lspClient';

const editorFixtures = join(repoRoot, 'test', 'fixtures', 'editor');
const series = join(editorFixtures, 'series');
const v1 = join(series, 'livepatch-fix-v1.c');
const v2 = join(series, 'livepatch-fix-v2.c');
const faulty = join(editorFixtures, 'faulty');

/** Simulations compile C with tree-sitter and run it: allow for a slow CI machine. */
const simulationTimeoutMs = 60_000;

function simulate(client: LspTestClient, scenario: ScenarioSource, workDoneToken?: string): Promise<RunSimulationResult> {
  return client.request<RunSimulationResult>(RunSimulationRequest.method, { scenario, workDoneToken }, simulationTimeoutMs);
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `no line with ${needle}`);
  return index;
}

describe('run simulation', () => {
  let client: LspTestClient;

  before(async () => {
    client = await LspTestClient.start({ workspaceFolder: series, settings: { diagnostics: { debounceMs: 10 } } });
  });
  after(() => client?.stop());

  it('runs a scenario file and returns the dmesg transcript', async () => {
    const scenario = join(series, 'scenarios', 'upgrade.klpsim');
    const result = await simulate(client, { kind: 'file', uri: fileUri(scenario) });
    assert.equal(result.label, 'upgrade.klpsim');
    assert.equal(result.scenarioUri, fileUri(scenario));
    assert.deepEqual(result.inputErrors, []);
    assert.match(result.transcript, /^% insmod \.\.\/livepatch-fix-v1\.ko$/m);
    assert.match(result.transcript, /^livepatch: enabling patch 'livepatch_fix_v1'$/m);
    assert.match(result.transcript, /^fixed once$/m);
    assert.match(result.transcript, /^fixed twice/m);
    assert.equal(result.kernel.source, 'embedded default');
    // v2 frees the shadow variables v1 allocated: nothing leaks.
    assert.ok(!result.findings.some((f) => f.code === 'SIM-SHADOW-LEAK'), JSON.stringify(result.findings));
  });

  it('places findings at their source lines as livepatch-sim diagnostics naming scenario and step', async () => {
    const result = await simulate(client, { kind: 'file', uri: fileUri(join(series, 'scenarios', 'leak.klpsim')) });
    const leak = result.findings.find((f) => f.code === 'SIM-SHADOW-LEAK');
    assert.ok(leak, `a leak finding in ${JSON.stringify(result.findings)}`);
    assert.equal(leak.step, 'end');
    assert.equal(leak.location?.uri, fileUri(v1));
    const forV1 = result.diagnostics.find((d) => d.uri === fileUri(v1));
    assert.ok(forV1, 'diagnostics for the module source');
    const [diagnostic] = forV1.diagnostics;
    assert.equal(diagnostic.source, 'livepatch-sim');
    assert.equal(diagnostic.code, 'SIM-SHADOW-LEAK');
    assert.equal(diagnostic.severity, 2);
    assert.match(diagnostic.message, /simulation "leak\.klpsim", at the end of the scenario\)$/);
    const { readFileSync } = await import('node:fs');
    const allocLine = lineOf(readFileSync(v1, 'utf8'), 'klp_shadow_get_or_alloc');
    assert.equal(diagnostic.range.start.line, allocLine);
    assert.ok(diagnostic.range.start.character > 0, 'the range starts at the code, not the indentation');
    // A finding without a source location lands on the scenario's last command.
    const state = result.diagnostics.find((d) => d.uri === result.scenarioUri)?.diagnostics.find((d) => d.code === 'SIM-STATE-LEFT');
    assert.ok(state, 'the state finding on the scenario');
    assert.equal(state.range.start.line, lineOf(result.scenarioText, 'cat /proc/cmdline'));
  });

  it('names the step a fault happened in', async () => {
    const result = await simulate(client, { kind: 'file', uri: fileUri(join(faulty, 'oops.klpsim')) });
    const fault = result.findings.find((f) => f.code === 'SIM-FAULT');
    assert.ok(fault, JSON.stringify(result.findings));
    assert.deepEqual(fault.step, { line: 3, text: 'insmod livepatch-oops.ko' });
    const diagnostic = result.diagnostics.find((d) => d.uri === fileUri(join(faulty, 'livepatch-oops.c')))?.diagnostics[0];
    assert.ok(diagnostic);
    assert.equal(diagnostic.severity, 1);
    assert.match(diagnostic.message, /NULL pointer dereference.*\(simulation "oops\.klpsim", step 3: insmod livepatch-oops\.ko\)$/);
  });

  it('runs the open, unsaved text of a scenario', async () => {
    const path = join(series, 'scenarios', 'leak.klpsim');
    const uri = await client.open(path, 'insmod ../livepatch-fix-v2.ko\nwait transition livepatch_fix_v2\ncat /proc/cmdline\n', 'klpsim');
    try {
      const result = await simulate(client, { kind: 'file', uri });
      assert.match(result.transcript, /^fixed twice/m);
      assert.doesNotMatch(result.transcript, /fixed once/);
    } finally {
      await client.close(uri);
    }
  });

  it('generates the default scenario: modules in series order, then disabled and removed', async () => {
    const result = await simulate(client, { kind: 'default' });
    assert.equal(result.label, 'default scenario');
    const commands = result.scenarioText.split('\n').filter((line) => line && !line.startsWith('#'));
    assert.deepEqual(commands, [
      'insmod livepatch-fix-v1.ko',
      'wait transition livepatch_fix_v1',
      'insmod livepatch-fix-v2.ko',
      'wait transition livepatch_fix_v2',
      // v2 is cumulative: it replaced v1, so only v2 is still enabled.
      'echo 0 > /sys/kernel/livepatch/livepatch_fix_v2/enabled',
      'wait transition livepatch_fix_v2',
      'rmmod livepatch_fix_v2',
      'rmmod livepatch_fix_v1',
    ]);
    assert.deepEqual(result.inputErrors, []);
    assert.match(result.transcript, /^% rmmod livepatch_fix_v1$/m);
    assert.doesNotMatch(result.transcript, /ERROR/);
    assert.equal(result.scenarioUri, undefined);
  });

  it('generates the load and replace scenarios of the code lenses', async () => {
    const load = await simulate(client, { kind: 'load', moduleUri: fileUri(v2) });
    assert.equal(load.label, 'load livepatch_fix_v2');
    assert.match(load.transcript, /^livepatch: 'livepatch_fix_v2': patching complete$/m);
    const replace = await simulate(client, { kind: 'replace', moduleUri: fileUri(v2), predecessor: 'livepatch_fix_v1' });
    assert.equal(replace.label, 'livepatch_fix_v2 replaces livepatch_fix_v1');
    assert.match(replace.transcript, /^% cat \/sys\/kernel\/livepatch\/livepatch_fix_v1\/enabled\ncat: .*No such file or directory$/m);
  });

  it('reports work-done progress on the token the client gave', async () => {
    const token = 'simulation-progress-1';
    await simulate(client, { kind: 'load', moduleUri: fileUri(v1) }, token);
    const kinds = client.progress.filter((p) => p.token === token).map((p) => (p.value as { kind: string }).kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
  });

  it('runs nothing for a scenario with bad lines and says where', async () => {
    const path = join(series, 'scenarios', 'scratch.klpsim');
    const uri = await client.open(path, 'insmod ../livepatch-fix-v1.ko\nfrobnicate now\n', 'klpsim');
    try {
      const result = await simulate(client, { kind: 'file', uri });
      assert.equal(result.transcript, '');
      assert.equal(result.inputErrors.length, 1);
      assert.equal(result.inputErrors[0].line, 2);
      const [diagnostic] = result.diagnostics.find((d) => d.uri === uri)!.diagnostics;
      assert.equal(diagnostic.range.start.line, 1);
      assert.match(diagnostic.message, /unknown command 'frobnicate'.*nothing ran/);
    } finally {
      await client.close(uri);
    }
  });

  it('fails with a message when there is nothing to simulate', async () => {
    await assert.rejects(simulate(client, { kind: 'replace', moduleUri: fileUri(v2), predecessor: 'no_such_module' }), /no livepatch module named no_such_module/);
  });

  it('is cancelled mid-run, and the next run still works', async () => {
    const source = new CancellationTokenSource();
    const token = 'simulation-cancel';
    // Thirty module inits that each spin until the step budget: seconds of work.
    const scenario = fileUri(join(faulty, 'spin.klpsim'));
    const request = client.connection.sendRequest(RunSimulationRequest.method, { scenario: { kind: 'file', uri: scenario }, workDoneToken: token }, source.token);
    // The report comes right before the run is handed to the worker.
    await client.waitFor('the run to start', () => (client.progress.some((p) => p.token === token && (p.value as { kind: string }).kind === 'report') ? true : undefined));
    source.cancel();
    await assert.rejects(
      client.within('the cancelled answer', defaultTimeoutMs, () => request),
      (error: unknown) => error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled,
    );
    await client.waitFor('the progress to end', () => (client.progress.some((p) => p.token === token && (p.value as { kind: string }).kind === 'end') ? true : undefined));
    const again = await simulate(client, { kind: 'load', moduleUri: fileUri(v1) });
    assert.match(again.transcript, /patching complete/);
    assert.ok(!client.logMessages.some((m) => m.message.startsWith('simulated spin.klpsim')), 'the cancelled run never finished');
    assert.ok(client.logMessages.some((m) => m.message === 'simulation cancelled'));
  });
});
