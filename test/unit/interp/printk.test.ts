import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPointer } from '../../../server/src/interp/kernelApi/format';
import { compileFixture, load, noErrors, printkLines, type Loaded } from './helpers';

let m: Loaded;
before(async () => {
  const program = await compileFixture('lp_print', 'printing.c');
  noErrors(program);
  m = load(program);
});

function fresh(): void {
  m.machine.events.length = 0;
}

test('integer conversions with lengths, flags, widths and precision', () => {
  fresh();
  m.call('print_integers');
  assert.deepEqual(printkLines(m.machine), [
    'lp_print: d=-42 i=17 u=42 neg_u=4294967295',
    'lp_print: ld=-5000000000 lu=5000000000 lld=-1 llu=18446744073709551615',
    'lp_print: x=ff X=FF lx=deadbeefcafe llx=ffffffffffffffff hh=ff h=4464',
    'lp_print: [   42] [42   ] [-0042] [+7] [ 7] [0xff] [010] [005] [   9]',
    'lp_print: zu=8 zd=-3 c=Z pct=%',
  ]);
});

test('strings: widths, precision, (null); log levels from KERN_ prefixes', () => {
  fresh();
  const s = m.machine.allocKernel(8, 's');
  m.machine.memory.writeBytes(s, Buffer.from('xyz\0'));
  m.call('print_strings', s);
  const events = m.machine.events.filter((e) => e.kind === 'printk') as { level: number; text: string; continuation: boolean; module?: string }[];
  assert.deepEqual(events.map((e) => [e.level, e.text, e.continuation]), [
    [3, 'lp_print: [xyz] [       xyz] [ab    ] [ab] [(null)]', false],
    [4, 'warn level print_strings', false],
    [4, 'default level', false],
    [5, 'lp_print: notice', false],
    [7, 'lp_print: debug 1', false],
    [4, 'continued', true],
  ]);
  assert.equal(events[0].module, 'lp_print');
});

test('%p hashes, %px is raw, %ps/%pS name the symbol, %pe names the errno', () => {
  fresh();
  const p = m.machine.allocKernel(16, 'object');
  m.call('print_pointers', p);
  const [pointers, symbols, errors] = printkLines(m.machine);
  const hashed = hashPointer(p).toString(16).padStart(16, '0');
  assert.match(hashed, /^00000000[0-9a-f]{8}$/);
  assert.equal(pointers, `lp_print: p=${hashed} px=${p.toString(16).padStart(16, '0')} null=0000000000000000`);
  assert.match(symbols, /^lp_print: ps=target_fn \[lp_print\] pS=target_fn\+0x0\/0x[0-9a-f]+ \[lp_print\]$/);
  assert.equal(errors, 'lp_print: pe=-ENOMEM pe2=-EINVAL');
});

test('pr_*_once prints once per call site', () => {
  fresh();
  assert.equal(m.call('print_once', 3), 3);
  assert.equal(m.call('print_once', 2), 2);
  assert.deepEqual(printkLines(m.machine), ['lp_print: only once 0', 'lp_print: second site 0']);
});

test('KBUILD_MODNAME and THIS_MODULE name the module', () => {
  fresh();
  m.call('print_modname');
  assert.deepEqual(printkLines(m.machine), ['lp_print: lp_print lp_print']);
});

test('WARN_ON/WARN/WARN_ON_ONCE emit warning events with the call site', () => {
  fresh();
  assert.equal(m.call('warn_demo', 5), -22);
  assert.equal(m.call('warn_demo', 2), 0);
  assert.equal(m.call('warn_demo', 1), 0);
  assert.equal(m.call('warn_demo', 1), 0);
  const warnings = m.machine.events.filter((e) => e.kind === 'warning') as { message: string; line: number; function: string; file: string }[];
  assert.deepEqual(warnings.map((w) => [w.message, w.line, w.function]), [
    ['', 60, 'warn_demo'],
    ['value 2 is suspicious', 62, 'warn_demo'],
    ['', 63, 'warn_demo'],
  ]);
  assert.equal(warnings[0].file, 'printing.c');
  assert.ok(m.machine.kernel.taints.has('W'));
});
