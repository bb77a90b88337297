"""The literal arguments of the calls an assert test makes to the function under test.

Run in the sandbox as a program (the `extra` stage asks it, in the judge's recording mode, as it would ask a
reference): `call_args(source, names)` parses the test code (never runs it) and returns, in source order, the
positional arguments of every call to one of `names` (HumanEval's `candidate`, MBPP's function name) whose
arguments are all Python literals, as a list of [name, argument list] pairs. Calls with `*args` or computed
arguments are skipped: their inputs are not data.
"""
import ast


def parameters(reference, function):
    """The parameter names of `function` in the reference's code (a method's without `self`), or None."""
    try:
        tree = ast.parse(reference)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            a = node.args
            if a.vararg or a.kwarg or a.kwonlyargs:
                return None
            names = [x.arg for x in a.posonlyargs + a.args]
            return names[1:] if names[:1] == ["self"] else names
    return None


def call_args(source, names, reference="", function=None):
    """With the reference and the function's name, keyword arguments (LeetCode's `candidate(n = 7, …)`) are
    put in the order of the function's parameters; without them a call with keywords is skipped."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    params = parameters(reference, function) if reference and function else None
    wanted, found, seen = set(names), [], set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (node.keywords and params is None):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else None
        if name not in wanted or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        try:
            args = [ast.literal_eval(a) for a in node.args]
            if node.keywords:
                given = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                rest = params[len(args):]
                if None in given or set(given) != set(rest):
                    continue  # **kwargs, or keywords that are not exactly the parameters left
                args += [given[k] for k in rest]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        key = repr((name, args))
        if key not in seen:
            seen.add(key)
            found.append((node.lineno, node.col_offset, name, args))
    found.sort(key=lambda x: (x[0], x[1]))
    return [[name, args] for _, _, name, args in found]
