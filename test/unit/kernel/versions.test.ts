import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKernelConfig } from '../../../server/src/kernel/importConfig';
import { compareKernelVersions, formatKernelVersion, parseKernelVersion, versionFromRelease } from '../../../server/src/kernel/versions';

test('parseKernelVersion accepts versions and release strings', () => {
  assert.deepEqual(parseKernelVersion('6.1.176'), { major: 6, minor: 1, patch: 176 });
  assert.deepEqual(parseKernelVersion('6.1.0-50-amd64'), { major: 6, minor: 1, patch: 0 });
  assert.deepEqual(parseKernelVersion('5.14.0-284.11.1.el9_2.x86_64'), { major: 5, minor: 14, patch: 0 });
  assert.deepEqual(parseKernelVersion('6.8-rc3'), { major: 6, minor: 8, patch: 0 });
  assert.deepEqual(parseKernelVersion('v4.19.325'), { major: 4, minor: 19, patch: 325 });
  assert.deepEqual(versionFromRelease(' 6.12.1+deb13-amd64 '), { major: 6, minor: 12, patch: 1 });
  assert.equal(parseKernelVersion('linux'), undefined);
  assert.equal(parseKernelVersion('6'), undefined);
});

test('format and compare', () => {
  assert.equal(formatKernelVersion({ major: 6, minor: 1, patch: 176 }), '6.1.176');
  assert.ok(compareKernelVersions({ major: 6, minor: 1, patch: 176 }, { major: 6, minor: 10, patch: 0 }) < 0);
  assert.ok(compareKernelVersions({ major: 5, minor: 15, patch: 2 }, { major: 5, minor: 15, patch: 1 }) > 0);
  assert.equal(compareKernelVersions({ major: 4, minor: 0, patch: 0 }, { major: 4, minor: 0, patch: 0 }), 0);
});

test('parseKernelConfig keeps set options, unquotes strings', () => {
  const config = parseKernelConfig(
    '#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_LIVEPATCH=y\nCONFIG_EXT4_FS=m\n# CONFIG_KPROBES is not set\nCONFIG_NR_CPUS=8192\nCONFIG_CC_VERSION_TEXT="gcc-12 (Debian \\"12.2\\") 12.2.0"\nCONFIG_LOCALVERSION=""\r\n',
  );
  assert.deepEqual(config, {
    CONFIG_LIVEPATCH: 'y',
    CONFIG_EXT4_FS: 'm',
    CONFIG_NR_CPUS: '8192',
    CONFIG_CC_VERSION_TEXT: 'gcc-12 (Debian "12.2") 12.2.0',
    CONFIG_LOCALVERSION: '',
  });
});
