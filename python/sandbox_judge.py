"""StructFlow's judge: decides verdicts from what the sandbox runner observed.

It holds the expected outputs and the test code; the runner (another process, in another sandbox,
as another uid) holds the program. The judge never runs the program: stdio outputs arrive as text,
and the tests of `call` and `assert` problems run here, where every use of the program (a name it
defines, a call, an attribute) is a request to the runner that comes back as plain data (numbers,
strings, lists, tuples, dicts, sets, bytes) or as an opaque reference. So the values that decide an
assertion are computed here, from data: whatever a program sends, it cannot make `==` true for a
value it does not know.

Names a test reads resolve to the trusted context first (the header's imports, the dataset's own prompt
code and helpers, its setup code: `context`), and only the task's entry points come from the program
(docs/sandbox.md, Comparison rules). A dataset helper is never the program's, and a module is never
imported because a program named it. An exception the program raises arrives as its builtin class, except
the ones that steer control flow (StopIteration and its kin), which arrive as RuntimeError, as PEP 479 does.

The protocol runs on descriptors of its own (dups of the original stdin/stdout, made before any test
code runs); fds 0 and 1 then point at /dev/null and the tests' prints go to a sink, so nothing a test
prints (the program's answer, say) can be read as a protocol message.

Protocol: one JSON line per message; the first line out is {"ready": VERSION}.
  {"op": "stdio_tests", "first", "n", "expected": [...], "observed": the runner's tests, "compare"?,
   "checker"?, "inputs"?: the tests' inputs, for the checker}
      -> {"tests": [...]}, one per observed test
  {"op": "stdio_verdict", "n", "tests": the judge's tests}                  -> {"result": ...}
  {"op": "call" | "assert", ...tests, "test_cpu_s"?, "opened": the runner's reply to "open"}
      -> any number of {"rpc": "<line for the program>", "cpu_s"} each answered by {"reply": runner's reply},
         or {"rpc": [lines], "cpu_s"}, calls planned ahead (see `plan_of`), answered by {"reply": {"batch": [...]}}
      -> {"result": {"verdict", "tests": [{"verdict", "ms", "cpu_ms", "error"?}], "error"?}}
"""

import ast
import base64
import builtins
import collections
import contextlib
import copy
import decimal
import fractions
import functools
import inspect
import io
import json
import math
import os
import re
import resource
import signal
import sys
import time

VERSION = 5

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
HEADER_CODE = compile(HEADER, "<header>", "exec")
BAD = ("error", "timeout", "memory", "output_limit")


# ---------------------------------------------------------------- stdio

def _floats(lines):
    return [float(x) for x in lines]


