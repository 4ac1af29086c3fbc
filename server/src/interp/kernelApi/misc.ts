/** Module references, RCU and other calls that need no more than bookkeeping. */
import type { HostFunction } from '../host';
import type { Machine } from '../machine';
import { host, num } from './support';

function refcnt(m: Machine, mod: number): number | undefined {
  const type = m.kernel.types().get('module');
  const fld = type?.field('refcnt');
  return fld ? mod + fld.offset : undefined;
}

export const miscApi: HostFunction[] = [
  host('try_module_get', (m, _t, a) => {
    const mod = num(a[0]);
    if (mod === 0) return 1;
    const type = m.kernel.types().get('module');
    const state = type?.field('state');
    if (state && m.memory.s32(mod + state.offset) === 2) return 0; // MODULE_STATE_GOING
    const r = refcnt(m, mod);
    if (r !== undefined) m.memory.w32(r, m.memory.s32(r) + 1);
    return 1;
  }),
  host('__module_get', (m, _t, a) => {
    const r = num(a[0]) === 0 ? undefined : refcnt(m, num(a[0]));
    if (r !== undefined) m.memory.w32(r, m.memory.s32(r) + 1);
    return 0;
  }),
  host('module_put', (m, _t, a) => {
    const r = num(a[0]) === 0 ? undefined : refcnt(m, num(a[0]));
    if (r !== undefined) m.memory.w32(r, m.memory.s32(r) - 1);
    return 0;
  }),
  host('synchronize_rcu', () => 0),
  host('rcu_barrier', () => 0),
];
