/**
 * LP-NEWFUNC-NAME asks for `static` only where the replacement could be static: not when the
 * klp_func table that names it sits in another C file of the module (Kbuild `<mod>-y`), nor in a
 * distribution fix, whose generated table is always in the template.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzerOver } from './layoutHelpers';

const mainText = (inline: string) => `#include <linux/module.h>
#include <linux/livepatch.h>
${inline}
static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = livepatch_cmdline_proc_show, },
	{ }
};
static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs, };
static int __init fix_init(void) { return klp_enable_patch(&patch); }
module_init(fix_init);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
const replacement = 'int livepatch_cmdline_proc_show(struct seq_file *m, void *v) { return 0; }\n';

describe('replacement function linkage', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'klp-linkage-'));
    mkdirSync(join(root, 'split'));
    writeFileSync(join(root, 'split', 'Kbuild'), 'obj-m += livepatch-split.o\nlivepatch-split-y := main.o replacement.o\n');
    writeFileSync(join(root, 'split', 'main.c'), mainText('extern int livepatch_cmdline_proc_show(struct seq_file *m, void *v);'));
    writeFileSync(join(root, 'split', 'replacement.c'), `#include <linux/seq_file.h>\n${replacement}`);
    mkdirSync(join(root, 'single'));
    writeFileSync(join(root, 'single', 'single.c'), mainText(replacement));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('does not ask for static when the table is in another C file of the module', async () => {
    const analyzer = await analyzerOver(root);
    try {
      const split = join(root, 'split', 'replacement.c');
      assert.equal(analyzer.moduleOf(split)?.name, 'livepatch_split');
      assert.deepEqual(analyzer.analyze(split).findings.filter((f) => f.code === 'LP-NEWFUNC-NAME'), []);
      const single = join(root, 'single', 'single.c');
      const named = analyzer.analyze(single).findings.filter((f) => f.code === 'LP-NEWFUNC-NAME');
      assert.equal(named.length, 1);
      assert.match(named[0].message, /is not static.*make it static/);
    } finally {
      analyzer.dispose();
    }
  });
});
