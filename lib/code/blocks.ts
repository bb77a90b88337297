import type Parser from 'tree-sitter';
import { lazy } from '../lazy.ts';

const TreeSitter = lazy<typeof Parser>('tree-sitter');
const python = lazy<unknown>('tree-sitter-python');

/** A block the splitter makes a target of. */
export type BlockKind = 'if' | 'for' | 'while' | 'def';

/** A block target: 1-based inclusive lines of the comment-free code. */
export interface Block {
  type: BlockKind;
  start_line: number;
  end_line: number;
  /** Height in the block-nesting tree: 1 for a block with no block inside. */
  depth: number;
}

/** What the splitter skips. */
export interface SplitOptions {
  /** Reference quirk: a `def` whose name contains `_` is not a target (its inner blocks still are). */
  skipUnderscoreDefs?: boolean;
}

export class PythonSyntaxError extends Error {}

let parser: Parser | undefined;
// the mutation generator parses the same code twice (its rewrites, then its mutations); keep the last tree
let last: { code: string; tree: Parser.Tree } | undefined;

/** Parse Python with tree-sitter; throws PythonSyntaxError when the tree has an error. */
export function parsePython(code: string): Parser.Tree {
  return parse(code);
}

function parse(code: string): Parser.Tree {
  if (last?.code === code) return last.tree;
  if (!parser) {
    parser = new (TreeSitter())();
    parser.setLanguage(python() as Parser.Language);
  }
  // the binding reads the input in 32 KiB chunks by default; one buffer for the whole file is faster
  const tree = parser.parse(code, undefined, { bufferSize: code.length * 2 + 1 });
  if (tree.rootNode.hasError) {
    const bad = firstError(tree.rootNode);
    const at = bad?.startPosition ?? { row: 0, column: 0 };
    throw new PythonSyntaxError(`syntax error at line ${at.row + 1}, column ${at.column + 1}`);
  }
  last = { code, tree };
  return tree;
}

/**
 * The first error in the tree: down the first child that holds one, to an ERROR or missing node (or the
 * deepest node holding one). A loop, not a recursion: one call a level overflowed the stack on code nested
 * some 20,000 levels deep with its error at the bottom.
 */
function firstError(root: Parser.SyntaxNode): Parser.SyntaxNode | undefined {
  let found: Parser.SyntaxNode | undefined;
  for (let node = root; ;) {
    if (node.type === 'ERROR' || node.isMissing) return node;
    const next = node.children.find((c) => c.hasError || c.isMissing);
    if (!next) return found;
    node = found = next;
  }
}

/**
 * Removes comments using the syntax tree (a `#` inside a string is not a comment): a line holding only
 * a comment is dropped, a trailing comment is cut along with the whitespace before it.
 */
export function stripComments(code: string): string {
  const comments: Parser.Point[] = [];
  walkSplitNodes(code, parse(code), (type, node) => type === 'comment' && comments.push(node.startPosition));
  return cutComments(code, comments).code;
}

/** The code without the comments that start at `starts`, and the 0-based rows it dropped (ascending). */
function cutComments(code: string, starts: Parser.Point[]): { code: string; dropped: number[] } {
  if (starts.length === 0) return { code, dropped: [] };
  const lines = code.split('\n');
  const drop = new Set<number>();
  for (const { row, column } of starts) {
    const before = (lines[row] ?? '').slice(0, column);
    if (before.trim() === '') drop.add(row);
    else lines[row] = before.trimEnd();
  }
  return { code: lines.filter((_, i) => !drop.has(i)).join('\n'), dropped: [...drop].sort((a, b) => a - b) };
}

const BLOCK_NODES: Record<string, BlockKind> = {
  if_statement: 'if',
  for_statement: 'for',
  while_statement: 'while',
  function_definition: 'def',
};

/** A span of the block-nesting tree: a block, or the `if` an elif stands for (up to its statement's end). */
interface Span {
  start: number;
  end: number;
  /** The target it makes; none for an elif or a skipped def, which still count in the depth. */
  block: Block | undefined;
  /** Max height of the spans directly inside. */
  inner: number;
}

const SPLIT_NODES = new Set(['comment', 'elif_clause', ...Object.keys(BLOCK_NODES)]);

