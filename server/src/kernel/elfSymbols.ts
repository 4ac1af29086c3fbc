/**
 * A small ELF64 reader (section table, symbol table, relocations) for kernel modules (.ko,
 * ET_REL) and vmlinux (ET_EXEC), and the conversion of a module's symbols into a model object
 * the way the kernel's module kallsyms presents them.
 *
 * Files are read through a ByteSource so a 600 MB vmlinux with debug info is never read whole:
 * only the section headers, the symbol/string tables and the requested ranges are.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { KernelObjectJson, KernelSymbolJson } from './format';

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SYMTAB_SHNDX = 18;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export class ElfError extends Error {}

/** Random access to the bytes of a file. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
  close?(): void;
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: (offset, length) => {
      if (offset < 0 || offset + length > buf.length) throw new ElfError(`read past the end of the file (offset ${offset}, ${length} bytes)`);
      return buf.subarray(offset, offset + length);
    },
  };
}

export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read: (offset, length) => {
      if (offset < 0 || offset + length > size) throw new ElfError(`read past the end of the file (offset ${offset}, ${length} bytes)`);
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw new ElfError('unexpected end of file');
        done += n;
      }
      return buf;
    },
    close: () => closeSync(fd),
  };
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfSymbol {
  /** Index in .symtab (relocations refer to symbols by it). */
  index: number;
  name: string;
  value: bigint;
  size: number;
  type: number;
  bind: number;
  /** Section index, SHN_XINDEX already resolved. */
  shndx: number;
}

export interface ElfRelocation {
  offset: bigint;
  symbol: number;
  type: number;
  addend: bigint;
}

export class ElfFile {
  readonly littleEndian: boolean;
  readonly elfType: number;
  readonly machine: number;
  readonly sections: ElfSection[];
  private symbolCache: ElfSymbol[] | undefined;

  constructor(readonly source: ByteSource) {
    if (source.size < 64) throw new ElfError('not an ELF file (too short)');
    const ident = source.read(0, 64);
    if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) throw new ElfError('not an ELF file (bad magic)');
    if (ident[4] !== 2) throw new ElfError('only 64-bit ELF files are supported');
    if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError('unknown ELF byte order');
    this.littleEndian = ident[5] === 1;
    this.elfType = this.u16(ident, 16);
    this.machine = this.u16(ident, 18);
    const shoff = this.offset(this.u64(ident, 0x28));
    const shentsize = this.u16(ident, 0x3a);
    let shnum = this.u16(ident, 0x3c);
    let shstrndx = this.u16(ident, 0x3e);
    if (shoff === 0) throw new ElfError('ELF file has no section header table');
    if (shentsize < 64) throw new ElfError(`unexpected section header size ${shentsize}`);
    // Files with 65280+ sections keep the real count and string table index in section 0.
    const first = source.read(shoff, shentsize);
    if (shnum === 0) shnum = this.offset(this.u64(first, 32));
    if (shstrndx === SHN_XINDEX) shstrndx = this.u32(first, 40);
    const table = source.read(shoff, shnum * shentsize);
    const raw: (ElfSection & { nameOffset: number })[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      raw.push({
        index: i,
        name: '',
        nameOffset: this.u32(table, o),
        type: this.u32(table, o + 4),
        flags: Number(this.u64(table, o + 8)),
        addr: this.u64(table, o + 16),
        offset: this.offset(this.u64(table, o + 24)),
        size: this.offset(this.u64(table, o + 32)),
        link: this.u32(table, o + 40),
        info: this.u32(table, o + 44),
        addralign: this.offset(this.u64(table, o + 48)),
        entsize: this.offset(this.u64(table, o + 56)),
      });
    }
    const shstr = raw[shstrndx];
    const names = shstr ? source.read(shstr.offset, shstr.size) : Buffer.alloc(0);
    this.sections = raw.map(({ nameOffset, ...s }) => ({ ...s, name: cString(names, nameOffset) }));
  }

  static fromBuffer(buf: Buffer): ElfFile {
    return new ElfFile(bufferSource(buf));
  }

  /** Opens a file for selective reads; call close() when done. */
  static open(path: string): ElfFile {
    const src = fileSource(path);
    try {
      return new ElfFile(src);
    } catch (e) {
      src.close?.();
      throw e;
    }
  }

  close(): void {
    this.source.close?.();
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionData(sec: ElfSection): Buffer {
    if (sec.type === SHT_NOBITS) return Buffer.alloc(0);
    return this.source.read(sec.offset, sec.size);
  }

  /** .symtab in order (index 0, the null symbol, included so indexes match relocations). */
  symbols(): ElfSymbol[] {
    if (this.symbolCache) return this.symbolCache;
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) throw new ElfError('no symbol table (.symtab); the file is stripped');
    const strtab = this.sections[symtab.link];
    if (!strtab) throw new ElfError('symbol table has no string table');
    const data = this.sectionData(symtab);
    const strings = this.sectionData(strtab);
    const shndxSec = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
    const xindex = shndxSec ? this.sectionData(shndxSec) : undefined;
    const entsize = symtab.entsize || 24;
    const count = Math.floor(data.length / entsize);
    const result: ElfSymbol[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * entsize;
      const info = data[o + 4];
      let shndx = this.u16(data, o + 6);
      if (shndx === SHN_XINDEX && xindex) shndx = this.u32(xindex, i * 4);
      result[i] = {
        index: i,
        name: cString(strings, this.u32(data, o)),
        type: info & 0xf,
        bind: info >> 4,
        shndx,
        value: this.u64(data, o + 8),
        size: Number(this.u64(data, o + 16)),
      };
    }
    this.symbolCache = result;
    return result;
  }

  /** Relocations that apply to `target` (from its SHT_RELA or SHT_REL section). */
  relocationsFor(target: ElfSection): ElfRelocation[] {
    const result: ElfRelocation[] = [];
    for (const sec of this.sections) {
      if ((sec.type !== SHT_RELA && sec.type !== SHT_REL) || sec.info !== target.index) continue;
      const rela = sec.type === SHT_RELA;
      const entsize = sec.entsize || (rela ? 24 : 16);
      const data = this.sectionData(sec);
      const targetData = rela ? undefined : this.sectionData(target);
      for (let o = 0; o + entsize <= data.length; o += entsize) {
        const offset = this.u64(data, o);
        const info = this.u64(data, o + 8);
        // REL keeps the addend in the relocated word (64-bit words for the tables read here).
        const addend = rela ? this.i64(data, o + 16) : targetData ? this.i64(targetData, Number(offset)) : 0n;
        result.push({ offset, symbol: Number(info >> 32n), type: Number(info & 0xffffffffn), addend });
      }
    }
    return result;
  }

  /** 64-bit words at virtual addresses [start, end) of an executable (e.g. vmlinux's mcount table). */
  readWordsAt(start: bigint, end: bigint): bigint[] {
    const sec = this.sections.find(
      (s) => s.flags & SHF_ALLOC && s.type !== SHT_NOBITS && s.addr <= start && end <= s.addr + BigInt(s.size),
    );
    if (!sec) throw new ElfError(`no section holds the addresses ${start.toString(16)}..${end.toString(16)}`);
    const data = this.source.read(sec.offset + Number(start - sec.addr), Number(end - start));
    const words: bigint[] = [];
    for (let o = 0; o + 8 <= data.length; o += 8) words.push(this.u64(data, o));
    return words;
  }

  private u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  private u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  private u64(b: Buffer, o: number): bigint {
    return this.littleEndian ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
  }
  private i64(b: Buffer, o: number): bigint {
    return this.littleEndian ? b.readBigInt64LE(o) : b.readBigInt64BE(o);
  }
  private offset(v: bigint): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('file offset out of range');
    return Number(v);
  }
}

