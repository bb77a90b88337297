"""StructFlow's judge: decides verdicts from what the sandbox runner observed.

It holds the expected outputs and the test code; the runner (another process, in another sandbox,
as another uid) holds the program. The judge never runs the program: stdio outputs arrive as text,
and the tests of `call` and `assert` problems run here, where every use of the program (a name it
defines, a call, an attribute) is a request to the runner that comes back as plain data (numbers,
strings, lists, tuples, dicts, sets, bytes) or as an opaque reference. So the values that decide an
assertion are computed here, from data: whatever a program sends, it cannot make `==` true for a
value it does not know.

A test that asks one of the program's own helpers for the truth (`assert is_valid(candidate(x))`
with `is_valid` defined by the program) trusts that helper: the program can redefine it. Names the
test code defines itself, the header's imports and modules are always the judge's own.

Protocol: one JSON line per message on stdin/stdout.
  {"op": "stdio", "expected", "observed": runner's tests, "n"}   -> {"result": ...}
  {"op": "call" | "assert", ...tests, "test_cpu_s"?, "opened": the runner's reply to "open"}
      -> any number of {"rpc": "<line for the program>", "cpu_s"} each answered by {"reply": runner's reply}
      -> {"result": {"verdict", "tests": [{"verdict", "ms", "cpu_ms", "error"?}], "error"?}}
"""

import ast
import builtins
import importlib
import json
import sys

HEADER_NAMES = set()
HEADER = """import sys
import time
import itertools
from itertools import accumulate, product, permutations, combinations
import collections
from collections import Counter, OrderedDict, deque, defaultdict, ChainMap
from functools import lru_cache
import math
from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2
import fractions
from typing import List, Tuple
import random
import heapq
from heapq import *
import bisect
import string
import re
import copy
import functools
import operator
"""
BAD = ("error", "timeout", "memory", "output_limit")


# ---------------------------------------------------------------- stdio (SPEC section 4)

def _floats(lines):
    return [float(x) for x in lines]


def stdio_equal(out, expected):
    """The APPS harness's acceptance rules, in order; the token-set rule line by line (SPEC section 4)."""
    if out.strip() == expected.strip():
        return True
    o = [line.strip() for line in out.split("\n") if line.strip()]
    e = [line.strip() for line in expected.split("\n") if line.strip()]
    if o == e:
        return True
    try:
        of, ef = _floats(o), _floats(e)
        if len(of) == len(ef) and all(abs(a - b) <= 1e-8 + 1e-5 * abs(b) for a, b in zip(of, ef)):
            return True
    except ValueError:
        pass
    if len(o) == len(e) and [set(line.split()) for line in o] == [set(line.split()) for line in e]:
        return True
    try:
        ro = [set(round(float(t), 3) for t in line.split()) for line in o]
        re_ = [set(round(float(t), 3) for t in line.split()) for line in e]
        if ro == re_:
            return True
    except ValueError:
        pass
    return False


def verdict_of(tests, n, error=None):
    """The program's verdict from its tests; a test the runner did not observe is never a pass."""
    while len(tests) < n:
        tests.append({"verdict": "skipped", "ms": 0, "cpu_ms": 0})
    verdicts = [t["verdict"] for t in tests]
    bad = [v for v in verdicts if v in BAD]
    if bad:
        verdict = bad[0]
    elif "fail" in verdicts:
        verdict = "fail"
    elif n > 0 and all(v == "pass" for v in verdicts):
        verdict = "pass"
    else:
        verdict = "error"
    res = {"verdict": verdict, "tests": tests}
    first = error or next((t.get("error") for t in tests if t.get("error")), None)
    if first:
        res["error"] = first
    if any(t.get("wall") for t in tests if t["verdict"] == "timeout"):
        res["wall_timeout"] = True
    return res


def observed_test(t):
    """A runner observation as a test result (before comparison)."""
    status = t["status"]
    out = {"verdict": "pass" if status == "ok" else ("timeout" if status == "wall_timeout" else status),
           "ms": t.get("wall_ms", 0), "cpu_ms": t.get("cpu_ms", 0)}
    if status == "wall_timeout":
        out["wall"] = True
    if status != "ok" and t.get("error"):
        out["error"] = t["error"]
    return out


