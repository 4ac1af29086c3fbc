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
  // GCC attributes after a declarator (`extern struct mutex m __attribute__((weak));`) are not
  // in the grammar; distribution trees' extracted code is full of them.
  '__attribute__', '__attribute',
  // Relocation markers of extracted kernel code in distribution trees: they expand to an asm
  // label naming the `.klp.sym` symbol, after the declarator (reference 9.3).
  'KLP_RELOC_SYMBOL', 'KLP_RELOC_SYMBOL_POS',
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
  /** Text of the same length that replaces it (template markers in a value position); spaces when absent. */
  replacement?: string;
}

/**
 * A template marker `@@NAME@@` that a distribution tree's build replaces (layouts/distribution).
 * Where it stands for a value (`.replace = @@KLP_REPLACE@@,`) it becomes the identifier
 * `__NAME__` (same length, an unknown macro to the model); where it stands for table entries or
 * declarations it is blanked.
 */
function templateMarkerAt(source: string, start: number): { end: number; replacement?: string } | undefined {
  if (source.charCodeAt(start + 1) !== 64) return undefined;
  let i = start + 2;
  while (i < source.length && isMarkerCharacter(source.charCodeAt(i))) i++;
  if (i === start + 2 || source.charCodeAt(i) !== 64 || source.charCodeAt(i + 1) !== 64) return undefined;
  const end = i + 2;
  let before = start - 1;
  while (before >= 0 && isBlankCode(source.charCodeAt(before))) before--;
  let after = end;
  while (after < source.length && isBlankCode(source.charCodeAt(after))) after++;
  const previous = before >= 0 ? source[before] : '';
  const next = source[after] ?? '';
  const valuePosition = '=([?:+-*/|&<>!~%^'.includes(previous) ? previous !== '' : previous === ',' && ',);'.includes(next) && next !== '';
  return { end, replacement: valuePosition ? `__${source.slice(start + 2, i)}__` : undefined };
}

function isMarkerCharacter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
}

