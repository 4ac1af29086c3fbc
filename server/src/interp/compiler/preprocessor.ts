/**
 * The C preprocessor for execution: turns one translation unit (kernel header prelude + a
 * module's .c file + the local headers it includes) into plain C text for the parser, plus a
 * map from every output token back to its source position.
 *
 * Handled: #define/#undef (object- and function-like, `#`, `##`, `__VA_ARGS__`, GNU
 * `, ##__VA_ARGS__`, `__VA_OPT__`), #include "local.h" (from the given sources),
 * #if/#ifdef/#ifndef/#elif/#elifdef/#elifndef/#else/#endif evaluated against the kernel config
 * (inactive branches are dropped), `defined`, IS_ENABLED()/IS_BUILTIN()/IS_MODULE()/IS_REACHABLE(),
 * `__LINE__`, `__FILE__`, `__COUNTER__`, `KBUILD_MODNAME`. `#include <...>` is ignored: the
 * curated kernel header model (kernelHeaders/) is always in scope. `typeof(...)` is lifted into
 * a side table (the C grammar cannot parse an expression in a type position) and replaced by a
 * placeholder type name the compiler resolves.
 */
import type { ConfigurationFacts } from '../../preprocess/conditionals';
import { evaluateTokens } from '../../preprocess/expression';
import { lexFile, lexFragment, type Origin, type PToken } from './lexer';

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  file: string;
  line: number;
  column: number;
}

export interface MacroDef {
  name: string;
  params?: string[];
  variadic: boolean;
  body: PToken[];
}

export interface SourceSet {
  /** Text of every file by path (main .c files and local headers). */
  files: Map<string, string>;
}

export interface PreprocessOptions {
  moduleName: string;
  config: ConfigurationFacts;
  /** Prelude: C text of the kernel header model, processed before the file. */
  prelude: { file: string; text: string };
}

export interface PreprocessedUnit {
  text: string;
  /** Output offset of each token, ascending, and where that token came from. */
  starts: number[];
  origins: Origin[];
  /** Texts lifted out of `typeof(...)`, indexed by the N of `__interp_typeof_N`. */
  typeofs: string[];
  diagnostics: Diagnostic[];
  /** Macros defined at the end of the unit (tests and tools). */
  macros: Map<string, MacroDef>;
}

const maxIncludeDepth = 20;
const maxExpansionTokens = 5_000_000;

/** Position of an output offset in the original sources. */
export function originAt(unit: Pick<PreprocessedUnit, 'starts' | 'origins'>, offset: number): Origin {
  const { starts, origins } = unit;
  let low = 0;
  let high = starts.length - 1;
  if (high < 0) return { file: '', line: 1, column: 1 };
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return origins[low];
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return (path.startsWith('/') ? '/' : '') + parts.join('/');
}

interface CondFrame {
  /** This branch is being compiled. */
  active: boolean;
  /** Some branch of the chain has been taken. */
  taken: boolean;
  /** The enclosing region is active. */
  parentActive: boolean;
}

export class Preprocessor {
  readonly macros = new Map<string, MacroDef>();
  private readonly diagnostics: Diagnostic[] = [];
  private readonly out: PToken[] = [];
  private readonly typeofs: string[] = [];
  private counter = 0;
  private expansionBudget = maxExpansionTokens;
  private readonly onceFiles = new Set<string>();

