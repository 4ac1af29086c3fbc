/**
 * Loads the web-tree-sitter runtime and the C grammar once per process. The wasm files sit next
 * to the bundle in dist/; when running from sources (tests through tsx) they are taken from
 * node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

const repoRoot = join(__dirname, '..', '..', '..');

function runtimeFile(name: string, packagePath: string): string {
  const candidates = [join(__dirname, name), join(repoRoot, 'dist', name), join(repoRoot, 'node_modules', packagePath)];
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new Error(`cannot find ${name} (looked in ${candidates.join(', ')})`);
}

let loading: Promise<Language> | undefined;
let loaded: Language | undefined;

/** The C language, loading the runtime on first use. */
export function loadCLanguage(): Promise<Language> {
  loading ??= (async () => {
    const runtimeWasm = runtimeFile('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtimeWasm });
    const grammar = readFileSync(runtimeFile('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm'));
    loaded = await Language.load(grammar);
    return loaded;
  })();
  return loading;
}

/** The C language once loadCLanguage() has resolved; throws before that. */
export function cLanguage(): Language {
  if (!loaded) throw new Error('tree-sitter C grammar not loaded yet (await loadCLanguage() first)');
  return loaded;
}

/** A parser bound to C. Parsers are cheap; each DocumentTrees owns one. */
export function newCParser(): Parser {
  const parser = new Parser();
  parser.setLanguage(cLanguage());
  return parser;
}

/** Directory holding the `.scm` query files (next to the bundle, or in the sources). */
export function queriesDirectory(): string {
  const candidates = [join(__dirname, 'queries'), join(repoRoot, 'server', 'src', 'parser', 'queries')];
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  return candidates[candidates.length - 1];
}