# an expected token that is a decimal with a fraction or an exponent, and any ASCII decimal an output may give
FRACTIONAL = re.compile(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-?[0-9]+[eE][+-]?[0-9]+")
ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")  # tokens split on ASCII whitespace only: U+3000 is not a separator
DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def strict_equal(out, expected, tolerance=None):
    """The default rule, testlib's token comparison: the whitespace-separated tokens of both texts (line breaks
    being whitespace), equal in number and pairwise equal as strings, except that where the expected token is
    a decimal with a fraction or an exponent, an ASCII decimal within 1e-8 + 1e-5·|b|. With the `tolerance` a
    statement states for real-valued answers, every expected number (integer-looking ones too) is answered by an
    ASCII decimal within it, absolute or relative, as testlib's doubleCompare."""
    o = ASCII_SPACE.split(out.strip(" \t\n\r\f\v"))
    e = ASCII_SPACE.split(expected.strip(" \t\n\r\f\v"))
    if len(o) != len(e):
        return False
    for a, b in zip(o, e):
        if a == b:
            continue
        if not ((FRACTIONAL.fullmatch(b) or tolerance and DECIMAL.fullmatch(b)) and DECIMAL.fullmatch(a)):
            return False
        x, y = float(a), float(b)
        near = abs(x - y) <= tolerance * max(1.0, abs(y)) + 1e-15 if tolerance else abs(x - y) <= 1e-8 + 1e-5 * abs(y)
        # a token past a double's range (1e400) is text: as infinity, every number would be near it
        if not (math.isfinite(x) and math.isfinite(y) and near):
            return False
    return True


def stdio_equal(out, expected, compare="strict", tolerance=None):
    """`strict` (the default), or `apps`: the APPS harness's acceptance rules, in order, the token-set rule line
    by line, with its false passes (docs/sandbox.md, Comparison rules)."""
    if compare != "apps":
        return strict_equal(out, expected, tolerance)
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
    status = t["status"] if t.get("status") in ("ok", "wall_timeout", *BAD) else "error"
    out = {"verdict": "pass" if status == "ok" else ("timeout" if status == "wall_timeout" else status),
           "ms": t.get("wall_ms", 0), "cpu_ms": t.get("cpu_ms", 0)}
    if status == "wall_timeout":
        out["wall"] = True
    if status != "ok" and t.get("error"):
        out["error"] = t["error"]
    return out


CHECKERS = {}


def checker_of(source):
    """The problem's checker: trusted code (the user's) defining `check(input, output, expected)`, true when
    `output` answers `input`. It replaces the comparison for a problem with several valid answers."""
    if source not in CHECKERS:
        scope = {"__name__": "checker", "__builtins__": builtins}
        exec(compile(source, "<checker>", "exec"), scope)
        if not callable(scope.get("check")):
            raise ValueError("the checker defines no check(input, output, expected)")
        CHECKERS.clear()  # one problem at a time: the last checker is the one worth keeping
        CHECKERS[source] = scope["check"]
    return CHECKERS[source]


def checked(check, given, out, expected, where):
    """None when the checker accepts `out`, else why not. A checker that raises rejects the answer (a
    malformed output is a wrong answer), and says so."""
    try:
        if check(given, out, expected):
            return None
        return f"wrong answer on {where} (the checker rejected it)"
    except Exception as err:  # noqa: BLE001 - the checker is the user's; its failure on this output is a verdict
        return f"wrong answer on {where} (the checker raised {type(err).__name__}: {str(err)[:200]})"


def judge_stdio_tests(req):
    """Observed stdio tests (from test `first` on) against their expected outputs, or by the checker."""
    first, n, compare = int(req["first"]), int(req["n"]), req.get("compare")
    tolerance = req.get("tolerance") if isinstance(req.get("tolerance"), float) else None
    check = checker_of(req["checker"]) if isinstance(req.get("checker"), str) else None
    inputs = req.get("inputs") or []
    judged = []
    for j, (t, expected) in enumerate(zip(req["observed"], req["expected"])):
        r = observed_test(t)
        # bytes that are not UTF-8 become lone surrogates, which equal nothing a dataset holds (U+FFFD included)
        out = base64.b64decode(str(t.get("out_b64", ""))).decode("utf-8", "surrogateescape")
        where = f"test {first + j + 1} of {n}"
        if r["verdict"] == "pass":
            if check:
                why = checked(check, str(inputs[j]) if j < len(inputs) else "", out, str(expected), where)
            else:
                why = None if stdio_equal(out, str(expected), compare, tolerance) else f"wrong answer on {where}"
            if why:
                r["verdict"], r["error"] = "fail", why
        judged.append(r)
    return judged


def judge_stdio_verdict(req):
    n = int(req["n"])
    return verdict_of([dict(t) for t in req["tests"][:n]], n)


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
        if CONN.plan is not None and CONN.plan.ref == self._ref:
            value = CONN.planned(len(args), tuple(kwargs))
        else:
            value = CONN.ask("call", ref=self._ref, args=encode(list(args)), kwargs=encode(list(kwargs.items())))
        after = CONN.answer
        try:
            for arg, state in zip(args, after.get("args") or ()):
                write_back(arg, state)
            for (_, arg), (_, state) in zip(kwargs.items(), after.get("kwargs") or ()):
                write_back(arg, state)
        except (TypeError, ValueError, AttributeError, IndexError, RecursionError):
            raise ProgramStopped(UNREADABLE) from None
        return value

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return CONN.ask("getattr", ref=self._ref, name=name)

    def __setattr__(self, name, value):
        # MBPP's setup code builds its trees with the program's own class: `root.left = Node(2)`
        if name.startswith("__"):
            raise AttributeError(name)
        CONN.ask("setattr", ref=self._ref, name=name, value=encode(value))

    def __iter__(self):
        return iter(CONN.ask("iter", ref=self._ref))

    def __bool__(self):
        raise TypeError(f"the program returned {self._repr}, whose truth the judge cannot decide")

    def __repr__(self):
        return self._repr


# The trusted environment of the assert test being judged: its classes are the data classes, whose
# instances travel by value (as an object graph) in both directions.
TRUSTED = {}


def data_classes():
    return {k: v for k, v in TRUSTED.items() if isinstance(v, type) and v.__module__ == "__main__"}


def encode(v, ref=None):
    if isinstance(v, Remote):
        return {"ref": v._ref}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, list):
        return [encode(x, ref) for x in v]
    if isinstance(v, tuple):
        return {"t": [encode(x, ref) for x in v]}
    if isinstance(v, dict):
        return {"d": [[encode(k, ref), encode(x, ref)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {"f" if isinstance(v, frozenset) else "s": [encode(x, ref) for x in v]}
    if isinstance(v, (bytes, bytearray)):
        return {"b": bytes(v).decode("latin-1")}
    if isinstance(v, complex):
        return {"c": [v.real, v.imag]}
    if data_classes().get(type(v).__name__) is type(v) and hasattr(v, "__dict__"):
        return ref(v) if ref else {"g": graph(v)}
    if isinstance(v, type) and getattr(builtins, v.__name__, None) is v:
        return {"T": v.__name__}  # a builtin type (`candidate(int)`): the program's builtin of that name
    raise TypeError(f"cannot pass {type(v).__name__} to the program")


def graph(root):
    """An instance of a data class and every such instance it reaches, as [class name, attributes] rows;
    {"n": k} stands for row k, so depth and cycles cost nothing."""
    ids, order, rows = {id(root): 0}, [root], []

    def ref(x):
        if id(x) not in ids:
            ids[id(x)] = len(order)
            order.append(x)
        return {"n": ids[id(x)]}

    while len(rows) < len(order):
        obj = order[len(rows)]
        rows.append([type(obj).__name__, [[k, encode(x, ref)] for k, x in vars(obj).items()]])
    return rows


def decode(v, objs=None):
    """Plain data only: lists, the tagged containers below, JSON scalars; anything else is a Remote."""
    if isinstance(v, list):
        return [decode(x, objs) for x in v]
    if isinstance(v, dict):
        if "ref" in v:
            return Remote(int(v["ref"]), str(v.get("repr", "<object>"))[:200])
        (tag, x), = v.items()
        if tag == "t":
            return tuple(decode(y, objs) for y in x)
        if tag == "d":
            return {decode(k, objs): decode(y, objs) for k, y in x}
        if tag == "s":
            return {decode(y, objs) for y in x}
        if tag == "f":
            return frozenset(decode(y, objs) for y in x)
        if tag == "b":
            return str(x).encode("latin-1")
        if tag == "c":
            return complex(float(x[0]), float(x[1]))
        if tag == "q":  # a Fraction or a Decimal the program returned: == with ints and floats is exact
            return fractions.Fraction(int(x[0]), int(x[1]))
        if tag == "D":
            d = decimal.Decimal(str(x))
            if d.is_snan():
                raise ValueError("a signalling NaN")  # it raises in every comparison
            return d
        if tag == "n" and objs is not None:
            return objs[int(x)]
        if tag == "g":
            return decode_graph(x)
        raise ValueError(f"unknown tag {tag}")
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise ValueError("unreadable value")


def decode_graph(rows):
    """Instances of the judge's own data classes (never the program's) holding the program's data."""
    classes = data_classes()
    objs = []
    for name, _ in rows:
        cls = classes.get(str(name))
        if cls is None:
            raise ValueError(f"{name} is not a class of the tests")
        objs.append(cls.__new__(cls))
    for obj, (_, attrs) in zip(objs, rows):
        for k, x in attrs:
            k = str(k)
            # data only: an attribute may not stand in for the class's methods, properties or dunders,
            # or a trusted method the tests call would run the program's function instead
            static = inspect.getattr_static(type(obj), k, None)
            if k.startswith("__") or callable(static) or hasattr(static, "__get__"):
                raise ValueError(f"{type(obj).__name__}.{k} is not data")
            object.__setattr__(obj, k, decode(x, objs))
    return objs[0]


def write_back(arg, state):
    """The program's changes to a mutable argument, made to the test's own object (as a call in one
    process would have made them): a list, dict, set or bytearray in place, a data object's attributes."""
    if state is None:
        return
    new = decode(state)
    if isinstance(arg, (list, bytearray)) and isinstance(new, (list, bytes)):
        arg[:] = new
    elif isinstance(arg, (dict, set)) and type(new) is type(arg):
        arg.clear()
        arg.update(new)
    elif data_classes().get(type(arg).__name__) is type(arg) and type(new) is type(arg):
        vars(arg).clear()
        vars(arg).update(vars(new))


# What the program raises that would steer the judge's control flow if raised as itself (a StopIteration
# ends the `map` or `zip` a test iterates): these arrive as RuntimeError, as PEP 479 does for generators.
# So does AssertionError: inside the program it is the program's error, not a failed assertion of the test.
CONTROL_FLOW = {"StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt", "SystemExit",
                "AssertionError"}


def program_exception(name, message):
    cls = getattr(builtins, name, None)
    if name in CONTROL_FLOW or not (isinstance(cls, type) and issubclass(cls, Exception)):
        return RuntimeError(f"the program raised {name[:100]}: {message}")
    return cls(message)


class OverBudget(BaseException):
    """The judge spent more CPU on one test than the program's answers are allowed to cost it."""


def _over_budget(signum, frame):
    raise OverBudget()


JUDGE_FLOOR_S = 2.0  # the judge's own CPU per test is bounded by max(2 × the test's limit, this)


class Connection:
    """Requests to the program through Node and the runner, answered in order. Within a test (see
    `test`), every request's CPU limit is what is left of the test's: the program's calls in one test
    share its limit, however many the test makes."""

    def __init__(self):
        self.limit_s = 5.0  # the request's test_cpu_s limit, set per request
        self.test_limit = None
        self.program_ms = 0.0  # the program's CPU in the current test
        self.judge_ms = 0.0  # the judge's own CPU in the last test
        self.budget_s = JUDGE_FLOOR_S  # the judge's own CPU budget in the current test
        self.answer = {}  # the program's last answer, whole (a call's also holds its arguments after it)
        self.plan = None  # the calls planned ahead in the running test function (see `plan_of`)

    @contextlib.contextmanager
    def test(self, limit):
        """One test: the program's CPU over all its calls is held to `limit`, and the judge's own (the
        test code, reading replies) to max(2 × limit, JUDGE_FLOOR_S), past which the test is a timeout
        (a cyclic ListNode that the test's helper walks forever, a dict of colliding keys)."""
        self.test_limit, self.program_ms = limit, 0.0
        self.budget_s = max(2 * limit, JUDGE_FLOOR_S)
        t0 = time.process_time()
        signal.signal(signal.SIGPROF, _over_budget)
        signal.setitimer(signal.ITIMER_PROF, self.budget_s)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            self.judge_ms = (time.process_time() - t0) * 1000
            self.test_limit = None

    def over_budget_test(self):
        """The test that went past the judge's budget (see `test`)."""
        return {"verdict": "timeout", "ms": 0, "cpu_ms": round(self.program_ms + self.budget_s * 1000, 2),
                "error": f"the tests spent more than {self.budget_s:g} CPU s of the judge's on the program's answers"}

    @contextlib.contextmanager
    def alone(self, alone=True):
        """Calls made meanwhile go one by one, outside the plan (which stays where it was)."""
        plan, self.plan = self.plan, None if alone else self.plan
        try:
            yield
        finally:
            self.plan = plan

    def left_s(self):
        return None if self.test_limit is None else max(0.001, self.test_limit - self.program_ms / 1000)

    def ask(self, op, **fields):
        if self.plan is not None and self.plan.queue:
            # calls planned ahead have run that this request would have preceded: a judge bug, never the program's
            raise JudgeBug(f"a {op} request while calls planned ahead wait")
        msg = {"op": op, "data": sorted(data_classes()), **fields}
        left = self.left_s()
        if left is not None:
            msg["cpu_s"] = left
        send({"rpc": json.dumps(msg), "cpu_s": left})
        return self.take(receive()["reply"], fields.get("name"))

    def planned(self, nargs, kwnames):
        """The next planned call's answer: the runner runs the next calls of the plan in one request, in their
        order, each with what is left of its CPU (the test's, or its own where each call is a test), and stops at
        the first that raises or stops."""
        plan = self.plan
        if not plan.queue:
            lines, shapes, size, data = [], [], 0, json.dumps(sorted(data_classes()))
            while plan.next + len(lines) < plan.n and len(lines) < plan.size:
                try:
                    args, kwargs, *shape = plan.call(plan.next + len(lines))
                except Exception:  # noqa: BLE001 - a later input that cannot go: its own test says so, in turn
                    if lines:
                        break
                    raise
                if lines and size + len(args) + len(kwargs) > BATCH_BYTES:
                    break
                size += len(args) + len(kwargs)
                shapes.append(tuple(shape))
                lines.append(f'{{"op": "call", "data": {data}, "ref": {plan.ref}, "args": {args}, "kwargs": {kwargs}}}')
            if not lines:
                raise JudgeBug("a call of the tested function past its plan")
            plan.size = min(2 * plan.size, BATCH_CALLS)
            cpu = self.left_s() if plan.limits is None else [self.left_s(), *plan.limits[plan.next + 1:plan.next + len(lines)]]
            send({"rpc": lines, "cpu_s": cpu})
            reply = receive()["reply"]
            batch = reply.get("batch") if isinstance(reply, dict) else None
            # without a batch, the runner answered the request as a whole (the program was gone): the first call's answer
            plan.queue.extend(zip(shapes, batch if isinstance(batch, list) and 0 < len(batch) <= len(lines) else [reply]))
        shape, reply = plan.queue.popleft()
        if shape != (nargs, kwnames):
            raise JudgeBug("a call of the tested function that its plan does not hold")
        plan.next += 1
        return self.take(reply)

    def take(self, reply, name=None):
        """The value of the program's answer, or what it raised, or ProgramStopped."""
        if not isinstance(reply, dict):
            raise ProgramStopped(UNREADABLE)
        cpu = reply.get("cpu_ms")
        self.program_ms += float(cpu) if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) else 0.0
        if reply.get("status") != "ok":
            raise ProgramStopped({"status": str(reply.get("status")), "error": str(reply.get("error", ""))[:500],
                                  "cpu_ms": self.program_ms})
        if self.test_limit is not None and self.program_ms > (self.test_limit + 0.05) * 1000:
            raise ProgramStopped({"status": "timeout", "error": "CPU time limit exceeded over the test's calls",
                                  "cpu_ms": self.program_ms})
        try:
            answer = json.loads(base64.b64decode(reply["reply_b64"], validate=True))
            if not isinstance(answer, dict):
                raise ValueError("not an object")
        except (KeyError, TypeError, ValueError, RecursionError):
            raise ProgramStopped(UNREADABLE) from None
        self.answer = answer
        if "raise" in answer:
            try:
                kind, message = (list(answer["raise"]) + ["", ""])[:2]
            except TypeError:
                raise ProgramStopped(UNREADABLE) from None
            raise program_exception(str(kind), str(message)[:500])
        if answer.get("missing"):
            raise NameError(name)
        if "module" in answer:
            raise NameError(f"{name} is a module of the program, not a name the task asks for")
        try:
            return decode(answer["value"])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError, ArithmeticError):
            raise ProgramStopped(UNREADABLE) from None


UNREADABLE = {"status": "error", "error": "the program's reply was not readable"}


class JudgeBug(BaseException):
    """The judge broke its own rule: no test code catches it, and it ends the judge, so the slot fails and the
    program gets no verdict it did not decide (nor a cached one)."""

    def __init__(self, why):
        super().__init__(f"judge: {why}")


CONN = Connection()
# the protocol's own descriptors (see main): nothing else in this process writes to them
PROTO_IN = PROTO_OUT = None


def send(msg):
    PROTO_OUT.write(json.dumps(msg) + "\n")
    PROTO_OUT.flush()


def receive():
    line = PROTO_IN.readline()
    if not line:
        sys.exit(0)  # Node closed the pipe: the slot is over
    msg = json.loads(line)
    if not isinstance(msg, dict):
        raise ValueError("a message must be an object")
    return msg


def stopped_test(reply):
    status = reply.get("status", "error")
    if status not in ("wall_timeout", *BAD):
        status = "error"
    t = {"verdict": "timeout" if status == "wall_timeout" else status, "ms": 0, "cpu_ms": reply.get("cpu_ms", 0)}
    if status == "wall_timeout":
        t["wall"] = True
    t["error"] = str(reply.get("error") or "the program stopped")[:500]
    return t


def to_json(v):
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    return v


def same(a, b):
    """Python's == on JSON-shaped data, except that a bool equals only a bool (`True` is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is bool and type(b) is bool and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is not dict and type(a) is not list and a == b


def call_equal(result, expected):
    """Tuples compare as lists; expected may be wrapped in a one-element list; exact,
    and a bool answers only a JSON boolean."""
    result, expected = to_json(result), to_json(expected)
    if same(result, expected):
        return True
    return isinstance(expected, list) and len(expected) == 1 and same(result, expected[0])


def is_floats(x):
    """A float, or a non-empty list or tuple of floats: what evalplus compares within `atol`."""
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(y, float) for y in x)


def close(a, b, atol):
    """numpy's allclose(a, b, rtol=1e-7, atol) on one float: infinities only equal themselves, NaN nothing."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + 1e-7 * abs(b)


def reference_equal(result, expected, atol):
    """A returned value against the value the reference returned (`encoded` outputs), as evalplus compares:
    Python's == (a tuple does not answer a list; 2 answers 2.0, as there); where `atol` is non-zero and the
    expected value is floats, the same type and length and every float within atol + 1e-7 of its own."""
    if not isinstance(result, Remote) and result == expected:
        return True
    if not atol or not is_floats(expected) or type(result) is not type(expected):
        return False
    if isinstance(expected, float):
        return close(result, expected, atol)
    return len(result) == len(expected) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and close(float(x), y, atol)
        for x, y in zip(result, expected))


