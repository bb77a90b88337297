import type Parser from 'tree-sitter';
import { lazy } from '../lazy.ts';

const TreeSitter = lazy<typeof Parser>('tree-sitter');
const python = lazy<unknown>('tree-sitter-python');

/** A block the splitter makes a target of. */
export type BlockKind = 'if' | 'for' | 'while' | 'def';

/** A block target of SPEC §2.3: 1-based inclusive lines of the comment-free code. */
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
// the split stage parses the same text twice when it has no comments; keep the last tree for that case
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

function firstError(node: Parser.SyntaxNode): Parser.SyntaxNode | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const c of node.children) if (c.hasError || c.isMissing) return firstError(c) ?? c;
  return undefined;
}

/**
 * Removes comments using the syntax tree (a `#` inside a string is not a comment): a line holding only
 * a comment is dropped, a trailing comment is cut along with the whitespace before it.
 */
export function stripComments(code: string): string {
  const comments = parse(code).rootNode.descendantsOfType('comment');
  if (comments.length === 0) return code;
  const lines = code.split('\n');
  const drop = new Set<number>();
  for (const c of comments) {
    const row = c.startPosition.row;
    const before = (lines[row] ?? '').slice(0, c.startPosition.column);
    if (before.trim() === '') drop.add(row);
    else lines[row] = before.trimEnd();
  }
  return lines.filter((_, i) => !drop.has(i)).join('\n');
}

const BLOCK_NODES: Record<string, BlockKind> = {
  if_statement: 'if',
  for_statement: 'for',
  while_statement: 'while',
  function_definition: 'def',
};

/**
 * Block targets of parsed code. Depth counts every if/for/while/def node, `elif` included (an elif is
 * an `if` nested in its parent's else branch, as in CPython's ast); elifs and, with
 * `skipUnderscoreDefs`, underscore defs are then left out of the targets, as the reference does.
 * `async for` and `async def` are other node kinds in CPython's ast: not targets, no depth.
 *
 * Walks with a TreeCursor: `node.children` allocates every child in the binding and was 20× slower.
 */
export function findBlocks(code: string, opts: SplitOptions = {}): Block[] {
  const blocks: Block[] = [];
  const cur = parse(code).walk();

  // height of the node under the cursor; leaves the cursor where it found it
  const visit = (): number => {
    const kind = BLOCK_NODES[cur.nodeType];
    if (!kind) return childrenMax();
    const start = cur.startPosition;
    const end = cur.endPosition;
    let inner = 0; // max height of the children that are not elif/else branches
    let isAsync = false;
    let name = '';
    const alts: { elif: boolean; h: number }[] = [];
    if (cur.gotoFirstChild()) {
      isAsync = cur.nodeType === 'async';
      do {
        const field = cur.currentFieldName;
        if (kind === 'if' && field === 'alternative')
          alts.push({ elif: cur.nodeType === 'elif_clause', h: childrenMax() });
        else {
          if (kind === 'def' && field === 'name') name = code.slice(cur.startIndex, cur.endIndex);
          inner = Math.max(inner, visit());
        }
      } while (cur.gotoNextSibling());
      cur.gotoParent();
    }
    if (isAsync) return Math.max(inner, ...alts.map((a) => a.h));
    let chain = 0; // an elif is an if nested in the previous branch's else
    for (let i = alts.length - 1; i >= 0; i--)
      chain = alts[i]!.elif ? 1 + Math.max(alts[i]!.h, chain) : alts[i]!.h;
    const h = 1 + Math.max(inner, chain);
    if (!(kind === 'def' && opts.skipUnderscoreDefs && name.includes('_'))) {
      blocks.push({
        type: kind,
        start_line: start.row + 1,
        end_line: end.column === 0 && end.row > start.row ? end.row : end.row + 1,
        depth: h,
      });
    }
    return h;
  };

  const childrenMax = (): number => {
    if (!cur.gotoFirstChild()) return 0;
    let m = 0;
    do m = Math.max(m, visit());
    while (cur.gotoNextSibling());
    cur.gotoParent();
    return m;
  };

  visit();
  return blocks.sort((a, b) => a.start_line - b.start_line || b.end_line - a.end_line);
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