/**
 * Block targets of parsed code. Depth counts every if/for/while/def node, `elif` included (an elif is
 * an `if` nested in its parent's else branch, as in CPython's ast); elifs and, with
 * `skipUnderscoreDefs`, underscore defs are then left out of the targets, as the reference does.
 * `async for` and `async def` are other node kinds in CPython's ast: not targets, no depth.
 */
export function findBlocks(code: string, opts: SplitOptions = {}): Block[] {
  const { blocks } = blocksAndComments(code, opts);
  for (const b of blocks) [b.start_line, b.end_line] = [b.start_line + 1, b.end_line + 1];
  return sortBlocks(blocks);
}

const sortBlocks = (blocks: Block[]) =>
  blocks.sort((a, b) => a.start_line - b.start_line || b.end_line - a.end_line);

/**
 * Where a node the split needs starts: a comment's `#`, or a block keyword (or the `async` before it) first
 * on its line, as a compound statement always is. Some marks start no such node (a `#` in a string, a
 * comprehension's `for` that begins a line); that costs a look, nothing else.
 */
const MARKS = /#|^[ \t\f\uFEFF]*(?:async[ \t\f]+)?(?:if|elif|for|while|def)\b/gm;
const INDENT = new Set([' ', '\t', '\f', '\uFEFF']);
/** Node types by id, as the walks meet them (an id is a number; a type read from the cursor, a new string). */
const typeNames: string[] = [];

/**
 * Calls `visit` with a cursor on every comment, elif and block statement of the tree, in document order
 * (a statement before the statements inside it). The cursor goes from mark to mark: up to the first node
 * that holds the next mark, then down through the children that hold it (one native lookup a level), so
 * it never walks the nodes between. On 400 standard-library files that cost a third of the time beyond
 * the parse that one `descendantsOfType` call did (it makes a JavaScript object and a weak reference for
 * every node it returns), and a walk over every node costs twice the parse.
 */
function walkSplitNodes(
  code: string,
  tree: Parser.Tree,
  visit: (type: string, cursor: Parser.TreeCursor) => void,
) {
  const cursor = tree.walk();
  // the range of each node from the root down to the cursor's, so that going up needs no native call
  const starts = [cursor.startIndex];
  const ends = [cursor.endIndex];
  MARKS.lastIndex = 0;
  for (let m; (m = MARKS.exec(code));) {
    let at = m.index;
    if (code[at] !== '#') while (INDENT.has(code[at]!)) at++;
    while (at < starts[starts.length - 1]! || at >= ends[ends.length - 1]!) {
      if (starts.length === 1) return; // past the root's end
      cursor.gotoParent();
      starts.pop();
      ends.pop();
    }
    for (;;) {
      if (starts[starts.length - 1] === at) {
        const type = (typeNames[cursor.nodeTypeId] ??= cursor.nodeType);
        if (SPLIT_NODES.has(type)) {
          visit(type, cursor);
          break; // nothing the split needs starts inside it at the same place
        }
      }
      // the binding returns the child's index, or null: its typings say boolean
      if ((cursor.gotoFirstChildForIndex(at) as unknown) === null) break;
      const start = cursor.startIndex;
      if (start > at) {
        cursor.gotoParent(); // the mark lies between children: in no node of interest
        break;
      }
      starts.push(start);
      ends.push(cursor.endIndex);
    }
  }
}

