import type Parser from 'tree-sitter';
import { parsePython, PythonSyntaxError } from '../code/blocks.ts';
import { hash32, prng, shuffle } from '../random.ts';
import type { Generation, GenerationRequest, Generator } from './types.ts';

/** One edit of the middle: replace [start, end) (offsets in the middle) with `text`. */
interface Edit {
  start: number;
  end: number;
  text: string;
  origin: string;
}

const COMPARE_SWAP: Record<string, string> = {
  '<': '<=',
  '<=': '<',
  '>': '>=',
  '>=': '>',
  '==': '!=',
  '!=': '==',
};
const COMPARE_FLIP: Record<string, string> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '==': '==',
  '!=': '!=',
};
const ARITH_SWAP: Record<string, string> = { '+': '-', '-': '+', '*': '+', '//': '/', '/': '//', '%': '//' };
const AUG_SWAP: Record<string, string> = { '+=': '-=', '-=': '+=', '*=': '+=', '//=': '%=', '%=': '//=' };
const NON_COMMUTATIVE = new Set(['-', '/', '//', '%']);
// builtins and str methods whose twin gives a close, wrong answer (`min` for `max`): a near miss that runs
const CALL_SWAP: Record<string, string> = { min: 'max', max: 'min', any: 'all', all: 'any', sum: 'len' };
const METHOD_SWAP: Record<string, string> = {
  lower: 'upper',
  upper: 'lower',
  lstrip: 'rstrip',
  rstrip: 'lstrip',
  startswith: 'endswith',
  endswith: 'startswith',
  find: 'rfind',
  rfind: 'find',
  isupper: 'islower',
  islower: 'isupper',
  ljust: 'rjust',
  rjust: 'ljust',
};
const BLOCK_NODES = ['if_statement', 'elif_clause', 'while_statement'];

/** Options of the mutation generator. */
export interface MutationOptions {
  /** Also a behaviour-preserving rewrite of the golden middle (added parentheses, a flipped comparison, an
   *  expanded `+=`) as a candidate: it exercises the check, and is never a chosen side. Default false. */
  rewrites?: boolean;
}

/**
 * Model-free candidates from the golden middle (the default generator): the golden middle itself first
 * (the likely-right candidate, and the chosen side of every pair: see `editsGolden`), then syntax-aware
 * mutations of it that are likely wrong. Deterministic for a seed; every candidate parses in its program;
 * each says what made it.
 */
export class MutationGenerator implements Generator {
  readonly name = 'mutation';
  readonly model = 'mutation-v1';
  readonly continues = false;
  readonly editsGolden = true;

  constructor(private readonly opts: MutationOptions = {}) {}

  /** The golden middle, then up to `n - 1` distinct mutations of it that parse. */
  async generate(req: GenerationRequest): Promise<Generation[]> {
    const t = req.target;
    const rand = prng(hash32(t.target_id, req.params.seed));
    const rewrites = this.sites(t.prefix, t.middle, t.suffix, true);
    const mutations = shuffle(this.sites(t.prefix, t.middle, t.suffix, false), rand);
    const out: Generation[] = [];
    const seen = new Set<string>();
    const add = (text: string, origin: string) => {
      if (seen.has(text) || !parses(t.prefix + text + t.suffix)) return;
      seen.add(text);
      out.push({ text, origin });
    };
    add(t.middle, 'golden');
    const rewrite = rewrites.length ? rewrites[Math.floor(rand() * rewrites.length)]! : undefined;
    if (rewrite && this.opts.rewrites) add(apply(t.middle, rewrite), rewrite.origin);
    for (const m of mutations) {
      if (out.length >= req.params.n) break;
      const text = apply(t.middle, m);
      if (text !== t.middle) add(text, m.origin);
    }
    return out;
  }

