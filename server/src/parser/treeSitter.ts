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

/** What is used of the WebAssembly API (the project's `lib` setting does not declare it). */
export interface WasmModule {
  readonly wasmModule?: never;
}
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: unknown) => unknown;
};

let loading: Promise<Language> | undefined;
let loaded: Language | undefined;

/**
 * The runtime and the grammar compiled to WebAssembly modules. A module sent to a worker thread
 * shares its compiled code (and the optimised code V8 tiers up to as any thread runs it), so
 * workers do not compile and warm up the parser again (see analysis/factsWorkerPool.ts).
 */
export interface CompiledWasm {
  runtime: WasmModule;
  grammar: WasmModule;
}

let compiled: CompiledWasm | undefined;

/** The C language, loading the runtime on first use (from modules compiled elsewhere, when given). */
export function loadCLanguage(precompiled?: CompiledWasm): Promise<Language> {
  loading ??= (async () => {
    const modules = precompiled ?? {
      runtime: await WebAssembly.compile(readFileSync(runtimeFile('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm'))),
      grammar: await WebAssembly.compile(readFileSync(runtimeFile('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm'))),
    };
    await Parser.init({
      instantiateWasm(imports: unknown, done: (instance: unknown, module: WasmModule) => void) {
        done(new WebAssembly.Instance(modules.runtime, imports), modules.runtime);
        return {};
      },
    });
    loaded = Language.loadSync(modules.grammar as Parameters<typeof Language.loadSync>[0]);
    compiled = modules;
    return loaded;
  })();
  return loading;
}

/** The compiled modules once loadCLanguage() has resolved. */
export function compiledWasm(): CompiledWasm | undefined {
  return compiled;
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
