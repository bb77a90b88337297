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
# a child's exit code when the harness itself failed (the statuses of tests go over the control pipe)
EXIT_ERROR = 91
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


def enter_child(lim, fds):
    """Limits and descriptors of a fresh child; `fds` maps target fd -> source fd."""
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 1000) for target, source in fds.items()}
    for target, source in high.items():
        os.dup2(source, target)
    os.closerange(max(fds) + 1, 1 << 16)
    os.chdir("/tmp/work")
    os.umask(0o077)
    setlim(resource.RLIMIT_AS, lim["memory_mb"] << 20)
    setlim(resource.RLIMIT_NPROC, lim["processes"])
    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_FSIZE, lim["file_bytes"])
    setlim(resource.RLIMIT_NOFILE, 256)
    # the kernel's own stop for the whole program, in whole seconds, behind the per-test timers
    hard = int(lim["program_cpu_s"]) + 2
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


def timed(cpu_s, fn):
    """Run fn under the test's CPU timer; None when it ended normally, else the `stop` message."""
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    try:
        fn()
        return None
    except (SystemExit, ProgramReturn):
        return None  # sys.exit() ends a stdio program normally (SPEC section 4)
    except TestTimeout:
        return {"stop": "timeout", "error": "CPU time limit exceeded"}
    except MemoryError:
        return {"stop": "memory", "error": "MemoryError: memory limit exceeded"}
    except BaseException as err:  # noqa: BLE001
        return {"stop": "error", "error": describe(err)}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def child_stdio(source, inputs, limits):
    """Runs the tests of a stdio program one after another in this one process (as the APPS harness
    does), each with its input on fd 0 and its own pipe as stdout (fd 4 + i); after each test it says
    so on fd 3. Never returns. Everything here can be rewritten by the program, which can only ever make
    its own tests fail: the runner measures time and output, and the judge compares."""
    try:
        control = open(3, "w", encoding="utf-8", closefd=False)
        try:
            code = compile_program(source)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
            control.write(json.dumps({"compile_error": describe(err)}) + "\n")
            control.flush()
            os._exit(0)
        for i, text in enumerate(inputs):
            fd = os.memfd_create("stdin")
            os.write(fd, text.encode("utf-8", "surrogatepass"))
            os.lseek(fd, 0, 0)
            os.dup2(fd, 0)
            os.close(fd)
            os.dup2(4 + i, 1)
            os.close(4 + i)
            text_streams()
            env = fresh_env()
            stop = timed(limits[i], lambda: exec(code, env))
            try:
                sys.stdout.flush()
            except BaseException:  # noqa: BLE001 - the runner judges the output it got
                pass
            os.dup2(2, 1)  # this test's pipe closes: its output is complete
            control.write(json.dumps({"i": i, **(stop or {})}) + "\n")
            control.flush()
            if stop:
                break
        os._exit(0)
    finally:
        os._exit(EXIT_ERROR)


def child_session(source, cpu_s):
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
    """A forked child and a pidfd for it; `fds` are given to the child (target fd -> runner fd)."""

    def __init__(self, target, lim, fds):
        self.pid = os.fork()
        if self.pid == 0:
            try:
                enter_child(lim, fds)
            except BaseException:  # noqa: BLE001
                os._exit(EXIT_ERROR)
            target()
        for fd in set(fds.values()):
            os.close(fd)
        self.pidfd = os.pidfd_open(self.pid)
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

    def finish(self):
        """Kill everything the program started, reap it all, clean the scratch space."""
        if self.status is not None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, self.status, self.rusage = os.wait4(self.pid, 0)
        os.close(self.pidfd)
        reset()

    def death(self):
        """Why the child ended, from its wait status."""
        if os.WIFSIGNALED(self.status):
            sig = os.WTERMSIG(self.status)
            if sig in (signal.SIGXCPU, signal.SIGKILL, signal.SIGPROF):
                return "timeout", f"killed by {signal.Signals(sig).name} (CPU limit)"
            return "error", f"crashed with {signal.Signals(sig).name}"
        return "error", f"the program ended the process (exit status {os.WEXITSTATUS(self.status)})"


