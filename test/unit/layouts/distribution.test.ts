import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../../server/src/analysis/analyzer';
import { nodeFileSystem } from '../../../server/src/analysis/nodeFileSystem';
import type { KlpObject, LivepatchModule } from '../../../server/src/model/types';
import { moduleOf } from '../../helpers/modelFixtures';
import { analyzerOver, configurationOf, embeddedKernel, layoutsRoot } from './layoutHelpers';

const tree = join(layoutsRoot, 'distribution');
const fix1 = join(tree, 'bsc1210001');
const fix2 = join(tree, 'bsc1210002');
const fix3 = join(tree, 'bsc1210003');

/** What the kernel reads of the objects and funcs: names, targets, positions, terminators. */
function tables(module: LivepatchModule) {
  return module.patches.map((patch) => ({
    variable: patch.variableName,
    objectsTerminated: patch.objectsTerminated,
    objects: patch.objects.map((object: KlpObject) => ({
      name: object.name?.value ?? null,
      isTerminator: object.isTerminator,
      funcsTerminated: object.funcsTerminated,
      funcs: object.funcs.map((f) => ({
        oldName: f.oldName?.value ?? null,
        newFunc: f.newFunc?.name ?? null,
        definedIn: f.newFunc?.definition ? `${f.newFunc.definition.name}@${f.newFunc.definition.file}` : null,
        sympos: f.oldSympos?.value ?? null,
        isTerminator: f.isTerminator,
      })),
    })),
  }));
}

