/**
 * Macro expansion over tokens, with the parts of the C preprocessor that livepatch sources use:
 * object-like and function-like macros, `#` stringification, `##` pasting, and a few kernel
 * built-ins (`__stringify`, `KBUILD_MODNAME`). Self-reference is blocked as in C, and expansion
 * is bounded so a pathological header cannot hang the analysis.
 */
import { tokenize, type Token } from './tokens';

export interface MacroBody {
  name: string;
  parameters?: string[];
  body: string;
}

export interface MacroEnvironment {
  lookup(name: string): MacroBody | undefined;
  /** The module name KBUILD_MODNAME expands to (a string literal), if known. */
  moduleName?: string;
}

const maxExpansionSteps = 10_000;

function stringify(tokens: Token[]): string {
  let text = '';
  tokens.forEach((t, i) => {
    if (i > 0 && t.spaceBefore) text += ' ';
    text += t.text;
  });
  return JSON.stringify(text);
}

/** Splits `( a, (b, c), d )` starting at the `(` index; returns arguments and the index after `)`. */
function collectArguments(tokens: Token[], open: number): { args: Token[][]; end: number } | undefined {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === '(' || t.text === '[' || t.text === '{') {
      if (depth++ > 0 || t.text !== '(') args[args.length - 1].push(t);
    } else if (t.text === ')' || t.text === ']' || t.text === '}') {
      if (--depth === 0) return { args, end: i + 1 };
      args[args.length - 1].push(t);
    } else if (t.text === ',' && depth === 1) args.push([]);
    else args[args.length - 1].push(t);
  }
  return undefined;
}

export function expandTokens(input: Token[], env: MacroEnvironment): Token[] {
  let steps = 0;
  const expand = (tokens: Token[], hidden: Set<string>): Token[] => {
    const out: Token[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind !== 'identifier' || hidden.has(t.text) || ++steps > maxExpansionSteps) {
        out.push(t);
        continue;
      }
      if (t.text === 'KBUILD_MODNAME' && env.moduleName !== undefined && !env.lookup(t.text)) {
        out.push({ kind: 'string', text: JSON.stringify(env.moduleName), spaceBefore: t.spaceBefore });
        continue;
      }
      if ((t.text === '__stringify' || t.text === '__stringify_1') && tokens[i + 1]?.text === '(' && !env.lookup(t.text)) {
        const call = collectArguments(tokens, i + 1);
        if (call) {
          const argument = t.text === '__stringify' ? expand(call.args.flat(), hidden) : call.args.flat();
          out.push({ kind: 'string', text: stringify(argument), spaceBefore: t.spaceBefore });
          i = call.end - 1;
          continue;
        }
      }
      const macro = env.lookup(t.text);
      if (!macro) {
        out.push(t);
        continue;
      }
      const inner = new Set(hidden).add(t.text);
      if (!macro.parameters) {
        out.push(...expand(tokenize(macro.body), inner));
        continue;
      }
      if (tokens[i + 1]?.text !== '(') {
        out.push(t);
        continue;
      }
      const call = collectArguments(tokens, i + 1);
      if (!call) {
        out.push(t);
        continue;
      }
      const params = macro.parameters;
      const variadicIndex = params.findIndex((p) => p === '...' || p.endsWith('...'));
      const argFor = (name: string): Token[] | undefined => {
        const index = params.indexOf(name);
        if (index >= 0 && index !== variadicIndex) return call.args[index] ?? [];
        if (variadicIndex >= 0 && (name === '__VA_ARGS__' || params[variadicIndex] === `${name}...`)) {
          const rest = call.args.slice(variadicIndex);
          const joined: Token[] = [];
          rest.forEach((a, k) => {
            if (k > 0) joined.push({ kind: 'punct', text: ',', spaceBefore: false });
            joined.push(...a);
          });
          return joined;
        }
        return undefined;
      };
      const body = tokenize(macro.body);
      const substituted: Token[] = [];
      for (let k = 0; k < body.length; k++) {
        const b = body[k];
        if (b.text === '#' && body[k + 1]?.kind === 'identifier' && argFor(body[k + 1].text)) {
          substituted.push({ kind: 'string', text: stringify(argFor(body[k + 1].text)!), spaceBefore: b.spaceBefore });
          k++;
          continue;
        }
        if (b.text === '##' && substituted.length && body[k + 1]) {
          const left = substituted.pop()!;
          const rightToken = body[k + 1];
          const right = rightToken.kind === 'identifier' ? argFor(rightToken.text) ?? [rightToken] : [rightToken];
          const pasted = tokenize(left.text + (right[0]?.text ?? ''));
          substituted.push(...pasted, ...right.slice(1));
          k++;
          continue;
        }
        const arg = b.kind === 'identifier' ? argFor(b.text) : undefined;
        if (arg) {
          const pastedNext = body[k + 1]?.text === '##';
          substituted.push(...(pastedNext ? arg : expand(arg, hidden)));
        } else substituted.push(b);
      }
      out.push(...expand(substituted, inner));
      i = call.end - 1;
    }
    return out;
  };
  return expand(input, new Set());
}

export function expandText(text: string, env: MacroEnvironment): Token[] {
  return expandTokens(tokenize(text), env);
}
