import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileProgram } from '../../../server/src/interp';
import { fixtureText, load, noErrors } from './helpers';

const files = { 'config.c': fixtureText('config.c'), 'config_local.h': fixtureText('config_local.h') };

test('#if follows the configuration; inactive branches are not compiled', async () => {
  const program = await compileProgram({
    moduleName: 'cfg', files, mainFiles: ['config.c'],
    config: { config: new Map([['CONFIG_FEATURE_A', 'y'], ['CONFIG_FEATURE_M', 'm'], ['CONFIG_HZ', '1000']]), versionCode: (6 << 16) + (6 << 8), architecture: 'x86_64' },
  });
  noErrors(program);
  const m = load(program, { hz: 1000 });
  assert.equal(m.call('config_value'), 1 + 100 + 1000 + 10000 + 9);
  assert.equal(m.call('ticks_per_second'), 1000);
});

test('other configurations pick other branches', async () => {
  const program = await compileProgram({
    moduleName: 'cfg', files, mainFiles: ['config.c'],
    config: { config: new Map([['CONFIG_FEATURE_B', 'y']]), versionCode: (5 << 16) + (15 << 8), architecture: 'x86_64' },
  });
  noErrors(program);
  const m = load(program);
  assert.equal(m.call('config_value'), 2 + 10 + 2000 + 10000 + 9);
  assert.equal(m.call('ticks_per_second'), 250);
});