/** Line and column of `needle` in a file. */
function positionIn(path: string, needle: string): { line: number; character: number } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} in ${path}`);
  return { line, character: lines[line].indexOf(needle) };
}

describe('distribution layout: template + patched_funcs.csv', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await analyzerOver(tree);
  });
  after(() => analyzer.dispose());

  it('groups a fix folder into one module named after it, the template first', () => {
    const module = analyzer.moduleOf(join(fix1, 'cmdline.c'))!;
    assert.equal(module.name, 'bsc1210001');
    assert.equal(module.layout, 'distribution');
    assert.equal(module.files[0], join(fix1, 'livepatch_bsc1210001.c'));
    assert.deepEqual([...module.files].sort(), ['cmdline.c', 'ext4_file.c', 'ext4_inode.c', 'livepatch_bsc1210001.c'].map((f) => join(fix1, f)));
  });

  it('gives the same objects and funcs as the hand-written tables', async () => {
    const generated = analyzer.moduleOf(join(fix1, 'livepatch_bsc1210001.c'))!;
    const handWritten = await moduleOf(
      [join(layoutsRoot, 'distribution-handwritten', 'livepatch_bsc1210001.c'), join(fix1, 'cmdline.c'), join(fix1, 'ext4_file.c'), join(fix1, 'ext4_inode.c')],
      [join(fix1, 'livepatch_bsc1210001.h')],
      configurationOf(embeddedKernel()),
      'bsc1210001',
    );
    assert.equal(handWritten.layout, 'upstream');
    assert.deepEqual(tables(generated), tables(handWritten));
    // Not vacuous: three replacement functions, each resolved to its definition.
    const funcs = tables(generated)[0].objects.flatMap((o) => o.funcs).filter((f) => !f.isTerminator);
    assert.deepEqual(funcs.map((f) => f.oldName), ['cmdline_proc_show', 'ext4_file_write_iter', 'ext4_setattr']);
    assert.ok(funcs.every((f) => f.definedIn !== null));
    // The generated entries point at the list, where their problems are reported.
    const ext4 = generated.patches[0].objects[1];
    assert.equal(ext4.name?.location.file, join(fix1, 'patched_funcs.csv'));
    assert.deepEqual(ext4.funcs[1].oldName?.location.range.start, positionIn(join(fix1, 'patched_funcs.csv'), 'ext4_setattr'));
    // The replacement functions play their role for the call contexts, as with hand-written tables.
    assert.equal(generated.patches[0].replace?.value, true);
    assert.deepEqual(generated.templateMarkers?.map((m) => [m.name, m.table, m.expanded]), [['@@KLP_FUNCS@@', 'vmlinux_funcs', true], ['@@KLP_OBJECTS@@', 'objs', true]]);
    assert.deepEqual(generated.patchedFuncs?.unplaced, []);
  });

  it('parses templates and extracted code without syntax errors', () => {
    for (const fix of [fix1, fix2, fix3]) {
      for (const path of analyzer.moduleOf(join(fix, `livepatch_${fix.slice(-10)}.c`))!.files) {
        const syntax = analyzer.analyze(path).findings.filter((f) => f.code === 'LP-SYNTAX' || f.code === 'LP-UNPARSABLE');
        assert.deepEqual(syntax, [], path);
      }
    }
  });

  it('reports the list\'s problems on the list, at the field', () => {
    const csv = join(fix2, 'patched_funcs.csv');
    const findings = analyzer.analyze(csv).findings.map((f) => [f.code, f.location.range.start.line, f.location.range.start.character]);
    const text = readFileSync(csv, 'utf8').split('\n');
    const col = (line: number, needle: string) => text[line].indexOf(needle);
    assert.deepEqual(
      findings.sort(),
      [
        ['LP-SYMBOL-NOT-FOUND', 3, col(3, 'si_meminfo_node_avail')], // unknown in the kernel model
        ['LP-NEWFUNC-UNDEFINED', 4, col(4, 'klpp_uptime_proc_show')], // not defined in the fix's C files
        ['LP-CSV-SYNTAX', 5, 0], // two fields
        ['LP-CSV-SYNTAX', 6, col(6, 'first')], // sympos not a number
        ['LP-OBJECT-NOT-LOADED', 7, 0], // 'nfs' unknown to the kernel model
      ].sort(),
    );
    // Every finding of the list is in the list: none leaks into the C files.
    for (const path of analyzer.moduleOf(csv)!.files) assert.ok(analyzer.analyze(path).findings.every((f) => !f.location.file.endsWith('.csv')));
  });

  it('reads the relocation macros of extracted code and checks them against the kernel model', () => {
    const module = analyzer.moduleOf(join(fix1, 'cmdline.c'))!;
    assert.deepEqual(
      module.relocations?.map((r) => [r.sectionObject, r.symbolObject, r.symbol, r.position ?? 0, r.location.file.split('/').pop()]),
      [
        ['vmlinux', 'vmlinux', 'saved_command_line', 0, 'cmdline.c'],
        ['vmlinux', 'vmlinux', 'boot_command_line', 0, 'cmdline.c'],
        ['ext4', 'ext4', 'ext4_buffered_write_iter', 0, 'ext4_file.c'],
        ['ext4', 'ext4', 'ext4_inode_journal_mode', 0, 'ext4_file.c'],
        ['ext4', 'ext4', 'ext4_truncate', 1, 'ext4_inode.c'],
      ],
    );
    const relocationCodes = ['LP-RELOC-SYMBOL', 'LP-RELOC-VMLINUX'];
    for (const file of module.files) assert.ok(analyzer.analyze(file).findings.every((f) => !relocationCodes.includes(f.code)), file);
    const meminfo = join(fix2, 'meminfo.c');
    const findings = analyzer.analyze(meminfo).findings.filter((f) => relocationCodes.includes(f.code));
    assert.deepEqual(findings.map((f) => [f.code, f.location.range.start]), [
      ['LP-RELOC-SYMBOL', positionIn(meminfo, 'KLP_RELOC_SYMBOL(vmlinux, vmlinux, vm_commit_limt)')],
      ['LP-RELOC-VMLINUX', positionIn(meminfo, 'KLP_RELOC_SYMBOL(nfs, vmlinux, system_wq)')],
    ]);
    assert.match(findings[1].message, /invalid access to vmlinux symbol 'system_wq' from module-specific livepatch relocation section/);
  });

  it('reads relocation macros of the local headers the fix includes, at their place in the header', () => {
    const template = join(fix3, 'livepatch_bsc1210003.c');
    const header = join(fix3, 'livepatch_bsc1210003.h');
    const module = analyzer.moduleOf(template)!;
    const inHeader = (module.relocations ?? []).filter((r) => r.location.file === header);
    // The #ifndef CONFIG_X86_64 declaration is not compiled for the x86_64 target.
    assert.deepEqual(
      inHeader.map((r) => [r.symbol, r.location.range.start]),
      [
        ['pipe_lock', positionIn(header, 'KLP_RELOC_SYMBOL(vmlinux, vmlinux, pipe_lock)')],
        ['pipe_unlok', positionIn(header, 'KLP_RELOC_SYMBOL(vmlinux, vmlinux, pipe_unlok)')],
      ],
    );
    const findings = analyzer.analyze(header).findings.filter((f) => f.code === 'LP-RELOC-SYMBOL');
    assert.deepEqual(findings.map((f) => f.location), [inHeader[1].location]);
    assert.match(findings[0].message, /'pipe_unlok' is not a symbol of vmlinux/);
  });

  it('reports a line no table receives, and markers only the build can fill', () => {
    const csv = join(fix3, 'patched_funcs.csv');
    assert.deepEqual(analyzer.analyze(csv).findings.map((f) => [f.code, f.location.range.start.line]), [['LP-CSV-OBJECT', 2]]);
    const template = join(fix3, 'livepatch_bsc1210003.c');
    const markers = analyzer.analyze(template).findings.filter((f) => f.code === 'LP-TEMPLATE-MARKER');
    assert.deepEqual(markers.map((f) => [f.severity, f.location.range.start]), [['information', positionIn(template, '@@KLP_PATCH_VERSION@@')]]);
    const module = analyzer.moduleOf(template)!;
    assert.deepEqual(module.patches[0].objects[0].funcs.map((f) => f.oldName?.value ?? null), ['pipe_write', null]);
  });

  it('follows edits of an open list and of the template', () => {
    const csv = join(fix3, 'patched_funcs.csv');
    const text = readFileSync(csv, 'utf8');
    analyzer.openDocument(csv, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('xfs'));
    // Remove the xfs line: the finding goes away.
    analyzer.changeDocument(csv, [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' }]);
    assert.deepEqual(analyzer.analyze(csv).findings, []);
    // A typo in the list: the symbol check reports it at the new text's position.
    analyzer.changeDocument(csv, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'vmlinux pipe_wrte klpp_pipe_write\n' }]);
    assert.deepEqual(analyzer.analyze(csv).findings.map((f) => [f.code, f.location.range.start]), [['LP-SYMBOL-NOT-FOUND', { line, character: 8 }]]);
    analyzer.closeDocument(csv);
    assert.deepEqual(analyzer.analyze(csv).findings.map((f) => f.code), ['LP-CSV-OBJECT'], 'the text on disk again');
  });
});

describe('a patched_funcs.csv the analyzer was not given', () => {
  it('is read from disk as a list, never parsed as C', async () => {
    const analyzer = await Analyzer.create(embeddedKernel(), nodeFileSystem, { workers: 0 });
    try {
      const csv = join(fix3, 'patched_funcs.csv');
      const codes = analyzer.analyze(csv).findings.map((f) => f.code);
      assert.ok(!codes.includes('LP-SYNTAX'), 'not C');
      assert.deepEqual(analyzer.analyze(join(tree, 'nowhere', 'patched_funcs.csv')).findings, []);
    } finally {
      analyzer.dispose();
    }
  });
});

describe('misplaced and unfed template markers', () => {
  const template = (objects: string) => `#include <linux/livepatch.h>