def read_into(fd, buf, cap):
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
    for kind, rmid in (("shm", lambda i: libc.shmctl(i, 0, None)), ("sem", lambda i: libc.semctl(i, 0, 0)),
                       ("msg", lambda i: libc.msgctl(i, 0, None))):  # IPC_RMID = 0
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            rmid(int(row.split()[1]))


def limits_of(req):
    lim = dict(DEFAULTS)
    lim.update(req.get("limits") or {})
    return lim


STOP_ERRORS = {
    "timeout": "CPU time limit exceeded",
    "wall_timeout": "wall time limit exceeded",
    "output_limit": "output limit exceeded",
    "memory": "MemoryError: memory limit exceeded",
}


def run_stdio(req):
    """All tests of a stdio program, in children of at most CHUNK tests each."""
    lim = limits_of(req)
    inputs = req["inputs"]
    per_test = req.get("test_cpu_s") or []
    limits = [min(per_test[i] if i < len(per_test) else lim["test_cpu_s"], lim["test_cpu_s"]) for i in range(len(inputs))]
    tests = []
    t_program = time.monotonic()
    for start in range(0, len(inputs), CHUNK):
        part = run_chunk(req["code"], inputs[start:start + CHUNK], limits[start:start + CHUNK], lim, t_program)
        if "compile_error" in part:
            return part
        tests += part["tests"]
        if len(part["tests"]) < len(inputs[start:start + CHUNK]) or any(t["status"] != "ok" for t in part["tests"]):
            break  # the program's verdict is decided: the later tests cannot make it a pass
    return {"tests": tests}


CHUNK = 64  # tests per child: a descriptor each


def run_chunk(code, inputs, limits, lim, t_program):
    n = len(inputs)
    cap = lim["output_bytes"]
    control_r, control_w = os.pipe()
    outs = [os.pipe() for _ in range(n)]
    devnull = os.open(os.devnull, os.O_RDWR)
    fds = {0: devnull, 1: devnull, 2: devnull, 3: control_w}
    fds.update({4 + i: w for i, (_, w) in enumerate(outs)})
    child = Child(lambda: child_stdio(code, inputs, limits), lim, fds)
    readers = {r: i for i, (r, _) in enumerate(outs)}
    buffers = [bytearray() for _ in range(n)]
    control = bytearray()
    for fd in [control_r, *readers]:
        os.set_blocking(fd, False)
    poller = select.poll()
    for fd in [control_r, child.pidfd, *readers]:
        poller.register(fd, select.POLLIN)
    tests = []
    current, cpu_start, t_start = 0, 0.0, time.monotonic()
    stopped = None

    def deadline():
        return min(t_start + wall_limit(limits[current]), t_program + lim["program_wall_s"])

    while stopped is None and current < n:
        left = deadline() - time.monotonic()
        if left <= 0:
            used = child.cpu_s() - cpu_start
            stopped = "timeout" if used >= limits[current] else "wall_timeout"
            break
        events = poller.poll(min(left, 0.05) * 1000)
        if child.cpu_s() - cpu_start > limits[current] + 0.05:  # the program ignored its timer
            stopped = "timeout"
            break
        exited = False
        for fd, _ in events:
            if fd == child.pidfd:
                exited = True
            elif fd == control_r:
                read_into(control_r, control, 1 << 16)
            else:
                i = readers[fd]
                if not read_into(fd, buffers[i], cap):
                    poller.unregister(fd)
                if len(buffers[i]) > cap:
                    stopped = "output_limit"  # blamed on the running test, whichever pipe it filled
        while stopped is None and b"\n" in control:
            line, _, rest = bytes(control).partition(b"\n")
            control[:] = rest
            try:
                msg = json.loads(line)
            except ValueError:
                msg = {"stop": "error", "error": "unreadable report"}
            if "compile_error" in msg:
                child.finish()
                close_all(control_r, readers)
                return {"compile_error": str(msg["compile_error"])[:500]}
            if msg.get("i") != current:
                stopped, msg = "error", {"error": "the program disturbed the test harness"}
                break
            cpu_now = child.cpu_s()
            test = {"status": "ok", "cpu_ms": round((cpu_now - cpu_start) * 1000, 2),
                    "wall_ms": round((time.monotonic() - t_start) * 1000, 2)}
            if cpu_now - cpu_start > limits[current] + 0.05:
                test["status"], test["error"] = "timeout", STOP_ERRORS["timeout"]
            elif msg.get("stop"):
                test["status"] = msg["stop"] if msg["stop"] in ("timeout", "memory") else "error"
                test["error"] = STOP_ERRORS.get(test["status"]) or str(msg.get("error", ""))[:500]
            tests.append(test)
            current, cpu_start, t_start = current + 1, cpu_now, time.monotonic()
            if test["status"] != "ok":
                stopped = "reported"
        if exited and stopped is None and current < n:
            read_into(control_r, control, 1 << 16)
            if b"\n" in control:
                continue  # its last reports first
            stopped = "exited"
    cpu_before = child.cpu_s() - cpu_start
    child.finish()
    if stopped in ("timeout", "wall_timeout", "output_limit", "exited", "error") and len(tests) == current < n:
        if stopped == "exited":
            status, error = child.death()
        elif stopped == "error":
            status, error = "error", "the program disturbed the test harness"
        else:
            status, error = stopped, STOP_ERRORS[stopped]
        tests.append({"status": status, "error": error, "cpu_ms": round(max(cpu_before, 0) * 1000, 2),
                      "wall_ms": round((time.monotonic() - t_start) * 1000, 2)})
    for fd, i in readers.items():  # every writer is dead: each read ends at end of file
        while read_into(fd, buffers[i], cap) and len(buffers[i]) <= cap:
            pass
    for i, t in enumerate(tests):
        t["out"] = buffers[i][:cap].decode("utf-8", "replace")
        if len(buffers[i]) > cap and t["status"] == "ok":
            t["status"], t["error"] = "output_limit", STOP_ERRORS["output_limit"]
    close_all(control_r, readers)
    return {"tests": tests}


