import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateCondition } from '../../../server/src/preprocess/conditionals';
import { evaluateExpression } from '../../../server/src/preprocess/expression';
import type { MacroBody } from '../../../server/src/preprocess/macros';

function env(defines: Record<string, string | [string[], string]>, moduleName?: string) {
  return {
    moduleName,
    lookup: (name: string): MacroBody | undefined => {
      const d = defines[name];
      if (d === undefined) return undefined;
      return typeof d === 'string' ? { name, body: d } : { name, parameters: d[0], body: d[1] };
    },
  };
}

test('integer expressions with macros, casts, shifts and suffixes', () => {
  const e = env({ BASE: '0x4c500000UL', ID: '(BASE | 0x10)', SHIFTED: '(1 << 3)', CAST: '((unsigned long)7)' });
  assert.equal(evaluateExpression('ID', e), 0x4c500010);
  assert.equal(evaluateExpression('SHIFTED + 1', e), 9);
  assert.equal(evaluateExpression('CAST * 2', e), 14);
  assert.equal(evaluateExpression('-22', e), -22);
  assert.equal(evaluateExpression('3 > 2 ? 10 : 20', e), 10);
});

test('strings: concatenation, KBUILD_MODNAME, __stringify and # stringification', () => {
  const e = env({ pr_fmt: [['fmt'], 'KBUILD_MODNAME ": " fmt'], NAME: 'do_sys_open', S: [['x'], '#x'] }, 'lp_mod');
  assert.equal(evaluateExpression('pr_fmt("hello")', e), 'lp_mod: hello');
  assert.equal(evaluateExpression('__stringify(NAME)', e), 'do_sys_open');
  assert.equal(evaluateExpression('S(NAME)', e), 'NAME');
  assert.equal(evaluateExpression('"a" "b"', e), 'ab');
});

test('what cannot be decided is undefined, never a throw', () => {
  const e = env({ SELF: 'SELF + 1', A: 'B', B: 'A' });
  for (const text of ['sizeof(struct foo)', 'SELF', 'A', 'unknown_identifier', '1 +', '(1', '7 % 0', '']) {
    assert.equal(evaluateExpression(text, e), undefined, text);
  }
});

test('#if conditions against the kernel config and version', () => {
  const facts = { config: new Map([['CONFIG_LIVEPATCH', 'y'], ['CONFIG_EXT4_FS', 'm']]), versionCode: (6 << 16) + (1 << 8) + 176, architecture: 'x86_64' };
  const macros = env({ HAVE_FIX: '1' });
  assert.equal(evaluateCondition('if', 'LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0)', macros, facts), true);
  assert.equal(evaluateCondition('if', 'LINUX_VERSION_CODE < KERNEL_VERSION(5,1,0)', macros, facts), false);
  assert.equal(evaluateCondition('if', 'IS_ENABLED(CONFIG_EXT4_FS) && defined(HAVE_FIX)', macros, facts), true);
  assert.equal(evaluateCondition('if', 'IS_BUILTIN(CONFIG_EXT4_FS)', macros, facts), false);
  assert.equal(evaluateCondition('ifdef', 'CONFIG_LIVEPATCH', macros, facts), true);
  assert.equal(evaluateCondition('ifndef', 'CONFIG_NOT_SET', macros, facts), true);
  assert.equal(evaluateCondition('ifdef', 'VENDOR_ONLY_FLAG', macros, facts), undefined);
  assert.equal(evaluateCondition('if', 'defined(VENDOR_ONLY_FLAG)', macros, facts), undefined);
  assert.equal(evaluateCondition('if', '0', macros, facts), false);
});
