/**
 * Where the documentation page of a diagnostic code lives. Every code has a page
 * `docs/diagnostics/<code>.md` shipped beside the bundles (`dist/` and `docs/` are siblings in
 * the repository and in the packaged extension), so the LSP `codeDescription.href` and the SARIF
 * `helpUri` point at the installed copy.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Folder of the diagnostic pages, relative to the extension (or repository) root. */
export const diagnosticDocsFolder = 'docs/diagnostics';

/**
 * Root of the installed extension for a bundle in `dist/` (pass the bundle's `__dirname`).
 */
export function installRootFromBundle(bundleDirectory: string): string {
  return resolve(bundleDirectory, '..');
}

/** File URI of the page for `code`. */
export function diagnosticDocUri(code: string, installRoot: string): string {
  return pathToFileURL(join(installRoot, diagnosticDocsFolder, `${code}.md`)).href;
}
