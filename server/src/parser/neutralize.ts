/**
 * Kernel annotation macros that the C grammar cannot place (`static int __init f(void)` loses the
 * function name) are overwritten with spaces of the same length before parsing, so every offset
 * in the tree still matches the user's text. The removed annotations are returned so the model
 * can still tell that a function was `__init` or `notrace`.
 */

/** Annotations written without arguments. */
const plainAnnotations = [
  '__init', '__exit', '__initdata', '__exitdata', '__initconst', '__meminit', '__meminitdata',
  '__devinit', '__devexit', '__cpuinit', '__ref', '__refdata', '__rcu', '__user', '__iomem',
  '__percpu', '__force', '__kernel', '__must_check', '__always_inline', 'noinline', 'notrace',
  'noinstr', '__cold', '__hot', '__weak', '__read_mostly', '__ro_after_init', '__packed',
  '__maybe_unused', '__always_unused', '__used', '__visible', 'asmlinkage', '__sched', '__kprobes',
  '__latent_entropy', '__randomize_layout', '__noreturn', '__pure', '__nocfi', '__flatten',
  '__attribute_const__', '__bitwise', '__cacheline_aligned', '____cacheline_aligned',
  '__cacheline_aligned_in_smp', '____cacheline_aligned_in_smp', '__deprecated', '__malloc',
  '__safe', '__private', '__nostackprotector', '__noclone', '__no_sanitize_address', '__irq_entry',
  '__softirq_entry', '__fastcall', '__naked', 'noinline_for_stack', '__noinline', '__must_hold',
  '__mustcheck', '__nocast', '__always_used', '__init_or_module', '__initdata_or_module',
];

/** Annotations followed by a parenthesised argument list. */
const parameterisedAnnotations = [
  '__printf', '__scanf', '__aligned', '__section', '__acquires', '__releases', '__must_hold',
  '__counted_by', '__alloc_size', '__diag_ignore', '__cond_acquires', '__cond_lock',
  '__assume_aligned', '__nonstring', '__designated_init', '__no_sanitize',
];

/**
 * Definition macros with several arguments: `static DECLARE_WORK(w, fn);` is read by the grammar
 * as a broken type; without the `static` it is a file-scope macro call, like `module_init(f);`.
 */
const definitionMacros = new Set([
  'DECLARE_WORK', 'DECLARE_DELAYED_WORK', 'DEFINE_PER_CPU', 'DECLARE_TASKLET', 'DEFINE_TIMER',
  'DECLARE_WAIT_QUEUE_HEAD', 'DEFINE_SEMAPHORE', 'DEFINE_RATELIMIT_STATE', 'DEFINE_IDR',
]);

const plainSet = new Set(plainAnnotations);
const parameterisedSet = new Set(parameterisedAnnotations);
/** First characters (by code) of the words the scan looks at: the annotations and `static`. */
const mayStartAnnotation: boolean[] = [];
let longestWord = 'static'.length;
for (const word of [...plainAnnotations, ...parameterisedAnnotations, 'static']) {
  mayStartAnnotation[word.charCodeAt(0)] = true;
  longestWord = Math.max(longestWord, word.length);
}

export interface Annotation {
  name: string;
  /** UTF-16 offsets in the text. */
  start: number;
  end: number;
}

export interface NeutralizedText {
  text: string;
  annotations: Annotation[];
}

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}
function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || (code >= 48 && code <= 57);
}

/**
 * Scans identifiers outside comments, strings and preprocessor lines (a `#define __init ...`
 * must stay intact) and blanks the known annotations. Newlines inside a blanked argument list
 * are kept so line numbers never move.
 */
