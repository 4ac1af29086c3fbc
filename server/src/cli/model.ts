/**
 * `klp model capture -o <file>`: the running kernel into a model file.
 * `klp model import <System.map|kallsyms> [--modules <dir>] [--config <file>] -o <file>`: a
 * distribution kernel's symbol table (plus the symbol tables of its .ko files, read as ELF).
 * Both validate what they write; unreadable input is exit 2 with a one-line reason.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { captureKernelModel, liveFileSystem } from '../kernel/capture';
import { ElfFile, moduleObjectFromElf, modulePatchable } from '../kernel/elfSymbols';
import type { KernelModelJson } from '../kernel/format';
import { parseKernelConfig } from '../kernel/importConfig';
import { importSystemMap } from '../kernel/importSystemMap';
import { validateKernelModelJson } from '../kernel/validate';
import { InputError } from './check';

export interface ModelCommandOptions {
  action: 'capture' | 'import';
  input?: string;
  modules?: string;
  config?: string;
  output: string;
}

interface Environment {
  cwd: string;
  write(text: string): void;
  warn(text: string): void;
}

function writeModel(model: KernelModelJson, output: string, env: Environment): void {
  const problems = validateKernelModelJson(model);
  if (problems.length) throw new InputError(`the model does not validate: ${problems[0].jsonPath}: ${problems[0].message}`);
  writeFileSync(resolve(env.cwd, output), `${JSON.stringify(model)}\n`);
  const symbols = Object.values(model.objects).reduce((n, o) => n + o.symbols.length, 0);
  env.write(`klp: wrote ${output}: ${model.release} ${model.architecture}, ${Object.keys(model.objects).length} objects, ${symbols} symbols\n`);
}

/** .ko, .ko.xz, .ko.zst, .ko.gz files below a folder. */
function moduleFiles(folder: string, depth = 8): string[] {
  const found: string[] = [];
  const visit = (dir: string, level: number) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        if (level < depth) visit(path, level + 1);
      } else if (/\.ko(\.(xz|zst|gz))?$/.test(entry)) found.push(path);
    }
  };
  visit(folder, 0);
  return found.sort();
}

function readModuleBytes(path: string): Buffer {
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  if (path.endsWith('.xz')) return execFileSync('xz', ['-dc', path], { maxBuffer: 256 * 1024 * 1024 });
  if (path.endsWith('.zst')) return execFileSync('zstd', ['-dc', path], { maxBuffer: 256 * 1024 * 1024 });
  return readFileSync(path);
}

export function runModel(options: ModelCommandOptions, env: Environment): number {
  if (options.action === 'capture') {
    const result = captureKernelModel(liveFileSystem());
    for (const note of result.notes) env.warn(note);
    if (!result.model) throw new InputError(`capture failed: ${result.error}`);
    writeModel(result.model, options.output, env);
    return 0;
  }
  const input = resolve(env.cwd, options.input ?? '');
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${options.input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let config: Record<string, string> | undefined;
  if (options.config) {
    try {
      config = parseKernelConfig(readFileSync(resolve(env.cwd, options.config), 'utf8'));
    } catch (error) {
      throw new InputError(`cannot read config ${options.config}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const imported = importSystemMap(text, {
    fileName: basename(input),
    config,
    features: config ? { reliableStacktrace: config.CONFIG_HAVE_RELIABLE_STACKTRACE === 'y' } : undefined,
  });
  if (!imported.model) {
    const first = imported.errors[0];
    throw new InputError(`${options.input}: ${first?.message ?? 'not a System.map or kallsyms file'}${first?.line !== undefined ? ` (line ${first.line + 1})` : ''}`);
  }
  const model = imported.model;
  if (options.modules) {
    const folder = resolve(env.cwd, options.modules);
    if (!existsSync(folder)) throw new InputError(`modules folder ${options.modules} does not exist`);
    let read = 0;
    for (const path of moduleFiles(folder)) {
      const name = basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
      try {
        const elf = ElfFile.fromBuffer(readModuleBytes(path));
        const object = moduleObjectFromElf(elf);
        const patchable = modulePatchable(elf);
        if (patchable) object.patchable = patchable;
        model.objects[name] = object;
        read++;
      } catch (error) {
        env.warn(`${path}: skipped (${(error as Error).message.split('\n')[0]})`);
      }
    }
    env.warn(`read the symbol tables of ${read} modules`);
  }
  writeModel(model, options.output, env);
  return 0;
}