def judge_stdio(req):
    expected, n = req["expected"], len(req["expected"])
    tests = []
    for i, t in enumerate(req["observed"][:n]):
        r = observed_test(t)
        if r["verdict"] == "pass" and not stdio_equal(t.get("out", ""), expected[i]):
            r["verdict"], r["error"] = "fail", f"wrong answer on test {i + 1} of {n}"
        tests.append(r)
    return verdict_of(tests, n)


# ---------------------------------------------------------------- the program, seen from here

class ProgramStopped(BaseException):
    """The program ended (timeout, crash, memory): no test code may catch it."""

    def __init__(self, reply):
        super().__init__(reply.get("error", ""))
        self.reply = reply


class Remote:
    """An object that stays in the program. It equals only itself and has no truth value here, so an
    assertion about it cannot pass on the program's word."""

    __slots__ = ("_ref", "_repr")

    def __init__(self, ref, rep):
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_repr", rep)

    def __call__(self, *args, **kwargs):
        return CONN.ask("call", ref=self._ref, args=encode(list(args)), kwargs=encode(list(kwargs.items())))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return CONN.ask("getattr", ref=self._ref, name=name)

    def __iter__(self):
        return iter(CONN.ask("iter", ref=self._ref))

    def __bool__(self):
        raise TypeError(f"the program returned {self._repr}, whose truth the judge cannot decide")

    def __repr__(self):
        return self._repr


