/**
 * Decides which `#if` branches are compiled for the target kernel. A condition that cannot be
 * decided (a macro from a kernel header the workspace does not have) keeps every branch of its
 * chain: analysing both is better than guessing and hiding code.
 */
import type { ConditionalChain } from '../model/fileFacts';
import { evaluateExpression } from './expression';
import type { MacroEnvironment } from './macros';

export interface ConfigurationFacts {
  /** CONFIG_* values ("y", "m", numbers or strings). */
  config: Map<string, string>;
  /** LINUX_VERSION_CODE of the target kernel. */
  versionCode: number;
  architecture: string;
}

/** Macros every kernel module build has, with the value the kernel build gives them. */
function predefinedValue(name: string, facts: ConfigurationFacts): number | undefined {
  switch (name) {
    case 'MODULE':
    case '__KERNEL__':
    case '__GNUC__':
    case '__linux__':
      return 1;
    case 'LINUX_VERSION_CODE':
      return facts.versionCode;
    case '__x86_64__':
      return facts.architecture === 'x86_64' ? 1 : 0;
    case '__aarch64__':
      return facts.architecture === 'aarch64' || facts.architecture === 'arm64' ? 1 : 0;
    case '__powerpc64__':
      return facts.architecture.startsWith('ppc64') ? 1 : 0;
    case '__s390x__':
      return facts.architecture === 's390x' ? 1 : 0;
  }
  return undefined;
}

function configValue(name: string, facts: ConfigurationFacts): number | undefined {
  if (!name.startsWith('CONFIG_')) return undefined;
  const value = facts.config.get(name);
  if (value === undefined || value === 'n') return 0;
  if (value === 'y' || value === 'm') return 1;
  const n = Number(value);
  return Number.isFinite(n) ? n : 1;
}

/** Replaces IS_ENABLED(CONFIG_X) and friends, whose argument is a config name, by 0 or 1. */
function substituteConfigTests(condition: string, facts: ConfigurationFacts): string {
  return condition.replace(/\b(IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)\s*\(\s*(CONFIG_\w+)\s*\)/g, (_m, test: string, option: string) => {
    const value = facts.config.get(option);
    const builtin = value === 'y';
    const module = value === 'm';
    switch (test) {
      case 'IS_BUILTIN':
        return builtin ? '1' : '0';
      case 'IS_MODULE':
        return module ? '1' : '0';
      default:
        return builtin || module ? '1' : '0';
    }
  });
}

export function evaluateCondition(
  kind: 'if' | 'elif' | 'ifdef' | 'ifndef',
  condition: string,
  macros: MacroEnvironment,
  facts: ConfigurationFacts,
): boolean | undefined {
  const isDefined = (name: string): boolean | undefined => {
    if (macros.lookup(name)) return true;
    if (name.startsWith('CONFIG_')) return (configValue(name, facts) ?? 0) !== 0;
    const predefined = predefinedValue(name, facts);
    if (predefined !== undefined) return predefined !== 0;
    return undefined;
  };
  if (kind === 'ifdef' || kind === 'ifndef') {
    const defined = isDefined(condition.trim());
    if (defined === undefined) return undefined;
    return kind === 'ifdef' ? defined : !defined;
  }
  const kernelVersion = { name: 'KERNEL_VERSION', parameters: ['a', 'b', 'c'], body: '(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))' };
  const value = evaluateExpression(substituteConfigTests(condition, facts), {
    ...macros,
    lookup: (name) => macros.lookup(name) ?? (name === 'KERNEL_VERSION' ? kernelVersion : undefined),
    preprocessor: true,
    isDefined,
    identifierValue: (name) => configValue(name, facts) ?? predefinedValue(name, facts),
  });
  if (typeof value !== 'number') return undefined;
  return value !== 0;
}

/** Offsets [start, end) of code the target kernel's build would not compile. */
/**
 * `macrosAt(offset)` gives the macros visible at a directive: a file's own #defines count only
 * once they have been seen, which is what makes include guards (#ifndef X / #define X) work.
 */
export function inactiveRanges(
  chains: ConditionalChain[],
  macrosAt: (offset: number) => MacroEnvironment,
  facts: ConfigurationFacts,
  /** Results of conditions that do not depend on where they sit (shared across a module's files). */
  cache?: ConditionCache,
): [number, number][] {
  const ranges: [number, number][] = [];
  for (const chain of chains) {
    let taken = false;
    for (const branch of chain.branches) {
      if (taken) {
        ranges.push([branch.start, branch.end]);
        continue;
      }
      if (branch.kind === 'else') break;
      const key = `${branch.kind} ${branch.condition}`;
      const cacheable = cache?.positionIndependent(branch.condition) ?? false;
      let cached = cacheable ? cache!.results.get(key) : undefined;
      if (cached === undefined) {
        const value = evaluateCondition(branch.kind, branch.condition, macrosAt(branch.start), facts);
        cached = value === undefined ? 'unknown' : value;
        if (cacheable) cache!.results.set(key, cached);
      }
      const result = cached === 'unknown' ? undefined : cached;
      if (result === undefined) break; // unknown: this branch and all later ones stay active
      if (result) taken = true;
      else ranges.push([branch.start, branch.end]);
    }
  }
  // Nested chains overlap: merge into disjoint ranges so lookups can binary-search.
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Condition results of one module build, for conditions whose value cannot depend on position. */
export interface ConditionCache {
  results: Map<string, boolean | 'unknown'>;
  positionIndependent(condition: string): boolean;
}

export function isInactive(ranges: [number, number][], offset: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (offset < ranges[mid][0]) high = mid - 1;
    else if (offset >= ranges[mid][1]) low = mid + 1;
    else return true;
  }
  return false;
}
