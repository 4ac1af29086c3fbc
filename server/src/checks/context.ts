/**
 * What every check receives and how it builds a finding. Kept apart from `index.ts` so check
 * modules never import the runner that imports them.
 */
import type { KernelModel } from '../kernel/types';
import type { Location } from '../model/location';
import type { LivepatchModule } from '../model/types';
import { diagnosticCodeInfo, type DiagnosticCode } from './codes';
import type { Finding, RelatedInformation, Severity } from './types';

export interface CheckContext {
  kernel: KernelModel;
  /** Every module of the workspace (this one included), for checks across patches. */
  modules: LivepatchModule[];
  /** Where a check that threw is reported; findings of the other checks are kept regardless. */
  log?: (message: string) => void;
}

export type Check = (module: LivepatchModule, ctx: CheckContext) => Finding[];

export interface FindingOptions {
  related?: RelatedInformation[];
  data?: Record<string, unknown>;
  /** Only for the rare finding that deviates from the code's default severity. */
  severity?: Severity;
}

/** Takes the code as a typed literal so a check cannot report an unregistered code. */
export function finding(code: DiagnosticCode, location: Location, message: string, options: FindingOptions = {}): Finding {
  const info = diagnosticCodeInfo.get(code);
  const result: Finding = {
    code,
    severity: options.severity ?? info?.defaultSeverity ?? 'error',
    message,
    location,
    related: options.related ?? [],
  };
  if (options.data) result.data = options.data;
  return result;
}

export function related(location: Location, message: string): RelatedInformation {
  return { location, message };
}
