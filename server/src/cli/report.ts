/**
 * What `klp check` hands to an output format: the findings (sorted, de-duplicated), the files
 * that were checked, and what the formats need to print paths relative to the caller.
 */
import { relative, sep } from 'node:path';
import type { Finding, Severity } from '../checks/types';
import type { Position } from '../model/location';

export interface CheckReport {
  findings: Finding[];
  /** Absolute paths of the files analysed (build files only inform module grouping). */
  files: string[];
  /** Directory paths are printed relative to. */
  cwd: string;
  toolVersion: string;
  /** Root of the installation, where docs/diagnostics/<code>.md pages live. */
  installRoot: string;
}

/** A path as printed: relative to the working directory, with forward slashes. */
export function displayPath(file: string, cwd: string): string {
  const shown = relative(cwd, file) || file;
  return sep === '/' ? shown : shown.split(sep).join('/');
}

/** 1-based line and column, as compilers print them (columns count UTF-16 code units). */
export function oneBased(position: Position): { line: number; column: number } {
  return { line: position.line + 1, column: position.character + 1 };
}

export const severityOrder: Severity[] = ['error', 'warning', 'information', 'hint'];

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}