  /** Every edit this middle allows; `rewrites` selects the behaviour-preserving ones. */
  private sites(prefix: string, middle: string, suffix: string, rewrites: boolean): Edit[] {
    const code = prefix + middle + suffix;
    const base = prefix.length;
    const tree = parsePython(code);
    const inMiddle = (n: Parser.SyntaxNode) => n.startIndex >= base && n.endIndex <= base + middle.length;
    // the middle's nodes in document order, by a stack rather than a recursion: code nested some thousands
    // of levels deep overflowed V8's stack (unformatted targets, from a user's pipeline, can be that deep)
    const nodes: Parser.SyntaxNode[] = [];
    for (const todo = [tree.rootNode]; todo.length;) {
      const n = todo.pop()!;
      if (n.endIndex <= base || n.startIndex >= base + middle.length) continue;
      if (inMiddle(n)) nodes.push(n);
      const children = n.children;
      for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
    }
    const at = (n: Parser.SyntaxNode, text: string, origin: string): Edit => ({
      start: n.startIndex - base,
      end: n.endIndex - base,
      text,
      origin,
    });
    const edits: Edit[] = [];
    // where each name is bound (parameters, assignment and loop targets): a near-miss variable swap reads a
    // name bound before it in the same function, so the program runs and answers wrong instead of stopping
    // on an unbound name (NameError, UnboundLocalError), which fails every test at once and teaches little
    const fns = tree.rootNode.descendantsOfType('function_definition');
    const scopeOf = (n: Parser.SyntaxNode) => scopeAt(fns, n.startIndex);
    // `at`: where the binding takes effect (after an assignment's right side, after a loop's iterable), so that
    // `total = total + b` or `for i in range(i)` is never made
    const bindings: { name: string; scope: number; at: number; binder: Parser.SyntaxNode }[] = [];
    for (const n of tree.rootNode.descendantsOfType(['assignment', 'for_statement', 'parameters'])) {
      const target = n.type === 'parameters' ? n : (n.childForFieldName('left') ?? n);
      const after = n.type === 'for_statement' ? (n.childForFieldName('right') ?? n).endIndex : n.endIndex;
      for (const id of target.descendantsOfType('identifier'))
        if (id.parent?.type !== 'attribute' && id.parent?.type !== 'subscript')
          bindings.push({
            name: id.text,
            scope: scopeOf(n),
            at: n.type === 'parameters' ? id.startIndex : after,
            binder: n,
          });
    }
    const key = (scope: number, name: string) => `${scope} ${name}`;
    const sites = new Map<string, number>(); // bindings per name and scope
    for (const b of bindings) sites.set(key(b.scope, b.name), (sites.get(key(b.scope, b.name)) ?? 0) + 1);
    const boundBefore = (scope: number, at: number) =>
      [...new Set(bindings.filter((b) => b.scope === scope && b.at <= at).map((b) => b.name))].sort();
    // a name one plain assignment binds: deleting that assignment unbinds it
    const bindsOnly = (st: Parser.SyntaxNode) =>
      bindings.some(
        (b) =>
          b.binder.type === 'assignment' &&
          st.startIndex <= b.binder.startIndex &&
          b.binder.endIndex <= st.endIndex &&
          sites.get(key(b.scope, b.name)) === 1,
      );

    // names the program binds itself (`def min`, `from x import max`, `sum = 0`): not the builtins
    const ownNames = new Set(bindings.map((b) => b.name));
    for (const d of tree.rootNode.descendantsOfType(['function_definition', 'class_definition']))
      ownNames.add(d.childForFieldName('name')?.text ?? '');
    for (const imp of tree.rootNode.descendantsOfType(['import_statement', 'import_from_statement']))
      for (const id of imp.descendantsOfType('identifier')) ownNames.add(id.text);
    for (const n of nodes) {
      const op = n.childForFieldName('operator');
      if (n.type === 'comparison_operator' && n.namedChildCount === 2) {
        const tok = n.children[1]!;
        const [a, b] = [n.namedChildren[0]!, n.namedChildren[1]!];
        if (rewrites && COMPARE_FLIP[tok.type])
          edits.push(at(n, `${b.text} ${COMPARE_FLIP[tok.type]} ${a.text}`, 'flip_comparison'));
        if (!rewrites && COMPARE_SWAP[tok.type])
          edits.push(at(tok, COMPARE_SWAP[tok.type]!, 'comparison_swap'));
        if (!rewrites && tok.type !== '==' && tok.type !== '!=')
          edits.push(at(n, `${b.text} ${tok.type} ${a.text}`, 'swap_operands'));
      } else if (n.type === 'binary_operator' && op && ARITH_SWAP[op.type] && !rewrites) {
        edits.push(at(op, ARITH_SWAP[op.type]!, 'arithmetic_swap'));
        const [a, b] = [n.childForFieldName('left')!, n.childForFieldName('right')!];
        if (NON_COMMUTATIVE.has(op.type))
          edits.push(at(n, `${b.text} ${op.type} ${a.text}`, 'swap_operands'));
      } else if (n.type === 'augmented_assignment' && op && AUG_SWAP[op.type]) {
        const left = n.childForFieldName('left')!;
        const right = n.childForFieldName('right')!;
        if (rewrites && left.type === 'identifier' && op.type !== '//=' && op.type !== '%=') {
          edits.push(
            at(n, `${left.text} = ${left.text} ${op.type.slice(0, -1)} (${right.text})`, 'expand_augmented'),
          );
        }
        if (!rewrites) edits.push(at(op, AUG_SWAP[op.type]!, 'arithmetic_swap'));
      } else if (n.type === 'integer' && !rewrites && /^\d+$/.test(n.text)) {
        const v = Number(n.text);
        edits.push(at(n, String(v + 1), 'off_by_one'), at(n, String(Math.max(0, v - 1)), 'off_by_one'));
        if (v > 1) edits.push(at(n, '0', 'constant_tweak'));
      } else if (n.type === 'call' && !rewrites) {
        const fn = n.childForFieldName('function');
        const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute') : fn;
        // a builtin only where the program binds no name of its own so called
        if (fn?.type === 'identifier' && CALL_SWAP[fn.text] && !ownNames.has(fn.text))
          edits.push(at(fn, CALL_SWAP[fn.text]!, 'builtin_swap'));
        else if (fn?.type === 'attribute' && name && METHOD_SWAP[name.text])
          edits.push(at(name, METHOD_SWAP[name.text]!, 'builtin_swap'));
      } else if (n.type === 'string' && !rewrites && !isDocstring(n) && !inMainGuard(n)) {
        edits.push(...stringTweaks(n, base));
      } else if (n.type === 'boolean_operator' && op && !rewrites) {
        edits.push(at(op, op.type === 'and' ? 'or' : 'and', 'boolean_swap'));
      } else if (BLOCK_NODES.includes(n.type)) {
        const cond = n.childForFieldName('condition');
        // a `__main__` guard decides whether the program runs, not what it computes: no bug anyone writes
        if (cond && inMiddle(cond) && !mentionsDunderName(cond))
          edits.push(
            at(
              cond,
              rewrites ? `(${cond.text})` : `not (${cond.text})`,
              rewrites ? 'parenthesize_condition' : 'negate_condition',
            ),
          );
      } else if (n.type === 'block' && !rewrites) {
        // a deletion leaves at least one statement that does something: never a body emptied to nothing,
        // to `pass` or to its docstring (and deleting a docstring changes nothing the tests see)
        const working = n.namedChildren.filter(doesSomething);
        for (const [i, st] of n.namedChildren.entries()) {
          if (working.length >= 2 && doesSomething(st) && !bindsOnly(st))
            edits.push(lineEdit(middle, st, base, '', 'delete_statement'));
          if (i < 2 && st.type === 'expression_statement' && doesSomething(st))
            edits.push(lineEdit(middle, st, base, 'duplicate', 'duplicate_statement'));
        }
      } else if (n.type === 'identifier' && !rewrites && isRead(n)) {
        const scope = scopeOf(n);
        const mine = sites.has(key(scope, n.text));
        const others = mine ? boundBefore(scope, n.startIndex).filter((x) => x !== n.text) : [];
        if (others.length)
          edits.push(at(n, others[hash32(n.text + n.startIndex) % others.length]!, 'wrong_variable'));
      }
    }
    return edits;
  }
}

