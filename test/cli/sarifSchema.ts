/**
 * Validation of SARIF output against the SARIF 2.1.0 JSON schema.
 *
 * The schema source is `@microsoft/jest-sarif` (dev dependency), the only npm package found that
 * ships one: `lib/schemas/sarif-2.1.0-rtm.5.json`, the 2.1.0 release schema as published on
 * SchemaStore, written in JSON Schema draft-04. Ajv 8 reads it after two mechanical adaptations
 * that change no constraint: the draft-04 `id` becomes `$id` (and `$schema` is dropped), and
 * patterns are compiled without the `u` flag because one (`language`) is not a valid Unicode-mode
 * regular expression. The formats it uses (uri, uri-reference, date-time) are checked by the
 * small functions below.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const schemaPath = join(__dirname, '..', '..', 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (value: string) => {
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  });
  ajv.addFormat('uri-reference', (value: string) => {
    try {
      new URL(value, 'file:///base/');
      return !/\s/.test(value);
    } catch {
      return false;
    }
  });
  ajv.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv.compile(schema);
}

/** Schema violations of a SARIF log, as readable lines (empty when valid). */
export function sarifSchemaErrors(log: unknown): string[] {
  validator ??= compile();
  if (validator(log)) return [];
  return (validator.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