  constructor(private readonly sources: SourceSet, private readonly options: PreprocessOptions) {
    const config = options.config;
    for (const [name, value] of config.config) {
      if (value === 'n') continue;
      const macroName = value === 'm' ? `${name}_MODULE` : name;
      const body = value === 'y' || value === 'm' ? '1' : /^-?\d+$|^0x[0-9a-f]+$/i.test(value) ? value : JSON.stringify(value.replace(/^"|"$/g, ''));
      this.define(macroName, undefined, false, body);
    }
    this.define('LINUX_VERSION_CODE', undefined, false, String(config.versionCode));
    this.define('KBUILD_MODNAME', undefined, false, JSON.stringify(options.moduleName));
    this.define('KBUILD_BASENAME', undefined, false, JSON.stringify(options.moduleName));
    this.define('MODULE', undefined, false, '1');
    this.define('__KERNEL__', undefined, false, '1');
    this.define('__GNUC__', undefined, false, '12');
    this.define('__linux__', undefined, false, '1');
    this.define('__CHAR_BIT__', undefined, false, '8');
    this.define('__SIZEOF_LONG__', undefined, false, '8');
    this.define('__SIZEOF_POINTER__', undefined, false, '8');
    this.define('BITS_PER_LONG', undefined, false, '64');
    const arch = config.architecture;
    if (arch === 'x86_64') this.define('__x86_64__', undefined, false, '1');
    if (arch === 'aarch64' || arch === 'arm64') this.define('__aarch64__', undefined, false, '1');
    if (arch.startsWith('ppc64')) this.define('__powerpc64__', undefined, false, '1');
    if (arch === 's390x') this.define('__s390x__', undefined, false, '1');
  }

  private define(name: string, params: string[] | undefined, variadic: boolean, body: string): void {
    this.macros.set(name, { name, params, variadic, body: lexFragment(body, { file: '<builtin>', line: 1, column: 1 }) });
  }

  private report(severity: 'error' | 'warning', message: string, origin: Origin): void {
    this.diagnostics.push({ severity, message, file: origin.file, line: origin.line, column: origin.column });
  }

  run(mainFile: string): PreprocessedUnit {
    this.processFile(this.options.prelude.file, this.options.prelude.text, 0);
    const text = this.sources.files.get(mainFile);
    if (text === undefined) this.report('error', `no such source file: ${mainFile}`, { file: mainFile, line: 1, column: 1 });
    else this.processFile(mainFile, text, 0);
    return this.render();
  }

  private processFile(file: string, text: string, depth: number): void {
    const items = lexFile(text, file);
    const conds: CondFrame[] = [];
    const active = () => conds.length === 0 || conds[conds.length - 1].active;
    let pending: PToken[] = [];
    const flush = (final: boolean) => {
      if (pending.length === 0) return;
      const { output, carry } = this.expand(pending, final);
      this.out.push(...output);
      pending = carry;
    };
    for (const item of items) {
      if ('token' in item) {
        if (active()) pending.push(item.token);
        continue;
      }
      const { text: line, origin } = item.directive;
      const m = /^([A-Za-z_]\w*)\s*(.*)$/s.exec(line);
      if (!m) continue; // null directive `#`
      const [, name, rest] = m;
      switch (name) {
        case 'if':
        case 'ifdef':
        case 'ifndef': {
          const parentActive = active();
          const value = parentActive ? this.condition(name, rest, origin) : false;
          conds.push({ active: parentActive && value, taken: value, parentActive });
          continue;
        }
        case 'elif':
        case 'elifdef':
        case 'elifndef': {
          const top = conds[conds.length - 1];
          if (!top) {
            this.report('error', `#${name} without #if`, origin);
            continue;
          }
          if (top.taken || !top.parentActive) top.active = false;
          else {
            const kind = name === 'elif' ? 'if' : name === 'elifdef' ? 'ifdef' : 'ifndef';
            const value = this.condition(kind, rest, origin);
            top.active = value;
            top.taken = value;
          }
          continue;
        }
        case 'else': {
          const top = conds[conds.length - 1];
          if (!top) this.report('error', '#else without #if', origin);
          else {
            top.active = top.parentActive && !top.taken;
            top.taken = true;
          }
          continue;
        }
        case 'endif':
          if (!conds.pop()) this.report('error', '#endif without #if', origin);
          continue;
      }
      if (!active()) continue;
      // Definitions change what later tokens mean: expand what came before first.
      flush(false);
      switch (name) {
        case 'define':
          this.handleDefine(rest, origin);
          break;
        case 'undef':
          this.macros.delete(rest.trim().split(/\s/)[0]);
          break;
        case 'include':
          this.handleInclude(rest, origin, file, depth);
          break;
        case 'error':
          this.report('error', `#error ${rest}`, origin);
          break;
        case 'warning':
          this.report('warning', `#warning ${rest}`, origin);
          break;
        case 'pragma':
          if (rest.trim() === 'once') this.onceFiles.add(file);
          break;
        case 'line':
        case 'ident':
          break;
        default:
          this.report('warning', `unknown directive #${name}`, origin);
      }
    }
    flush(true);
    if (conds.length) this.report('error', 'unterminated #if', { file, line: 1, column: 1 });
  }

