/**
 * seq_file output: the simulator creates a seq_file (Machine.kernel.createSeqFile) before
 * calling a show() function, then reads what was written. Writes to a seq_file the machine
 * did not create are collected too (keyed by address).
 */
import type { HostFunction } from '../host';
import type { Machine } from '../machine';
import { formatKernel } from './format';
import { formatContext, host, num } from './support';

function append(m: Machine, file: number, text: string): void {
  m.kernel.seqText.set(file, (m.kernel.seqText.get(file) ?? '') + text);
}

export const seqFileApi: HostFunction[] = [
  host('seq_printf', (m, _t, a) => {
    append(m, num(a[0]), formatKernel(formatContext(m), m.memory.cstring(num(a[1])), a, 2));
    return 0;
  }),
  host('seq_puts', (m, _t, a) => {
    append(m, num(a[0]), m.memory.cstring(num(a[1])));
    return 0;
  }),
  host('seq_putc', (m, _t, a) => {
    append(m, num(a[0]), String.fromCharCode(num(a[1]) & 0xff));
    return 0;
  }),
  host('seq_write', (m, _t, a) => {
    append(m, num(a[0]), Buffer.from(m.memory.readBytes(num(a[1]), num(a[2]))).toString('latin1'));
    return 0;
  }),
];
