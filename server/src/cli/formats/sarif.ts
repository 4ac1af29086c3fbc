/**
 * SARIF 2.1.0 (OASIS): one run of the `klp` driver with one rule per diagnostic code, results with
 * 1-based regions in UTF-16 columns, artifact URIs relative to the working directory (base id
 * SRCROOT), and related locations.
 */
import { isAbsolute, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, Severity } from '../../checks/types';
import { diagnosticCodeInfo } from '../../checks/codes';
import type { Location } from '../../model/location';
import { diagnosticDocUri } from '../../protocol/diagnosticDocs';
import { oneBased, type CheckReport } from '../report';

export const sarifSchemaUri = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json';

type SarifLevel = 'error' | 'warning' | 'note';

const levels: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/** The base id artifact URIs are relative to. */
const sourceRoot = 'SRCROOT';

interface SarifArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

interface SarifPhysicalLocation {
  artifactLocation: SarifArtifactLocation;
  region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  helpUri: string;
  defaultConfiguration: { level: SarifLevel };
  properties?: Record<string, unknown>;
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: { physicalLocation: SarifPhysicalLocation }[];
  relatedLocations?: { id: number; message: { text: string }; physicalLocation: SarifPhysicalLocation }[];
  properties?: Record<string, unknown>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: { driver: { name: string; fullName: string; version: string; semanticVersion: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    columnKind: 'utf16CodeUnits';
    results: SarifResult[];
  }[];
}

/** A relative path as a URI reference: each segment percent-encoded. */
function relativeUri(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

function artifactLocation(file: string, cwd: string): SarifArtifactLocation {
  const rest = relative(cwd, file);
  if (rest === '' || rest.startsWith('..') || isAbsolute(rest)) return { uri: pathToFileURL(file).href };
  return { uri: relativeUri(rest), uriBaseId: sourceRoot };
}

function physicalLocation(location: Location, cwd: string): SarifPhysicalLocation {
  const start = oneBased(location.range.start);
  const end = oneBased(location.range.end);
  return {
    artifactLocation: artifactLocation(location.file, cwd),
    region: { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column },
  };
}

/** Rule id as a PascalCase name, e.g. LP-SYMBOL-NOT-FOUND → SymbolNotFound. */
function ruleName(code: string): string {
  return code
    .replace(/^LP-/, '')
    .split('-')
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join('');
}

function rulesFor(findings: readonly Finding[], installRoot: string): SarifRule[] {
  const codes = new Set<string>(diagnosticCodeInfo.keys());
  for (const finding of findings) codes.add(finding.code);
  return [...codes].map((code) => {
    const info = diagnosticCodeInfo.get(code);
    const rule: SarifRule = {
      id: code,
      name: ruleName(code),
      shortDescription: { text: info?.title ?? code },
      helpUri: diagnosticDocUri(code, installRoot),
      defaultConfiguration: { level: levels[info?.defaultSeverity ?? 'error'] },
    };
    if (info) rule.properties = { family: info.family };
    return rule;
  });
}

export function toSarifLog(report: CheckReport): SarifLog {
  const rules = rulesFor(report.findings, report.installRoot);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const results = report.findings.map((finding): SarifResult => {
    const result: SarifResult = {
      ruleId: finding.code,
      ruleIndex: ruleIndex.get(finding.code)!,
      level: levels[finding.severity],
      message: { text: finding.message },
      locations: [{ physicalLocation: physicalLocation(finding.location, report.cwd) }],
    };
    if (finding.related.length > 0) {
      result.relatedLocations = finding.related.map((related, id) => ({
        id,
        message: { text: related.message },
        physicalLocation: physicalLocation(related.location, report.cwd),
      }));
    }
    if (finding.data !== undefined) result.properties = { data: finding.data };
    return result;
  });
  const root = pathToFileURL(report.cwd).href;
  return {
    $schema: sarifSchemaUri,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'klp', fullName: 'Livepatch Workbench', version: report.toolVersion, semanticVersion: report.toolVersion, rules },
        },
        originalUriBaseIds: { [sourceRoot]: { uri: root.endsWith('/') ? root : `${root}/` } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(report: CheckReport): string {
  return JSON.stringify(toSarifLog(report), null, 2) + '\n';
}
