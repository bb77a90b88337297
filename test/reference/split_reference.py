"""CPython reference for the split stage (rules: docs/method.md), used by the tests and bench/split.ts.

Reads JSON lines {"id", "code"} on stdin and writes one JSON line per input:
{"id", "code": comment-free code, "blocks": [[type, start_line, end_line, depth], ...]}
or {"id", "error"}. Comments are found with `tokenize` (never by searching for "#"),
blocks with `ast`. Pass --skip-underscore-defs for the reference quirk.
"""

import ast
import io
import json
import sys
import tokenize

BLOCKS = {ast.If: "if", ast.For: "for", ast.While: "while", ast.FunctionDef: "def"}


def strip_comments(code):
    lines = code.split("\n")
    drop = set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type != tokenize.COMMENT:
            continue
        row, col = tok.start[0] - 1, tok.start[1]
        before = lines[row][:col]
        if before.strip() == "":
            drop.add(row)
        else:
            lines[row] = before.rstrip()
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def find_blocks(code, skip_underscore_defs):
    lines = code.split("\n")
    blocks = []

    def height(node):
        h = max((height(c) for c in ast.iter_child_nodes(node)), default=0)
        kind = BLOCKS.get(type(node))
        if kind is None:
            return h
        h += 1
        is_elif = kind == "if" and lines[node.lineno - 1][node.col_offset :].startswith("elif")
        skip = kind == "def" and skip_underscore_defs and "_" in node.name
        if not is_elif and not skip:
            blocks.append([kind, node.lineno, node.end_lineno, h])
        return h

    height(ast.parse(code))
    blocks.sort(key=lambda b: (b[1], -b[2]))
    return blocks


def main():
    skip = "--skip-underscore-defs" in sys.argv
    sys.setrecursionlimit(100000)
    for line in sys.stdin:
        rec = json.loads(line)
        try:
            code = strip_comments(rec["code"])
            out = {"id": rec["id"], "code": code, "blocks": find_blocks(code, skip)}
        except (SyntaxError, tokenize.TokenError, ValueError, RecursionError) as err:
            out = {"id": rec["id"], "error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
