/**
 * The TextMate grammars, run by the tokenizer VS Code itself uses (vscode-textmate with the
 * oniguruma wasm): the `.klpsim` scenario grammar on fixture lines, and the livepatch injection
 * on top of the real C grammar (VS Code's, as packaged by tm-grammars), which must colour the
 * livepatch API in code but never inside comments or strings. Also checks that the manifest
 * registers both grammars and that the scenario grammar knows every command the parser knows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, type IGrammar, type IRawGrammar } from 'vscode-textmate';
import { parseScenario } from '../../server/src/sim/scenario/parse';

const root = join(__dirname, '..', '..');
const syntaxes = join(root, 'syntaxes');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { grammars: { language?: string; scopeName: string; path: string; injectTo?: string[] }[]; languages: { id: string; extensions: string[]; configuration: string }[] };
};

function grammarFile(scopeName: string): string {
  if (scopeName === 'source.c') return join(root, 'node_modules', 'tm-grammars', 'grammars', 'c.json');
  const entry = manifest.contributes.grammars.find((grammar) => grammar.scopeName === scopeName);
  if (!entry) throw new Error(`no grammar ${scopeName} in package.json`);
  return join(root, entry.path);
}

let registry: Registry;

before(async () => {
  const wasm = readFileSync(join(root, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (!['source.c', 'source.klpsim', 'livepatch.injection.c'].includes(scopeName)) return null;
      return JSON.parse(readFileSync(grammarFile(scopeName), 'utf8')) as IRawGrammar;
    },
    // What VS Code derives from `injectTo` in the manifest.
    getInjections: (scopeName) =>
      manifest.contributes.grammars.filter((grammar) => grammar.injectTo?.includes(scopeName)).map((grammar) => grammar.scopeName),
  });
});

interface Token {
  text: string;
  scopes: string[];
}

function tokenize(grammar: IGrammar, text: string): Token[][] {
  let state = INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes }));
  });
}

/** The scopes of the first token whose text is exactly `text` (fails when there is none). */
function scopesOf(lines: Token[][], text: string, occurrence = 0): string[] {
  const matches = lines.flat().filter((token) => token.text === text);
  assert.ok(matches[occurrence], `no token ${JSON.stringify(text)} in ${JSON.stringify(lines.flat().map((t) => t.text))}`);
  return matches[occurrence].scopes;
}

function hasScope(scopes: string[], prefix: string): boolean {
  return scopes.some((scope) => scope === prefix || scope.startsWith(`${prefix}.`));
}

describe('the .klpsim grammar', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = (await registry.loadGrammar('source.klpsim'))!;
    assert.ok(grammar);
  });

  it('is registered for the klpsim language, with its language configuration', () => {
    const language = manifest.contributes.languages.find((entry) => entry.id === 'klpsim');
    assert.deepEqual(language?.extensions, ['.klpsim']);
    assert.ok(readFileSync(join(root, language!.configuration), 'utf8').includes('"lineComment": "#"'));
    assert.equal(manifest.contributes.grammars.find((entry) => entry.language === 'klpsim')?.scopeName, 'source.klpsim');
  });

  it('colours commands, module files and names, parameters and comments', () => {
    const lines = tokenize(grammar, ['# Load the fix.', 'insmod ../livepatch-fix-v1.ko verbose=1 # load it', 'rmmod livepatch_fix_v1', 'wait transition livepatch_fix_v1', 'sleep 2.5'].join('\n'));
    assert.ok(hasScope(scopesOf(lines, '#'), 'punctuation.definition.comment'));
    assert.ok(hasScope(scopesOf(lines, ' Load the fix.'), 'comment.line.number-sign'));
    assert.ok(hasScope(scopesOf(lines, 'insmod'), 'support.function.command'));
    assert.ok(hasScope(scopesOf(lines, '../livepatch-fix-v1.ko'), 'string.unquoted.path.module'));
    assert.ok(hasScope(scopesOf(lines, 'verbose'), 'variable.parameter'));
    assert.ok(hasScope(scopesOf(lines, '='), 'keyword.operator.assignment'));
    assert.ok(hasScope(scopesOf(lines, '1'), 'string.unquoted.value'));
    assert.ok(hasScope(scopesOf(lines, ' load it'), 'comment.line.number-sign'));
    assert.ok(hasScope(scopesOf(lines, 'livepatch_fix_v1'), 'entity.name.type.module'));
    assert.ok(hasScope(scopesOf(lines, 'transition'), 'keyword.other.transition'));
    assert.ok(hasScope(scopesOf(lines, 'livepatch_fix_v1', 1), 'entity.name.type.module'));
    assert.ok(hasScope(scopesOf(lines, '2.5'), 'constant.numeric'));
  });

  it('colours sysfs paths with the patch and attribute, quoted strings and redirections', () => {
    const lines = tokenize(
      grammar,
      ["echo 'file kernel/livepatch/* +p' > /sys/kernel/debug/dynamic_debug/control", 'echo 0 > /sys/kernel/livepatch/livepatch_fix_v2/enabled', 'cat /sys/module/demo_target/parameters/verbose > /dev/kmsg', 'cat /proc/cmdline'].join('\n'),
    );
    assert.ok(hasScope(scopesOf(lines, 'file kernel/livepatch/* +p'), 'string.quoted.single'));
    assert.ok(hasScope(scopesOf(lines, '>'), 'keyword.operator.redirect'));
    assert.ok(hasScope(scopesOf(lines, '/sys/kernel/debug/dynamic_debug/control'), 'string.unquoted.path.sysfs'));
    assert.ok(hasScope(scopesOf(lines, 'livepatch_fix_v2'), 'entity.name.type.module'));
    assert.ok(hasScope(scopesOf(lines, 'livepatch_fix_v2'), 'string.unquoted.path.sysfs'));
    assert.ok(hasScope(scopesOf(lines, 'enabled'), 'variable.language.attribute'));
    assert.ok(hasScope(scopesOf(lines, 'demo_target'), 'entity.name.type.module'));
    assert.ok(hasScope(scopesOf(lines, 'verbose'), 'variable.parameter'));
    assert.ok(hasScope(scopesOf(lines, '/dev/kmsg'), 'string.unquoted.path.sysfs'));
    assert.ok(hasScope(scopesOf(lines, '/proc/cmdline'), 'string.unquoted.path.sysfs'));
    assert.ok(hasScope(scopesOf(lines, '0'), 'constant.numeric'));
  });

  it('marks an unknown command, and knows every command the parser knows', () => {
    const lines = tokenize(grammar, 'frobnicate now');
    assert.ok(hasScope(scopesOf(lines, 'frobnicate'), 'invalid.illegal.unknown-command'));
    const known = /\(known: (.*)\)/.exec(parseScenario('frobnicate').errors[0].message)![1].split(', ');
    for (const command of known) {
      const [first] = tokenize(grammar, `${command} x`);
      assert.ok(hasScope(first.find((token) => token.text.trim() !== '')!.scopes, 'support.function.command'), `${command} is coloured as a command`);
    }
  });
});