# One recorded output at most (characters of its JSON), and all of a program's together: the result is one
# protocol line, which Node reads only up to 16 MiB.
RECORD_CHARS, RECORD_TOTAL = 1 << 20, 8 << 20


def holds_remote(v):
    if isinstance(v, Remote):
        return True
    if isinstance(v, dict):
        return any(holds_remote(k) or holds_remote(x) for k, x in v.items())
    if isinstance(v, (list, tuple, set, frozenset)):
        return any(holds_remote(x) for x in v)
    return False


def retyped(args):
    """The argument lists a JSON row may stand for, as given first, then with lists as tuples (every argument,
    one argument, their elements, all the way down), then with whole numbers as floats (all, one argument).
    JSON has no tuples and writes a whole float as an integer once Node has read it (1.0 becomes 1), so
    evalplus's inputs lose types its loader or its Python JSON kept: tuples (MBPP+'s loader makes them from a
    table of task ids) and floats. The reference's contract tells which: the first variant it accepts is the
    input."""
    def tup(x):
        return tuple(x) if isinstance(x, list) else x

    def inner(x):
        return [tup(y) for y in x] if isinstance(x, list) else x

    def deep(x):
        return tuple(deep(y) for y in x) if isinstance(x, list) else x

    def floats(x):
        if isinstance(x, list):
            return [floats(y) for y in x]
        return float(x) if type(x) is int and abs(x) < 2 ** 53 else x

    yield args
    yield [tup(a) for a in args]
    for i in range(len(args)):
        yield args[:i] + [tup(args[i])] + args[i + 1:]
    yield [inner(a) for a in args]
    yield [tup(inner(a)) for a in args]
    yield [deep(a) for a in args]
    yield floats(args)
    for i in range(len(args)):
        yield args[:i] + [floats(args[i])] + args[i + 1:]


