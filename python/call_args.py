"""The literal arguments of the calls an assert test makes to the function under test.

Run in the sandbox as a program (the `extra` stage asks it, in the judge's recording mode, as it would ask a
reference): `call_args(source, names)` parses the test code (never runs it) and returns, in source order, the
positional arguments of every call to one of `names` (HumanEval's `candidate`, MBPP's function name) whose
arguments are all Python literals, as a list of [name, argument list] pairs. Calls with keywords, `*args` or computed
arguments are skipped: their inputs are not data.
"""
import ast


def call_args(source, names):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    wanted, found, seen = set(names), [], set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.keywords:
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else None
        if name not in wanted or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        try:
            args = [ast.literal_eval(a) for a in node.args]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        key = repr((name, args))
        if key not in seen:
            seen.add(key)
            found.append((node.lineno, node.col_offset, name, args))
    found.sort(key=lambda x: (x[0], x[1]))
    return [[name, args] for _, _, name, args in found]
