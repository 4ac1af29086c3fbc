/**
 * printk and friends. The level comes from the KERN_<LEVEL> prefix ("\001" + digit) or the
 * default (4, warning); KERN_CONT marks a continuation. The text is what the kernel would log
 * for the record: prefix already applied by the module's pr_fmt, trailing newline removed.
 */
import { fault } from '../fault';
import type { HostFunction } from '../host';
import type { Machine } from '../machine';
import type { Task } from '../task';
import type { Val } from '../values';
import { formatKernel } from './format';
import { formatContext, host, num } from './support';

export const defaultMessageLevel = 4;

/** Bytes (Latin-1 string) → text, decoding UTF-8 where the module printed it. */
function toText(bytes: string): string {
  const buffer = Buffer.from(bytes, 'latin1');
  const text = buffer.toString('utf8');
  return text.includes('\ufffd') ? bytes : text;
}

export function emitPrintk(m: Machine, t: Task, formatted: string): number {
  let level = defaultMessageLevel;
  let continuation = false;
  let text = formatted;
  while (text.length >= 2 && text.charCodeAt(0) === 1) {
    const c = text[1];
    if (c >= '0' && c <= '7') level = c.charCodeAt(0) - 48;
    else if (c === 'c') continuation = true;
    text = text.slice(2);
  }
  const length = text.length;
  if (text.endsWith('\n')) text = text.slice(0, -1);
  m.emit({ kind: 'printk', level, text: toText(text), module: m.currentModule(t), task: t.name, continuation });
  return length;
}

export function formatArgs(m: Machine, args: Val[], fmtIndex: number): string {
  return formatKernel(formatContext(m), m.memory.cstring(num(args[fmtIndex])), args, fmtIndex + 1);
}

export const printkApi: HostFunction[] = [
  host('printk', (m, t, args) => emitPrintk(m, t, formatArgs(m, args, 0))),
  host('_printk', (m, t, args) => emitPrintk(m, t, formatArgs(m, args, 0))),
  host('__interp_warn', (m, t, args, site) => {
    const message = num(args[0]) === 0 ? '' : toText(formatArgs(m, args, 0)).replace(/\n$/, '');
    m.kernel.taints.add('W');
    m.emit({
      kind: 'warning', message, module: m.currentModule(t), function: m.currentFunction(t) ?? '', file: site.file, line: site.line, task: t.name,
    });
    return 0;
  }),
  host('__interp_bug', (_m, _t, _args, site) => fault('bug', `kernel BUG at ${site.file}:${site.line}!`)),
  host('panic', (m, _t, args) => fault('bug', `Kernel panic - not syncing: ${toText(formatArgs(m, args, 0)).replace(/\n$/, '')}`)),
  host('dump_stack', (m, t) => {
    m.emit({ kind: 'stack-dump', task: t.name, frames: m.stackOf(t).map((f) => `${f.function}${f.module ? ` [${f.module}]` : ''} (${f.file}:${f.line})`) });
    return 0;
  }),
];