  private handleDefine(rest: string, origin: Origin): void {
    const m = /^([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$/s.exec(rest);
    if (!m) {
      this.report('error', `bad #define: ${rest}`, origin);
      return;
    }
    const [, name, paren, paramText, body] = m;
    let params: string[] | undefined;
    let variadic = false;
    if (paren !== undefined) {
      params = paramText.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
      const last = params[params.length - 1];
      if (last !== undefined && last.endsWith('...')) {
        variadic = true;
        params[params.length - 1] = last === '...' ? '__VA_ARGS__' : last.slice(0, -3).trim();
      }
    }
    this.macros.set(name, { name, params, variadic, body: lexFragment(body, origin) });
  }

  private handleInclude(rest: string, origin: Origin, file: string, depth: number): void {
    const quoted = /^"([^"]+)"/.exec(rest.trim());
    if (!quoted) return; // <kernel/header.h>: provided by the kernel header model
    const wanted = quoted[1];
    const candidates = [normalize(`${dirname(file)}/${wanted}`), normalize(wanted)];
    let found = candidates.find((c) => this.sources.files.has(c));
    if (!found) found = [...this.sources.files.keys()].find((p) => p === wanted || p.endsWith(`/${wanted}`));
    if (!found) {
      this.report('warning', `#include "${wanted}" not found among the module sources; ignored`, origin);
      return;
    }
    if (this.onceFiles.has(found)) return;
    if (depth >= maxIncludeDepth) {
      this.report('error', `#include nested too deeply at "${wanted}"`, origin);
      return;
    }
    this.processFile(found, this.sources.files.get(found)!, depth + 1);
  }

  /** Evaluates an #if/#ifdef/#ifndef condition; an undecidable one counts as false. */
  private condition(kind: 'if' | 'ifdef' | 'ifndef', text: string, origin: Origin): boolean {
    if (kind !== 'if') {
      const name = text.trim().split(/\s/)[0];
      const defined = this.macros.has(name);
      return kind === 'ifdef' ? defined : !defined;
    }
    const raw = lexFragment(text, origin);
    // `defined X` must see the name itself, before expansion.
    const protectedTokens: PToken[] = [];
    for (let i = 0; i < raw.length; i++) {
      const t = raw[i];
      if (t.kind === 'identifier' && t.text === 'defined') {
        let j = i + 1;
        const paren = raw[j]?.text === '(';
        if (paren) j++;
        const target = raw[j];
        if (target) {
          protectedTokens.push({ ...t, kind: 'number', text: this.macros.has(target.text) ? '1' : '0' });
          i = paren ? j + 1 : j;
          continue;
        }
      }
      protectedTokens.push(t);
    }
    const expanded = this.expand(protectedTokens, true).output.map((t) => {
      if (t.kind !== 'identifier') return t;
      return { ...t, kind: 'number' as const, text: t.text === 'true' ? '1' : '0' };
    });
    const value = evaluateTokens(expanded, { lookup: () => undefined });
    if (typeof value !== 'number') {
      this.report('warning', `cannot evaluate #${kind} ${text}; taken as false`, origin);
      return false;
    }
    return value !== 0;
  }

  private configTest(test: string, option: string): string {
    const value = this.options.config.config.get(option);
    const builtin = value === 'y';
    const module = value === 'm';
    if (test === 'IS_BUILTIN') return builtin ? '1' : '0';
    if (test === 'IS_MODULE') return module ? '1' : '0';
    return builtin || module ? '1' : '0';
  }

