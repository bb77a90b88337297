"""StructFlow's sandbox runner: a warm fork server for untrusted Python programs, inside bubblewrap.

It runs as PID 1 of the sandbox's own PID namespace (bwrap --as-pid-1), as an unprivileged uid with
no capabilities, no network, a read-only /usr and fresh tmpfs /tmp, /var/tmp, /dev/shm, /run and
/dev/mqueue. It never receives expected outputs: it only runs programs and reports what it observed
(output bytes, exit status, CPU time from the kernel). Verdicts are decided by the judge, another
process in another sandbox.

Being PID 1 is the reset: after every program `kill(-1, SIGKILL)` ends every other process of the
namespace (whatever the program started, daemons and setsid included), the runner reaps them all, and
wipes the tmpfs mounts and System V IPC objects, so each program starts from the same clean state. A
program cannot signal PID 1 (the kernel drops signals to a namespace's init that it has no handler
for) nor ptrace it (the runner is not dumpable).

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  {"op": "run", "code", "inputs": [...], "limits"}     stdio: one fresh child per test
      -> {"tests": [{"status", "out", "cpu_ms", "wall_ms", "error"?}], "compile_error"?}
  {"op": "open", "code", "limits"}                      call/assert: one child that serves calls
      -> {"status", "error"?, "cpu_ms"}
  {"op": "rpc", "msg"}  -> {"status", "reply"?, "error"?, "cpu_ms"}   (msg and reply: opaque lines)
  {"op": "close"}       -> {"status": "closed"}
A test's status is `ok`, `error`, `timeout` (CPU limit), `wall_timeout` (wall limit while the CPU
limit was not reached: the machine, not the program, may be slow), `memory` or `output_limit`.
"""

import ctypes
import fcntl
import gc
import json
import os
import resource
import select
import signal
import sys
import time

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
# common imports of solutions, loaded before any fork so that importing them costs a dict lookup
import array, decimal, io, queue, statistics, threading, typing  # noqa: E401,E402,F401

DEFAULTS = {
    "test_cpu_s": 5.0,
    "program_cpu_s": 20.0,
    "program_wall_s": 60.0,
    "memory_mb": 2048,
    "output_bytes": 1 << 20,
    "file_bytes": 16 << 20,
    "processes": 16,
}
# child exit codes of the harness; a program can exit with them too, which only ever makes a non-pass
EXIT_ERROR, EXIT_MEMORY, EXIT_TIMEOUT, EXIT_COMPILE = 91, 92, 93, 94
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/dev/mqueue")
CLK_TCK = os.sysconf("SC_CLK_TCK")
libc = ctypes.CDLL(None, use_errno=True)


def wall_limit(cpu_s):
    """Wall seconds a test may take: generous, so that a loaded machine does not turn slow into timeout."""
    return max(3 * cpu_s, cpu_s + 2)


class ProgramReturn(BaseException):
    """A `return` at module level: the APPS harness wraps stdio programs in a function, where it is legal."""


class TestTimeout(BaseException):
    pass


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
            return node

        visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef

        def visit_Return(self, node):
            raise_ = ast.Raise(exc=ast.Name(id="__structflow_return__", ctx=ast.Load()), cause=None)
            return ast.copy_location(raise_, node)

    tree = ast.fix_missing_locations(Returns().visit(ast.parse(source)))
    return compile(tree, "<solution>", "exec")


# ---------------------------------------------------------------- in the child (untrusted from exec on)

def _alarm(signum, frame):
    raise TestTimeout()


def enter_child(lim, cpu_s, keep):
    """Limits and descriptors of a fresh child; `keep` maps target fd -> source fd (0, 1, 2, ...)."""
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 1000) for target, source in keep.items()}
    for target, source in high.items():
        os.dup2(source, target)
    os.closerange(max(keep) + 1, 4096)
    os.chdir("/tmp/work")
    os.umask(0o077)
    setlim(resource.RLIMIT_AS, lim["memory_mb"] << 20)
    setlim(resource.RLIMIT_NPROC, lim["processes"])
    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_FSIZE, lim["file_bytes"])
    setlim(resource.RLIMIT_NOFILE, 256)
    # the kernel's own CPU stop, in whole seconds, behind the cooperative timer below
    hard = int(lim["program_cpu_s"] if cpu_s is None else cpu_s) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (hard - 1, hard))
    signal.signal(signal.SIGPROF, _alarm)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def setlim(res, value):
    try:
        resource.setrlimit(res, (value, value))
    except (ValueError, OSError):
        pass


