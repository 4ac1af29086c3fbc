/**
 * `klp model capture`: reads the running kernel into the model format — /proc/kallsyms,
 * available_filter_functions, /proc/modules, the /sys/kernel/livepatch tree, /proc/version, the
 * config, tasks and their stacks, and the procfs files the simulator serves. Every source that
 * cannot be read (missing, not permitted, hidden addresses) becomes a note, never a failure,
 * unless the symbol table itself is unreadable.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { machine } from 'node:os';
import type { KernelModelJson, KernelTaskJson } from './format';
import { parseKernelConfig } from './importConfig';
import { importSystemMap } from './importSystemMap';
import { versionFromRelease } from './versions';

/** What capture reads; tests substitute a folder with a fake /proc and /sys. */
export interface CaptureFileSystem {
  /** Contents, or an error code ("ENOENT", "EACCES", "EPERM") when unreadable. */
  read(path: string): Buffer | { error: string };
  list(path: string): string[] | { error: string };
  architecture(): string;
}

export interface CaptureResult {
  model?: KernelModelJson;
  /** What could not be read, and why, one line each. */
  notes: string[];
  /** Set when the capture failed as a whole (no symbol table). */
  error?: string;
}

const PF_KTHREAD = 0x00200000;

function text(fs: CaptureFileSystem, path: string): string | { error: string } {
  const data = fs.read(path);
  return Buffer.isBuffer(data) ? data.toString('utf8') : data;
}

function why(error: string): string {
  return error === 'EACCES' || error === 'EPERM' ? 'permission denied (run as root)' : error === 'ENOENT' ? 'not present' : error;
}

/** available_filter_functions lines: `name` (vmlinux) or `name [module]`. */
function patchableByObject(textValue: string): Map<string, Set<string>> {
  const byObject = new Map<string, Set<string>>();
  for (const line of textValue.split('\n')) {
    const m = /^(\S+)(?:\s+\[(\S+)\])?/.exec(line.trim());
    if (!m || m[1].startsWith('__ftrace_invalid_address__')) continue;
    const object = m[2] ?? 'vmlinux';
    const set = byObject.get(object) ?? new Set<string>();
    set.add(m[1]);
    byObject.set(object, set);
  }
  return byObject;
}

export function captureKernelModel(fs: CaptureFileSystem): CaptureResult {
  const notes: string[] = [];
  const version = text(fs, '/proc/version');
  let release: string | undefined;
  if (typeof version === 'string') release = /^Linux version (\S+)/.exec(version)?.[1];
  else notes.push(`/proc/version: ${why(version.error)}`);
  const kallsyms = text(fs, '/proc/kallsyms');
  if (typeof kallsyms !== 'string') return { notes, error: `/proc/kallsyms: ${why(kallsyms.error)}` };
  if (/^0{8,16} /m.test(kallsyms.slice(0, 200))) notes.push('/proc/kallsyms: addresses are hidden (kptr_restrict); symbol order and names are exact, addresses and sizes are not (run as root)');

  let config: Record<string, string> | undefined;
  const configGz = fs.read('/proc/config.gz');
  if (Buffer.isBuffer(configGz)) config = parseKernelConfig(gunzipSync(configGz).toString('utf8'));
  else if (release) {
    const boot = text(fs, `/boot/config-${release}`);
    if (typeof boot === 'string') config = parseKernelConfig(boot);
    else notes.push(`kernel config: neither /proc/config.gz nor /boot/config-${release} is readable`);
  }

  const modules = text(fs, '/proc/modules');
  const loadedModules = typeof modules === 'string' ? modules.split('\n').map((l) => l.split(' ')[0]).filter(Boolean) : undefined;
  if (typeof modules !== 'string') notes.push(`/proc/modules: ${why(modules.error)} (no loaded modules recorded)`);

  const imported = importSystemMap(kallsyms, {
    release,
    version: release ? versionFromRelease(release) : undefined,
    architecture: fs.architecture(),
    fileName: '/proc/kallsyms',
    config,
    features: config ? { reliableStacktrace: config.CONFIG_HAVE_RELIABLE_STACKTRACE === 'y' } : undefined,
    loadedModules,
    provenance: { capturedFrom: '/proc/kallsyms', capturedAt: new Date().toISOString(), tool: 'klp model capture' },
  });
  if (!imported.model) return { notes, error: `/proc/kallsyms: ${imported.errors[0]?.message ?? 'could not be imported'}` };
  const model = imported.model;

  let filters: string | { error: string } = { error: 'ENOENT' };
  for (const path of ['/sys/kernel/tracing/available_filter_functions', '/sys/kernel/debug/tracing/available_filter_functions']) {
    filters = text(fs, path);
    if (typeof filters === 'string') break;
  }
  if (typeof filters === 'string') {
    for (const [object, names] of patchableByObject(filters)) if (model.objects[object]) model.objects[object].patchable = [...names];
  } else notes.push(`available_filter_functions: ${why(filters.error)} under /sys/kernel/tracing and /sys/kernel/debug/tracing (patchability unknown)`);

  const livepatches = captureLivepatches(fs, notes);
  if (livepatches.length) model.livepatches = livepatches;
  const tasks = captureTasks(fs, notes);
  if (tasks.length) model.tasks = tasks;
  const procfs: Record<string, { function: string; content: string }> = {};
  for (const [path, fn] of [['/proc/cmdline', 'cmdline_proc_show'], ['/proc/version', 'version_proc_show'], ['/proc/meminfo', 'meminfo_proc_show']] as const) {
    const content = text(fs, path);
    if (typeof content === 'string') procfs[path] = { function: fn, content };
  }
  model.procfs = procfs;
  return { model, notes };
}