static int klpp_pipe_read(void) { return 0; }
static struct klp_func funcs[] = {
	{ }
};
static struct klp_object objs[] = {
	{ .funcs = funcs, },
	${objects}
	{ }
};
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs, };
static int __init fix_init(void) { return klp_enable_patch(&patch); }
module_init(fix_init);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
`;
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'klp-layouts-'));
    mkdirSync(join(root, 'misplaced'));
    writeFileSync(join(root, 'misplaced', 'fix.c'), template('@@KLP_FUNCS@@'));
    writeFileSync(join(root, 'misplaced', 'patched_funcs.csv'), 'vmlinux pipe_read klpp_pipe_read\n');
    mkdirSync(join(root, 'unfed'));
    writeFileSync(join(root, 'unfed', 'fix.c'), template('@@KLP_OBJECTS@@'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('says where a marker belongs, and that the list then reaches no table', async () => {
    const analyzer = await analyzerOver(root);
    try {
      const fix = join(root, 'misplaced', 'fix.c');
      const marker = analyzer.analyze(fix).findings.filter((f) => f.code === 'LP-TEMPLATE-MARKER');
      assert.equal(marker.length, 1);
      assert.equal(marker[0].severity, 'warning');
      assert.match(marker[0].message, /@@KLP_FUNCS@@ belongs inside a struct klp_func array .* sits in 'objs'/);
      assert.deepEqual(marker[0].location.range.start, positionIn(fix, '@@KLP_FUNCS@@'));
      const csv = analyzer.analyze(join(root, 'misplaced', 'patched_funcs.csv')).findings;
      assert.deepEqual(csv.map((f) => [f.code, f.location.range.start]), [['LP-CSV-OBJECT', { line: 0, character: 0 }]]);
      const unfed = analyzer.analyze(join(root, 'unfed', 'fix.c')).findings.filter((f) => f.code === 'LP-TEMPLATE-MARKER');
      assert.deepEqual(unfed.map((f) => f.message), ['@@KLP_OBJECTS@@ has nothing to be filled with: there is no patched_funcs.csv beside the template']);
      // Without a list the folder is no fix folder (the file is a module of its own), but a template still.
      const unfedModule = analyzer.moduleOf(join(root, 'unfed', 'fix.c'))!;
      assert.equal(unfedModule.name, 'fix');
      assert.equal(unfedModule.layout, 'distribution');
    } finally {
      analyzer.dispose();
    }
  });
});

describe('replacement functions of a distribution fix', () => {
  const templateText = `#include <linux/livepatch.h>