def breaks_contract(err):
    # the program's AssertionError reaches the judge as a RuntimeError that names it (program_exception)
    return isinstance(err, RuntimeError) and str(err).startswith("the program raised AssertionError")


def record_call(req, target):
    """The `expect` stage's run of a reference: each input's return value as the judge's JSON text (read back
    by `decode`, so nothing is lost: big integers, infinities, tuples, sets), with the input as the same text
    (in the types the contract accepted: `retyped`; `encoded` inputs are taken as they are), or null with the reason in its test (the reference raised:
    the input breaks its contract in every variant; or the value cannot be data)."""
    inputs = req["inputs"]
    outputs, used, sizes = [], [], {"total": 0, "changed": 0}

    def one(i, given, limit):
        if req.get("encoded") is True:  # inputs in the judge's own text (added tests): their types as given
            args = decode(json.loads(given))
            variants = iter([args if isinstance(args, list) else [args]])
        else:
            variants = retyped(given) if isinstance(given, list) else iter([[given]])
        first = None
        for k, args in enumerate(variants):
            text_in = json.dumps(encode(args))  # before the call, which may change its arguments
            try:
                # a variant after the first goes alone: the plan holds each input's first
                with CONN.test(limit), CONN.alone(k > 0):
                    result = target(*args)
                break
            except Exception as err:  # noqa: BLE001
                if not breaks_contract(err):
                    raise
                first = first or err
        else:
            raise first
        if holds_remote(result):
            raise ValueError(f"the reference returned {result!r:.100}, which is not data")
        text = json.dumps(encode(result))
        if len(text) > RECORD_CHARS or sizes["total"] + len(text) + len(text_in) > RECORD_TOTAL:
            raise ValueError(f"the value is too large to record ({len(text)} characters)")
        sizes["total"] += len(text) + len(text_in)
        sizes["changed"] += k > 0
        outputs.append(text)
        used.append(text_in)
        return {"verdict": "pass", "ms": 0}

    def raised(err):  # the reference raised on this input: it is not a test
        outputs.append(None)
        used.append(None)
        return {"verdict": "fail", "ms": 0, "error": f"{type(err).__name__}: {err}"[:500]}, True

    plan_inputs(target, inputs, req.get("encoded") is True, req.get("test_cpu_s") or [])
    res = verdict_of(call_tests(inputs, req.get("test_cpu_s") or [], one, raised), len(inputs))
    res.update(outputs=outputs, inputs=used, retyped=sizes["changed"])
    return res