function captureLivepatches(fs: CaptureFileSystem, notes: string[]): Record<string, unknown>[] {
  const names = fs.list('/sys/kernel/livepatch');
  if (!Array.isArray(names)) {
    notes.push(`/sys/kernel/livepatch: ${why(names.error)} (no installed livepatches recorded)`);
    return [];
  }
  const read = (path: string) => {
    const value = text(fs, path);
    return typeof value === 'string' ? value.trim() : undefined;
  };
  return names.map((name) => {
    const base = `/sys/kernel/livepatch/${name}`;
    const entries = fs.list(base);
    const objects = Array.isArray(entries) ? entries.filter((e) => !['enabled', 'transition', 'force', 'replace', 'stack_order', 'signal'].includes(e)) : [];
    return {
      name,
      enabled: read(`${base}/enabled`) === '1',
      transition: read(`${base}/transition`) === '1',
      replace: read(`${base}/replace`) === undefined ? undefined : read(`${base}/replace`) === '1',
      objects: objects.map((object) => {
        const funcs = fs.list(`${base}/${object}`);
        return { name: object, patched: read(`${base}/${object}/patched`) === '1', functions: Array.isArray(funcs) ? funcs.filter((f) => f.includes(',')) : [] };
      }),
    };
  });
}

function captureTasks(fs: CaptureFileSystem, notes: string[]): KernelTaskJson[] {
  const entries = fs.list('/proc');
  if (!Array.isArray(entries)) return [];
  const tasks: KernelTaskJson[] = [];
  let hiddenStacks = 0;
  for (const pid of entries.filter((e) => /^\d+$/.test(e)).slice(0, 4096)) {
    const stat = text(fs, `/proc/${pid}/stat`);
    if (typeof stat !== 'string') continue;
    // comm is in parentheses and may contain blanks; fields after it are space separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const flags = Number(fields[6] ?? 0);
    const stack = text(fs, `/proc/${pid}/stack`);
    let frames: string[] = [];
    if (typeof stack === 'string') frames = stack.split('\n').map((l) => /\]\s+([^+\s]+)/.exec(l)?.[1]).filter((f): f is string => !!f);
    else hiddenStacks++;
    tasks.push({ pid: Number(pid), comm, kind: flags & PF_KTHREAD ? 'kthread' : 'user', state: fields[0], stack: frames, interruptible: fields[0] === 'S' });
  }
  if (hiddenStacks) notes.push(`/proc/<pid>/stack: not readable for ${hiddenStacks} of ${tasks.length} tasks (run as root); their stacks are recorded empty`);
  return tasks;
}

/** The real machine's files. */
export function liveFileSystem(): CaptureFileSystem {
  const errorOf = (e: unknown) => ({ error: (e as NodeJS.ErrnoException).code ?? String(e) });
  return {
    read: (path) => {
      try {
        return readFileSync(path);
      } catch (e) {
        return errorOf(e);
      }
    },
    list: (path) => {
      try {
        return readdirSync(path);
      } catch (e) {
        return errorOf(e);
      }
    },
    architecture: () => machine(),
  };
}
