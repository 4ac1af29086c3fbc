/**
 * Open documents update their facts in place after an edit: only the file-scope items the edit
 * touched are read again, the facts of the others move. Whatever the edit (in a function, across
 * items, opening a comment, breaking the syntax), the result must be exactly what reading the
 * whole (incrementally re-parsed) tree gives. Random edits on every fixture and on generated
 * modules, with a fixed seed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { Tree } from 'web-tree-sitter';
import { extractFileFacts } from '../../../server/src/model/fileFacts';
import { neutralize, updateNeutralization, type Annotation } from '../../../server/src/parser/neutralize';
import { scanConditionalsWithState, updateConditionalScan } from '../../../server/src/preprocess/directives';
import { SourceFile } from '../../../server/src/parser/sourceFile';
import { loadCLanguage, newCParser } from '../../../server/src/parser/treeSitter';
import { generateLongFile, generateModule } from '../../../bench/corpus';
import { sourcesUnder } from '../../helpers/fixtureSources';

/** What the test reads of a SourceFile's internals: the live tree and what it was parsed from. */
interface SourceInternals {
  tree: Tree | undefined;
  annotations: Annotation[];
  parsedText: string;
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const insertions = [
  'x', ' ', '\n', ';', '{', '}', '(', ')', ',', '"', "'", '/*', '*/', '//', '#', '\\\n', '#if X\n', '#else\n', '#endif\n',
  'static ', '__init ', 'return 1;', 'f(a, b);', 'int g(void) { return h(); }\n', '.old_name = "x",', 'klp_reloc', 'é',
];

/** Applies random edits one or a few at a time and compares the updated facts with a full read. */
function fuzz(path: string, text: string, seed: number, rounds: number): number {
  const next = random(seed);
  const parser = newCParser();
  const source = new SourceFile(path, text, parser, true);
  let compared = 0;
  try {
    source.facts();
    for (let round = 0; round < rounds; round++) {
      const edits = next() < 0.7 ? 1 : 2 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const lines = source.text.split('\n');
        const line = Math.floor(next() * lines.length);
        const character = Math.floor(next() * (lines[line].length + 1));
        let endLine = line;
        let endCharacter = character;
        const kind = next();
        if (kind < 0.35) endCharacter = Math.min(lines[line].length, character + Math.floor(next() * 6));
        else if (kind < 0.45) {
          endLine = Math.min(lines.length - 1, line + Math.floor(next() * 3));
          endCharacter = Math.floor(next() * (lines[endLine].length + 1));
          if (endLine === line && endCharacter < character) endCharacter = character;
        }
        const inserted = kind >= 0.3 ? insertions[Math.floor(next() * insertions.length)] : '';
        source.applyChanges([{ range: { start: { line, character }, end: { line: endLine, character: endCharacter } }, text: inserted }]);
      }
      const updated = source.facts();
      const internals = source as unknown as SourceInternals;
      if (!internals.tree) continue;
      const full = extractFileFacts(path, source.text, internals.tree, internals.annotations, internals.parsedText);
      assert.deepStrictEqual(updated, full, `${path}: round ${round} (seed ${seed})`);
      compared++;
    }
  } finally {
    source.dispose();
    parser.delete();
  }
  return compared;
}

describe('facts of an edited open document', () => {
  before(async () => {
    await loadCLanguage();
  });

  it('equal a full read after random edits of every fixture', () => {
    let compared = 0;
    sourcesUnder().forEach((path, i) => {
      compared += fuzz(path, readFileSync(path, 'utf8'), 1000 + i, 12);
    });
    assert.ok(compared > 500, `only ${compared} comparisons`);
  });

  it('equal a full read after random edits of large generated modules', () => {
    let compared = 0;
    for (let i = 0; i < 4; i++) compared += fuzz(`/generated/lp_${i}.c`, generateModule(7 + i, 25), 77 + i, 40);
    compared += fuzz('/generated/lp_long.c', generateLongFile(1500), 4242, 40);
    assert.ok(compared > 150, `only ${compared} comparisons`);
  });

  it('edits that re-shape the rest of the file (an opened comment, a brace) are followed', () => {
    const text = generateModule(3, 8);
    const parser = newCParser();
    const source = new SourceFile('/generated/reshape.c', text, parser, true);
    try {
      const before = source.facts();
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.startsWith('static noinline'));
      const close = lines.findIndex((l, i) => i > at && l === '}');
      const name = before.functions.find((f) => f.location.range.start.line === at)!.name;
      // Comment the function out: the closing mark first, so the opening one does not swallow the file.
      source.applyChanges([
        { range: { start: { line: close, character: 1 }, end: { line: close, character: 1 } }, text: ' */' },
        { range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, text: '/* ' },
      ]);
      const commented = source.facts();
      const internals = source as unknown as SourceInternals;
      assert.deepStrictEqual(commented, extractFileFacts('/generated/reshape.c', source.text, internals.tree!, internals.annotations, internals.parsedText));
      assert.ok(!commented.functions.some((f) => f.name === name));
      assert.equal(commented.functions.length, before.functions.length - 1);
      source.applyChanges([
        { range: { start: { line: at, character: 0 }, end: { line: at, character: 3 } }, text: '' },
        { range: { start: { line: close, character: 1 }, end: { line: close, character: 4 } }, text: '' },
      ]);
      assert.deepStrictEqual(source.facts(), before);
    } finally {
      source.dispose();
      parser.delete();
    }
  });
});

describe('neutralisation and #if chains of an edited text', () => {
  it('updated around the edit, equal a full scan', () => {
    const next = random(99);
    const texts = [...sourcesUnder().map((path) => readFileSync(path, 'utf8')), generateModule(5, 10), generateLongFile(600)];
    let compared = 0;
    for (const original of texts) {
      let text = original;
      let neutralization = neutralize(text);
      let conditionals = scanConditionalsWithState(text);
      for (let round = 0; round < 15; round++) {
        const at = Math.floor(next() * (text.length + 1));
        const removed = next() < 0.4 ? Math.floor(next() * 10) : 0;
        const inserted = next() < 0.7 ? insertions[Math.floor(next() * insertions.length)] : '';
        const edited = text.slice(0, at) + inserted + text.slice(Math.min(text.length, at + removed));
        const updated = updateNeutralization(neutralization, edited, at, at + inserted.length);
        const full = neutralize(edited);
        assert.equal(updated.text, full.text);
        assert.deepStrictEqual(updated.annotations, full.annotations);
        const chains = updateConditionalScan(conditionals, edited.length - text.length, edited, at, at + inserted.length);
        assert.deepStrictEqual(chains, scanConditionalsWithState(edited));
        text = edited;
        neutralization = updated;
        conditionals = chains;
        compared++;
      }
    }
    assert.ok(compared > 300);
  });
});