def call_tests(inputs, limits, one, raised):
    """A call problem's tests, one an input in order: `one(i, given, limit)` is the test. The program's stop or the
    judge's spent budget ends them there; what else `one` raises is `raised(err)`: the test, and whether the tests
    go on. The plan (plan_inputs), if any, ends with them."""
    tests = []
    try:
        for i, given in enumerate(inputs):
            go_on = True
            try:
                t = one(i, given, test_limit(limits, i))
            except OverBudget:
                tests.append(CONN.over_budget_test())
                break
            except ProgramStopped as stop:
                tests.append(stopped_test(stop.reply))
                break
            except Exception as err:  # noqa: BLE001
                t, go_on = raised(err)
            t["cpu_ms"] = round(CONN.program_ms + CONN.judge_ms, 2)
            tests.append(t)
            if not go_on:
                break
    finally:
        CONN.plan = None
    return tests


def test_limit(limits, i):
    return limits[i] if i < len(limits) and isinstance(limits[i], (int, float)) else CONN.limit_s


def plan_inputs(target, inputs, encoded, limits):
    """A call problem's calls are its inputs, each called once, in order, whatever the answers: they are planned
    (each a test of its own, with its own limit) when the program's function stays in the program."""
    def call(k):
        args = decode(json.loads(inputs[k])) if encoded else inputs[k]
        args = args if isinstance(args, list) else [args]
        return json.dumps(encode(args)), "[]", len(args), ()

    if isinstance(target, Remote):
        CONN.plan = Plan(target._ref, len(inputs), call, [test_limit(limits, i) for i in range(len(inputs))])


