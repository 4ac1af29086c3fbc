/**
 * Imports a System.map (`ffffffff81000000 T _stext`) or /proc/kallsyms text (the same, plus
 * `\t[module]` after module symbols) into the kernel model format.
 *
 * Order is kept as in the file: System.map and the vmlinux part of /proc/kallsyms are in address
 * order, which is kallsyms order; module symbols in /proc/kallsyms are in the module's symtab
 * order, which is also the order the kernel searches them for old_sympos.
 */
import { basename } from 'node:path';
import { KERNEL_MODEL_FORMAT_VERSION, isTextSymbolType, type KernelFeatures, type KernelModelJson, type KernelObjectJson, type KernelSymbolJson } from './format';
import type { KernelModelError, KernelVersion } from './types';
import { MAX_MODEL_ERRORS } from './validate';
import { parseKernelVersion } from './versions';

export interface SymbolMapImportOptions {
  /** uname -r; guessed from a file name like System.map-6.1.0-50-amd64 when absent. */
  release?: string;
  /** Upstream version; parsed from the release when absent. */
  version?: KernelVersion;
  /** Guessed from the release suffix (amd64, arm64) or from tell-tale symbols when absent. */
  architecture?: string;
  /** File name or path, used for guessing and provenance. */
  fileName?: string;
  config?: Record<string, string>;
  features?: KernelFeatures;
  /** Defaults to the modules present in the file (a kallsyms dump lists loaded modules only). */
  loadedModules?: string[];
  /** Merged into the provenance the importer records. */
  provenance?: Record<string, unknown>;
  /**
   * ftrace call-site addresses (hex) per object, e.g. vmlinux's __mcount_loc table. When given,
   * the object's `patchable` list is derived from them as available_filter_functions would show.
   */
  ftraceLocations?: Record<string, string[]>;
  /**
   * Largest distance of a call site from its function's symbol that ftrace accepts
   * (FTRACE_MCOUNT_MAX_OFFSET, since 6.0: on x86 0, or 4 with IBT). Sites farther away belong to
   * bodies without a symbol (overridden weak functions) and show up as
   * `__ftrace_invalid_address___<n>`. No limit when absent.
   */
  maxCallSiteOffset?: number;
}

export interface SymbolMapImportResult {
  /** Present when there were no errors. */
  model?: KernelModelJson;
  errors: KernelModelError[];
}

/** A symbol line: address, type letter, name, optional tab + [module]. */
const LINE_RE = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?])\s+(\S+)(?:\s+\[([^\]\s]+)\])?\s*$/;

/** Whether the text looks like a System.map / kallsyms file (judged by its first line). */
export function looksLikeSymbolMap(text: string): boolean {
  const start = text.search(/\S/);
  if (start < 0) return false;
  // Only the first line matters; a model JSON may be one line of megabytes, so look no further
  // than any symbol line can be long.
  const head = text.slice(start, start + 4096);
  const end = head.indexOf('\n');
  return LINE_RE.test((end < 0 ? head : head.slice(0, end)).replace(/\r$/, ''));
}

/** "System.map-6.1.0-50-amd64" -> "6.1.0-50-amd64" (also kallsyms-<release>, with .gz/.txt). */
export function releaseFromFileName(fileName: string): string | undefined {
  const m = /^(?:System\.map|kallsyms)-(.+?)(?:\.txt)?(?:\.gz)?$/.exec(basename(fileName));
  return m && parseKernelVersion(m[1]) ? m[1] : undefined;
}

const ARCH_SUFFIXES: [RegExp, string][] = [
  [/(?:^|[-.])(amd64|x86_64)$/, 'x86_64'],
  [/(?:^|[-.])(arm64|aarch64)$/, 'arm64'],
  [/(?:^|[-.])s390x?$/, 's390'],
  [/(?:^|[-.])(ppc64el|ppc64le)$/, 'ppc64le'],
  [/(?:^|[-.])riscv64$/, 'riscv64'],
  [/(?:^|[-.])loong64$/, 'loongarch64'],
];

const ARCH_SYMBOLS: [string, string][] = [
  ['entry_SYSCALL_64', 'x86_64'],
  ['el0t_64_sync', 'arm64'],
  ['el0_svc', 'arm64'],
  ['__s390x_sys_read', 's390'],
];

/** Architecture from a release suffix ("-amd64", ".x86_64") or, failing that, from symbols. */
export function guessArchitecture(release: string | undefined, vmlinuxNames: Set<string>): string | undefined {
  if (release) for (const [re, arch] of ARCH_SUFFIXES) if (re.test(release)) return arch;
  for (const [sym, arch] of ARCH_SYMBOLS) if (vmlinuxNames.has(sym)) return arch;
  return undefined;
}

/**
 * Section marker pairs whose text cannot be patched, with the reason recorded in notPatchable.
 * `.softirqentry.text` is deliberately absent: `__softirq_entry` does not imply notrace, and
 * Debian 6.1's __mcount_loc has an ftrace site for `__do_softirq`, its only function.
 */
