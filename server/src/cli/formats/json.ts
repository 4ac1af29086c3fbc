/** JSON: an array of findings with 1-based positions and paths relative to the working directory. */
import type { Finding, Severity } from '../../checks/types';
import type { Location } from '../../model/location';
import { displayPath, oneBased, type CheckReport } from '../report';

export interface JsonSpan {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface JsonFinding extends JsonSpan {
  code: string;
  severity: Severity;
  message: string;
  related: (JsonSpan & { message: string })[];
  data?: Record<string, unknown>;
}

function span(location: Location, cwd: string): JsonSpan {
  const start = oneBased(location.range.start);
  const end = oneBased(location.range.end);
  return { file: displayPath(location.file, cwd), line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

export function toJsonFinding(finding: Finding, cwd: string): JsonFinding {
  const result: JsonFinding = {
    ...span(finding.location, cwd),
    code: finding.code,
    severity: finding.severity,
    message: finding.message,
    related: finding.related.map((related) => ({ ...span(related.location, cwd), message: related.message })),
  };
  if (finding.data !== undefined) result.data = finding.data;
  return result;
}

export function formatJson(report: CheckReport): string {
  return JSON.stringify(report.findings.map((finding) => toJsonFinding(finding, report.cwd)), null, 2) + '\n';
}