def close_all(control_r, readers):
    os.close(control_r)
    for fd in readers:
        os.close(fd)


class Session:
    """A call/assert program that stays up between the judge's calls."""

    def __init__(self, req):
        self.lim = limits_of(req)
        self.cpu_s = self.lim["test_cpu_s"]
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        fds = {0: devnull, 1: devnull, 2: devnull, 3: req_r, 4: rep_w}
        self.child = Child(lambda: child_session(req["code"], self.cpu_s), self.lim, fds)
        os.set_blocking(self.rep_r, False)
        self.buf = bytearray()
        self.t_program = time.monotonic()

    def exchange(self, line, cpu_s=None):
        """Send one request line (None: only read the greeting) and wait for its reply within the limits."""
        child = self.child
        if child.status is not None:
            return {"status": "error", "error": "the program is no longer running"}
        cpu_s = min(cpu_s or self.cpu_s, self.lim["test_cpu_s"])
        cpu0 = child.cpu_s()
        if line is not None:
            try:
                os.write(self.req_w, line.encode() + b"\n")  # requests are small: the pipe takes them
            except OSError:
                return self.end("error", cpu0)
        deadline = min(time.monotonic() + wall_limit(cpu_s), self.t_program + self.lim["program_wall_s"])
        poller = select.poll()
        poller.register(self.rep_r, select.POLLIN)
        poller.register(child.pidfd, select.POLLIN)
        cap = self.lim["output_bytes"]
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.end("timeout" if child.cpu_s() - cpu0 >= cpu_s else "wall_timeout", cpu0)
            events = poller.poll(min(left, 0.05) * 1000)
            if child.cpu_s() - cpu0 > cpu_s + 0.05:
                return self.end("timeout", cpu0)
            if events:
                more = read_into(self.rep_r, self.buf, cap)
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
        error = error or STOP_ERRORS.get(status) or child.death()[1]
        return {"status": status, "error": error, "cpu_ms": round((child.cpu_s() - cpu0) * 1000, 2)}

    def close(self):
        self.child.finish()
        for fd in (self.req_w, self.rep_r):
            os.close(fd)


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