describe('the livepatch injection into C', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = (await registry.loadGrammar('source.c'))!;
    assert.ok(grammar);
  });

  it('is injected into C and C++ by the manifest', () => {
    const entry = manifest.contributes.grammars.find((grammar) => grammar.scopeName === 'livepatch.injection.c');
    assert.deepEqual(entry?.injectTo, ['source.c', 'source.cpp']);
  });

  const code = readFileSync(join(root, 'test', 'fixtures', 'editor', 'series', 'livepatch-fix-v2.c'), 'utf8');

  it('colours klp_* calls, and the C grammar still sees the rest', () => {
    const lines = tokenize(grammar, code);
    for (const call of ['klp_shadow_get', 'klp_get_state', 'klp_shadow_free_all', 'klp_enable_patch']) {
      const scopes = scopesOf(lines, call);
      assert.ok(hasScope(scopes, 'support.function.livepatch'), `${call}: ${scopes.join(' ')}`);
      assert.equal(scopes[0], 'source.c');
    }
    assert.ok(hasScope(scopesOf(lines, 'seq_printf'), 'entity.name.function'), 'other calls keep the C grammar scope');
  });

  it('colours the livepatch structures, callback and table fields, and MODULE_INFO(livepatch, ...)', () => {
    const lines = tokenize(grammar, code);
    assert.ok(hasScope(scopesOf(lines, 'klp_patch'), 'support.type.livepatch'));
    assert.ok(hasScope(scopesOf(lines, 'klp_object'), 'support.type.livepatch'));
    assert.ok(hasScope(scopesOf(lines, 'klp_func'), 'support.type.livepatch'));
    for (const field of ['pre_patch', 'post_unpatch', 'old_name', 'new_func', 'replace', 'states']) {
      assert.ok(hasScope(scopesOf(lines, field), 'variable.other.member.livepatch'), field);
    }
    assert.ok(hasScope(scopesOf(lines, 'MODULE_INFO'), 'support.function.livepatch.modinfo'));
    assert.ok(hasScope(scopesOf(lines, 'livepatch'), 'support.constant.livepatch.modinfo'));
  });

  it('colours KLP_* macros', () => {
    const lines = tokenize(grammar, 'if (state == KLP_TRANSITION_IDLE)\n\treturn KLP_UNPATCHED;');
    assert.ok(hasScope(scopesOf(lines, 'KLP_TRANSITION_IDLE'), 'support.constant.livepatch'));
    assert.ok(hasScope(scopesOf(lines, 'KLP_UNPATCHED'), 'support.constant.livepatch'));
  });

  it('leaves comments and strings alone', () => {
    const lines = tokenize(grammar, '/* klp_enable_patch(&patch) is called by init */\nconst char *s = "klp_shadow_get(obj, KLP_ID)";\n// .pre_patch = cb');
    for (const token of lines.flat()) assert.ok(!token.scopes.some((scope) => scope.includes('livepatch')), `${token.text}: ${token.scopes.join(' ')}`);
  });
});
