/**
 * The thin layer that turns analysis findings into LSP diagnostics. Nothing below `lsp/` knows
 * these types; nothing here decides what is a problem.
 */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver';
import type { Finding, Severity } from '../checks/types';
import { diagnosticDocUri, installRootFromBundle } from '../protocol/diagnosticDocs';
import { sanitizeRange } from './ranges';

/** Every diagnostic the server publishes carries this source. */
export const diagnosticSource = 'livepatch';

/** The extension (or repository) root: the server bundle runs from `dist/`. */
const installRoot = installRootFromBundle(__dirname);

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(finding: Finding, uriOf: (path: string) => string): Diagnostic {
  const diagnostic: Diagnostic = {
    range: sanitizeRange(finding.location?.range),
    severity: severities[finding.severity] ?? DiagnosticSeverity.Error,
    source: diagnosticSource,
    message: finding.message,
  };
  if (finding.code) {
    diagnostic.code = finding.code;
    diagnostic.codeDescription = { href: diagnosticDocUri(finding.code, installRoot) };
  }
  const related: DiagnosticRelatedInformation[] = (finding.related ?? []).map((item) => ({
    message: item.message,
    location: { uri: uriOf(item.location.file), range: sanitizeRange(item.location.range) },
  }));
  if (related.length > 0) diagnostic.relatedInformation = related;
  if (finding.data !== undefined) diagnostic.data = finding.data;
  return diagnostic;
}