function isBlankCode(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** The `@@NAME@@` template markers of a text (outside comments, strings and directives), in order. */
export function templateMarkers(source: string): Annotation[] {
  return layoutAnnotations(source).filter((a) => a.name.startsWith('@@'));
}

/**
 * What generated layouts leave in a text, in order: template markers and relocation macros
 * (`KLP_RELOC_SYMBOL(...)`, `KLP_RELOC_SYMBOL_POS(...)`, spanning their arguments). Scans only
 * texts that have some.
 */
export function layoutAnnotations(source: string): Annotation[] {
  if (!source.includes('@@') && !source.includes('KLP_RELOC_SYMBOL')) return [];
  const annotations: Annotation[] = [];
  scanAnnotations(source, 0, annotations, []);
  return annotations.filter(isLayoutAnnotation);
}

/** A template marker or a relocation macro (see layoutAnnotations). */
export function isLayoutAnnotation(a: Annotation): boolean {
  return a.name.startsWith('@@') || a.name === 'KLP_RELOC_SYMBOL' || a.name === 'KLP_RELOC_SYMBOL_POS';
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
 * The annotation scan from `from` (a line start, or 0) on. Records the annotations it blanks and
 * the "safe" line starts it passes: line starts reached at file level of the scan (not inside a
 * comment, a directive, a string or an annotation's argument list), where everything after
 * depends only on the text after. Stops at the first safe line start `stop` accepts.
 */
function scanAnnotations(source: string, from: number, annotations: Annotation[], safe: number[], stop?: (lineStart: number) => boolean): number {
  const n = source.length;
  let i = from;
  let lineStart = true;
  const blank = (start: number, end: number) => {
    annotations.push({ name: source.slice(start, end).match(/^[A-Za-z_0-9]+/)?.[0] ?? '', start, end });
  };
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      safe.push(i);
      if (stop?.(i)) return i;
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
    if (c === 64 /* @ */) {
      const marker = templateMarkerAt(source, i);
      if (marker) {
        const annotation: Annotation = { name: source.slice(i, marker.end), start: i, end: marker.end };
        if (marker.replacement !== undefined) annotation.replacement = marker.replacement;
        annotations.push(annotation);
        i = marker.end;
        continue;
      }
    }
    if (isIdentifierStart(c)) {
      const start = i;
      while (i < n && isIdentifierPart(source.charCodeAt(i))) i++;
      // Every annotation (and `static`) starts with one of these: skip other words unread.
      if (!mayStartAnnotation[c] || i - start > longestWord) continue;
      const word = source.slice(start, i);
      if (word.length === 19 && word.startsWith('KLP_SYSCALL_DEFINE')) {
        const rewritten = syscallDefinition(source, start, i);
        if (rewritten) {
          annotations.push({ name: word, start, end: rewritten.end, replacement: rewritten.replacement });
          i = rewritten.end;
        }
        continue;
      }
      if (word === 'static') {
        const next = /^\s+([A-Z_][A-Z0-9_]*)\s*\(/.exec(source.slice(i, i + staticLookahead));
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
  return n;
}

/**
 * klp-build's `KLP_SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)`
 * (reference 1.11) read as the function it defines, `long __do_sys_read(unsigned int  fd ...)`
 * (the name the kernel gives a system call's body): the prefix is rewritten, each comma between
 * a type and its name becomes a blank and annotations in the types are blanked; the length and
 * every line break stay. Undefined when the text does not have that shape.
 */
function syscallDefinition(source: string, start: number, wordEnd: number): { end: number; replacement: string } | undefined {
  const arity = source.charCodeAt(wordEnd - 1) - 48;
  if (arity < 0 || arity > 6) return undefined;
  let open = wordEnd;
  while (open < source.length && (source[open] === ' ' || source[open] === '\t')) open++;
  if (source[open] !== '(') return undefined;
  // The arguments: split at commas of depth 0, up to the closing parenthesis.
  const commas: number[] = [];
  let depth = 0;
  let close = -1;
  for (let j = open; j < source.length && j < open + 4096; j++) {
    const c = source[j];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      close = j;
      break;
    } else if (c === ',' && depth === 1) commas.push(j);
  }
  // The name, then a type and a name per parameter: 2 * arity commas.
  if (close < 0 || commas.length !== arity * 2) return undefined;
  const nameEnd = arity === 0 ? close : commas[0];
  const name = source.slice(open + 1, nameEnd).trim();
  if (!/^[A-Za-z_]\w*$/.test(name)) return undefined;
  const prefixEnd = arity === 0 ? close + 1 : commas[0] + 1;
  const prefix = `long __do_sys_${name}(${arity === 0 ? 'void)' : ''}`;
  if (prefix.length > prefixEnd - start || source.slice(start, prefixEnd).includes('\n')) return undefined;
  let text = prefix.padEnd(prefixEnd - start, ' ');
  if (arity > 0) {
    const parameters = source.slice(prefixEnd, close + 1).split('');
    // Comma 0 follows the system call's name; 1, 3, 5... separate a type from its name, 2, 4... parameters.
    for (let k = 1; k < commas.length; k += 2) parameters[commas[k] - prefixEnd] = ' ';
    text += parameters.join('').replace(/[A-Za-z_]\w*/g, (word) => (plainSet.has(word) ? ' '.repeat(word.length) : word));
  }
  return { end: close + 1, replacement: text };
}

/** How far after `static` the scan looks for a definition macro. */
const staticLookahead = 64;

/** Runs of spaces, shared: most blanked spans are short and on one line. */
const spaces = ' '.repeat(256);

/**
 * `source[start, end)` with every character but line breaks turned into a space. A regex
 * replace allocated per character and was the neutralisation's largest allocation.
 */
export function blankOut(source: string, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end) {
      const c = source.charCodeAt(j);
      if (c === 10 || c === 13) break;
      j++;
    }
    for (let n = j - i; n > 0; n -= spaces.length) out += n >= spaces.length ? spaces : spaces.slice(0, n);
    if (j < end) out += source[j++];
    i = j;
  }
  return out;
}

/** `source[from, to)` with the annotations in it (sorted, inside the range) blanked. */
function blankedSegment(source: string, annotations: Annotation[], from: number, to: number): string {
  const pieces: string[] = [];
  let last = from;
  for (const a of annotations) {
    pieces.push(source.slice(last, a.start));
    pieces.push(a.replacement ?? blankOut(source, a.start, a.end));
    last = a.end;
  }
  pieces.push(source.slice(last, to));
  return pieces.join('');
}

/**
 * Scans identifiers outside comments, strings and preprocessor lines (a `#define __init ...`
 * must stay intact) and blanks the known annotations. Newlines inside a blanked argument list
 * are kept so line numbers never move.
 */
export function neutralizeAnnotations(source: string): NeutralizedText {
  return neutralizeAnnotationsWithState(source).result;
}

/** Index of the last element <= value in a sorted array, or -1. */
function lastAtMost(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

function includes(sorted: number[], value: number): boolean {
  const i = lastAtMost(sorted, value);
  return i >= 0 && sorted[i] === value;
}

/** What an edited text's neutralisation is updated from. */
interface AnnotationScan {
  source: string;
  result: NeutralizedText;
  /** Safe line starts (see scanAnnotations), sorted. */
  safe: number[];
}

function neutralizeAnnotationsWithState(source: string): AnnotationScan {
  const annotations: Annotation[] = [];
  const safe: number[] = [];
  scanAnnotations(source, 0, annotations, safe);
  const text = annotations.length === 0 ? source : blankedSegment(source, annotations, 0, source.length);
  return { source, result: { text, annotations }, safe };
}

/**
 * The scan of an edited text from the previous one: scanned again from a safe line start far
 * enough before the edit (a `static` looks 64 characters ahead) until, after the edit, the scan
 * meets a line start that was safe before too; there the previous results, moved, take over.
 * `[editStart, editEnd]` covers every changed character (new offsets); the text after it is the
 * previous text after editEnd - delta.
 */
function updateAnnotationScan(previous: AnnotationScan, source: string, editStart: number, editEnd: number): { scan: AnnotationScan; changedStart: number; changedEnd: number } {
  const delta = source.length - previous.source.length;
  const r = lastAtMost(previous.safe, editStart - staticLookahead);
  const restart = r >= 0 ? previous.safe[r] : 0;
  const fresh: Annotation[] = [];
  const freshSafe: number[] = [];
  const resumed = scanAnnotations(source, restart, fresh, freshSafe, (lineStart) => lineStart >= editEnd && includes(previous.safe, lineStart - delta));
  const old = previous.result.annotations;
  let before = 0;
  while (before < old.length && old[before].start < restart) before++;
  const annotations = old.slice(0, before);
  for (const a of fresh) annotations.push(a);
  const safe = previous.safe.slice(0, r + 1);
  for (const p of freshSafe) safe.push(p);
  let text = previous.result.text.slice(0, restart) + (fresh.length === 0 ? source.slice(restart, resumed) : blankedSegment(source, fresh, restart, resumed));
  if (resumed < source.length) {
    const oldResumed = resumed - delta;
    let after = before;
    while (after < old.length && old[after].start < oldResumed) after++;
    for (let i = after; i < old.length; i++) {
      const moved: Annotation = { name: old[i].name, start: old[i].start + delta, end: old[i].end + delta };
      if (old[i].replacement !== undefined) moved.replacement = old[i].replacement;
      annotations.push(moved);
    }
    for (let i = lastAtMost(previous.safe, oldResumed) + 1; i < previous.safe.length; i++) safe.push(previous.safe[i] + delta);
    text += previous.result.text.slice(oldResumed);
  }
  return { scan: { source, result: { text, annotations }, safe }, changedStart: restart, changedEnd: resumed };
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
  return neutralizeDirectivesWithState(source).text;
}

/**
 * The directive scan from `from` (a line start at brace depth 0, or 0) on, `lastSignificant`
 * being the code of the last significant character before it. Records the directive lines to
 * blank, and the line starts it passes at brace depth 0 with the last significant character
 * there; stops at the first such line start `stop` accepts.
 */
function scanDirectives(
  source: string,
  from: number,
  lastSignificantAtFrom: number,
  blanks: [number, number][],
  safe: number[],
  safeLast: number[],
  stop?: (lineStart: number, lastSignificant: number) => boolean,
): number {
  const braces: boolean[] = []; // true: the brace opens an initializer list
  // Character code of the last significant character (0: none yet; 65 stands for any word).
  let lastSignificant = lastSignificantAtFrom;
  let lineStart = true;
  const n = source.length;
  let i = from;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      if (braces.length === 0) {
        safe.push(i);
        safeLast.push(lastSignificant);
        if (stop?.(i, lastSignificant)) return i;
      }
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (lineStart && c === 35 /* # */) {
      const start = i;
      while (i < n && !(source.charCodeAt(i) === 10 && source.charCodeAt(i - 1) !== 92)) i++;
      if (braces[braces.length - 1]) {
        const directive = /^#\s*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b/.exec(source.slice(start, Math.min(i, start + 16)));
        if (directive) blanks.push([start, i]);
      }
      continue;
    }
    lineStart = false;
    if (isIdentifierPart(c)) {
      // A word or number: nothing in it opens or closes anything.
      do i++;
      while (i < n && isIdentifierPart(source.charCodeAt(i)));
      lastSignificant = 65;
      continue;
    }
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
        if (d === c || d === 10) break;
        i += d === 92 ? 2 : 1;
      }
      i++;
      lastSignificant = c;
      continue;
    }
    if (c === 123 /* { */) braces.push(lastSignificant === 61 /* = */ || lastSignificant === 44 /* , */ || (lastSignificant === 123 && braces[braces.length - 1] === true));
    else if (c === 125 /* } */) braces.pop();
    lastSignificant = c;
    i++;
  }
  return n;
}

function blankedRanges(source: string, blanks: [number, number][], from: number, to: number): string {
  const pieces: string[] = [];
  let last = from;
  for (const [start, end] of blanks) {
    pieces.push(source.slice(last, start), blankOut(source, start, end));
    last = end;
  }
  pieces.push(source.slice(last, to));
  return pieces.join('');
}

interface DirectiveScan {
  /** The text scanned (annotations already blanked) and the result. */
  input: string;
  text: string;
  safe: number[];
  safeLast: number[];
}

function neutralizeDirectivesWithState(input: string): DirectiveScan {
  const blanks: [number, number][] = [];
  const safe: number[] = [];
  const safeLast: number[] = [];
  scanDirectives(input, 0, 0, blanks, safe, safeLast);
  return { input, text: blanks.length === 0 ? input : blankedRanges(input, blanks, 0, input.length), safe, safeLast };
}

/** Like updateAnnotationScan, for the directive scan (which also carries the last significant character). */
function updateDirectiveScan(previous: DirectiveScan, input: string, editStart: number, editEnd: number): DirectiveScan {
  const delta = input.length - previous.input.length;
  const r = lastAtMost(previous.safe, editStart);
  const restart = r >= 0 ? previous.safe[r] : 0;
  const blanks: [number, number][] = [];
  const safe = previous.safe.slice(0, r + 1);
  const safeLast = previous.safeLast.slice(0, r + 1);
  const resumed = scanDirectives(input, restart, r >= 0 ? previous.safeLast[r] : 0, blanks, safe, safeLast, (lineStart, last) => {
    if (lineStart < editEnd) return false;
    const i = lastAtMost(previous.safe, lineStart - delta);
    return i >= 0 && previous.safe[i] === lineStart - delta && previous.safeLast[i] === last;
  });
  let text = previous.text.slice(0, restart) + (blanks.length === 0 ? input.slice(restart, resumed) : blankedRanges(input, blanks, restart, resumed));
  if (resumed < input.length) {
    const oldResumed = resumed - delta;
    for (let i = lastAtMost(previous.safe, oldResumed) + 1; i < previous.safe.length; i++) {
      safe.push(previous.safe[i] + delta);
      safeLast.push(previous.safeLast[i]);
    }
    text += previous.text.slice(oldResumed);
  }
  return { input, text, safe, safeLast };
}

/**
 * Both neutralisations of a source (annotations, then initializer directives), with what they
 * need to be updated after an edit instead of redone (see updateNeutralization).
 */
export interface Neutralization {
  source: string;
  /** The text to parse. */
  text: string;
  annotations: Annotation[];
  annotationScan: AnnotationScan;
  directiveScan: DirectiveScan;
}

export function neutralize(source: string): Neutralization {
  const annotationScan = neutralizeAnnotationsWithState(source);
  const directiveScan = neutralizeDirectivesWithState(annotationScan.result.text);
  return { source, text: directiveScan.text, annotations: annotationScan.result.annotations, annotationScan, directiveScan };
}

/**
 * The neutralisation of an edited source, re-scanning only around the edit; exactly what
 * neutralize(source) gives. `[editStart, editEnd]` (new offsets) covers every changed character;
 * the text after it is the previous text after editEnd minus the length change.
 */
export function updateNeutralization(previous: Neutralization, source: string, editStart: number, editEnd: number): Neutralization {
  const { scan: annotationScan, changedStart, changedEnd } = updateAnnotationScan(previous.annotationScan, source, editStart, editEnd);
  const directiveScan = updateDirectiveScan(previous.directiveScan, annotationScan.result.text, changedStart, changedEnd);
  return { source, text: directiveScan.text, annotations: annotationScan.result.annotations, annotationScan, directiveScan };
}
