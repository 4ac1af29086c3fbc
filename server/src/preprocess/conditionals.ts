/**
 * Decides which `#if` branches are compiled for the target kernel. A condition that cannot be
 * decided (a macro from a kernel header the workspace does not have) keeps every branch of its
 * chain: analysing both is better than guessing and hiding code.
 */
import type { ConditionalChain } from '../model/fileFacts';
import { evaluateExpression, type EvaluationOptions } from './expression';
import type { MacroBody, MacroEnvironment } from './macros';

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

const configTests = /\b(IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)\s*\(\s*(CONFIG_\w+)\s*\)/g;

function configTestValue(test: string, option: string, facts: ConfigurationFacts): string {
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
}

/** Replaces IS_ENABLED(CONFIG_X) and friends, whose argument is a config name, by 0 or 1. */
function substituteConfigTests(condition: string, facts: ConfigurationFacts): string {
  if (!condition.includes('IS_')) return condition;
  let substituted = '';
  let last = 0;
  configTests.lastIndex = 0;
  for (let m = configTests.exec(condition); m; m = configTests.exec(condition)) {
    substituted += condition.slice(last, m.index) + configTestValue(m[1], m[2], facts);
    last = configTests.lastIndex;
  }
  return substituted + condition.slice(last);
}

const kernelVersionMacro = { name: 'KERNEL_VERSION', parameters: ['a', 'b', 'c'], body: '(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))' };

/**
 * What an `#if` expression sees: the macros, KERNEL_VERSION, `defined`, CONFIG_ options and the
 * predefined macros. A class, not closures made per condition: their optimised code would not
 * outlive a pass (ARCHITECTURE.md, invariants).
 */
class ConditionEnvironment implements EvaluationOptions {
  readonly preprocessor = true;
  readonly moduleName: string | undefined;
  constructor(
    private readonly macros: MacroEnvironment,
    private readonly facts: ConfigurationFacts,
  ) {
    this.moduleName = macros.moduleName;
  }

  lookup(name: string): MacroBody | undefined {
    return this.macros.lookup(name) ?? (name === 'KERNEL_VERSION' ? kernelVersionMacro : undefined);
  }

  isDefined(name: string): boolean | undefined {
    if (this.macros.lookup(name)) return true;
    if (name.startsWith('CONFIG_')) return (configValue(name, this.facts) ?? 0) !== 0;
    const predefined = predefinedValue(name, this.facts);
    if (predefined !== undefined) return predefined !== 0;
    return undefined;
  }

  identifierValue(name: string): number | undefined {
    return configValue(name, this.facts) ?? predefinedValue(name, this.facts);
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptConditionEnvironment = new ConditionEnvironment({ lookup: () => undefined }, { config: new Map(), versionCode: 0, architecture: '' });
void keptConditionEnvironment;

export function evaluateCondition(
  kind: 'if' | 'elif' | 'ifdef' | 'ifndef',
  condition: string,
  macros: MacroEnvironment,
  facts: ConfigurationFacts,
): boolean | undefined {
  const env = new ConditionEnvironment(macros, facts);
  if (kind === 'ifdef' || kind === 'ifndef') {
    const defined = env.isDefined(condition.trim());
    if (defined === undefined) return undefined;
    return kind === 'ifdef' ? defined : !defined;
  }
  const value = evaluateExpression(substituteConfigTests(condition, facts), env);
  if (typeof value !== 'number') return undefined;
  return value !== 0;
}

/** The macros a file's directives see. */
export interface DirectiveMacros {
  /**
   * The macros visible at a directive: a file's own #defines count only once they have been
   * seen, which is what makes include guards (#ifndef X / #define X) work.
   */
  at(offset: number): MacroEnvironment;
  /** Whether a condition means the same wherever it sits in the file (it names none of the file's own macros). */
  positionIndependent(condition: string): boolean;
}

function compareStarts(a: [number, number], b: [number, number]): number {
  return a[0] - b[0];
}

/** Offsets [start, end) of code the target kernel's build would not compile. */
export function inactiveRanges(
  chains: ConditionalChain[],
  macros: DirectiveMacros,
  facts: ConfigurationFacts,
  /** Results of conditions that do not depend on where they sit (shared across a module's files). */
  cache?: Map<string, boolean | 'unknown'>,
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
      const cacheable = cache !== undefined && macros.positionIndependent(branch.condition);
      let cached = cacheable ? cache.get(key) : undefined;
      if (cached === undefined) {
        const value = evaluateCondition(branch.kind, branch.condition, macros.at(branch.start), facts);
        cached = value === undefined ? 'unknown' : value;
        if (cacheable) cache.set(key, cached);
      }
      const result = cached === 'unknown' ? undefined : cached;
      if (result === undefined) break; // unknown: this branch and all later ones stay active
      if (result) taken = true;
      else ranges.push([branch.start, branch.end]);
    }
  }
  // Nested chains overlap: merge into disjoint ranges so lookups can binary-search.
  ranges.sort(compareStarts);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
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
