/**
 * Compiler-style text: `path:line:col: severity: message [CODE]`, related locations as `note:`
 * lines under their finding, then one summary line.
 */
import type { Severity } from '../../checks/types';
import { countBySeverity, displayPath, oneBased, severityOrder, type CheckReport } from '../report';

const labels: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'info', hint: 'hint' };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function formatText(report: CheckReport): string {
  const lines: string[] = [];
  const where = (file: string, position: { line: number; character: number }) => {
    const { line, column } = oneBased(position);
    return `${displayPath(file, report.cwd)}:${line}:${column}`;
  };
  for (const finding of report.findings) {
    const code = finding.code ? ` [${finding.code}]` : '';
    lines.push(`${where(finding.location.file, finding.location.range.start)}: ${labels[finding.severity]}: ${finding.message}${code}`);
    for (const related of finding.related) {
      lines.push(`${where(related.location.file, related.location.range.start)}: note: ${related.message}`);
    }
  }
  const counts = countBySeverity(report.findings);
  const parts = severityOrder.filter((severity) => counts[severity] > 0).map((severity) => plural(counts[severity], labels[severity]));
  const checked = plural(report.files.length, 'file');
  lines.push(parts.length > 0 ? `klp: ${parts.join(', ')} in ${checked} checked` : `klp: no problems in ${checked} checked`);
  return lines.join('\n') + '\n';
}
