/** Running one check the way runChecks does, and picking findings apart in assertions. */
import assert from 'node:assert/strict';
import type { Check } from '../../../server/src/checks/context';
import type { Finding } from '../../../server/src/checks/types';
import type { KernelModel } from '../../../server/src/kernel/types';
import type { LivepatchModule } from '../../../server/src/model/types';
import { fakeKernel } from './fakeKernel';

export function run(check: Check, module: LivepatchModule, kernel: KernelModel = fakeKernel(), modules: LivepatchModule[] = [module]): Finding[] {
  return check(module, { kernel, modules });
}

/** The one finding with this code; fails the test when there are none or several. */
export function single(findings: Finding[], code: string): Finding {
  const matching = findings.filter((f) => f.code === code);
  assert.equal(matching.length, 1, `expected one ${code}, got: ${JSON.stringify(findings.map((f) => `${f.code}: ${f.message}`), null, 1)}`);
  return matching[0];
}

export function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
}

/** Asserts every fragment occurs in the message (exact wording is the point of these tests). */
export function assertMessage(finding: Finding, ...fragments: string[]): void {
  for (const fragment of fragments) assert.ok(finding.message.includes(fragment), `message lacks ${JSON.stringify(fragment)}:\n${finding.message}`);
}
