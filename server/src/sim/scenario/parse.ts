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
  | { kind: 'wait-transition'; patch: string };

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
      case 'wait':
        if (args[0]?.text !== 'transition' || args.length !== 2) return fail('wait: expected "wait transition <patch>"');
        return add({ kind: 'wait-transition', patch: args[1].text.replace(/-/g, '_') });
      default:
        return fail(`unknown command '${head.text}' (known: insmod, modprobe, rmmod, echo, cat, grep, ls, sleep, wait transition)`);
    }
  });
  return { lines, errors };
}
