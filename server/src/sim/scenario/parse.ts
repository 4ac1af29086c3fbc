/**
 * The `.klpsim` scenario language: one shell-like command a line, `#` comments. A malformed line
 * is reported with its line and column, and then nothing runs.
 */
export type Command =
  | { kind: 'insmod'; path: string; params: [string, string][] }
  | { kind: 'modprobe'; name: string; params: [string, string][] }
  | { kind: 'rmmod'; name: string }
  | { kind: 'echo'; value: string; file: string }
  | { kind: 'cat'; file: string; toKmsg: boolean }
  | { kind: 'grep'; pattern: string; file: string; toKmsg: boolean }
  | { kind: 'ls'; dir: string }
  | { kind: 'sleep'; seconds: number }
  | { kind: 'wait-transition'; patch: string }
  | { kind: 'sysctl'; key: string; value: string | undefined }
  | KernelDirective;

/**
 * Directives that set up the simulated machine rather than run something (setup.ts applies
 * them before the first command): the kernel model file, version, config options, features,
 * and background tasks of the model. They print nothing in the transcript.
 */
export type KernelDirective =
  | { kind: 'kernel-model'; path: string }
  | { kind: 'kernel-version'; major: number; minor: number; patch: number }
  | { kind: 'kernel-config'; option: string; value: string | undefined }
  | { kind: 'kernel-feature'; feature: string; value: boolean | number | string }
  | { kind: 'task'; task: TaskDirective };

/** A model task as a `task` line describes it (reference 5.5, 5.6 outcomes). */
export interface TaskDirective {
  pid: number;
  comm: string;
  kind: 'user' | 'kthread' | 'idle';
  /** Innermost first; "fn [module]" for module functions. */
  stack: string[];
  running?: boolean;
  offline?: boolean;
  reliableStack?: boolean;
  interruptible?: boolean;
}

export function isDirective(command: Command): command is KernelDirective {
  return command.kind === 'task' || command.kind.startsWith('kernel-');
}

export interface ScenarioLine {
  command: Command;
  /** The line as written (the transcript echoes it). */
  text: string;
  /** 1-based. */
  line: number;
}

export interface ScenarioError {
  message: string;
  line: number;
  column: number;
}

interface Word {
  text: string;
  column: number;
}

/** Splits a line like a shell does for these commands: blanks, '...' and "..." quoting. */
function words(line: string): Word[] | ScenarioError {
  const out: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    const column = i + 1;
    let text = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === "'" || c === '"') {
        const close = line.indexOf(c, i + 1);
        if (close < 0) return { message: `unterminated ${c === "'" ? 'single' : 'double'} quote`, line: 0, column: i + 1 };
        text += line.slice(i + 1, close);
        i = close + 1;
      } else if (c === '>' && text === '') {
        text = '>';
        i++;
        break;
      } else if (c === '>') break;
      else {
        text += c;
        i++;
      }
    }
    out.push({ text, column });
  }
  return out;
}

function params(ws: Word[], line: number): [string, string][] | ScenarioError {
  const result: [string, string][] = [];
  for (const w of ws) {
    const eq = w.text.indexOf('=');
    if (eq <= 0) return { message: `expected a module parameter (name=value), found '${w.text}'`, line, column: w.column };
    result.push([w.text.slice(0, eq), w.text.slice(eq + 1)]);
  }
  return result;
}

function redirect(ws: Word[], line: number, command: string): { file: string; toKmsg: boolean; rest: Word[] } | ScenarioError {
  const at = ws.findIndex((w) => w.text === '>');
  if (at < 0) return { file: '', toKmsg: false, rest: ws };
  const target = ws[at + 1];
  if (!target) return { message: `${command}: '>' needs a file`, line, column: ws[at].column };
  if (ws.length > at + 2) return { message: `${command}: unexpected '${ws[at + 2].text}' after the redirection`, line, column: ws[at + 2].column };
  return { file: target.text, toKmsg: target.text === '/dev/kmsg', rest: ws.slice(0, at) };
}