  /**
   * Expands macros in `input`. With `final` false, an invocation whose argument list is not
   * closed yet is returned as `carry` so the next chunk can complete it.
   */
  expand(input: PToken[], final: boolean): { output: PToken[]; carry: PToken[] } {
    const output: PToken[] = [];
    // Work stack: next token at the end.
    const stack: PToken[] = input.slice().reverse();
    while (stack.length) {
      const t = stack.pop()!;
      if (t.kind !== 'identifier') {
        output.push(t);
        continue;
      }
      const name = t.text;
      if (t.hide?.has(name)) {
        output.push(t);
        continue;
      }
      if (name === '__LINE__') {
        output.push({ ...t, kind: 'number', text: String(t.origin.line) });
        continue;
      }
      if (name === '__FILE__') {
        output.push({ ...t, kind: 'string', text: JSON.stringify(t.origin.file) });
        continue;
      }
      if (name === '__COUNTER__') {
        output.push({ ...t, kind: 'number', text: String(this.counter++) });
        continue;
      }
      if ((name === 'IS_ENABLED' || name === 'IS_BUILTIN' || name === 'IS_MODULE' || name === 'IS_REACHABLE') && !this.macros.has(name)) {
        const args = this.collectArgs(stack);
        if (args === 'incomplete') {
          if (!final) return { output, carry: [t, ...stack.reverse()] };
          output.push(t);
          continue;
        }
        if (args) {
          output.push({ ...t, kind: 'number', text: this.configTest(name, args[0]?.[0]?.text ?? '') });
          continue;
        }
      }
      const macro = this.macros.get(name);
      if (!macro) {
        output.push(t);
        continue;
      }
      if (--this.expansionBudget < 0) {
        if (this.expansionBudget === -1) this.report('error', 'macro expansion limit reached', t.origin);
        output.push(t);
        continue;
      }
      const hide = new Set(t.hide ?? []).add(name);
      if (!macro.params) {
        const body = macro.body.map((b, k) => ({ ...b, origin: t.origin, hide, spaceBefore: k === 0 ? t.spaceBefore : b.spaceBefore }));
        for (let k = body.length - 1; k >= 0; k--) stack.push(this.pasteAll(body, k));
        continue;
      }
      const saved = stack.length;
      const args = this.collectArgs(stack);
      if (args === 'incomplete') {
        if (!final) return { output, carry: [t, ...stack.reverse()] };
        output.push(t);
        continue;
      }
      if (!args) {
        // A function-like macro name without arguments is just an identifier.
        stack.length = saved;
        output.push(t);
        continue;
      }
      const result = this.substitute(macro, args, t, hide);
      for (let k = result.length - 1; k >= 0; k--) stack.push(result[k]);
    }
    return { output, carry: [] };
  }

  // Kept as a hook for object-like bodies: pasting is handled in substitute for both kinds.
  private pasteAll(body: PToken[], k: number): PToken {
    return body[k];
  }

