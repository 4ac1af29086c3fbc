/**
 * Evaluates constant C expressions after macro expansion: integers (ids, versions, sympos),
 * strings (old_name, object names), and `#if` conditions. Anything it cannot decide yields
 * `undefined`, never an exception, so callers can say "unknown" instead of guessing.
 */
import { expandText, type MacroEnvironment } from './macros';
import { charLiteralValue, numberLiteralValue, stringLiteralValue, type Token } from './tokens';

export type ConstantValue = number | string | undefined;

export interface EvaluationOptions extends MacroEnvironment {
  /** In `#if`: `defined X` is allowed and unknown identifiers are "unknown" rather than 0. */
  preprocessor?: boolean;
  isDefined?(name: string): boolean | undefined;
  /** Value of identifiers that are not macros (e.g. CONFIG_ options, true/false). */
  identifierValue?(name: string): number | undefined;
}

const typeWords = new Set([
  'unsigned', 'signed', 'int', 'long', 'short', 'char', 'void', 'bool', '_Bool', 'u8', 'u16', 'u32',
  'u64', 's8', 's16', 's32', 's64', 'size_t', 'uintptr_t', 'const', 'volatile', 'struct', 'ulong',
]);

class Evaluator {
  private position = 0;
  constructor(private readonly tokens: Token[], private readonly options: EvaluationOptions) {}

  run(): ConstantValue {
    const value = this.conditional();
    return this.position === this.tokens.length ? value : undefined;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }
  private take(text?: string): Token | undefined {
    const t = this.tokens[this.position];
    if (!t || (text !== undefined && t.text !== text)) return undefined;
    this.position++;
    return t;
  }

  private conditional(): ConstantValue {
    const condition = this.binary(0);
    if (!this.take('?')) return condition;
    const whenTrue = this.conditional();
    if (!this.take(':')) return undefined;
    const whenFalse = this.conditional();
    if (typeof condition !== 'number') return undefined;
    return condition !== 0 ? whenTrue : whenFalse;
  }

  private static precedence: Record<string, number> = {
    '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7,
    '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
  };

  private binary(minimum: number): ConstantValue {
    let left = this.unary();
    for (;;) {
      const op = this.peek();
      const precedence = op && op.kind === 'punct' ? Evaluator.precedence[op.text] : undefined;
      if (precedence === undefined || precedence <= minimum) return left;
      this.position++;
      const right = this.binary(precedence);
      left = applyBinary(op!.text, left, right);
    }
  }

  private unary(): ConstantValue {
    const t = this.peek();
    if (!t) return undefined;
    if (t.kind === 'punct' && ['-', '+', '!', '~'].includes(t.text)) {
      this.position++;
      const v = this.unary();
      if (typeof v !== 'number') return undefined;
      if (t.text === '-') return -v;
      if (t.text === '+') return v;
      if (t.text === '!') return v === 0 ? 1 : 0;
      return ~v;
    }
    if (t.text === '(') {
      // A cast: `(unsigned long)x` — ignore the type.
      let k = this.position + 1;
      while (this.tokens[k] && (typeWords.has(this.tokens[k].text) || this.tokens[k].text === '*')) k++;
      if (k > this.position + 1 && this.tokens[k]?.text === ')') {
        this.position = k + 1;
        return this.unary();
      }
    }
    return this.primary();
  }

  private primary(): ConstantValue {
    const t = this.take();
    if (!t) return undefined;
    switch (t.kind) {
      case 'number':
        return numberLiteralValue(t.text);
      case 'char':
        return charLiteralValue(t.text);
      case 'string': {
        // Adjacent literals concatenate ("a" "b").
        let value = stringLiteralValue(t.text);
        while (this.peek()?.kind === 'string') value += stringLiteralValue(this.take()!.text);
        return value;
      }
      case 'identifier':
        return this.identifier(t.text);
      default:
        if (t.text === '(') {
          const value = this.conditional();
          return this.take(')') ? value : undefined;
        }
        return undefined;
    }
  }