export function parseScenario(text: string): { lines: ScenarioLine[]; errors: ScenarioError[] } {
  const lines: ScenarioLine[] = [];
  const errors: ScenarioError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const split = words(raw);
    if (!Array.isArray(split)) {
      errors.push({ ...split, line });
      return;
    }
    if (split.length === 0) return;
    const [head, ...args] = split;
    const fail = (message: string, column = head.column) => errors.push({ message, line, column });
    const add = (command: Command) => lines.push({ command, text: raw.trim(), line });
    switch (head.text) {
      case 'insmod': {
        if (!args[0]) return fail('insmod: expected a module file (<path>.ko)');
        if (!args[0].text.endsWith('.ko')) return fail(`insmod: '${args[0].text}' is not a .ko file`, args[0].column);
        const p = params(args.slice(1), line);
        if (!Array.isArray(p)) return errors.push(p);
        return add({ kind: 'insmod', path: args[0].text, params: p });
      }
      case 'modprobe': {
        if (!args[0]) return fail('modprobe: expected a module name');
        const p = params(args.slice(1), line);
        if (!Array.isArray(p)) return errors.push(p);
        return add({ kind: 'modprobe', name: args[0].text, params: p });
      }
      case 'rmmod':
        if (args.length !== 1) return fail('rmmod: expected one module name');
        return add({ kind: 'rmmod', name: args[0].text.replace(/\.ko$/, '') });
      case 'echo': {
        const r = redirect(args, line, 'echo');
        if ('message' in r) return errors.push(r);
        if (!r.file) return fail("echo: expected '> <file>'");
        return add({ kind: 'echo', value: r.rest.map((w) => w.text).join(' '), file: r.file });
      }
      case 'cat': {
        const r = redirect(args, line, 'cat');
        if ('message' in r) return errors.push(r);
        if (r.rest.length !== 1) return fail('cat: expected one file');
        if (r.file && !r.toKmsg) return fail('cat: only > /dev/kmsg is supported as a redirection', args[args.length - 1].column);
        return add({ kind: 'cat', file: r.rest[0].text, toKmsg: r.toKmsg });
      }
      case 'grep': {
        const r = redirect(args, line, 'grep');
        if ('message' in r) return errors.push(r);
        if (r.rest.length !== 2) return fail('grep: expected a pattern and one file');
        if (r.file && !r.toKmsg) return fail('grep: only > /dev/kmsg is supported as a redirection', args[args.length - 1].column);
        return add({ kind: 'grep', pattern: r.rest[0].text, file: r.rest[1].text, toKmsg: r.toKmsg });
      }
      case 'ls':
        if (args.length !== 1) return fail('ls: expected one directory');
        return add({ kind: 'ls', dir: args[0].text });
      case 'sleep': {
        const seconds = Number(args[0]?.text);
        if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) return fail('sleep: expected a number of seconds');
        return add({ kind: 'sleep', seconds });
      }
      case 'kernel': {
        const d = kernelDirective(args, line, head.column);
        if ('message' in d) return errors.push(d);
        if (lines.some((l) => !isDirective(l.command))) return fail('kernel: directives must come before the first command');
        return add(d);
      }
      case 'task': {
        const t = taskDirective(args, line, head.column);
        if ('message' in t) return errors.push(t);
        if (lines.some((l) => !isDirective(l.command))) return fail('task: directives must come before the first command');
        return add({ kind: 'task', task: t });
      }
      case 'sysctl': {
        // `sysctl <key>` reads, `sysctl -w <key>=<value>` writes (procps-ng's two common forms).
        const write = args[0]?.text === '-w';
        const rest = write ? args.slice(1) : args;
        if (rest.length !== 1) return fail(write ? 'sysctl: expected -w <key>=<value>' : 'sysctl: expected a key (or -w <key>=<value>)');
        const eq = rest[0].text.indexOf('=');
        if (write !== eq > 0) return fail(write ? `sysctl: expected <key>=<value>, found '${rest[0].text}'` : `sysctl: use -w to set '${rest[0].text}'`, rest[0].column);
        // Names separated by dots or slashes, as below /proc/sys (no empty or '..' parts).
        if (!/^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*$/.test(write ? rest[0].text.slice(0, eq) : rest[0].text)) return fail(`sysctl: '${rest[0].text}' is not a sysctl key`, rest[0].column);
        return add({ kind: 'sysctl', key: write ? rest[0].text.slice(0, eq) : rest[0].text, value: write ? rest[0].text.slice(eq + 1) : undefined });
      }
      case 'wait':
        if (args[0]?.text !== 'transition' || args.length !== 2) return fail('wait: expected "wait transition <patch>"');
        return add({ kind: 'wait-transition', patch: args[1].text.replace(/-/g, '_') });
      default:
        return fail(`unknown command '${head.text}' (known: insmod, modprobe, rmmod, echo, cat, grep, ls, sleep, sysctl, wait transition, kernel, task)`);
    }
  });
  return { lines, errors };
}

