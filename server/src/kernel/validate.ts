/**
 * Validation of a parsed kernel model: the JSON Schema (through ajv) plus the checks a schema
 * cannot express. Errors carry JSON pointers; load.ts adds line/column from the text.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from './schema/kernel-model.schema.json';
import { KERNEL_MODEL_FORMAT_VERSION } from './format';
import { escapeJsonPointerSegment } from './jsonPosition';
import type { KernelModelError } from './types';
import { parseKernelVersion } from './versions';

/** More errors than this are summarized: a wrong generator would otherwise give one per symbol. */
export const MAX_MODEL_ERRORS = 50;

export const kernelModelSchema: Record<string, unknown> = schemaJson;

let compiled: ValidateFunction | undefined;

/**
 * The schema compiled once. ajv also checks every symbol: on 200,000 symbols it took the same
 * ~25 ms as a hand-written loop (measured), so the schema stays the single definition.
 */
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(kernelModelSchema);
  return compiled;
}

function ajvMessage(e: ErrorObject): { message: string; jsonPath: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { message: `missing required property '${String(p.missingProperty)}'`, jsonPath: e.instancePath };
    case 'additionalProperties':
      return {
        message: `unknown property '${String(p.additionalProperty)}'`,
        jsonPath: `${e.instancePath}/${escapeJsonPointerSegment(String(p.additionalProperty))}`,
      };
    case 'propertyNames':
      return {
        message: `invalid property name '${String(p.propertyName)}'`,
        jsonPath: `${e.instancePath}/${escapeJsonPointerSegment(String(p.propertyName))}`,
      };
    case 'const':
      if (e.instancePath === '/formatVersion') {
        return {
          message: `unsupported formatVersion (this version of the workbench reads formatVersion ${KERNEL_MODEL_FORMAT_VERSION})`,
          jsonPath: e.instancePath,
        };
      }
      return { message: `must be ${JSON.stringify(p.allowedValue)}`, jsonPath: e.instancePath };
    case 'type':
      return { message: `must be of type ${String(p.type).replace(/,/g, ' or ')}`, jsonPath: e.instancePath };
    case 'pattern':
      if (/\/symbols\/\d+\/address$/.test(e.instancePath)) {
        return { message: 'must be a lower-case hex string of at most 16 digits, without 0x', jsonPath: e.instancePath };
      }
      if (/\/symbols\/\d+\/type$/.test(e.instancePath)) {
        return { message: 'must be one nm-style type letter (e.g. "T", "t", "D")', jsonPath: e.instancePath };
      }
      return { message: `must match the pattern ${String(p.pattern)}`, jsonPath: e.instancePath };
    case 'uniqueItems':
      return { message: `items ${String(p.j)} and ${String(p.i)} are equal (must be unique)`, jsonPath: `${e.instancePath}/${String(p.i)}` };
    default:
      return { message: e.message ?? `fails ${e.keyword}`, jsonPath: e.instancePath };
  }
}

/** Checks a schema cannot express; runs only on data that passed the schema. */
function semanticChecks(model: Record<string, unknown>, errors: KernelModelError[]): void {
  const objects = model.objects as Record<string, unknown>;
  const loaded = (model.loadedModules as string[] | undefined) ?? [];
  loaded.forEach((name, i) => {
    if (name === 'vmlinux') {
      errors.push({ message: "'vmlinux' is not a module and cannot be listed in loadedModules", jsonPath: `/loadedModules/${i}` });
    } else if (!Object.prototype.hasOwnProperty.call(objects, name)) {
      errors.push({ message: `loaded module '${name}' has no entry in objects`, jsonPath: `/loadedModules/${i}` });
    }
  });
  for (const name of Object.keys(objects)) {
    if (name.includes('-')) {
      errors.push({ message: `module names never contain '-' (the kernel uses '_'): '${name}'`, jsonPath: `/objects/${escapeJsonPointerSegment(name)}` });
    }
  }
  const release = model.release as string;
  const version = model.version as { major: number; minor: number };
  const fromRelease = parseKernelVersion(release);
  if (fromRelease && (fromRelease.major !== version.major || fromRelease.minor !== version.minor)) {
    errors.push({
      message: `version ${version.major}.${version.minor} does not match release '${release}'`,
      jsonPath: '/version',
    });
  }
}

/** Schema and semantic errors of a parsed model (JSON pointers only, no positions). */
export function validateKernelModelJson(json: unknown): KernelModelError[] {
  const errors: KernelModelError[] = [];
  const validate = validator();
  if (!validate(json)) {
    for (const e of validate.errors ?? []) {
      if (errors.length >= MAX_MODEL_ERRORS) break;
      // Errors inside propertyNames come twice (the inner keyword and propertyNames); keep one.
      if ((e as { propertyName?: string }).propertyName !== undefined) continue;
      errors.push(ajvMessage(e));
    }
  }
  if (errors.length === 0) semanticChecks(json as Record<string, unknown>, errors);
  if (errors.length >= MAX_MODEL_ERRORS) {
    errors.length = MAX_MODEL_ERRORS;
    errors.push({ message: `too many errors; only the first ${MAX_MODEL_ERRORS} are shown`, jsonPath: '' });
  }
  return errors;
}