def text_streams():
    sys.stdin = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)


def fresh_env():
    env = {"__name__": "__main__", "__builtins__": __builtins__, "__structflow_return__": ProgramReturn}
    exec(HEADER_CODE, env)
    return env


def describe(err):
    return f"{type(err).__name__}: {err}"[:500]


def child_stdio(source, lim, cpu_s):
    """One test of a stdio program: fds 0, 1, 2 are the test's stdin, stdout and stderr. Never returns."""
    try:
        text_streams()
        try:
            code = compile_program(source)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
            os.write(2, describe(err).encode())
            os._exit(EXIT_COMPILE)
        env = fresh_env()
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
        status = 0
        try:
            exec(code, env)
        except (SystemExit, ProgramReturn):
            pass  # sys.exit() ends a stdio program normally (SPEC section 4)
        except TestTimeout:
            status = EXIT_TIMEOUT
        except MemoryError:
            status = EXIT_MEMORY
        except BaseException as err:  # noqa: BLE001
            sys.stderr.write("\n" + describe(err))
            status = EXIT_ERROR
        signal.setitimer(signal.ITIMER_PROF, 0)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001 - an output error decided nothing yet
            pass
        os._exit(status)
    finally:
        os._exit(EXIT_ERROR)


def child_session(source, lim, cpu_s):
    """A call/assert program: runs the module, then serves calls on fd 3 (requests) and fd 4 (replies)."""
    try:
        text_streams()
        requests = open(3, "r", encoding="utf-8", closefd=False)
        replies = open(4, "w", encoding="utf-8", closefd=False)

        def reply(**msg):
            replies.write(json.dumps(msg) + "\n")
            replies.flush()

        try:
            code = compile_program(source)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
            reply(stop="compile_error", error=describe(err))
            os._exit(0)
        env = fresh_env()
        stop = timed(cpu_s, lambda: exec(code, env))
        if stop:
            reply(**stop)
            os._exit(0)
        reply(ok=True)
        server = RemoteObjects(env)
        for line in requests:
            result = {}
            req = json.loads(line)

            def serve():
                result.update(server.handle(req))

            stop = timed(req.get("cpu_s", cpu_s), serve)
            reply(**(stop or result))
            if stop:
                os._exit(0)
        os._exit(0)
    finally:
        os._exit(EXIT_ERROR)


def timed(cpu_s, fn):
    """Run fn under the test's CPU timer; None when it ended normally, else the `stop` message."""
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    try:
        fn()
        return None
    except (SystemExit, ProgramReturn):
        return None
    except TestTimeout:
        return {"stop": "timeout", "error": "CPU time limit exceeded"}
    except MemoryError:
        return {"stop": "memory", "error": "MemoryError: memory limit exceeded"}
    except BaseException as err:  # noqa: BLE001
        return {"stop": "error", "error": describe(err)}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