export const NOT_PATCHABLE_RANGES: { start: string; end: string; reason: string }[] = [
  { start: '__noinstr_text_start', end: '__noinstr_text_end', reason: 'noinstr section' },
  { start: '__entry_text_start', end: '__entry_text_end', reason: 'entry text' },
  { start: '__irqentry_text_start', end: '__irqentry_text_end', reason: 'irqentry text' },
  { start: '_sinittext', end: '_einittext', reason: 'init text, freed after boot' },
];

/** Pseudo-modules /proc/kallsyms shows that are not loadable modules. */
function isPseudoModule(name: string): boolean {
  return name === 'bpf' || name.startsWith('__builtin__');
}

/** Address as a BigInt (addresses exceed 2^53). */
export function addressValue(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

interface Placed {
  sym: KernelSymbolJson;
  addr: bigint;
}

/** Symbols with a real address (absolute and undefined ones are not), sorted by address. */
function placed(symbols: KernelSymbolJson[]): Placed[] {
  const list: Placed[] = [];
  let sorted = true;
  for (const sym of symbols) {
    if (sym.type === 'a' || sym.type === 'A' || sym.type === 'U') continue;
    const addr = addressValue(sym.address);
    if (list.length > 0 && addr < list[list.length - 1].addr) sorted = false;
    list.push({ sym, addr });
  }
  // Stable sort keeps file order among equal addresses.
  if (!sorted) list.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return list;
}

/**
 * Sizes of text symbols the way kallsyms computes them: the distance to the next symbol at a
 * higher address in the same object. The last one stays without a size.
 */
function assignSizes(list: Placed[]): void {
  let next: bigint | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i];
    if (next !== undefined && isTextSymbolType(p.sym.type)) p.sym.size = Number(next - p.addr);
    if (i === 0 || list[i - 1].addr !== p.addr) next = p.addr;
  }
}

/** notPatchable entries for vmlinux from the section markers; returns the ranges found. */
function markNotPatchable(symbols: KernelSymbolJson[], list: Placed[], obj: KernelObjectJson): { start: bigint; end: bigint; reason: string }[] {
  const byName = new Map<string, bigint>();
  for (const p of list) if (!byName.has(p.sym.name)) byName.set(p.sym.name, p.addr);
  const ranges: { start: bigint; end: bigint; reason: string }[] = [];
  const markers = new Set<string>();
  for (const r of NOT_PATCHABLE_RANGES) {
    const start = byName.get(r.start);
    const end = byName.get(r.end);
    markers.add(r.start).add(r.end);
    if (start !== undefined && end !== undefined && end > start) ranges.push({ start, end, reason: r.reason });
  }
  if (ranges.length === 0) return ranges;
  // The narrowest containing range names the reason (irqentry text lies inside entry text).
  ranges.sort((a, b) => (a.end - a.start < b.end - b.start ? -1 : 1));
  const reasonOf = new Map<string, string | null>();
  for (const p of list) {
    if (!isTextSymbolType(p.sym.type) || markers.has(p.sym.name)) continue;
    const r = ranges.find((x) => p.addr >= x.start && p.addr < x.end);
    const prev = reasonOf.get(p.sym.name);
    if (!r) reasonOf.set(p.sym.name, null);
    else if (prev === undefined) reasonOf.set(p.sym.name, r.reason);
  }
  // A name is listed only when every copy is unpatchable: the list is by name, not by position.
  const notPatchable: Record<string, string> = {};
  for (const s of symbols) {
    const reason = reasonOf.get(s.name);
    if (reason) notPatchable[s.name] = reason;
  }
  if (Object.keys(notPatchable).length > 0) obj.notPatchable = notPatchable;
  return ranges;
}

/**
 * available_filter_functions from ftrace call-site addresses: each site belongs to the function
 * whose symbol is the closest one at or below it (as kallsyms resolves it). Every name at that
 * function's address is patchable, since klp resolves names to addresses. Sites inside `exclude`
 * (freed init text) are dropped, as ftrace drops them after boot.
 */
export function patchableFromFtraceLocations(
  symbols: KernelSymbolJson[],
  locations: string[],
  exclude: { start: bigint; end: bigint }[] = [],
  maxCallSiteOffset?: number,
): string[] {
  const maxOffset = maxCallSiteOffset === undefined ? undefined : BigInt(maxCallSiteOffset);
  const text = placed(symbols).filter((p) => isTextSymbolType(p.sym.type));
  const addrs = text.map((p) => p.addr);
  const result = new Set<string>();
  for (const hex of locations) {
    const ip = addressValue(hex);
    if (exclude.some((r) => ip >= r.start && ip < r.end)) continue;
    let lo = 0;
    let hi = addrs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (addrs[mid] <= ip) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) continue;
    const size = text[found].sym.size;
    if (size !== undefined && ip >= addrs[found] + BigInt(size)) continue;
    if (maxOffset !== undefined && ip - addrs[found] > maxOffset) continue;
    for (let i = found; i >= 0 && addrs[i] === addrs[found]; i--) result.add(text[i].sym.name);
  }
  return [...result];
}