/** The blocks (lines as 0-based rows of `code`) and the comments' starts, from one parse and one walk. */
function blocksAndComments(code: string, opts: SplitOptions): { blocks: Block[]; comments: Parser.Point[] } {
  const comments: Parser.Point[] = [];
  const spans: Span[] = [];
  walkSplitNodes(code, parse(code), (type, node) => {
    if (type === 'comment') {
      comments.push(node.startPosition);
      return;
    }
    const start = node.startIndex;
    if (type === 'elif_clause') {
      spans.push({ start, end: -1, inner: 0, block: undefined }); // ends where its if statement ends: set below
      return;
    }
    const head = code.slice(start, start + 256);
    if (head.startsWith('async')) return; // async for/def: other node kinds in CPython's ast
    const kind = BLOCK_NODES[type]!;
    const block: Block = { type: kind, start_line: node.startPosition.row, end_line: 0, depth: 0 };
    const end = node.endPosition;
    block.end_line = end.column === 0 && end.row > block.start_line ? end.row - 1 : end.row;
    const name = kind === 'def' ? (/^def\s+([^\s([]+)/u.exec(head)?.[1] ?? '') : '';
    const target = !(kind === 'def' && opts.skipUnderscoreDefs && name.includes('_'));
    spans.push({ start, end: node.endIndex, inner: 0, block: target ? block : undefined });
  });
  const open: Span[] = [];
  const close = (s: Span) => {
    const h = 1 + s.inner;
    if (s.block) s.block.depth = h;
    const parent = open[open.length - 1];
    if (parent) parent.inner = Math.max(parent.inner, h);
  };
  for (const s of spans) {
    while (open.length && open[open.length - 1]!.end <= s.start) close(open.pop()!);
    if (s.end < 0) s.end = open[open.length - 1]!.end; // an elif sits in its if (or the elif before it)
    open.push(s);
  }
  while (open.length) close(open.pop()!);
  return { blocks: spans.flatMap((s) => (s.block ? [s.block] : [])), comments };
}

/**
 * `findBlocks(stripComments(code) + a final newline)` from one parse, which is what the split stage needs:
 * the comment-free code (newline-terminated) and its block targets. Blocks come from the tree of `code`
 * itself, their lines mapped past the dropped comment lines.
 */
export function splitBlocks(code: string, opts: SplitOptions = {}): { code: string; blocks: Block[] } {
  const { blocks, comments } = blocksAndComments(code, opts);
  const cut = cutComments(code, comments);
  // 0-based rows of `code` → 1-based lines of the comment-free code; a block ending on dropped rows ends before them
  const dropped = cut.dropped;
  const shift = (row: number) => {
    let lo = 0;
    let hi = dropped.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dropped[mid]! < row) lo = mid + 1;
      else hi = mid;
    }
    return lo; // dropped rows before `row`
  };
  // a block that ends in comments ends at its last code line, as it does in the comment-free code
  const rows = dropped.length ? code.split('\n') : [];
  const droppedSet = new Set(dropped);
  for (const b of blocks) {
    let last = b.end_line;
    while (last > b.start_line && droppedSet.has(last)) {
      last--;
      while (last > b.start_line && !droppedSet.has(last) && rows[last]!.trim() === '') last--;
    }
    b.start_line = b.start_line - shift(b.start_line) + 1;
    b.end_line = last - shift(last) + 1;
  }
  const out = cut.code.endsWith('\n') ? cut.code : cut.code + '\n';
  return { code: out, blocks: sortBlocks(blocks) };
}

/**
 * The program's syntax as its leaf tokens (type and text), comments left out: two programs with the same
 * leaves have the same syntax tree whatever their formatting and comments.
 */
export function syntaxLeaves(code: string): string[] {
  const out: string[] = [];
  const cur = parse(code).walk();
  for (;;) {
    if (cur.gotoFirstChild()) continue;
    if (cur.nodeType !== 'comment') out.push(`${cur.nodeType}:${code.slice(cur.startIndex, cur.endIndex)}`);
    while (!cur.gotoNextSibling()) if (!cur.gotoParent()) return out;
  }
}

export interface Cut {
  prefix: string;
  middle: string;
  suffix: string;
}

/** Cut code by whole lines around a 1-based inclusive line range, so that prefix + middle + suffix == code. */
export function cutLines(code: string, start: number, end: number): Cut {
  const lines = code.split('\n');
  const before = lines.slice(0, start - 1);
  const after = lines.slice(end);
  return {
    prefix: before.length ? before.join('\n') + '\n' : '',
    middle: lines.slice(start - 1, end).join('\n'),
    suffix: after.length ? '\n' + after.join('\n') : '',
  };
}

// Python's str.split() whitespace, so word counts agree with the reference (it includes \x1c-\x1f)
// eslint-disable-next-line no-control-regex
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

export function countWords(code: string): number {
  return code.split(PY_WHITESPACE).filter(Boolean).length;
}
