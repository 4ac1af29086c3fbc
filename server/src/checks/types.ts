/** Findings are plain data; the LSP layer turns them into Diagnostics, the CLI into text/SARIF. */
import type { Location } from '../model/location';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface RelatedInformation {
  message: string;
  location: Location;
}

export interface Finding {
  /** Stable code, e.g. "LP-MODINFO-MISSING"; each has a doc page docs/diagnostics/<code>.md. */
  code: string;
  severity: Severity;
  message: string;
  location: Location;
  related: RelatedInformation[];
  /** Extra data quick fixes need (e.g. the suggested sympos), JSON-serialisable. */
  data?: Record<string, unknown>;
}