class RemoteObjects:
    """The program's side of the judge's calls: names, calls, attributes and iteration, by reference.

    Values go back as plain data (see encode); anything else stays here and goes back as a reference.
    The judge compares, so nothing this class sends (the program may have replaced it) can be more than
    the data of an answer."""

    def __init__(self, env):
        self.env = env
        self.refs = []

    def handle(self, req):
        op = req["op"]
        try:
            if op == "get":
                if req["name"] not in self.env:
                    return {"missing": True}
                value = self.env[req["name"]]
                if type(value).__name__ == "module":
                    return {"module": value.__name__}
            elif op == "target":  # SPEC section 4: the method of Solution() when the program defines it
                value = self.env.get(req["name"])
                sol = self.env.get("Solution")
                if isinstance(sol, type):
                    value = getattr(sol(), req["name"], value)
                if value is None:
                    raise NameError(f"function {req['name']} is not defined")
            else:
                obj = self.refs[req["ref"]]
                if op == "call":
                    value = obj(*self.decode(req["args"]), **dict(self.decode(req["kwargs"])))
                elif op == "getattr":
                    value = getattr(obj, req["name"])
                elif op == "iter":
                    value = list(obj)
                else:
                    raise ValueError(f"unknown operation {op}")
        except (TestTimeout, MemoryError, SystemExit):
            raise
        except Exception as err:  # noqa: BLE001 - the test may expect it
            return {"raise": [type(err).__name__, str(err)[:500]]}
        return {"value": self.encode(value, 0)}

    def encode(self, v, depth):
        if depth > 100:
            raise ValueError("the value is nested too deeply")
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, str):
            return str(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return float(v)
        if isinstance(v, list):
            return [self.encode(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"t": [self.encode(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            return {"d": [[self.encode(k, depth + 1), self.encode(x, depth + 1)] for k, x in v.items()]}
        if isinstance(v, (set, frozenset)):
            return {"f" if isinstance(v, frozenset) else "s": [self.encode(x, depth + 1) for x in v]}
        if isinstance(v, (bytes, bytearray)):
            return {"b": bytes(v).decode("latin-1")}
        if isinstance(v, complex):
            return {"c": [v.real, v.imag]}
        if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:
            return self.encode(v.item(), depth)  # a numpy scalar is its Python value
        self.refs.append(v)
        return {"ref": len(self.refs) - 1, "repr": repr(v)[:200], "callable": callable(v)}

    def decode(self, v):
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if isinstance(v, dict):
            (tag, x), = v.items()
            if tag == "ref":
                return self.refs[x]
            if tag == "t":
                return tuple(self.decode(y) for y in x)
            if tag == "d":
                return {self.decode(k): self.decode(y) for k, y in x}
            if tag == "s":
                return {self.decode(y) for y in x}
            if tag == "f":
                return frozenset(self.decode(y) for y in x)
            if tag == "b":
                return x.encode("latin-1")
            if tag == "c":
                return complex(*x)
        return v


# ---------------------------------------------------------------- the runner (trusted)

class Child:
    """A forked child with pipes, a pidfd and a wall deadline; everything here is bounded and non-blocking."""

    def __init__(self, target, lim, cpu_s, stdin=b"", session=False):
        self.lim = lim
        fd_in = os.memfd_create("stdin")
        os.write(fd_in, stdin)
        os.lseek(fd_in, 0, 0)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds = {0: fd_in, 1: out_w, 2: err_w}
        if session:
            req_r, self.req_w = os.pipe()
            self.rep_r, rep_w = os.pipe()
            fds[1] = fds[2] = os.open(os.devnull, os.O_WRONLY)
            fds.update({3: req_r, 4: rep_w})
        self.t0 = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                enter_child(lim, None if session else cpu_s, fds)
            except BaseException:  # noqa: BLE001
                os._exit(EXIT_ERROR)
            target()
        for fd in set(fds.values()):
            os.close(fd)
        self.out_r, self.err_r = (None, None) if session else (out_r, err_r)
        if session:
            os.close(out_r)
            os.close(err_r)
        self.pidfd = os.pidfd_open(self.pid)
        for fd in (self.out_r, self.err_r, getattr(self, "rep_r", None)):
            if fd is not None:
                os.set_blocking(fd, False)
        self.out = bytearray()
        self.err = bytearray()
        self.stopped = None  # why the runner stopped it
        self.status = None
        self.rusage = None

    def cpu_s(self):
        """CPU seconds of the child so far, from the kernel (the program cannot change it)."""
        if self.rusage is not None:
            return self.rusage.ru_utime + self.rusage.ru_stime
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def read_into(self, fd, buf, cap):
        """Read what is there without blocking; False at end of file. Never holds more than cap + 1 bytes."""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return True
            if not data:
                return False
            buf += data
            if len(buf) > cap:
                del buf[cap + 1:]
                return True

    def wait_exit(self, deadline, cpu_cap):
        """Collect stdout/stderr until the child exits, its output passes the limit, or the deadline."""
        poller = select.poll()
        for fd in (self.out_r, self.err_r, self.pidfd):
            poller.register(fd, select.POLLIN)
        cap = self.lim["output_bytes"]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.stop("timeout" if self.cpu_s() >= cpu_cap else "wall_timeout")
            for fd, _ in poller.poll(left * 1000):
                if fd == self.pidfd:
                    return None
                buf = self.out if fd == self.out_r else self.err
                if not self.read_into(fd, buf, cap if fd == self.out_r else 1 << 16):
                    poller.unregister(fd)
                if len(self.out) > cap:
                    return self.stop("output_limit")
                if len(self.err) > 8192:
                    del self.err[: len(self.err) - 4096]

    def stop(self, why):
        self.stopped = why
        os.kill(self.pid, signal.SIGKILL)
        return why

    def finish(self):
        """Kill everything the program started, reap it all, drain the pipes, clean the scratch space."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, self.status, self.rusage = os.wait4(self.pid, 0)
        reset()
        for fd, buf, cap in ((self.out_r, self.out, self.lim["output_bytes"]), (self.err_r, self.err, 1 << 16)):
            if fd is not None:
                while self.read_into(fd, buf, cap) and len(buf) <= cap:
                    pass  # every writer is dead: this ends at end of file
                os.close(fd)
        for fd in (self.pidfd, getattr(self, "req_w", None), getattr(self, "rep_r", None)):
            if fd is not None:
                os.close(fd)


def reset():
    """Back to the clean state: no process but this one, empty scratch mounts, no System V IPC objects."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    for root in SCRATCH:
        wipe(root)
    os.mkdir("/tmp/work", 0o700)
    remove_ipc()


def wipe(root):
    """Remove everything under root, whatever permissions the program left on it (iteratively: depth is free)."""
    try:
        stack = [(os.path.join(root, n), False) for n in os.listdir(root)]
    except OSError:
        return
    while stack:
        path, emptied = stack.pop()
        try:
            if emptied:
                os.rmdir(path)
            elif os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
                stack.append((path, True))
                stack.extend((os.path.join(path, n), False) for n in os.listdir(path))
            else:
                os.unlink(path)
        except OSError:
            pass


def remove_ipc():
    for kind, ctl, cmd in (("shm", libc.shmctl, 0), ("sem", libc.semctl, 0), ("msg", libc.msgctl, 0)):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            if kind == "sem":
                ctl(ident, 0, 0)  # IPC_RMID = 0
            else:
                ctl(ident, cmd, None)


def observe(child, deadline, cpu_cap):
    child.wait_exit(deadline, cpu_cap)
    child.finish()
    cpu = child.cpu_s()
    test = {"cpu_ms": round(cpu * 1000, 2), "wall_ms": round((time.monotonic() - child.t0) * 1000, 2)}
    if child.stopped:
        test["status"] = child.stopped
        test["error"] = {
            "timeout": "CPU time limit exceeded",
            "wall_timeout": "wall time limit exceeded",
            "output_limit": "output limit exceeded",
        }[child.stopped]
    elif cpu > cpu_cap:
        test["status"], test["error"] = "timeout", "CPU time limit exceeded"
    elif os.WIFSIGNALED(child.status):
        sig = os.WTERMSIG(child.status)
        if sig in (signal.SIGXCPU, signal.SIGKILL, signal.SIGPROF):
            test["status"], test["error"] = "timeout", f"killed by {signal.Signals(sig).name} (CPU limit)"
        else:
            test["status"], test["error"] = "error", f"crashed with {signal.Signals(sig).name}"
    else:
        code = os.WEXITSTATUS(child.status)
        test["status"] = {0: "ok", EXIT_MEMORY: "memory", EXIT_TIMEOUT: "timeout"}.get(code, "error")
        if test["status"] != "ok":
            last = child.err.decode("utf-8", "replace").strip().split("\n")[-1:] or [""]
            test["error"] = (
                {"memory": "MemoryError: memory limit exceeded", "timeout": "CPU time limit exceeded"}.get(
                    test["status"]
                )
                or (last[0] if code in (EXIT_ERROR, EXIT_COMPILE) and last[0] else f"the program ended the process (exit status {code})")
            )[:500]
            if code == EXIT_COMPILE:
                test["status"] = "compile_error"
    return test


def limits_of(req):
    lim = dict(DEFAULTS)
    lim.update(req.get("limits") or {})
    return lim


def run_stdio(req):
    lim = limits_of(req)
    per_test = req.get("test_cpu_s") or []
    t_program = time.monotonic()
    used = 0.0
    tests = []
    for i, text in enumerate(req["inputs"]):
        cpu_s = min(per_test[i] if i < len(per_test) else lim["test_cpu_s"], lim["program_cpu_s"] - used)
        if cpu_s <= 0:
            tests.append({"status": "timeout", "error": "program CPU time limit exceeded", "cpu_ms": 0, "wall_ms": 0})
            break
        wall = min(wall_limit(cpu_s), t_program + lim["program_wall_s"] - time.monotonic())
        child = Child(lambda: child_stdio(req["code"], lim, cpu_s), lim, cpu_s, text.encode("utf-8", "surrogatepass"))
        test = observe(child, time.monotonic() + max(wall, 0.05), cpu_s)
        used += test["cpu_ms"] / 1000
        if test["status"] == "compile_error":
            return {"compile_error": test["error"], "tests": []}
        test["out"] = child.out[: lim["output_bytes"]].decode("utf-8", "replace")
        tests.append(test)
        if test["status"] != "ok":
            break  # the program's verdict is decided: the later tests cannot make it a pass
    return {"tests": tests}


class Session:
    def __init__(self, req):
        self.lim = limits_of(req)
        self.cpu_s = self.lim["test_cpu_s"]
        self.child = Child(lambda: child_session(req["code"], self.lim, self.cpu_s), self.lim, self.cpu_s, session=True)
        self.buf = bytearray()
        self.t_program = time.monotonic()

    def exchange(self, line, cpu_s=None):
        """Send one request line (None: only read the greeting) and wait for its reply within the limits."""
        child = self.child
        cpu_s = min(cpu_s or self.cpu_s, self.lim["test_cpu_s"])
        if child.status is not None:
            return {"status": "error", "error": "the program is no longer running"}
        cpu0 = child.cpu_s()
        if line is not None:
            try:
                os.write(child.req_w, line.encode() + b"\n")  # requests are small: the pipe takes them
            except OSError:
                return self.end("error", None)
        deadline = min(time.monotonic() + wall_limit(cpu_s), self.t_program + self.lim["program_wall_s"])
        poller = select.poll()
        poller.register(child.rep_r, select.POLLIN)
        poller.register(child.pidfd, select.POLLIN)
        cap = self.lim["output_bytes"]
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.end("timeout" if child.cpu_s() - cpu0 >= cpu_s else "wall_timeout", cpu0)
            events = poller.poll(left * 1000)
            if events:
                more = child.read_into(child.rep_r, self.buf, cap)
                if len(self.buf) > cap:
                    return self.end("output_limit", cpu0)
                exited = any(fd == child.pidfd for fd, _ in events)
                if (exited or not more) and b"\n" not in self.buf:
                    return self.end("error", cpu0)
        reply, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        cpu = child.cpu_s() - cpu0
        if cpu > cpu_s + 0.05:  # /proc counts in clock ticks
            return self.end("timeout", cpu0)
        try:
            msg = json.loads(reply)
            stop = msg.get("stop") if isinstance(msg, dict) else "error"
        except ValueError:
            return self.end("error", cpu0, "the program's reply was not readable")
        if stop:
            status = stop if stop in ("timeout", "memory", "compile_error") else "error"
            return self.end(status, cpu0, str(msg.get("error", ""))[:500])
        return {"status": "ok", "reply": reply.decode("utf-8", "replace"), "cpu_ms": round(cpu * 1000, 2)}

    def end(self, status, cpu0, error=None):
        child = self.child
        child.finish()
        if error is None:
            if status == "error" and os.WIFSIGNALED(child.status) and os.WTERMSIG(child.status) != signal.SIGKILL:
                error = f"crashed with {signal.Signals(os.WTERMSIG(child.status)).name}"
            else:
                error = {
                    "timeout": "CPU time limit exceeded",
                    "wall_timeout": "wall time limit exceeded",
                    "output_limit": "output limit exceeded",
                }.get(status, "the program ended the process")
        cpu = child.cpu_s() - (cpu0 or 0)
        return {"status": status, "error": error, "cpu_ms": round(cpu * 1000, 2)}

    def close(self):
        if self.child.status is None:
            self.child.finish()


def main():
    global HEADER_CODE
    if os.getpid() != 1:
        sys.exit("sandbox_runner.py must run as PID 1 of its own PID namespace (bwrap --unshare-pid --as-pid-1)")
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, no /proc/1/mem for the programs
    HEADER_CODE = compile(HEADER, "<header>", "exec")
    gc.freeze()  # a child's collector then leaves the runner's objects (and their pages) alone
    reset()
    out = sys.stdout
    session = None
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req["op"]
        try:
            if op == "run":
                res = run_stdio(req)
            elif op == "open":
                if session:
                    session.close()
                session = Session(req)
                res = session.exchange(None)
            elif op == "rpc":
                res = session.exchange(req["msg"], req.get("cpu_s")) if session else {"status": "error", "error": "no program"}
            elif op == "close":
                if session:
                    session.close()
                session = None
                res = {"status": "closed"}
            else:
                res = {"status": "error", "error": f"unknown op {op}"}
        except Exception as err:  # noqa: BLE001 - a runner bug must not take the worker down
            res = {"status": "error", "error": f"runner: {type(err).__name__}: {err}", "tests": []}
            if session:
                session.close()
                session = None
            reset()
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