  private identifier(name: string): ConstantValue {
    if (name === 'defined' && this.options.preprocessor) {
      const parenthesised = !!this.take('(');
      const target = this.take();
      if (parenthesised && !this.take(')')) return undefined;
      if (!target) return undefined;
      const known = this.options.isDefined?.(target.text);
      return known === undefined ? undefined : known ? 1 : 0;
    }
    if (name === 'true') return 1;
    if (name === 'false' || name === 'NULL') return 0;
    if (name === 'sizeof') return undefined;
    const fromOptions = this.options.identifierValue?.(name);
    if (fromOptions !== undefined) {
      this.skipCallArguments();
      return fromOptions;
    }
    return undefined;
  }

  /** Function-like identifiers handled by identifierValue (IS_ENABLED(...)) consume their arguments. */
  private skipCallArguments(): void {
    if (this.peek()?.text !== '(') return;
    let depth = 0;
    while (this.position < this.tokens.length) {
      const t = this.take()!;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return;
    }
  }
}

/** Keeps this class's hidden class, and code optimised for it, alive between passes (see ModuleValues in model/assemble.ts). */
const keptEvaluator = new Evaluator([], { lookup: () => undefined });
void keptEvaluator;

function applyBinary(op: string, left: ConstantValue, right: ConstantValue): ConstantValue {
  if (op === '&&') {
    if (left === 0 || right === 0) return 0;
    return typeof left === 'number' && typeof right === 'number' ? 1 : undefined;
  }
  if (op === '||') {
    if ((typeof left === 'number' && left !== 0) || (typeof right === 'number' && right !== 0)) return 1;
    return left === 0 && right === 0 ? 0 : undefined;
  }
  if (typeof left !== 'number' || typeof right !== 'number') return undefined;
  switch (op) {
    case '|': return Number(BigInt(Math.trunc(left)) | BigInt(Math.trunc(right)));
    case '^': return Number(BigInt(Math.trunc(left)) ^ BigInt(Math.trunc(right)));
    case '&': return Number(BigInt(Math.trunc(left)) & BigInt(Math.trunc(right)));
    case '==': return left === right ? 1 : 0;
    case '!=': return left !== right ? 1 : 0;
    case '<': return left < right ? 1 : 0;
    case '>': return left > right ? 1 : 0;
    case '<=': return left <= right ? 1 : 0;
    case '>=': return left >= right ? 1 : 0;
    case '<<': return right < 0 || right > 63 ? undefined : Number(BigInt(Math.trunc(left)) << BigInt(right));
    case '>>': return right < 0 || right > 63 ? undefined : Number(BigInt(Math.trunc(left)) >> BigInt(right));
    case '+': return left + right;
    case '-': return left - right;
    case '*': return left * right;
    case '/': return right === 0 ? undefined : Math.trunc(left / right);
    case '%': return right === 0 ? undefined : left % right;
  }
  return undefined;
}

export function evaluateTokens(tokens: Token[], options: EvaluationOptions): ConstantValue {
  if (tokens.length === 0) return undefined;
  try {
    return new Evaluator(tokens, options).run();
  } catch {
    return undefined;
  }
}

/** Expands macros in `text` and evaluates it as a constant expression. */
export function evaluateExpression(text: string, options: EvaluationOptions): ConstantValue {
  // Fast paths for the most common initializer and return values: plain numbers and NULL-ish 0.
  const trimmed = text.trim();
  if (/^-?[1-9][0-9]*$|^0$/.test(trimmed)) return Number(trimmed);
  if (options.preprocessor) {
    // `defined X` must see the macro name itself, not its expansion: protect those operands.
    const protectedText = text.replace(/\bdefined\s*\(?\s*([A-Za-z_]\w*)\s*\)?/g, (_m, name: string) => {
      const known = options.isDefined?.(name);
      return known === undefined ? '__klp_unknown_defined__' : known ? '1' : '0';
    });
    return evaluateTokens(expandText(protectedText, options), options);
  }
  return evaluateTokens(expandText(text, options), options);
}
