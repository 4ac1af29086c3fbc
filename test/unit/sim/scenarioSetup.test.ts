/**
 * The scenario's own machine: `kernel` and `task` directives (parse errors with positions, the
 * model they produce, the caller's model left alone), and the kernel-version dependent sysfs
 * `signal` attribute they make reachable (reference 1.12, 5.7).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { parseScenario } from '../../../server/src/sim/scenario/parse';
import { runScenario } from '../../../server/src/sim/scenario/run';
import { applyScenarioSetup } from '../../../server/src/sim/scenario/setup';
import { formatTranscript } from '../../../server/src/sim/scenario/transcript';

const tasksFolder = join(__dirname, '..', '..', 'fixtures', 'sim', 'tasks');
const scenarioPath = join(tasksFolder, 'generated.klpsim');

function firstError(text: string): { message: string; line: number; column: number } {
  const { errors } = parseScenario(text);
  assert.ok(errors.length > 0, `no error for: ${text}`);
  return errors[0];
}

describe('scenario directives: parse errors', () => {
  it('reports bad kernel directive values at the value', () => {
    assert.deepEqual(firstError('kernel version six'), { message: "kernel version: expected <major>.<minor>[.<patch>], found 'six'", line: 1, column: 16 });
    assert.deepEqual(firstError('\nkernel config LIVEPATCH=y'), { message: "kernel config: expected CONFIG_<NAME>=<value>, found 'LIVEPATCH=y'", line: 2, column: 15 });
    assert.deepEqual(firstError('kernel config CONFIG_HZ='), { message: 'kernel config: CONFIG_HZ needs a value (y, m, n, a number or a string)', line: 1, column: 15 });
    assert.deepEqual(firstError('kernel model.txt'), { message: "kernel: 'model.txt' is not a kernel model file (.json or .json.gz)", line: 1, column: 8 });
    assert.deepEqual(firstError('kernel feature =1'), { message: "kernel feature: expected <name>=<value>, found '=1'", line: 1, column: 16 });
  });

  it('reports bad task directives at the offending word', () => {
    assert.deepEqual(firstError('task systemd user'), { message: "task: expected <comm>:<pid>, found 'systemd'", line: 1, column: 6 });
    assert.deepEqual(firstError('task sleep:812 daemon'), { message: "task: expected user, kthread or idle, found 'daemon'", line: 1, column: 16 });
    assert.deepEqual(firstError('task sleep:812 user sleeping'), { message: "task: unknown attribute 'sleeping' (known: running, offline, unreliable, interruptible, uninterruptible, stack)", line: 1, column: 21 });
    assert.deepEqual(firstError('task sleep:812 user stack'), { message: 'task: stack needs at least one function', line: 1, column: 21 });
    assert.deepEqual(firstError('task sleep:812 user stack do_nanosleep 0xffff'), { message: "task: '0xffff' is not a function name (or <function>[<module>])", line: 1, column: 40 });
    assert.deepEqual(firstError('task a-very-long-comm:5 user'), { message: "task: comm 'a-very-long-comm' is longer than 15 characters (TASK_COMM_LEN)", line: 1, column: 6 });
    assert.deepEqual(firstError('task cron:5 user offline'), { message: 'task: only idle tasks can be offline (an offline CPU)', line: 1, column: 6 });
  });

  it('refuses directives after the first command', () => {
    assert.deepEqual(firstError('insmod a.ko\nkernel version 6.8'), { message: 'kernel: directives must come before the first command', line: 2, column: 1 });
  });

  it('parses a task with module frames and attributes', () => {
    const { lines, errors } = parseScenario('task klp_worker:1200 kthread uninterruptible unreliable stack msleep worker_step[klp-worker]');
    assert.deepEqual(errors, []);
    assert.deepEqual(lines[0].command, {
      kind: 'task',
      task: { pid: 1200, comm: 'klp_worker', kind: 'kthread', stack: ['msleep', 'worker_step [klp_worker]'], interruptible: false, reliableStack: false },
    });
  });
});

describe('scenario directives: the machine they make', () => {
  it('overrides version, config, features and tasks without touching the caller model', () => {
    const base = defaultKernelModel();
    const { lines } = parseScenario([
      'kernel version 6.16',
      'kernel config CONFIG_LIVEPATCH=n',
      'kernel config CONFIG_HZ=1000',
      'kernel feature reliableStacktrace=false',
      'task sleep:812 user stack do_nanosleep',
      'task systemd:1 user running',
    ].join('\n'));
    const { kernel, errors } = applyScenarioSetup(lines, scenarioPath, base);
    assert.deepEqual(errors, []);
    assert.deepEqual(kernel.version, { major: 6, minor: 16, patch: 0 });
    assert.equal(kernel.config.has('CONFIG_LIVEPATCH'), false);
    assert.equal(kernel.config.get('CONFIG_HZ'), '1000');
    assert.equal((kernel.raw.features as Record<string, unknown>).reliableStacktrace, false);
    const tasks = kernel.raw.tasks as { pid: number; comm: string; running?: boolean }[];
    assert.equal(tasks.find((t) => t.comm === 'sleep')?.pid, 812);
    // The same pid and comm replace the model's task instead of adding a second one.
    assert.deepEqual(tasks.filter((t) => t.comm === 'systemd').map((t) => t.running), [true]);
    assert.ok(tasks.some((t) => t.comm === 'swapper/0'), 'the default tasks stay');
    // Symbols are shared, the caller's model is unchanged.
    assert.equal(kernel.lookup('vmlinux', 'do_nanosleep').length, base.lookup('vmlinux', 'do_nanosleep').length);
    assert.equal(base.config.get('CONFIG_LIVEPATCH'), 'y');
    assert.notDeepEqual(base.version, kernel.version);
  });

  it('loads the model file relative to the scenario and reports one that does not load', () => {
    const good = applyScenarioSetup(parseScenario('kernel machine.json').lines, scenarioPath, defaultKernelModel());
    assert.deepEqual(good.errors, []);
    assert.equal(good.kernel.release, '6.8.0-lab');
    const bad = applyScenarioSetup(parseScenario('# comment\nkernel missing.json').lines, scenarioPath, defaultKernelModel());
    assert.equal(bad.errors.length, 1);
    assert.equal(bad.errors[0].line, 2);
    assert.match(bad.errors[0].message, /^kernel: missing\.json: cannot read kernel model file '.*missing\.json': no such file$/);
  });

  it('makes a bad model file an input error of the run (nothing runs)', async () => {
    const { lines } = parseScenario('kernel missing.json\ninsmod lp_sleepers.ko');
    const result = await runScenario(lines, { scenarioPath, kernel: defaultKernelModel() });
    assert.equal(result.inputErrors.length, 1);
    assert.equal(result.entries.length, 0);
  });
});

describe('livepatch API by kernel version', () => {
  async function run(text: string): Promise<string> {
    const { lines, errors } = parseScenario(text);
    assert.deepEqual(errors, []);
    return formatTranscript(await runScenario(lines, { scenarioPath, kernel: defaultKernelModel() }));
  }

  it('has no signal attribute after 5.0: the shell cannot create it', async () => {
    const recent = await run(['insmod lp_sleepers.ko', 'ls /sys/kernel/livepatch/lp_sleepers', 'echo 1 > /sys/kernel/livepatch/lp_sleepers/signal'].join('\n'));
    assert.match(recent, /% ls \/sys\/kernel\/livepatch\/lp_sleepers\nenabled\nforce\ntransition\nvmlinux\n/);
    assert.match(recent, /bash: \/sys\/kernel\/livepatch\/lp_sleepers\/signal: Permission denied/);
  });

  it('refuses the registration API from 5.1 on and the state API before 5.5 at module load', async () => {
    const modern = await run('insmod ../legacy/lp_legacy.ko');
    assert.match(modern, /lp_legacy: Unknown symbol klp_register_patch \(err -2\)\nlp_legacy: Unknown symbol klp_unregister_patch \(err -2\)\ninsmod: ERROR: could not insert module \.\.\/legacy\/lp_legacy\.ko: No such file or directory\n/);
    const old = await run('kernel version 5.4\ninsmod ../states/lp_state_v1.ko');
    assert.match(old, /lp_state_v1: Unknown symbol klp_get_state \(err -2\)|lp_state_v1: Unknown symbol klp_get_prev_state \(err -2\)/);
    assert.doesNotMatch(old, /enabling patch/);
  });
});