static struct klp_func funcs[] = {
	@@KLP_FUNCS@@
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
  // Extracted code: the template's generated table names these from another file, so they cannot be static.
  const extractedText = `#include <linux/fs.h>
int klpp_pipe_read(void) { return 0; }
int cmdline_proc_show(void) { return 0; }
`;
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'klp-layouts-'));
    mkdirSync(join(root, 'bsc1'));
    writeFileSync(join(root, 'bsc1', 'livepatch_bsc1.c'), templateText);
    writeFileSync(join(root, 'bsc1', 'extracted.c'), extractedText);
    writeFileSync(join(root, 'bsc1', 'patched_funcs.csv'), 'vmlinux pipe_read klpp_pipe_read\nvmlinux cmdline_proc_show cmdline_proc_show\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('are not told to be static, but still told not to reuse the original name', async () => {
    const analyzer = await analyzerOver(root);
    try {
      const extracted = join(root, 'bsc1', 'extracted.c');
      assert.equal(analyzer.moduleOf(extracted)?.layout, 'distribution');
      const named = analyzer.analyze(extracted).findings.filter((f) => f.code === 'LP-NEWFUNC-NAME');
      assert.deepEqual(named.map((f) => f.location.range.start), [positionIn(extracted, 'cmdline_proc_show(void)')]);
      assert.doesNotMatch(named[0].message, /not static/);
      assert.match(named[0].message, /same name as the function it replaces.*give it a prefix/);
    } finally {
      analyzer.dispose();
    }
  });
});
