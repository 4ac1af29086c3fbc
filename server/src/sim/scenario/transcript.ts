/**
 * The transcript: `% <command>`, the kernel log lines it caused (dmesg text without
 * timestamps), then its own stdout/stderr; findings at the end.
 */
import type { ScenarioResult } from './run';

export function formatTranscript(result: ScenarioResult): string {
  const out: string[] = [];
  for (const entry of result.entries) {
    out.push(`% ${entry.line.text}`);
    out.push(...entry.log, ...entry.stdout, ...entry.stderr);
  }
  if (result.findings.length) {
    out.push('');
    for (const f of result.findings) {
      const where = f.source ? `${f.source.file}:${f.source.line}: ` : '';
      out.push(`klp-simulate: ${where}${f.severity}: ${f.message} [${f.code}]`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function formatJson(result: ScenarioResult): string {
  return `${JSON.stringify({ events: result.simulator.events, findings: result.findings }, null, 1)}\n`;
}