def judge_call(req):
    inputs, outputs = req["inputs"], req["outputs"]
    n = len(inputs)
    limits = req.get("test_cpu_s") or []
    check = checker_of(req["checker"]) if isinstance(req.get("checker"), str) else None
    if req.get("reference") is not None and not req.get("record"):
        raise ValueError("the expected outputs were never computed: the expect stage runs the reference first")
    encoded = req.get("encoded") is True
    atol = req.get("atol") if isinstance(req.get("atol"), (int, float)) else 0
    try:
        target = CONN.ask("target", name=str(req["fn_name"]))
    except ProgramStopped as stop:
        return verdict_of([stopped_test(stop.reply)], n)
    except NameError as err:
        return verdict_of([{"verdict": "error", "ms": 0, "cpu_ms": 0, "error": f"NameError: {err}"}], n)
    if req.get("record"):
        return record_call(req, target)

    def one(i, args, limit):
        # the checker's copy of the input, taken before the call: what the call does to its arguments reaches
        # the test's objects (in-place problems), and must not reach what the checker verifies against
        if encoded:
            args = decode(json.loads(args))  # as `expect` recorded it: tuples and floats kept
        given = copy.deepcopy(args) if check else None
        with CONN.test(limit):
            result = target(*args) if isinstance(args, list) else target(args)
            where = f"test {i + 1} of {n}"
            if check:
                why = checked(check, given, to_json(result), outputs[i], where)
            elif encoded:
                good = reference_equal(result, decode(json.loads(outputs[i])), atol)
                why = None if good else f"wrong answer on {where}"
            else:
                why = None if call_equal(result, outputs[i]) else f"wrong answer on {where}"
        return {"verdict": "fail", "ms": 0, "error": why} if why else {"verdict": "pass", "ms": 0}

    def raised(err):  # the program raised: an error verdict, and the end of its tests
        return {"verdict": "error", "ms": 0, "error": f"{type(err).__name__}: {err}"[:500]}, False

    if check is None:  # a checker is the user's code, which could ask the program between calls
        plan_inputs(target, inputs, encoded, limits)
    return verdict_of(call_tests(inputs, limits, one, raised), n)