export function neutralizeAnnotations(source: string): NeutralizedText {
  const annotations: Annotation[] = [];
  let out: string[] | undefined;
  const n = source.length;
  let i = 0;
  let lineStart = true;
  const blank = (start: number, end: number) => {
    out ??= [];
    annotations.push({ name: source.slice(start, end).match(/^[A-Za-z_0-9]+/)?.[0] ?? '', start, end });
  };
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (lineStart && c === 35 /* # */) {
      // Skip the whole directive including backslash continuations.
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === 10) {
          if (source.charCodeAt(i - 1) === 92 || (source.charCodeAt(i - 1) === 13 && source.charCodeAt(i - 2) === 92)) {
            i++;
            continue;
          }
          break;
        }
        if (d === 47 && source.charCodeAt(i + 1) === 42) {
          const close = source.indexOf('*/', i + 2);
          i = close < 0 ? n : close + 2;
          continue;
        }
        i++;
      }
      continue;
    }
    lineStart = false;
    if (c === 47 /* / */ && source.charCodeAt(i + 1) === 47) {
      const eol = source.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === 47 && source.charCodeAt(i + 1) === 42) {
      const close = source.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      i++;
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === 92) {
          i += 2;
          continue;
        }
        if (d === c || d === 10) break;
        i++;
      }
      i++;
      continue;
    }
    if (isIdentifierStart(c)) {
      const start = i;
      while (i < n && isIdentifierPart(source.charCodeAt(i))) i++;
      // Every annotation (and `static`) starts with one of these: skip other words unread.
      if (!mayStartAnnotation[c] || i - start > longestWord) continue;
      const word = source.slice(start, i);
      if (word === 'static') {
        const next = /^\s+([A-Z_][A-Z0-9_]*)\s*\(/.exec(source.slice(i, i + 64));
        if (next && definitionMacros.has(next[1])) blank(start, i);
        continue;
      }
      if (plainSet.has(word) && !parameterisedSet.has(word)) {
        blank(start, i);
      } else if (parameterisedSet.has(word)) {
        let j = i;
        while (j < n && (source.charCodeAt(j) === 32 || source.charCodeAt(j) === 9)) j++;
        if (source.charCodeAt(j) === 40) {
          let depth = 0;
          while (j < n) {
            const d = source.charCodeAt(j);
            if (d === 40) depth++;
            else if (d === 41 && --depth === 0) {
              j++;
              break;
            }
            j++;
          }
          blank(start, j);
          i = j;
        } else if (plainSet.has(word)) {
          blank(start, i);
        }
      }
      continue;
    }
    i++;
  }
  if (!out) return { text: source, annotations };
  const pieces: string[] = [];
  let last = 0;
  for (const a of annotations) {
    pieces.push(source.slice(last, a.start));
    pieces.push(source.slice(a.start, a.end).replace(/[^\r\n]/g, ' '));
    last = a.end;
  }
  pieces.push(source.slice(last));
  return { text: pieces.join(''), annotations };
}

/**
 * Conditional directives inside an initializer list (`#ifdef` around one `klp_func` entry, or
 * around `.states = states,`) cannot be placed by the C grammar and wreck the rest of the table.
 * Those directive lines are blanked (same length, newlines kept); the entries of every branch stay
 * in the tree and the model drops the ones in branches the target build does not compile, using
 * the line-based conditional scan. Directives elsewhere (file scope, function bodies) are left to
 * the grammar, which handles them.
 */
export function neutralizeInitializerDirectives(source: string): string {
  const blanks: [number, number][] = [];
  const braces: boolean[] = []; // true: the brace opens an initializer list
  let lastSignificant = '';
  let lineStart = true;
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i];
    if (c === '\n') {
      lineStart = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (lineStart && c === '#') {
      const start = i;
      while (i < n && !(source[i] === '\n' && source[i - 1] !== '\\')) i++;
      const directive = /^#\s*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b/.exec(source.slice(start, Math.min(i, start + 16)));
      if (directive && braces[braces.length - 1]) blanks.push([start, i]);
      continue;
    }
    lineStart = false;
    if (c === '/' && source[i + 1] === '/') {
      const eol = source.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      i++;
      lastSignificant = c;
      continue;
    }
    if (c === '{') braces.push(lastSignificant === '=' || lastSignificant === ',' || (lastSignificant === '{' && braces[braces.length - 1] === true));
    else if (c === '}') braces.pop();
    lastSignificant = c;
    i++;
  }
  if (blanks.length === 0) return source;
  const pieces: string[] = [];
  let last = 0;
  for (const [start, end] of blanks) {
    pieces.push(source.slice(last, start), source.slice(start, end).replace(/[^\r\n]/g, ' '));
    last = end;
  }
  pieces.push(source.slice(last));
  return pieces.join('');
}
