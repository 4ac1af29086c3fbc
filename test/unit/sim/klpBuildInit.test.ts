/**
 * Which modules get klp-build's generated init (scripts/livepatch/init.c): sources that include
 * the descriptors' header and bring no module_init of their own. The init itself is exercised
 * by test/fixtures/sim/klp-build/generated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatedByKlpBuild } from '../../../server/src/sim/klpBuildInit';

const descriptors = '#include <linux/livepatch.h>\n#include <linux/livepatch_external.h>\n';

describe('klp-build generated modules', () => {
  it('are recognised by the descriptors header without a module_init', () => {
    assert.equal(generatedByKlpBuild([descriptors]), true);
    assert.equal(generatedByKlpBuild(['int fixed(void) { return 0; }\n', `  #  include <linux/livepatch_external.h>\n`]), true);
  });

  it('are not: hand-written modules, or a mention of the header in a comment', () => {
    assert.equal(generatedByKlpBuild([`${descriptors}static int __init f(void) { return 0; }\nmodule_init(f);\n`]), false);
    assert.equal(generatedByKlpBuild(['/*\n * #include <linux/livepatch_external.h>\n */\n']), false);
    assert.equal(generatedByKlpBuild(['#include <linux/livepatch.h>\n']), false);
    assert.equal(generatedByKlpBuild([]), false);
  });
});
