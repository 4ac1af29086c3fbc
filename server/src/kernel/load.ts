/**
 * Loading kernel models: JSON text, files (.json, .json.gz, System.map / kallsyms), and the
 * embedded default model. Problems are returned as errors with JSON paths and, when they can be
 * located, line/column in the file; loading never throws for bad input.
 */
import { isAscii } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { KernelModelJson } from './format';
import { findJsonSyntaxError, locateJsonPointers } from './jsonPosition';
import { importSystemMap, looksLikeSymbolMap, type SymbolMapImportOptions } from './importSystemMap';
import { buildKernelModel } from './model';
import type { KernelModel, KernelModelError } from './types';
import { validateKernelModelJson } from './validate';

export interface KernelModelLoadResult {
  model?: KernelModel;
  errors: KernelModelError[];
}

/** Validates parsed model JSON and builds the model (errors have JSON paths but no positions). */
export function kernelModelFromJson(json: unknown, source: string): KernelModelLoadResult {
  const errors = validateKernelModelJson(json);
  if (errors.length > 0) return { errors };
  return { model: buildKernelModel(json as KernelModelJson, source), errors: [] };
}

/** Adds line/character to errors whose JSON path can be found in the text. */
function addPositions(text: string, errors: KernelModelError[]): KernelModelError[] {
  const located = locateJsonPointers(
    text,
    errors.filter((e) => e.line === undefined).map((e) => e.jsonPath),
  );
  return errors.map((e) => {
    const pos = e.line === undefined ? located.get(e.jsonPath) : undefined;
    return pos ? { ...e, line: pos.line, character: pos.character } : e;
  });
}

/**
 * Loads a model from text: model JSON, or a System.map / kallsyms listing (detected by content;
 * `options` then supplies what the listing cannot tell, see SymbolMapImportOptions).
 */
export function loadKernelModelFromText(
  text: string,
  source: string,
  options: SymbolMapImportOptions = {},
): KernelModelLoadResult {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (looksLikeSymbolMap(text)) {
    const imported = importSystemMap(text, { fileName: source, ...options });
    if (!imported.model) return { errors: imported.errors };
    return kernelModelFromJson(imported.model, source);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const found = findJsonSyntaxError(text);
    if (found) {
      return {
        errors: [
          {
            message: `invalid JSON: ${found.message}`,
            jsonPath: '',
            line: found.position.line,
            character: found.position.character,
          },
        ],
      };
    }
    return { errors: [{ message: `invalid JSON: ${(e as Error).message}`, jsonPath: '' }] };
  }
  const result = kernelModelFromJson(json, source);
  if (result.errors.length > 0) return { errors: addPositions(text, result.errors) };
  return result;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Models are ASCII in practice; latin1 decoding of ASCII is the same text, made much faster. */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Loads a model file: `.json`, gzip-compressed JSON (`.json.gz`, recognized by its magic bytes),
 * or a System.map / /proc/kallsyms listing (plain or gzip). A missing or unreadable file gives one
 * error.
 */
export function loadKernelModelFile(path: string, options: SymbolMapImportOptions = {}): KernelModelLoadResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    return { errors: [{ message: `cannot read kernel model file '${path}': ${why}`, jsonPath: '' }] };
  }
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      return { errors: [{ message: `cannot decompress kernel model file '${path}': ${(e as Error).message}`, jsonPath: '' }] };
    }
  }
  return loadKernelModelFromText(decode(bytes), path, options);
}

export const DEFAULT_MODEL_FILE = 'default-kernel-model.json.gz';

/**
 * Path of the embedded default model: data/ at the package root, found by walking up from this
 * file (server/src/kernel when run from source, dist/ when bundled).
 */
export function defaultKernelModelPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', DEFAULT_MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(__dirname, '..', '..', '..', 'data', DEFAULT_MODEL_FILE);
}

let defaultModel: KernelModel | undefined;

/** The embedded default model (Debian 6.1 x86_64, see data/PROVENANCE.md), loaded once. */
export function defaultKernelModel(): KernelModel {
  if (!defaultModel) {
    const path = defaultKernelModelPath();
    // The embedded model was validated when it was generated and is validated by the unit tests,
    // so schema validation (ajv compile + run, about a fifth of the load time) is skipped here.
    let json: KernelModelJson;
    try {
      json = JSON.parse(decode(gunzipSync(readFileSync(path)))) as KernelModelJson;
    } catch (e) {
      // The default ships with the package, so a failure here is a packaging bug, not user input.
      throw new Error(`embedded kernel model ${path} does not load: ${(e as Error).message}`);
    }
    defaultModel = buildKernelModel(json, 'embedded default');
  }
  return defaultModel;
}
