/**
 * The scope of each check (checks/index.ts): a `module` check's findings are computed once per
 * model, as soon as it is assembled, and reused whatever the other modules do. That only holds
 * if such a check never looks at another module: on every series fixture, each module's
 * module-scope findings must be the same whether the check sees the whole workspace or the
 * module alone, while the workspace checks must see the difference somewhere.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allChecks, runChecks, runModuleChecks } from '../../../server/src/checks/index';
import { defaultKernelModel } from '../../../server/src/kernel/load';
import { analyzeSeries, seriesFixtures } from './seriesHarness';

const folders = readdirSync(seriesFixtures)
  .map((name) => join(seriesFixtures, name))
  .filter((path) => statSync(path).isDirectory());

describe('check scopes', () => {
  it('module-scope checks find the same with or without the other modules; workspace checks do not', async () => {
    const kernel = defaultKernelModel();
    let workspaceDifferences = 0;
    let modulesSeen = 0;
    for (const folder of folders) {
      const analyzer = await analyzeSeries(folder);
      try {
        const modules = analyzer.modules();
        const series = analyzer.seriesOrders();
        for (const module of modules) {
          modulesSeen++;
          const whole = { kernel, modules, series };
          const alone = { kernel, modules: [module] };
          allChecks.forEach((check) => {
            const withAll = JSON.stringify(check.run(module, whole));
            const withItself = JSON.stringify(check.run(module, alone));
            if (check.scope === 'module') assert.equal(withItself, withAll, `${check.name} on ${module.name} (${folder}) reads other modules`);
            else if (withItself !== withAll) workspaceDifferences++;
          });
          // Reusing module findings computed alone gives what running every check gives.
          assert.deepStrictEqual(runChecks(module, whole, runModuleChecks(module, alone)), runChecks(module, whole), module.name);
        }
      } finally {
        analyzer.dispose();
      }
    }
    assert.ok(modulesSeen >= 10, `${modulesSeen} modules`);
    assert.ok(workspaceDifferences > 0, 'the fixtures exercise the checks across modules');
  });
});
