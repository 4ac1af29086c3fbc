/**
 * Entry point of the compiler: module sources → CompiledProgram. Each .c file is one
 * translation unit (with the kernel header prelude in front); the units share one program
 * (non-static names link across them).
 */
import type { ConfigurationFacts } from '../../preprocess/conditionals';
import { loadCLanguage, newCParser } from '../../parser/treeSitter';
import { headerConfig, preludeFileName, preludeText } from '../kernelHeaders';
import type { CompiledProgram } from '../program';
import { preprocess } from './preprocessor';
import { ProgramBuilder, UnitCompiler } from './unit';

export interface CompileOptions {
  /** Kernel module name (KBUILD_MODNAME). */
  moduleName: string;
  /** Source texts by path: the module's .c files and the local headers they include. */
  files: Map<string, string> | Record<string, string>;
  /** The .c files to compile, in link order (default: every path ending in .c). */
  mainFiles?: string[];
  /** Kernel configuration for #if and HZ (default: x86_64, CONFIG_HZ=250, no options). */
  config?: ConfigurationFacts;
}

export const defaultConfig: ConfigurationFacts = {
  config: new Map([['CONFIG_HZ', '250'], ['CONFIG_LIVEPATCH', 'y'], ['CONFIG_X86_64', 'y'], ['CONFIG_64BIT', 'y']]),
  versionCode: (6 << 16) + (12 << 8),
  architecture: 'x86_64',
};

/** Compiles once the tree-sitter C grammar is loaded (see compileProgram). */
export function compileProgramSync(options: CompileOptions): CompiledProgram {
  const files = options.files instanceof Map ? options.files : new Map(Object.entries(options.files));
  const mainFiles = options.mainFiles ?? [...files.keys()].filter((p) => p.endsWith('.c'));
  const config = options.config ?? defaultConfig;
  const prelude = { file: preludeFileName, text: preludeText(headerConfig(config)) };
  const builder = new ProgramBuilder();
  const parser = newCParser();
  const macroNames = new Set<string>();
  try {
    for (const main of mainFiles) {
      const unit = preprocess(main, { files }, { moduleName: options.moduleName, config, prelude });
      builder.diagnostics.push(...unit.diagnostics);
      for (const name of unit.macros.keys()) macroNames.add(name);
      const tree = parser.parse(unit.text);
      if (!tree) {
        builder.diagnostics.push({ severity: 'error', message: 'could not parse', file: main, line: 1, column: 1 });
        continue;
      }
      try {
        new UnitCompiler(builder, unit, parser, main).compile(tree.rootNode);
      } finally {
        tree.delete();
      }
    }
  } finally {
    parser.delete();
  }
  return finish(builder, options.moduleName, [...macroNames]);
}

export async function compileProgram(options: CompileOptions): Promise<CompiledProgram> {
  await loadCLanguage();
  return compileProgramSync(options);
}

/** Collects the registration data the module macros left behind. */
function finish(b: ProgramBuilder, moduleName: string, macroNames: string[]): CompiledProgram {
  const program: CompiledProgram = {
    moduleName, diagnostics: b.diagnostics, functions: b.functions, globals: b.globals, slots: b.slots,
    definitions: b.definitions, exports: new Set(), types: b.types, typedefs: b.typedefs, modinfo: new Map(),
    paramSlots: [], paramDescriptions: new Map(), macroNames,
  };
  for (const g of b.globals) {
    if (g.name === '__interp_module_init') program.initSlot = g.slot;
    else if (g.name === '__interp_module_exit') program.exitSlot = g.slot;
    else if (g.name.startsWith('__interp_param_')) program.paramSlots.push(g.slot);
    else if (g.name.startsWith('__interp_export_')) program.exports.add(g.name.slice('__interp_export_'.length));
  }
  return program;
}