function cString(buf: Buffer, offset: number): string {
  if (offset >= buf.length) return '';
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

/** Sections the module loader frees after init (module_init_layout_section). */
export function isInitSection(name: string): boolean {
  return name.startsWith('.init');
}

/**
 * The kallsyms type letter of a module symbol, as the kernel's elf_type() computes it; /proc/kallsyms
 * shows it upper-case when the symbol is exported, lower-case otherwise.
 */
export function moduleSymbolType(elf: ElfFile, sym: ElfSymbol, exported: boolean): string {
  let t: string;
  if (sym.shndx === SHN_UNDEF) t = 'u';
  else if (sym.shndx === SHN_ABS) t = 'a';
  else if (sym.shndx >= SHN_LORESERVE) t = '?';
  else {
    const sec = elf.sections[sym.shndx];
    if (!sec) t = '?';
    else if (sec.flags & SHF_EXECINSTR) t = 't';
    else if (sec.flags & SHF_ALLOC && sec.type !== SHT_NOBITS) t = sec.flags & SHF_WRITE ? 'd' : 'r';
    else if (sec.type === SHT_NOBITS) t = 'b';
    else if (sec.name.startsWith('.debug')) t = 'n';
    else t = '?';
  }
  return exported ? t.toUpperCase() : t;
}

export interface ModuleObjectOptions {
  /** ELF symbol types to keep (default FUNC and OBJECT). */
  symbolTypes?: number[];
}

/**
 * A model object from a module's ELF file: its FUNC and OBJECT symbols in symtab order (the order
 * module kallsyms searches), minus those of init sections, which the kernel frees after the
 * module's init ran (they are recorded as not patchable instead). Sizes are st_size. Addresses
 * are offsets in a simple layout of the module's allocated sections (the module is not loaded,
 * so there are no real ones); they keep symbols distinct and ordered within the module.
 *
 * `patchable` is derived from the __mcount_loc relocations when the module has them: every
 * function containing an ftrace call site is listed, as available_filter_functions would list it.
 */
export function moduleObjectFromElf(elf: ElfFile, options: ModuleObjectOptions = {}): KernelObjectJson {
  const keepTypes = new Set(options.symbolTypes ?? [STT_FUNC, STT_OBJECT]);
  const symbols = elf.symbols();
  const exported = new Set<string>();
  for (const s of symbols) if (s.name.startsWith('__ksymtab_')) exported.add(s.name.slice('__ksymtab_'.length));

  const base = new Map<number, bigint>();
  let cursor = 0n;
  for (const sec of elf.sections) {
    if (!(sec.flags & SHF_ALLOC)) continue;
    const align = BigInt(Math.max(1, sec.addralign));
    cursor = ((cursor + align - 1n) / align) * align;
    base.set(sec.index, elf.elfType === ET_REL ? cursor : 0n);
    cursor += BigInt(sec.size);
  }

  const out: KernelSymbolJson[] = [];
  const notPatchable: Record<string, string> = {};
  for (const s of symbols) {
    if (!s.name || !keepTypes.has(s.type) || s.shndx === SHN_UNDEF || s.shndx >= SHN_LORESERVE) continue;
    const sec = elf.sections[s.shndx];
    if (!sec || !(sec.flags & SHF_ALLOC)) continue;
    if (isInitSection(sec.name)) {
      if (s.type === STT_FUNC) notPatchable[s.name] = 'module init text, freed after the module is loaded';
      continue;
    }
    out.push({
      name: s.name,
      type: moduleSymbolType(elf, s, exported.has(s.name)),
      address: ((base.get(s.shndx) ?? 0n) + s.value).toString(16),
      size: s.size,
    });
  }
  const obj: KernelObjectJson = { symbols: out };
  const patchable = modulePatchable(elf);
  if (patchable) obj.patchable = patchable.filter((n) => !(n in notPatchable));
  if (Object.keys(notPatchable).length > 0) obj.notPatchable = notPatchable;
  return obj;
}

/**
 * Functions with an ftrace call site in a relocatable object: each __mcount_loc entry is a
 * relocation naming a section (or symbol) plus an offset; the FUNC symbols covering that offset
 * are the traceable functions. Undefined when the object has no __mcount_loc table.
 */
export function modulePatchable(elf: ElfFile): string[] | undefined {
  const mcount = elf.section('__mcount_loc');
  if (!mcount) return undefined;
  const symbols = elf.symbols();
  const funcsBySection = new Map<number, ElfSymbol[]>();
  for (const s of symbols) {
    if (s.type !== STT_FUNC || !s.name || s.shndx === SHN_UNDEF || s.shndx >= SHN_LORESERVE) continue;
    let list = funcsBySection.get(s.shndx);
    if (!list) funcsBySection.set(s.shndx, (list = []));
    list.push(s);
  }
  const names = new Set<string>();
  if (elf.elfType !== ET_REL) {
    // Linked objects hold the addresses themselves.
    const words = elf.sectionData(mcount);
    const funcs = [...funcsBySection.values()].flat();
    for (let o = 0; o + 8 <= words.length; o += 8) {
      const ip = elf.littleEndian ? words.readBigUInt64LE(o) : words.readBigUInt64BE(o);
      for (const f of funcs) if (ip >= f.value && ip < f.value + BigInt(Math.max(1, f.size))) names.add(f.name);
    }
    return [...names];
  }
  for (const list of funcsBySection.values()) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  for (const r of elf.relocationsFor(mcount)) {
    const target = symbols[r.symbol];
    if (!target || target.shndx === SHN_UNDEF || target.shndx >= SHN_LORESERVE) continue;
    const offset = target.value + r.addend;
    const funcs = funcsBySection.get(target.shndx) ?? [];
    // Last function starting at or before the call site, then its aliases at the same start.
    let lo = 0;
    let hi = funcs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (funcs[mid].value <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0 && funcs[i].value === funcs[found].value; i--) {
      const f = funcs[i];
      if (offset < f.value + BigInt(Math.max(1, f.size))) names.add(f.name);
    }
  }
  return [...names];
}

/**
 * vmlinux's ftrace call-site addresses: the table between __start_mcount_loc and
 * __stop_mcount_loc (ftrace_init reads the same table at boot). Hex strings, file order.
 */
export function vmlinuxFtraceLocations(elf: ElfFile): string[] {
  let start: bigint | undefined;
  let stop: bigint | undefined;
  for (const s of elf.symbols()) {
    if (s.name === '__start_mcount_loc') start = s.value;
    else if (s.name === '__stop_mcount_loc') stop = s.value;
  }
  if (start === undefined || stop === undefined) throw new ElfError('vmlinux has no __start_mcount_loc/__stop_mcount_loc symbols');
  return elf
    .readWordsAt(start, stop)
    .filter((w) => w !== 0n)
    .map((w) => w.toString(16));
}