/** The start of the innermost function of `fns` around an offset (-1 at module level): the scope of a name there. */
function scopeAt(fns: Parser.SyntaxNode[], at: number): number {
  let scope = -1;
  for (const f of fns) if (f.startIndex < at && at < f.endIndex && f.startIndex > scope) scope = f.startIndex;
  return scope;
}

/** How far up an identifier's statement is looked for: one nested deeper in an expression is not swapped. */
const READ_DEPTH = 64;

/** An identifier whose value is read: not a name being bound (parameter, assignment or loop target), nor part
 *  of an attribute, a keyword or a name being defined. */
function isRead(n: Parser.SyntaxNode): boolean {
  const parent = n.parent;
  if (!parent) return false;
  if (['attribute', 'keyword_argument', 'function_definition', 'class_definition'].includes(parent.type))
    return false;
  let c: Parser.SyntaxNode = n;
  for (let p: Parser.SyntaxNode | null = parent, up = 0; p && up < READ_DEPTH; c = p, p = p.parent, up++) {
    if (p.type === 'parameters' || p.type === 'lambda_parameters') return false;
    if (
      (p.type === 'assignment' || p.type === 'for_statement' || p.type === 'for_in_clause') &&
      p.childForFieldName('left')?.id === c.id
    )
      return false;
    if (p.type.endsWith('statement') || p.type === 'block' || p.type === 'module') return true;
  }
  return false;
}

