/**
 * Initializers → a list of stores (InitStep) into a zero-filled object: braced lists at any
 * depth, positional entries with brace elision, `.field =` and `[N] =` designators (also
 * chained, `[a ... b] =` ranges), string literals for char arrays, struct copies.
 */
import type { Node } from 'web-tree-sitter';
import type { InitStep } from '../program';
import { array, sizeOf, type CType, type StructType } from '../types';
import { fail } from './errors';
import { describe, type ExprCompiler } from './expressions';
import { stringLiteralBytes } from './literals';

interface Item {
  designators: Node[];
  value: Node;
}
interface Target {
  t: CType;
  off: number;
  bits?: { shift: number; width: number };
}

function kids(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

function itemsOf(list: Node): Item[] {
  return kids(list).map((child) => {
    if (child.type === 'initializer_pair') {
      return { designators: child.childrenForFieldName('designator').filter((d): d is Node => d !== null), value: child.childForFieldName('value')! };
    }
    return { designators: [], value: child };
  });
}

function isString(node: Node): boolean {
  if (node.type === 'parenthesized_expression' && kids(node).length === 1) return isString(kids(node)[0]);
  return node.type === 'string_literal' || node.type === 'concatenated_string';
}
function stringBytes(node: Node): number[] {
  if (node.type === 'parenthesized_expression') return stringBytes(kids(node)[0]);
  const parts = node.type === 'concatenated_string' ? kids(node) : [node];
  return parts.flatMap((p) => stringLiteralBytes(p.text));
}
function isCharArray(t: CType): boolean {
  return t.k === 'array' && t.of.k === 'int' && t.of.size === 1;
}
function isAggregate(t: CType): boolean {
  return t.k === 'array' || t.k === 'struct';
}

/** Members a positional initializer walks through: named members and anonymous aggregates. */
function positionalMembers(s: StructType): StructType['fields'] {
  return s.fields.filter((f) => f.name !== undefined || f.type.k === 'struct');
}

export class InitializerCompiler {
  readonly steps: InitStep[] = [];
  constructor(private readonly ec: ExprCompiler) {}

  /** Compiles the initializer of an object of type t; returns the type completed by it. */
  top(t: CType, node: Node): CType {
    if (node.type === 'initializer_list') {
      if (t.k === 'array' && t.length === undefined) {
        const n = this.list({ t, off: 0 }, node);
        return array(t.of, n);
      }
      this.list({ t, off: 0 }, node);
      return t;
    }
    if (isCharArray(t) && isString(node)) {
      const bytes = stringBytes(node);
      const arr = t as { k: 'array'; of: CType; length: number | undefined };
      const length = arr.length ?? bytes.length + 1;
      this.steps.push({ off: 0, bytes: Uint8Array.from(bytes.slice(0, length)) });
      return array(arr.of, length);
    }
    this.leaf({ t, off: 0 }, node);
    return t;
  }

  /** A braced list for target; returns the number of array elements it covered. */
  private list(target: Target, node: Node): number {
    const items = itemsOf(node);
    if (!isAggregate(target.t)) {
      if (items.length > 0) this.leaf(target, items[0].value);
      return 1;
    }
    if (isCharArray(target.t) && items.length === 1 && isString(items[0].value) && items[0].designators.length === 0) {
      this.top2(target, items[0].value);
      return (target.t as { length?: number }).length ?? stringBytes(items[0].value).length + 1;
    }
    return this.fill(target, items, { i: 0 }, true);
  }

  private top2(target: Target, node: Node): void {
    const bytes = stringBytes(node);
    const length = (target.t as { length?: number }).length ?? bytes.length + 1;
    this.steps.push({ off: target.off, bytes: Uint8Array.from(bytes.slice(0, length)) });
  }

  private fill(target: Target, items: Item[], cursor: { i: number }, braced: boolean): number {
    const t = target.t;
    let pos = 0;
    let covered = 0;
    const members = t.k === 'struct' ? positionalMembers(t) : [];
    while (cursor.i < items.length) {
      const item = items[cursor.i];
      if (item.designators.length > 0) {
        if (!braced) return covered;
        const d = item.designators[0];
        if (t.k === 'array') {
          const size = sizeOf(t.of);
          if (d.type === 'subscript_range_designator') {
            const start = this.ec.constInt(d.childForFieldName('start')!);
            const end = this.ec.constInt(d.childForFieldName('end')!);
            const saved = cursor.i;
            for (let k = start; k <= end; k++) {
              cursor.i = saved;
              this.designated({ t: t.of, off: target.off + k * size }, item.designators.slice(1), items, cursor);
            }
            pos = end + 1;
          } else if (d.type === 'subscript_designator') {
            pos = this.ec.constInt(kids(d)[0]);
            this.designated({ t: t.of, off: target.off + pos * size }, item.designators.slice(1), items, cursor);
            pos++;
          } else fail(`field designator in an array initializer`, d);
        } else if (t.k === 'struct') {
          if (d.type !== 'field_designator') fail('array designator in a struct initializer', d);
          const name = kids(d)[0]?.text ?? d.text.replace(/^\./, '');
          const fld = t.field(name);
          if (!fld) fail(`no member named '${name}' in ${describe(t)}`, d);
          this.designated({ t: fld.type, off: target.off + fld.offset, bits: fld.bits }, item.designators.slice(1), items, cursor);
          const direct = members.findIndex((m) => m.name === name);
          pos = direct >= 0 ? direct + 1 : members.findIndex((m) => m.name === undefined && m.type.k === 'struct' && m.type.field(name)) + 1;
        } else fail('designator for a scalar', d);
        covered = Math.max(covered, pos);
        continue;
      }
      let sub: Target;
      if (t.k === 'array') {
        if (t.length !== undefined && pos >= t.length) {
          if (braced) fail('excess elements in array initializer', item.value);
          return covered;
        }
        sub = { t: t.of, off: target.off + pos * sizeOf(t.of) };
      } else {
        const s = t as StructType;
        if (pos >= members.length || (s.isUnion && pos >= 1)) {
          if (braced) fail(`excess elements in ${describe(s)} initializer`, item.value);
          return covered;
        }
        const m = members[pos];
        sub = { t: m.type, off: target.off + m.offset, bits: m.bits };
      }
      this.element(sub, items, cursor);
      pos++;
      covered = Math.max(covered, pos);
    }
    return covered;
  }

  /** Initializes one sub-object from items[cursor.i], eliding braces when needed. */
  private element(target: Target, items: Item[], cursor: { i: number }): void {
    const v = items[cursor.i].value;
    if (v.type === 'initializer_list') {
      this.list(target, v);
      cursor.i++;
      return;
    }
    if (isAggregate(target.t)) {
      if (isCharArray(target.t) && isString(v)) {
        this.top2(target, v);
        cursor.i++;
        return;
      }
      if (target.t.k === 'struct' && this.ec.typeOf(v) === target.t) {
        this.leaf(target, v);
        cursor.i++;
        return;
      }
      this.fill(target, items, cursor, false);
      return;
    }
    this.leaf(target, v);
    cursor.i++;
  }

  private designated(target: Target, rest: Node[], items: Item[], cursor: { i: number }): void {
    if (rest.length === 0) {
      // The designated entry becomes positional for its sub-object (brace elision may follow).
      items[cursor.i] = { designators: [], value: items[cursor.i].value };
      this.element(target, items, cursor);
      return;
    }
    const d = rest[0];
    const t = target.t;
    if (t.k === 'array' && d.type === 'subscript_designator') {
      const k = this.ec.constInt(kids(d)[0]);
      this.designated({ t: t.of, off: target.off + k * sizeOf(t.of) }, rest.slice(1), items, cursor);
    } else if (t.k === 'struct' && d.type === 'field_designator') {
      const name = kids(d)[0]?.text ?? d.text.replace(/^\./, '');
      const fld = t.field(name);
      if (!fld) fail(`no member named '${name}' in ${describe(t)}`, d);
      this.designated({ t: fld.type, off: target.off + fld.offset, bits: fld.bits }, rest.slice(1), items, cursor);
    } else fail('designator does not match the type', d);
  }

  private leaf(target: Target, node: Node): void {
    const v = this.ec.value(node);
    if (target.t.k === 'struct') {
      if (v.t !== target.t) fail(`initializing ${describe(target.t)} with ${describe(v.t)}`, node);
      this.steps.push({ off: target.off, copyFrom: v.ev, size: target.t.size });
      return;
    }
    const c = this.ec.assignable(v, target.t, node);
    if (target.bits) this.steps.push({ off: target.off, bits: target.bits, type: target.t, ev: c.ev });
    else this.steps.push({ off: target.off, type: target.t, ev: c.ev });
  }
}
