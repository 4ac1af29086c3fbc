/**
 * What every check receives and how it builds a finding. Kept apart from `index.ts` so check
 * modules never import the runner that imports them.
 */
import type { KernelModel } from '../kernel/types';
import type { Location } from '../model/location';
import type { LivepatchModule } from '../model/types';
import { diagnosticCodeInfo, type DiagnosticCode } from './codes';
import type { SeriesOrder } from './series';
import type { Finding, RelatedInformation, Severity } from './types';

/** Choices a team makes about what is acceptable across its patches. */
export interface CheckPolicy {
  /** Non-cumulative patches that change the same function are an error, not a warning (LP-NON-CUMULATIVE). */
  refuseConflicts: boolean;
}

export const defaultCheckPolicy: CheckPolicy = { refuseConflicts: false };

export interface CheckContext {
  kernel: KernelModel;
  /** Every module of the workspace (this one included), for checks across patches. */
  modules: LivepatchModule[];
  /**
   * Known load orders of patch series, oldest first (checks/series.ts); absent or empty when
   * neither the `livepatch.series` setting nor a series file names one, and the series checks
   * then treat every other livepatch module as a possible predecessor.
   */
  series?: SeriesOrder[];
  policy?: CheckPolicy;
  /**
   * The current text of a file of the workspace, for a check that needs what the model does not
   * carry (none does at present: shadow variable types are in the model). Absent in unit tests.
   */
  textOf?: (path: string) => string | undefined;
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