  /** Pops `( a, b, ... )` from the stack; undefined if no `(` follows, 'incomplete' if unclosed. */
  private collectArgs(stack: PToken[]): PToken[][] | undefined | 'incomplete' {
    if (stack.length === 0) return 'incomplete';
    if (stack[stack.length - 1].text !== '(') return undefined;
    const taken: PToken[] = [stack.pop()!];
    const args: PToken[][] = [[]];
    let depth = 1;
    while (stack.length) {
      const t = stack.pop()!;
      taken.push(t);
      if (t.kind === 'punct') {
        if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (--depth === 0) return args;
        } else if (t.text === ',' && depth === 1) {
          args.push([]);
          continue;
        }
      }
      args[args.length - 1].push(t);
    }
    for (let k = taken.length - 1; k >= 0; k--) stack.push(taken[k]);
    return 'incomplete';
  }

  private substitute(macro: MacroDef, rawArgs: PToken[][], call: PToken, hide: Set<string>): PToken[] {
    const params = macro.params!;
    const named = macro.variadic ? params.length - 1 : params.length;
    // `f()` passes one empty argument; a macro without parameters accepts it.
    const args = rawArgs.length === 1 && rawArgs[0].length === 0 && params.length === 0 ? [] : rawArgs;
    const argFor = (name: string): PToken[] | undefined => {
      const index = params.indexOf(name);
      if (index < 0) return undefined;
      if (macro.variadic && index === params.length - 1) {
        const rest = args.slice(named);
        const joined: PToken[] = [];
        rest.forEach((a, k) => {
          if (k > 0) joined.push({ kind: 'punct', text: ',', spaceBefore: false, origin: call.origin });
          joined.push(...a);
        });
        return joined;
      }
      return args[index] ?? [];
    };
    const expandedCache = new Map<string, PToken[]>();
    const expandedArg = (name: string): PToken[] => {
      let cached = expandedCache.get(name);
      if (!cached) {
        cached = this.expand(argFor(name)!, true).output;
        expandedCache.set(name, cached);
      }
      return cached;
    };
    const body = macro.body;
    const out: PToken[] = [];
    const variadicArgs = macro.variadic ? argFor(params[params.length - 1])! : [];
    for (let k = 0; k < body.length; k++) {
      const b = body[k];
      const placed = (tokens: PToken[], first: boolean) =>
        tokens.map((x, idx) => (idx === 0 && first ? { ...x, spaceBefore: b.spaceBefore } : x));
      if (b.text === '#' && body[k + 1]?.kind === 'identifier' && argFor(body[k + 1].text)) {
        out.push({ kind: 'string', text: stringify(argFor(body[k + 1].text)!), spaceBefore: b.spaceBefore, origin: call.origin, hide });
        k++;
        continue;
      }
      if (b.text === '__VA_OPT__' && body[k + 1]?.text === '(') {
        let depth = 0;
        let j = k + 1;
        const inner: PToken[] = [];
        for (; j < body.length; j++) {
          if (body[j].text === '(') depth++;
          else if (body[j].text === ')' && --depth === 0) break;
          if (j > k + 1) inner.push(body[j]);
        }
        if (variadicArgs.length > 0) body.splice(k, j - k + 1, ...inner);
        else body.splice(k, j - k + 1);
        k--;
        continue;
      }
      if (b.text === '##' && out.length > 0 && body[k + 1]) {
        const rightToken = body[k + 1];
        const rightArg = rightToken.kind === 'identifier' ? argFor(rightToken.text) : undefined;
        k++;
        // GNU: `, ## __VA_ARGS__` drops the comma when the variadic part is empty.
        if (rightArg !== undefined && out[out.length - 1].text === ',' && macro.variadic && rightToken.text === params[params.length - 1]) {
          if (rightArg.length === 0) out.pop();
          else out.push(...rightArg);
          continue;
        }
        const right = rightArg ?? [rightToken];
        if (right.length === 0) continue;
        const left = out.pop()!;
        const pasted = lexFragment(left.text + right[0].text, left.origin).map((x) => ({ ...x, spaceBefore: left.spaceBefore, hide }));
        out.push(...pasted, ...right.slice(1));
        continue;
      }
      const arg = b.kind === 'identifier' ? argFor(b.text) : undefined;
      if (arg !== undefined) {
        const pastedNext = body[k + 1]?.text === '##';
        out.push(...placed(pastedNext ? arg : expandedArg(b.text), true));
      } else out.push({ ...b, origin: call.origin, hide });
    }
    if (out.length > 0) out[0] = { ...out[0], spaceBefore: call.spaceBefore };
    // Argument tokens keep their own origin (precise locations) but inherit the hide set.
    return out.map((x) => (x.hide === hide ? x : { ...x, hide: x.hide ? new Set([...x.hide, ...hide]) : hide }));
  }

  /** Lifts typeof(...) and drops GNU noise the grammar does not need, then lays out the text. */
  private render(): PreprocessedUnit {
    const tokens = this.rewriteCaseRanges(this.liftTypeofs(this.stripAttributes(this.out)));
    const starts: number[] = [];
    const origins: Origin[] = [];
    const parts: string[] = [];
    let offset = 0;
    let last: Origin | undefined;
    for (const t of tokens) {
      let sep = '';
      if (last) sep = last.file !== t.origin.file || last.line !== t.origin.line ? '\n' : ' ';
      parts.push(sep);
      offset += sep.length;
      starts.push(offset);
      origins.push(t.origin);
      parts.push(t.text);
      offset += t.text.length;
      last = t.origin;
    }
    return { text: parts.join(''), starts, origins, typeofs: this.typeofs, diagnostics: this.diagnostics, macros: this.macros };
  }

  private stripAttributes(tokens: PToken[]): PToken[] {
    const out: PToken[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind === 'identifier') {
        if (t.text === '__attribute__' || t.text === '__attribute') {
          if (tokens[i + 1]?.text === '(') {
            i = skipBalanced(tokens, i + 1);
            continue;
          }
        }
        if (t.text === '__extension__' || t.text === '__restrict' || t.text === '__restrict__' || t.text === 'restrict' || t.text === '__volatile__' || t.text === '__inline__' || t.text === '__inline') {
          continue;
        }
        if (t.text === '__signed__') {
          out.push({ ...t, text: 'signed' });
          continue;
        }
      }
      out.push(t);
    }
    return out;
  }

  /** GNU `case A ... B:` (the grammar has no case ranges) → `case __interp_case_range(A, B):`. */
  private rewriteCaseRanges(tokens: PToken[]): PToken[] {
    const out: PToken[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      out.push(t);
      if (t.kind !== 'identifier' || t.text !== 'case') continue;
      let depth = 0;
      let ellipsis = -1;
      let colon = -1;
      for (let j = i + 1; j < tokens.length; j++) {
        const x = tokens[j].text;
        if (x === '(') depth++;
        else if (x === ')') depth--;
        else if (x === '...' && depth === 0) ellipsis = j;
        else if (x === ':' && depth === 0) {
          colon = j;
          break;
        } else if (x === ';' || x === '{' || x === '}') break;
      }
      if (ellipsis < 0 || colon < 0) continue;
      const o = tokens[i + 1]?.origin ?? t.origin;
      out.push({ kind: 'identifier', text: '__interp_case_range', spaceBefore: true, origin: o });
      out.push({ kind: 'punct', text: '(', spaceBefore: false, origin: o });
      out.push(...tokens.slice(i + 1, ellipsis));
      out.push({ kind: 'punct', text: ',', spaceBefore: false, origin: o });
      out.push(...tokens.slice(ellipsis + 1, colon));
      out.push({ kind: 'punct', text: ')', spaceBefore: false, origin: o });
      i = colon - 1;
    }
    return out;
  }

  private liftTypeofs(tokens: PToken[]): PToken[] {
    const out: PToken[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind === 'identifier' && (t.text === 'typeof' || t.text === '__typeof__' || t.text === '__typeof' || t.text === 'typeof_unqual' || t.text === '__typeof_unqual__') && tokens[i + 1]?.text === '(') {
        const end = skipBalanced(tokens, i + 1);
        const inner = this.liftTypeofs(tokens.slice(i + 2, end));
        const index = this.typeofs.length;
        this.typeofs.push(inner.map((x) => x.text).join(' '));
        out.push({ ...t, text: `__interp_typeof_${index}` });
        i = end;
        continue;
      }
      out.push(t);
    }
    return out;
  }
}

/** Index of the `)` matching the `(` at `open`. */
function skipBalanced(tokens: PToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    if (tokens[j].text === '(') depth++;
    else if (tokens[j].text === ')' && --depth === 0) return j;
  }
  return tokens.length - 1;
}

function stringify(tokens: PToken[]): string {
  let text = '';
  tokens.forEach((t, i) => {
    if (i > 0 && t.spaceBefore) text += ' ';
    text += t.text;
  });
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function preprocess(mainFile: string, sources: SourceSet, options: PreprocessOptions): PreprocessedUnit {
  return new Preprocessor(sources, options).run(mainFile);
}
