/**
 * Finding and compiling the modules a scenario loads: `insmod dir/name.ko` builds dir/name.c (or
 * the Kbuild module of that name in dir), `modprobe name` searches the scenario's folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseKbuild } from '../../analysis/kbuild';
import { compileProgram } from '../../interp/compiler/compile';
import type { CompiledProgram } from '../../interp/program';
import type { ConfigurationFacts } from '../../preprocess/conditionals';
import { generatedByKlpBuild } from '../klpBuildInit';

export interface ModuleSource {
  name: string;
  folder: string;
  mainFiles: string[];
}

const normalize = (name: string) => name.replace(/-/g, '_');

function kbuildModules(folder: string): { name: string; files: string[] }[] {
  for (const file of ['Kbuild', 'Makefile']) {
    const path = join(folder, file);
    if (!existsSync(path)) continue;
    return parseKbuild(readFileSync(path, 'utf8')).map((m) => ({ name: m.name, files: m.objects.map((o) => join(folder, `${o}.c`)) }));
  }
  return [];
}

/** The module `insmod <path>.ko` means. */
export function moduleForKo(koPath: string): ModuleSource | undefined {
  const folder = dirname(koPath);
  const stem = basename(koPath, '.ko');
  const fromKbuild = kbuildModules(folder).find((m) => m.name === normalize(stem));
  if (fromKbuild && fromKbuild.files.every((f) => existsSync(f))) return { name: fromKbuild.name, folder, mainFiles: fromKbuild.files };
  const c = join(folder, `${stem}.c`);
  return existsSync(c) ? { name: normalize(stem), folder, mainFiles: [c] } : undefined;
}

/** The module `modprobe <name>` finds below the scenario's folder (a few levels deep). */
export function moduleByName(root: string, name: string, depth = 4): ModuleSource | undefined {
  const wanted = normalize(name);
  const visit = (folder: string, level: number): ModuleSource | undefined => {
    const fromKbuild = kbuildModules(folder).find((m) => m.name === wanted);
    if (fromKbuild) return { name: wanted, folder, mainFiles: fromKbuild.files };
    let entries: string[] = [];
    try {
      entries = readdirSync(folder).sort();
    } catch {
      return undefined;
    }
    for (const entry of entries) if (entry.endsWith('.c') && normalize(basename(entry, '.c')) === wanted) return { name: wanted, folder, mainFiles: [join(folder, entry)] };
    if (level >= depth) return undefined;
    for (const entry of entries) {
      const path = join(folder, entry);
      if (entry.startsWith('.') || entry === 'node_modules') continue;
      try {
        if (statSync(path).isDirectory()) {
          const found = visit(path, level + 1);
          if (found) return found;
        }
      } catch {
        // unreadable folder: skip
      }
    }
    return undefined;
  };
  return visit(root, 0);
}

/** Compiles a module with every .c/.h of its folder available to #include. */
export async function compileModule(source: ModuleSource, config: ConfigurationFacts): Promise<CompiledProgram> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(source.folder)) {
    if (/\.[ch]$/.test(entry)) files.set(join(source.folder, entry), readFileSync(join(source.folder, entry), 'utf8'));
  }
  return compileProgram({ moduleName: source.name, files, mainFiles: source.mainFiles, config });
}

/** Whether the module's own sources say klp-build generated it (its init comes from init.c). */
export function moduleGeneratedByKlpBuild(source: ModuleSource): boolean {
  const texts: string[] = [];
  for (const file of source.mainFiles) {
    try {
      texts.push(readFileSync(file, 'utf8'));
    } catch {
      // unreadable: the compiler reports it
    }
  }
  return generatedByKlpBuild(texts);
}