export function importSystemMap(text: string, options: SymbolMapImportOptions = {}): SymbolMapImportResult {
  const errors: KernelModelError[] = [];
  const vmlinux: KernelSymbolJson[] = [];
  const modules = new Map<string, KernelSymbolJson[]>();
  const pseudo = new Set<string>();
  let hasModuleColumn = false;
  let allZero = true;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const m = LINE_RE.exec(line);
    if (!m) {
      if (errors.length < MAX_MODEL_ERRORS) {
        errors.push({
          message: `line ${i + 1}: not a symbol line ('<hex address> <type> <name> [\\t[module]]'): ${JSON.stringify(line.slice(0, 80))}`,
          jsonPath: '',
          line: i,
          character: 0,
        });
      }
      continue;
    }
    const address = m[1].toLowerCase().replace(/^0+(?=.)/, '');
    if (address !== '0') allZero = false;
    const sym: KernelSymbolJson = { name: m[3], type: m[2], address };
    const mod = m[4];
    if (mod === undefined) {
      vmlinux.push(sym);
    } else {
      hasModuleColumn = true;
      if (isPseudoModule(mod)) {
        pseudo.add(mod);
        continue;
      }
      let list = modules.get(mod);
      if (!list) modules.set(mod, (list = []));
      list.push(sym);
    }
  }
  if (vmlinux.length === 0 && errors.length === 0) {
    errors.push({ message: 'no vmlinux symbols in the file', jsonPath: '' });
  }

  const release = options.release ?? (options.fileName ? releaseFromFileName(options.fileName) : undefined);
  if (!release) {
    errors.push({
      message: 'the kernel release is unknown: pass it (e.g. --release 6.1.0-50-amd64) or name the file System.map-<release>',
      jsonPath: '/release',
    });
  }
  const version = options.version ?? (release ? parseKernelVersion(release) : undefined);
  if (release && !version) {
    errors.push({ message: `cannot derive a version from release '${release}': pass the version`, jsonPath: '/version' });
  }
  const architecture = options.architecture ?? guessArchitecture(release, new Set(vmlinux.map((s) => s.name)));
  if (!architecture) {
    errors.push({ message: 'the architecture is unknown: pass it (e.g. x86_64)', jsonPath: '/architecture' });
  }
  if (errors.length > 0 || !release || !version || !architecture) return { errors };

  const objects: Record<string, KernelObjectJson> = {};
  const vmObj: KernelObjectJson = { symbols: vmlinux };
  objects.vmlinux = vmObj;
  for (const [name, symbols] of modules) objects[name] = { symbols };

  let ranges: { start: bigint; end: bigint; reason: string }[] = [];
  if (!allZero) {
    for (const [name, obj] of Object.entries(objects)) {
      const list = placed(obj.symbols);
      assignSizes(list);
      if (name === 'vmlinux') ranges = markNotPatchable(obj.symbols, list, obj);
    }
  }
  const derivedPatchable: string[] = [];
  for (const [name, locations] of Object.entries(options.ftraceLocations ?? {})) {
    const obj = objects[name];
    if (!obj) continue;
    const init = name === 'vmlinux' ? ranges.filter((r) => r.reason.startsWith('init text')) : [];
    obj.patchable = patchableFromFtraceLocations(obj.symbols, locations, init, options.maxCallSiteOffset);
    derivedPatchable.push(name);
  }

  const provenance: Record<string, unknown> = {
    importer: hasModuleColumn ? 'kallsyms' : 'System.map',
    ...(options.fileName ? { file: basename(options.fileName) } : {}),
    sizes: allZero
      ? 'unknown: all addresses are zero (kallsyms read without privileges, kptr_restrict)'
      : 'text symbols: distance to the next symbol at a higher address in the same object, as kallsyms computes it',
    notPatchable: `vmlinux text inside the section markers present: ${NOT_PATCHABLE_RANGES.map((r) => `${r.start}..${r.end}`).join(', ')}`,
    ...(derivedPatchable.length > 0
      ? {
          patchable: `derived for ${derivedPatchable.join(', ')} from ftrace call sites (__mcount_loc), init text excluded${
            options.maxCallSiteOffset === undefined ? '' : `, sites more than ${options.maxCallSiteOffset} bytes past their symbol dropped`
          }`,
        }
      : {}),
    ...(pseudo.size > 0 ? { skippedPseudoModules: [...pseudo].sort() } : {}),
    ...(options.provenance ?? {}),
  };
  const model: KernelModelJson = {
    formatVersion: KERNEL_MODEL_FORMAT_VERSION,
    release,
    version,
    architecture,
    config: options.config ?? {},
    features: options.features ?? {},
    provenance,
    objects,
    loadedModules: options.loadedModules ?? [...modules.keys()],
  };
  return { model, errors: [] };
}
