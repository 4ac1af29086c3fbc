import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { blankFileScopeExterns } from '../../../server/src/parser/fileScopeExterns';
import { extractFileFacts } from '../../../server/src/model/fileFacts';
import { neutralize } from '../../../server/src/parser/neutralize';
import { parseFileFacts } from '../../../server/src/parser/sourceFile';
import { loadCLanguage, newCParser } from '../../../server/src/parser/treeSitter';
import { sourcesUnder } from '../../helpers/fixtureSources';

/** The text with the given snippets replaced by spaces (their newlines kept). */
function blankedAs(text: string, ...snippets: string[]): string {
  let expected = text;
  for (const snippet of snippets) {
    const at = expected.indexOf(snippet);
    assert.ok(at >= 0, snippet);
    expected = expected.slice(0, at) + snippet.replace(/[^\r\n]/g, ' ') + expected.slice(at + snippet.length);
  }
  return expected;
}

describe('file-scope extern declarations', () => {
  it('are blanked at file scope, over several lines, with every offset and line kept', () => {
    const multi = 'extern int klpe_helper(void *arg,\r\n\t\t\t  int n);';
    const text = `#include <linux/kernel.h>\n\nextern unsigned long klpe_state[8]  ;\n${multi}\n\nint f(void)\n{\n\treturn klpe_helper(0, 1);\n}\nextern int (*klpe_fp)(int);\n`;
    const blanked = blankFileScopeExterns(text);
    assert.equal(blanked.length, text.length);
    assert.equal(blanked, blankedAs(text, 'extern unsigned long klpe_state[8]  ;', multi, 'extern int (*klpe_fp)(int);'));
  });

  it('are kept inside functions, with an initialiser or a body, across a directive, or unterminated', () => {
    const kept = [
      'int f(void)\n{\nextern int x;\n\treturn x;\n}\n',
      'extern struct klp_patch patch = { .mod = THIS_MODULE };\n',
      'extern struct s { int a; } t;\n',
      'extern int a\n#ifdef CONFIG_X\n, b\n#endif\n;\n',
      'extern int never_ended(void)\n',
      'int x = 1 extern;\n',
    ];
    for (const text of kept) assert.equal(blankFileScopeExterns(text), text, text);
  });

  it('leaves comments and strings alone, and reads past them', () => {
    const text = '/* extern int a; */\nconst char *s = "extern int b;";\n// extern int c;\nextern int d /* ; */ __attribute__((section(";")));\n';
    assert.equal(blankFileScopeExterns(text), blankedAs(text, 'extern int d /* ; */ __attribute__((section(";")));'));
  });

  it('change none of the facts of any fixture, nor of kernel-style code with a block of them', async () => {
    await loadCLanguage();
    const parser = newCParser();
    // The facts of the whole text, parsed without blanking (as an open document is).
    const unblanked = (path: string, text: string) => {
      const { text: parsed, annotations } = neutralize(text);
      const tree = parser.parse(parsed)!;
      try {
        return extractFileFacts(path, text, tree, annotations, parsed);
      } finally {
        tree.delete();
      }
    };
    const extracted = [
      'extern int klpe_helper(void *arg, int n) KLP_RELOC_SYMBOL(vmlinux, vmlinux, helper);',
      'extern spinlock_t klpe_lock __attribute__((weak));',
      'static int klpp_show(void *arg)',
      '{',
      '\textern int local;',
      '\tint *p = klp_shadow_alloc(arg, 1, sizeof(*p), GFP_KERNEL, NULL, NULL);',
      '\treturn klpe_helper(arg, local) + *p;',
      '}',
      '',
    ].join('\n');
    const files = [...sourcesUnder().map((path) => ({ path, text: readFileSync(path, 'utf8') })), { path: '/virtual/extracted.c', text: extracted }];
    let changed = 0;
    try {
      for (const { path, text } of files) {
        if (blankFileScopeExterns(neutralize(text).text) !== neutralize(text).text) changed++;
        assert.deepStrictEqual(parseFileFacts(parser, path, text).facts, unblanked(path, text), path);
      }
    } finally {
      parser.delete();
    }
    assert.ok(changed >= 2, `${changed} files with blanked declarations`);
  });
});