# ---------------------------------------------------------------- calls planned ahead

BATCH_CALLS = 128  # planned calls in one request at most; a plan's requests grow 1, 2, 4, ... up to this
BATCH_BYTES = 256 << 10  # ... and bytes of their arguments, past the first call
PLANNER = "__structflow_planned__"  # the decorator the judge puts on a planned test function
# what would make comparing an answer with a literal run the tests' own code (which may ask the program)
PLAIN_COMPARISON = ("__eq__", "__ne__", "__bool__", "__len__")


class Plan:
    """The calls a test will make of one function of the program, known before it makes them: `call(k)` is the k-th
    as it goes to the program (its arguments and keyword arguments as JSON text, their count and the keywords'
    names); `limits`, where each call is a test of its own, their CPU limits (else they share the test's)."""

    def __init__(self, ref, n, call, limits=None):
        self.ref, self.n, self.call, self.limits = ref, n, call, limits
        self.next, self.size, self.queue = 0, 1, collections.deque()  # queue: (shape, answer) of calls run ahead


def _literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _planned_call(test, param):
    """An assertion's one call of the tested function, as it goes to the program, when the assertion does nothing else
    with the program: `param(<literals>) == <literal>` (or !=, is, is not), the call alone, or `not` either."""
    e = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(e, ast.Compare):
        if len(e.ops) != 1 or not isinstance(e.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            return None
        if not _literal(e.comparators[0]):
            return None
        e = e.left
    if not (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == param):
        return None
    if not all(_literal(a) for a in e.args) or not all(k.arg and _literal(k.value) for k in e.keywords):
        return None
    args = json.dumps(encode([ast.literal_eval(a) for a in e.args]))
    kwargs = json.dumps(encode([(k.arg, ast.literal_eval(k.value)) for k in e.keywords]))
    return args, kwargs, len(e.args), tuple(k.arg for k in e.keywords)


def plan_of(tree):
    """The calls of the program that the tests' last statement makes, when they can be sent ahead, and the tree with
    the function that makes them decorated by PLANNER (None and the tree as it was otherwise).

    That statement calls, once in the whole code, a function of one parameter (the tested function) each of whose
    statements is an assertion that calls that parameter at most once, with literal arguments, and compares the
    answer with a literal (`check(candidate)` of HumanEval and LeetCodeDataset). Its calls are then known before it
    runs, and nothing else it does reaches the program, nor does anything after it: so the runner may run the next
    calls in order before the judge has read the answers, and a test that stops early leaves unread only calls that
    nothing reads."""
    last = tree.body[-1] if tree.body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Name)
            and len(last.value.args) == 1 and not last.value.keywords):
        return None, tree
    name = last.value.func.id
    defs = [f for f in tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and f.name == name]
    uses = sum(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree))
    f = defs[0] if len(defs) == 1 and uses == 1 and isinstance(defs[0], ast.FunctionDef) else None
    a = f.args if f is not None and not f.decorator_list else None
    if a is None or a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults or len(a.args) != 1:
        return None, tree
    calls = []
    for st in f.body:
        if isinstance(st, ast.Pass) or isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        if not isinstance(st, ast.Assert) or st.msg is not None and not _literal(st.msg):
            return None, tree
        if _literal(st.test):
            continue
        call = _planned_call(st.test, a.args[0].arg)
        if call is None:
            return None, tree
        calls.append(call)
    if len(calls) < 2:
        return None, tree
    f.decorator_list.append(ast.Name(PLANNER, ast.Load()))
    return calls, ast.fix_missing_locations(tree)


def planner(calls):
    """PLANNER: the planned function, called with the program's function, runs with its plan."""

    def wrap(f):
        @functools.wraps(f)
        def run(candidate):
            plain = all(getattr(c, d, None) is getattr(object, d, None) for c in data_classes().values()
                        for d in PLAIN_COMPARISON)
            if CONN.plan is not None or not isinstance(candidate, Remote) or not plain:
                return f(candidate)
            CONN.plan = Plan(candidate._ref, len(calls), calls.__getitem__)
            try:
                return f(candidate)
            finally:
                CONN.plan = None
        return run
    return wrap


COMPILED = {}  # test code -> (code object, free names, plan): a slot judges one problem's candidates in a row


