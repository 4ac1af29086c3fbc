import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neutralize, templateMarkers, updateNeutralization } from '../../../server/src/parser/neutralize';
import { factsOf } from '../../helpers/modelFixtures';

const template = `/* @@KLP_FUNCS@@ in a comment stays */
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, vmlinux, saved_command_line);
extern struct mutex klpe_mutex __attribute__((weak));
extern int klpe_show(struct seq_file *m) KLP_RELOC_SYMBOL_POS(vmlinux, vmlinux, show,
	2);
static const char *tag = "@@KLP_TAG@@";
static struct klp_func funcs[] = {
	@@KLP_FUNCS@@
	{ }
};
static struct klp_object objs[] = {
	{ .funcs = funcs, }, @@KLP_OBJECTS@@ { }
};
static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = @@KLP_REPLACE@@,
};
MODULE_VERSION(@@KLP_VERSION@@);
`;

describe('template markers and relocation macros before parsing', () => {
  it('keeps every offset and line break', () => {
    const { text } = neutralize(template);
    assert.equal(text.length, template.length);
    for (let i = 0; i < template.length; i++) if (template[i] === '\n') assert.equal(text[i], '\n', `newline at ${i}`);
  });

  it('blanks table markers and relocation macros, turns value markers into identifiers', () => {
    const { text } = neutralize(template);
    const entries = template.indexOf('@@KLP_FUNCS@@', 40);
    assert.equal(text.slice(entries, entries + 13).trim(), '');
    const objects = template.indexOf('@@KLP_OBJECTS@@');
    assert.equal(text.slice(objects, objects + 15).trim(), '');
    const replace = template.indexOf('@@KLP_REPLACE@@');
    assert.equal(text.slice(replace, replace + 15), '__KLP_REPLACE__');
    const version = template.indexOf('@@KLP_VERSION@@');
    assert.equal(text.slice(version, version + 15), '__KLP_VERSION__');
    assert.ok(!text.includes('KLP_RELOC_SYMBOL'));
    assert.ok(!text.includes('__attribute__'));
    assert.ok(text.startsWith('/* @@KLP_FUNCS@@ in a comment stays */'), 'comments are not touched');
    assert.ok(text.includes('"@@KLP_TAG@@"'), 'strings are not touched');
  });

  it('lists the markers outside comments and strings', () => {
    assert.deepEqual(templateMarkers(template).map((m) => m.name), ['@@KLP_FUNCS@@', '@@KLP_OBJECTS@@', '@@KLP_REPLACE@@', '@@KLP_VERSION@@']);
    assert.deepEqual(templateMarkers('int x; /* @@A@@ */ "@@B@@" @@ not a marker @@'), []);
  });

  it('parses the template without syntax errors', async () => {
    const facts = await factsOf('/t/template.c', template);
    assert.deepEqual(facts.syntaxErrors, []);
    assert.deepEqual(facts.structVariables.map((v) => v.name), ['funcs', 'objs', 'patch']);
  });

  it('gives the same text after an edit as from scratch', () => {
    const before = neutralize(template);
    const at = template.indexOf('.replace');
    const edited = template.slice(0, at) + '.mod2 = NULL,\n\t' + template.slice(at);
    const updated = updateNeutralization(before, edited, at, at + 15);
    assert.equal(updated.text, neutralize(edited).text);
  });

  it('reads KLP_SYSCALL_DEFINEx as a function definition, positions kept', async () => {
    const source = 'KLP_SYSCALL_DEFINE2(kill, pid_t, pid,\n\t\tint, sig)\n{\n\treturn 0;\n}\nKLP_SYSCALL_DEFINE0(sync)\n{\n\treturn 0;\n}\n';
    const { text } = neutralize(source);
    assert.equal(text.length, source.length);
    assert.equal(text.split('\n').length, source.split('\n').length);
    const facts = await factsOf('/t/sys.c', source);
    assert.deepEqual(facts.syntaxErrors, []);
    assert.deepEqual(facts.functions.map((f) => [f.name, f.parameterTypes, f.nameLocation.range.start.line]), [
      ['__do_sys_kill', ['pid_t', 'int'], 0],
      ['__do_sys_sync', [], 5],
    ]);
    // Not that shape (wrong number of arguments): left alone.
    assert.equal(neutralize('KLP_SYSCALL_DEFINE2(kill, pid_t);').text, 'KLP_SYSCALL_DEFINE2(kill, pid_t);');
  });
});
