/**
 * Conversions between LSP document URIs and the absolute paths the analysis works with. Only
 * `file:` URIs name something the analyzer can read; other schemes are refused with an error.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

export function isFileUri(uri: string): boolean {
  return uri.startsWith('file:');
}

/** Absolute path of a `file:` URI; throws for other schemes or malformed URIs. */
export function pathFromUri(uri: string): string {
  if (!isFileUri(uri)) throw new Error(`not a file URI: ${uri}`);
  return fileURLToPath(uri);
}

/** The `file:` URI of an absolute path, as Node encodes it. */
export function uriFromPath(path: string): string {
  return pathToFileURL(path).href;
}