/**
 * `kernel <model>.json[.gz]`, `kernel version <major>.<minor>[.<patch>]`,
 * `kernel config CONFIG_<NAME>=<value>` (`=n` unsets it), `kernel feature <name>=<value>`.
 */
function kernelDirective(args: Word[], line: number, column: number): KernelDirective | ScenarioError {
  const fail = (message: string, at = column): ScenarioError => ({ message, line, column: at });
  const [what, value, extra] = args;
  if (!what) return fail('kernel: expected a model file, or "version", "config" or "feature"');
  if (extra) return fail(`kernel: unexpected '${extra.text}'`, extra.column);
  switch (what.text) {
    case 'version': {
      const m = value && /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(value.text);
      if (!m || Number(m[1]) < 2) return fail(`kernel version: expected <major>.<minor>[.<patch>], found '${value?.text ?? ''}'`, value?.column ?? what.column);
      return { kind: 'kernel-version', major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
    }
    case 'config': {
      const m = value && /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(value.text);
      if (!m) return fail(`kernel config: expected CONFIG_<NAME>=<value>, found '${value?.text ?? ''}'`, value?.column ?? what.column);
      if (m[2] === '') return fail(`kernel config: ${m[1]} needs a value (y, m, n, a number or a string)`, value.column);
      return { kind: 'kernel-config', option: m[1], value: m[2] === 'n' ? undefined : m[2] };
    }
    case 'feature': {
      const m = value && /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(value.text);
      if (!m) return fail(`kernel feature: expected <name>=<value>, found '${value?.text ?? ''}'`, value?.column ?? what.column);
      const v = m[2] === 'true' ? true : m[2] === 'false' ? false : /^-?\d+$/.test(m[2]) ? Number(m[2]) : m[2];
      return { kind: 'kernel-feature', feature: m[1], value: v };
    }
    default:
      if (value) return fail(`kernel: unexpected '${value.text}'`, value.column);
      if (!/\.json(\.gz)?$/.test(what.text)) return fail(`kernel: '${what.text}' is not a kernel model file (.json or .json.gz)`, what.column);
      return { kind: 'kernel-model', path: what.text };
  }
}

/**
 * `task <comm>:<pid> user|kthread|idle [running] [offline] [unreliable] [uninterruptible]
 * [stack <function> <function>[<module>] ...]`: the stack is innermost first.
 */
function taskDirective(args: Word[], line: number, column: number): TaskDirective | ScenarioError {
  const fail = (message: string, at = column): ScenarioError => ({ message, line, column: at });
  const [identity, kind, ...rest] = args;
  const m = identity && /^(.+):(\d+)$/.exec(identity.text);
  if (!m) return fail(`task: expected <comm>:<pid>, found '${identity?.text ?? ''}'`, identity?.column ?? column);
  if (m[1].length > 15) return fail(`task: comm '${m[1]}' is longer than 15 characters (TASK_COMM_LEN)`, identity.column);
  if (!kind || !['user', 'kthread', 'idle'].includes(kind.text)) return fail(`task: expected user, kthread or idle, found '${kind?.text ?? ''}'`, kind?.column ?? identity.column);
  const task: TaskDirective = { pid: Number(m[2]), comm: m[1], kind: kind.text as TaskDirective['kind'], stack: [] };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w.text === 'stack') {
      const frames = rest.slice(i + 1);
      if (!frames.length) return fail('task: stack needs at least one function', w.column);
      for (const f of frames) {
        const frame = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\[([A-Za-z0-9_-]+)\])?$/.exec(f.text);
        if (!frame) return fail(`task: '${f.text}' is not a function name (or <function>[<module>])`, f.column);
        task.stack.push(frame[2] ? `${frame[1]} [${frame[2].replace(/-/g, '_')}]` : frame[1]);
      }
      break;
    }
    if (w.text === 'running') task.running = true;
    else if (w.text === 'offline') task.offline = true;
    else if (w.text === 'unreliable') task.reliableStack = false;
    else if (w.text === 'uninterruptible') task.interruptible = false;
    else if (w.text === 'interruptible') task.interruptible = true;
    else return fail(`task: unknown attribute '${w.text}' (known: running, offline, unreliable, interruptible, uninterruptible, stack)`, w.column);
  }
  if (task.offline && task.kind !== 'idle') return fail('task: only idle tasks can be offline (an offline CPU)', identity.column);
  return task;
}