def compiled(source, name="<tests>"):
    hit = COMPILED.get((source, name))
    if hit is None:
        tree = ast.parse(source)
        names = free_names(tree)
        plan, tree = plan_of(tree) if name == "<tests>" else (None, tree)
        hit = compile(tree, name, "exec"), names, plan
        if len(COMPILED) >= 32:
            COMPILED.clear()
        COMPILED[(source, name)] = hit
    return hit


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
    return sorted(read - bound - set(dir(builtins)))


class Sink(io.TextIOBase):
    """Where the tests' prints go: counted, never kept, never on a protocol descriptor."""

    def writable(self):
        return True

    def write(self, s):
        return len(s)


def judge_assert(req):
    """The header, then the trusted context, then the entry points from the program
    (every free name the trusted side lacks, when the task names none), then the tests."""
    given = (req.get("test_cpu_s") or [None])[0]
    limit = given if isinstance(given, (int, float)) and not isinstance(given, bool) and given > 0 else CONN.limit_s
    fail = lambda why: verdict_of([{"verdict": "error", "ms": 0, "cpu_ms": 0, "error": why}], 1)  # noqa: E731
    try:
        code, free, plan = compiled(str(req["code"]))
    except (SyntaxError, ValueError) as err:
        return fail(f"the tests do not parse: {err}")
    TRUSTED.clear()
    env = TRUSTED
    env.update({"__name__": "__main__", "__builtins__": builtins})
    exec(HEADER_CODE, env)
    try:
        exec(compiled(str(req.get("context") or ""), "<context>")[0], env)
    except Exception as err:  # noqa: BLE001 - the dataset's context is broken, for every program alike
        return fail(f"the tests' context does not run: {type(err).__name__}: {err}"[:500])
    env[PLANNER] = planner(plan)
    entry = req.get("entry_points")
    names = [str(x) for x in entry] if isinstance(entry, list) else [n for n in free if n not in env]
    t = {"verdict": "pass", "ms": 0}
    try:
        with CONN.test(limit):
            for name in names:
                env.pop(name, None)  # the context's stub of an entry point is not the program's
                try:
                    env[name] = CONN.ask("get", name=name)
                except NameError:
                    pass  # not the program's either: a NameError when the tests use it, as in Python
            exec(code, env)
    except OverBudget:
        t = CONN.over_budget_test()
    except ProgramStopped as stop:
        t = stopped_test(stop.reply)
    except AssertionError as err:
        t = {"verdict": "fail", "ms": 0, "error": f"AssertionError: {err}"[:500] if str(err) else "AssertionError"}
    except Exception as err:  # noqa: BLE001
        t = {"verdict": "error", "ms": 0, "error": f"{type(err).__name__}: {err}"[:500]}
    t["cpu_ms"] = round(CONN.program_ms + CONN.judge_ms, 2) if t["verdict"] != "timeout" else t["cpu_ms"]
    return verdict_of([t], 1)


def judge(req):
    op = req.get("op")
    if op == "stdio_tests":
        return {"tests": judge_stdio_tests(req)}
    if op == "stdio_verdict":
        return {"result": judge_stdio_verdict(req)}
    if op not in ("call", "assert"):
        raise ValueError(f"unknown op {str(op)[:50]}")
    opened = req.get("opened") if isinstance(req.get("opened"), dict) else {}
    n = len(req["inputs"]) if op == "call" else 1
    if opened.get("status") == "compile_error":
        return {"result": {"verdict": "compile_error", "error": str(opened.get("error", ""))[:500], "tests": []}}
    if opened.get("status") != "ok":
        return {"result": verdict_of([stopped_test(opened)], n)}
    return {"result": judge_call(req) if op == "call" else judge_assert(req)}


def main():
    global PROTO_IN, PROTO_OUT
    sys.set_int_max_str_digits(0)  # a big integer answer is data like any other
    # the program's answers may not cost the judge more memory than a program may use (2 GiB)
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    PROTO_IN = os.fdopen(os.dup(0), "r", encoding="utf-8")
    PROTO_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdin = open(os.devnull)
    sys.stdout = Sink()
    send({"ready": VERSION})
    while True:
        CONN.program_ms = CONN.judge_ms = 0.0
        req = None
        try:
            req = receive()
            limits = req.get("limits") if isinstance(req.get("limits"), dict) else {}
            limit = limits.get("test_cpu_s")
            ok = isinstance(limit, (int, float)) and not isinstance(limit, bool) and 0 < limit < 1e6
            CONN.limit_s = float(limit) if ok else 5.0
            res = judge(req)
        except (SystemExit, JudgeBug):
            raise
        except BaseException as err:  # noqa: BLE001 - a bad message or a judge bug is an error verdict, never a pass
            if isinstance(err, ProgramStopped):
                err = RuntimeError(err.reply.get("error"))
            kind = req.get("op") if isinstance(req, dict) else None
            error = f"judge: {type(err).__name__}: {str(err)[:300]}"
            res = {"tests": [{"verdict": "error", "ms": 0, "cpu_ms": 0, "error": error}]} if kind == "stdio_tests" else \
                {"result": {"verdict": "error", "error": error, "tests": []}}
        TRUSTED.clear()
        send(res)


if __name__ == "__main__":
    main()