def encode(v):
    if isinstance(v, Remote):
        return {"ref": v._ref}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, tuple):
        return {"t": [encode(x) for x in v]}
    if isinstance(v, dict):
        return {"d": [[encode(k), encode(x)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {"f" if isinstance(v, frozenset) else "s": [encode(x) for x in v]}
    if isinstance(v, (bytes, bytearray)):
        return {"b": bytes(v).decode("latin-1")}
    if isinstance(v, complex):
        return {"c": [v.real, v.imag]}
    raise TypeError(f"cannot pass {type(v).__name__} to the program")


def decode(v):
    """Plain data only: lists, the tagged containers below, JSON scalars; anything else is a Remote."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if "ref" in v:
            return Remote(int(v["ref"]), str(v.get("repr", "<object>"))[:200])
        (tag, x), = v.items()
        if tag == "t":
            return tuple(decode(y) for y in x)
        if tag == "d":
            return {decode(k): decode(y) for k, y in x}
        if tag == "s":
            return {decode(y) for y in x}
        if tag == "f":
            return frozenset(decode(y) for y in x)
        if tag == "b":
            return str(x).encode("latin-1")
        if tag == "c":
            return complex(float(x[0]), float(x[1]))
        raise ValueError(f"unknown tag {tag}")
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise ValueError("unreadable value")


class Connection:
    """Requests to the program through Node and the runner, answered in order."""

    def __init__(self):
        self.cpu_s = None
        self.cpu_ms = 0.0

    def ask(self, op, **fields):
        msg = {"op": op, **fields}
        if self.cpu_s is not None:
            msg["cpu_s"] = self.cpu_s
        send({"rpc": json.dumps(msg), "cpu_s": self.cpu_s})
        reply = json.loads(sys.stdin.readline())["reply"]
        self.cpu_ms += float(reply.get("cpu_ms") or 0)
        if reply.get("status") != "ok":
            raise ProgramStopped(reply)
        try:
            answer = json.loads(reply["reply"])
            if not isinstance(answer, dict):
                raise ValueError("not an object")
        except (KeyError, TypeError, ValueError, RecursionError):
            raise ProgramStopped(UNREADABLE) from None
        if "raise" in answer:
            name, message = (list(answer["raise"]) + ["", ""])[:2]
            cls = getattr(builtins, str(name), None)
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                cls = RuntimeError
            raise cls(str(message))
        if answer.get("missing"):
            raise NameError(fields.get("name"))
        if "module" in answer:
            return judge_module(str(answer["module"]))
        try:
            return decode(answer["value"])
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            raise ProgramStopped(UNREADABLE) from None


UNREADABLE = {"status": "error", "error": "the program's reply was not readable"}


def judge_module(name):
    """A module the program imported, as the judge's own copy (never the program's)."""
    if name.split(".")[0] not in sys.stdlib_module_names | {"numpy"}:
        raise NameError(f"module {name} is not available to the tests")
    return importlib.import_module(name)


CONN = Connection()


def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def stopped_test(reply):
    status = reply.get("status", "error")
    t = {"verdict": "timeout" if status == "wall_timeout" else status, "ms": 0, "cpu_ms": reply.get("cpu_ms", 0)}
    if status == "wall_timeout":
        t["wall"] = True
    t["error"] = reply.get("error") or "the program stopped"
    return t


def to_json(v):
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    return v


def call_equal(result, expected):
    """SPEC section 4: tuples compare as lists; expected may be wrapped in a one-element list."""
    result, expected = to_json(result), to_json(expected)
    if result == expected:
        return True
    return isinstance(expected, list) and len(expected) == 1 and result == expected[0]


def judge_call(req):
    inputs, outputs = req["inputs"], req["outputs"]
    n = len(inputs)
    limits = req.get("test_cpu_s") or []
    tests = []
    try:
        target = CONN.ask("target", name=req["fn_name"])
    except ProgramStopped as stop:
        return verdict_of([stopped_test(stop.reply)], n)
    except NameError as err:
        return verdict_of([{"verdict": "error", "ms": 0, "cpu_ms": 0, "error": f"NameError: {err}"}], n)
    for i, args in enumerate(inputs):
        CONN.cpu_s = limits[i] if i < len(limits) else None
        before = CONN.cpu_ms
        try:
            result = target(*args) if isinstance(args, list) else target(args)
            ok = call_equal(result, outputs[i])
            t = {"verdict": "pass" if ok else "fail", "ms": 0}
            if not ok:
                t["error"] = f"wrong answer on test {i + 1} of {n}"
        except ProgramStopped as stop:
            tests.append(stopped_test(stop.reply))
            break
        except Exception as err:  # noqa: BLE001 - the program raised: an error verdict
            t = {"verdict": "error", "ms": 0, "error": f"{type(err).__name__}: {err}"[:500]}
        t["cpu_ms"] = round(CONN.cpu_ms - before, 2)
        tests.append(t)
        if t["verdict"] == "error":
            break
    return verdict_of(tests, n)


def free_names(tree):
    """Names the test code reads but never binds: the ones that may come from the program."""
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return sorted(read - bound - HEADER_NAMES - set(dir(builtins)))


def judge_assert(req):
    CONN.cpu_s = (req.get("test_cpu_s") or [None])[0]
    try:
        tree = ast.parse(req["code"])
        code = compile(tree, "<tests>", "exec")
    except SyntaxError as err:
        return verdict_of([{"verdict": "error", "ms": 0, "cpu_ms": 0, "error": f"the tests do not parse: {err}"}], 1)
    env = {"__name__": "__main__", "__builtins__": builtins}
    exec(HEADER, env)
    t = {"verdict": "pass", "ms": 0}
    try:
        for name in free_names(tree):
            try:
                env[name] = CONN.ask("get", name=name)
            except NameError:
                pass  # not the program's either: a NameError when the tests use it, as in Python
        exec(code, env)
    except ProgramStopped as stop:
        t = stopped_test(stop.reply)
    except AssertionError as err:
        t = {"verdict": "fail", "ms": 0, "error": f"AssertionError: {err}"[:500] if str(err) else "AssertionError"}
    except Exception as err:  # noqa: BLE001
        t = {"verdict": "error", "ms": 0, "error": f"{type(err).__name__}: {err}"[:500]}
    t["cpu_ms"] = round(CONN.cpu_ms, 2)
    return verdict_of([t], 1)


def main():
    exec(HEADER, ns := {})
    HEADER_NAMES.update(k for k in ns if k != "__builtins__")
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        CONN.cpu_s, CONN.cpu_ms = None, 0.0
        try:
            if req["op"] == "stdio":
                res = judge_stdio(req)
            else:
                opened = req.get("opened") or {}
                if opened.get("status") == "compile_error":
                    res = {"verdict": "compile_error", "error": opened.get("error", ""), "tests": []}
                elif opened.get("status") != "ok":
                    n = len(req["inputs"]) if req["op"] == "call" else 1
                    res = verdict_of([stopped_test(opened)], n)
                else:
                    res = judge_call(req) if req["op"] == "call" else judge_assert(req)
        except Exception as err:  # noqa: BLE001 - a judge bug is an error verdict, never a pass
            res = {"verdict": "error", "error": f"judge: {type(err).__name__}: {err}", "tests": []}
        send({"result": res})


if __name__ == "__main__":
    main()
