/**
 * A tiny KernelModel over in-memory symbol lists: a test double for the kernel model *data*, so
 * check tests do not depend on the System.map importer. Addresses are made up but ordered, so
 * old_sympos counts like kallsyms does.
 */
import type { KernelModel, KernelObjectModel, KernelSymbol } from '../../../server/src/kernel/types';

/** A symbol as `name` (text, type t) or `[name, type]`. */
export type SymbolSpec = string | [name: string, type: string];

export interface FakeKernelOptions {
  /** "major.minor[.patch]"; default 6.1.0. */
  version?: string;
  architecture?: string;
  /** Symbols per object; default: defaultSymbols for vmlinux plus a few modules. */
  objects?: Record<string, SymbolSpec[]>;
  loadedModules?: string[];
  /** Functions known not to be patchable, with the reason, per object. */
  notPatchable?: Record<string, Record<string, string>>;
}

/** Real x86_64 6.1 names, including a duplicated name and a name that only exists suffixed. */
export const defaultVmlinuxSymbols: SymbolSpec[] = [
  'cmdline_proc_show',
  'meminfo_proc_show',
  'version_proc_show',
  'uptime_proc_show',
  'do_sys_openat2',
  'proc_single_open',
  'proc_single_open',
  'show_fdinfo.isra.0',
  'do_syscall_64',
  'proc_cmdline_init',
  'schedule',
  ['jiffies', 'D'],
];

export const defaultModules: Record<string, SymbolSpec[]> = {
  nfsd: ['nfsd_dispatch', 'nfsd4_process_open2'],
  ext4: ['ext4_file_read_iter', 'ext4_statfs'],
};

export const defaultNotPatchable: Record<string, Record<string, string>> = {
  vmlinux: { do_syscall_64: 'noinstr section', proc_cmdline_init: 'init text (.init.text)' },
};

export function fakeKernel(options: FakeKernelOptions = {}): KernelModel {
  const [major = 6, minor = 1, patch = 0] = (options.version ?? '6.1.0').split('.').map(Number);
  const specs = options.objects ?? { vmlinux: defaultVmlinuxSymbols, ...defaultModules };
  const notPatchable = options.notPatchable ?? defaultNotPatchable;
  const objects = new Map<string, KernelObjectModel>();
  let address = 0xffffffff81000000n;
  for (const [objectName, symbolSpecs] of Object.entries(specs)) {
    const symbols: KernelSymbol[] = symbolSpecs.map((spec) => {
      const [name, type] = typeof spec === 'string' ? [spec, 't'] : spec;
      address += 0x100n;
      return { name, type, address: address.toString(16), size: 0x100 };
    });
    objects.set(objectName, {
      name: objectName,
      symbols,
      notPatchable: new Map(Object.entries(notPatchable[objectName] ?? {})),
    });
  }
  const release = `${major}.${minor}.${patch}-test`;
  return {
    formatVersion: 1,
    release,
    version: { major, minor, patch },
    architecture: options.architecture ?? 'x86_64',
    config: new Map([['CONFIG_LIVEPATCH', 'y']]),
    objects,
    loadedModules: options.loadedModules ?? ['ext4'],
    source: 'fake kernel for tests',
    raw: {},
    lookup(objectName, symbolName) {
      return objects.get(objectName)?.symbols.filter((symbol) => symbol.name === symbolName) ?? [];
    },
    objectsDefining(symbolName) {
      return [...objects.values()].filter((object) => object.symbols.some((symbol) => symbol.name === symbolName)).map((object) => object.name);
    },
    isPatchable(objectName, symbolName) {
      const object = objects.get(objectName);
      const reason = object?.notPatchable.get(symbolName);
      if (reason !== undefined) return { patchable: false, reason };
      if (object?.patchable) return { patchable: object.patchable.has(symbolName) };
      return { patchable: undefined };
    },
  };
}