/** A string in the `if __name__ == "__main__":` guard's condition: changing it stops the program, no near miss. */
function inMainGuard(n: Parser.SyntaxNode): boolean {
  const cmp = n.parent?.type === 'comparison_operator' ? n.parent : undefined;
  return !!cmp && mentionsDunderName(cmp);
}

/** A string alone as a statement: a docstring, which no test reads. */
const isDocstring = (n: Parser.SyntaxNode) =>
  n.parent?.type === 'expression_statement' && n.parent.namedChildCount === 1;

/**
 * A string constant's near misses (offsets in the middle, which starts at `base`): its first number one more
 * (`{4,}` → `{5,}`), its last character or escape dropped (`"0b"` → `"0"`, `'[^a-z]*'` → `'[^a-z]'`). Not an
 * f-string's parts.
 */
function stringTweaks(n: Parser.SyntaxNode, base: number): Edit[] {
  const parts = n.namedChildren;
  if (parts.some((c) => c.type === 'interpolation')) return [];
  const edits: Edit[] = [];
  const content = parts.find((c) => c.type === 'string_content');
  const digits = content && /\d+/.exec(content.text);
  if (content && digits) {
    const start = content.startIndex - base + digits.index;
    const text = String(Number(digits[0]) + 1);
    edits.push({ start, end: start + digits[0].length, text, origin: 'string_tweak' });
  }
  // the last character, or the last escape whole (`\\n`): a lone backslash left before the quote would not parse
  const tail = content && /(?:\\.|.)$/s.exec(content.text);
  if (content && tail) {
    const end = content.endIndex - base;
    edits.push({ start: end - tail[0].length, end, text: '', origin: 'string_tweak' });
  }
  return edits;
}

/** A statement that computes something: not a comment, a `pass` or a bare string (a docstring). */
function doesSomething(st: Parser.SyntaxNode): boolean {
  if (st.type === 'comment' || st.type === 'pass_statement') return false;
  return !(
    st.type === 'expression_statement' &&
    st.namedChildCount === 1 &&
    st.namedChildren[0]!.type === 'string'
  );
}

/** Whether a condition reads `__name__` (the `if __name__ == "__main__":` guard). */
const mentionsDunderName = (cond: Parser.SyntaxNode) =>
  cond.descendantsOfType('identifier').some((id) => id.text === '__name__');

/** Delete or duplicate the whole lines of a statement (offsets in the middle). */
function lineEdit(
  middle: string,
  st: Parser.SyntaxNode,
  base: number,
  mode: '' | 'duplicate',
  origin: string,
): Edit {
  const s = st.startIndex - base;
  const lineStart = middle.lastIndexOf('\n', s - 1) + 1;
  const nl = middle.indexOf('\n', st.endIndex - base);
  const lineEnd = nl < 0 ? middle.length : nl + 1;
  const lines = middle.slice(lineStart, lineEnd);
  if (mode === 'duplicate') {
    const text = lines.endsWith('\n') ? lines + lines : `${lines}\n${lines}`;
    return { start: lineStart, end: lineEnd, text, origin };
  }
  // deleting the middle's last line also removes the newline before it
  if (nl < 0 && lineStart > 0) return { start: lineStart - 1, end: lineEnd, text: '', origin };
  return { start: lineStart, end: lineEnd, text: '', origin };
}

function apply(middle: string, e: Edit): string {
  return middle.slice(0, e.start) + e.text + middle.slice(e.end);
}

function parses(code: string): boolean {
  try {
    parsePython(code);
    return true;
  } catch (err) {
    if (err instanceof PythonSyntaxError) return false;
    throw err;
  }
}
