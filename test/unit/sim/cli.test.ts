/**
 * `klp simulate` as a user runs it (bin/klp, needs `npm run build`): a malformed scenario and an
 * unknown command are refused with the line:column of the problem and exit status 2, before
 * anything runs; a good scenario prints its transcript and exits 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const repoRoot = resolve(__dirname, '..', '..', '..');
const klp = join(repoRoot, 'bin', 'klp');
const scratch = mkdtempSync(join(tmpdir(), 'klp-simulate-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function simulate(name: string, text: string): { status: number | null; stdout: string; stderr: string } {
  const path = join(scratch, name);
  writeFileSync(path, text);
  const result = spawnSync(process.execPath, [klp, 'simulate', path], { cwd: scratch, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('klp simulate input errors', () => {
  it('refuses an unterminated quote with its line and column, exit 2', () => {
    const r = simulate('quote.klpsim', "# comment\ncat /proc/version\necho 'file kernel/livepatch/* +p > /sys/kernel/debug/dynamic_debug/control\n");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /quote\.klpsim:3:6: unterminated single quote/);
  });

  it('refuses an unknown command, naming it, exit 2', () => {
    const r = simulate('unknown.klpsim', 'cat /proc/version\n  reboot now\n');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown\.klpsim:2:3: unknown command 'reboot'/);
  });

  it('refuses a malformed argument, exit 2', () => {
    const r = simulate('args.klpsim', 'sleep soon\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /args\.klpsim:1:1: sleep: expected a number of seconds/);
  });

  it('runs a good scenario and exits 0', () => {
    const r = simulate('good.klpsim', 'echo hello > /dev/kmsg\ncat /proc/sys/kernel/tainted\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '% echo hello > /dev/kmsg\nhello\n% cat /proc/sys/kernel/tainted\n0\n');
  });
});

describe('klp simulate with kernel and task directives', () => {
  it('refuses a bad directive value with its line and column, exit 2', () => {
    const r = simulate('directive.klpsim', '# the machine\nkernel version 6\n');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /directive\.klpsim:2:16: kernel version: expected <major>\.<minor>\[\.<patch>\], found '6'/);
  });

  it('refuses a kernel model file that does not load, naming it, exit 2', () => {
    const r = simulate('nomodel.klpsim', 'task sleep:812 user\nkernel absent.json\ncat /proc/version\n');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /nomodel\.klpsim:2:1: kernel: absent\.json: cannot read kernel model file '.*absent\.json': no such file/);
  });

  it('runs on the machine the directives describe', () => {
    const r = simulate('machine.klpsim', 'kernel config CONFIG_LIVEPATCH=n\ntask sleep:812 user stack do_nanosleep\nls /sys/kernel/livepatch\ncat /proc/812/patch_state\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "% ls /sys/kernel/livepatch\nls: cannot access '/sys/kernel/livepatch': No such file or directory\n% cat /proc/812/patch_state\n-1\n");
  });
});
