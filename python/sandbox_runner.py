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
for, and it has none), ptrace it (the runner is not dumpable), nor change its limits, priority or
scheduling (the seccomp filter allows those calls on the caller only). The CPU a test used is that of
every process of the namespace (namespace_usage), counted by the runner between boundaries it decides.

Protocol: one JSON request per line on stdin, one JSON message per line on stdout; the first line out
is {"ready": VERSION}.
  {"op": "run", "code", "inputs": [...], "limits", "test_cpu_s"?}   stdio
      -> {"tests": [{"status", "out_b64", "cpu_ms", "wall_ms", "error"?}, ...]} for the tests run, a few a frame, then
         {"status": "done", "retire"?, "unhealthy"?} or {"status": "compile_error", "error"}
  {"op": "open", "code", "limits"}                      call/assert: one child that serves calls
      -> {"status", "error"?, "cpu_ms"}
  {"op": "rpc", "msg", "cpu_s"?}  -> {"status", "reply_b64"?, "error"?, "cpu_ms"}   (msg and reply: opaque lines)
  {"op": "rpc", "msg": [lines], "cpu_s"?}  -> {"status": "ok", "batch": [{"status", "reply_b64"?, ...}, ...]}: the lines in
      order, sharing cpu_s (or each its own, cpu_s a list), up to the first that is not answered ok, raises, or
      passes BATCH_BYTES of replies, or is still running RUN_AHEAD_S after the first reply (see Session.batch)
  {"op": "close", "probe"?}  -> {"status": "closed", "retire"?, "unhealthy"?}
`retire` and `unhealthy` say what the program left of the slot (slot_state); Node replaces such a slot.
Any request it cannot serve gets {"status": "error", "error"}; the runner never stops for one.
A test's status is `ok`, `error`, `timeout` (CPU limit), `wall_timeout` (wall limit while the CPU
limit was not reached: the machine, not the program, may be slow), `memory` or `output_limit`.
"""

import atexit
import base64
import builtins
import ctypes
import errno
import fcntl
import gc
import json
import os
import re
import resource
import select
import signal
import sys
import time
import types

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
# common imports of solutions and of the headers datasets give them (LeetCodeDataset's imports datetime), loaded
# before any fork so that importing them costs a dict lookup
import array, dataclasses, datetime, decimal, enum, fractions, hashlib, io, queue, statistics, threading, typing  # noqa: E401,E402,F401

DEFAULTS = {
    "test_cpu_s": 5.0,
    "program_cpu_s": 20.0,
    "program_wall_s": 60.0,
    "memory_mb": 2048,
    "output_bytes": 1 << 20,
    "file_bytes": 16 << 20,
    "scratch_files": 10000,
    "processes": 16,
}
# a child's exit code when the harness itself failed (the statuses of tests go over the control pipe)
EXIT_ERROR = 91
# the sandbox protocol's version: the first line a runner sends, and part of the verdict cache's key
VERSION = 5
BATCH_CALLS = 128  # calls in one batch at most (the judge's BATCH_CALLS)
BATCH_BYTES = 256 << 10  # a batch's replies (base64) stop growing past this: the message stays within Node's frame
RUN_AHEAD_S = 0.05  # wall seconds a batch runs calls after its first reply: what a test that stops early can waste
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/dev/mqueue")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
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
    """Limits and descriptors of a fresh child; `fds` maps target fd -> source fd. Every other descriptor
    of the runner is closed, so the program holds only its own streams."""
    high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 1000) for target, source in fds.items()}
    for target, source in high.items():
        os.dup2(source, target)
    top = max(fds) + 1
    for fd in range(top):
        if fd not in fds:
            try:
                os.close(fd)
            except OSError:
                pass
    os.closerange(top, 1 << 16)
    os.chdir("/tmp/work")
    os.umask(0o077)
    setlim(resource.RLIMIT_AS, lim["memory_mb"] << 20)
    setlim(resource.RLIMIT_NPROC, lim["processes"])
    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_FSIZE, lim["file_bytes"])
    setlim(resource.RLIMIT_NOFILE, 256)
    # the kernel's own stop for the whole program, in whole seconds, behind the runner's count
    hard = int(lim["program_cpu_s"]) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (hard - 1, hard))
    # a program's signals are Python's usual ones (the runner, PID 1, has none: see main)
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
    """A new `__main__` module for the program, registered as such: pickle finds its functions by module and
    name, so `multiprocessing.Pool.map` of a function the program defines works as in a plain run."""
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    env = module.__dict__
    env.update({"__builtins__": __builtins__, "__structflow_return__": ProgramReturn})
    exec(HEADER_CODE, env)
    return env


def describe(err):
    return f"{type(err).__name__}: {err}"[:500]


class ExitStatus(Exception):
    """sys.exit() with a status other than 0: a plain run's exit status, which the judges take as an error."""


def run_main(code):
    """The program as `python program.py` runs it, to the end of the interpreter: the module in a fresh
    `__main__`, its non-daemon threads to their end (solutions start `threading.Thread(target=main)` for a
    larger stack), its `atexit` handlers, then its module dropped and collected, so the `__del__` of its
    objects runs with its globals still there, as at a plain interpreter's exit. What those print is the
    test's output (the fast-output template writes everything from an atexit handler)."""
    main_thread = threading.current_thread()
    before = set(threading.enumerate())
    env = fresh_env()
    status = 0
    try:
        exec(code, env)
    except SystemExit as end:  # sys.exit() ends the program as it ends a script, with its status
        # a status the process gives the system: 8 bits (256 is 0), a message is 1
        status = 0 if end.code is None else end.code & 0xFF if isinstance(end.code, int) else 1
    except ProgramReturn:
        pass
    for t in threading.enumerate():
        if t not in before and t is not main_thread and not t.daemon:
            t.join()
    atexit._run_exitfuncs()  # runs this test's handlers and forgets them; their exceptions are only printed
    del env
    sys.modules["__main__"] = types.ModuleType("__main__")
    gc.collect()  # the module and its objects are a cycle: finalizers run before any is cleared (PEP 442)
    if status:
        raise ExitStatus(f"the program exited with status {status}")


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


def child_stdio(source, n, limits):
    """Runs the n tests of a stdio program one after another in this one process (as the APPS harness
    does). Test i begins when the runner says so on fd 4, having written its input into the file fd 5 + 2i
    reads (a regular file, as on the judges: `os.fstat(0).st_size` and `os.read(0, size)` idioms need one),
    and writes fd 6 + 2i; at its end the harness says so on fd 3. Never returns. The program can rewrite all
    of this, and gains nothing: the runner ends test i at the first report for i, keeps only what pipe i
    held by then, and counts CPU itself; the input of the next test exists nowhere before its turn."""
    try:
        control = open(3, "w", encoding="utf-8", closefd=False)

        def report(**msg):
            control.write(json.dumps(msg) + "\n")
            control.flush()

        try:
            code = compile_program(source)
        except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
            report(compile_error=describe(err))
            os._exit(0)
        atexit._clear()  # the runner's handlers, inherited through fork, are not the program's
        for i in range(n):
            if os.read(4, 1) != b"g":
                os._exit(0)  # the runner has no more tests for this process
            os.dup2(5 + 2 * i, 0)
            os.close(5 + 2 * i)
            os.dup2(6 + 2 * i, 1)
            os.close(6 + 2 * i)
            text_streams()
            stop = timed(limits[i], lambda: run_main(code))
            try:
                sys.stdout.flush()
            except BaseException:  # noqa: BLE001 - the runner judges the output it got
                pass
            # threads of the program still running (daemons) would die at a plain run's exit; here they would
            # run on into the next test, so the next tests get a process of their own
            left = [t for t in threading.enumerate() if t is not threading.main_thread()]
            report(i=i, **(stop or {}), **({"last": True} if left and not stop else {}))
            os.dup2(2, 0)  # fd 2 is /dev/null: this test's pipes close
            os.dup2(2, 1)
            # the program's own stream objects (`sys.stdin = open(0)`) close their descriptor when freed: free
            # them now, while it is /dev/null, not once the next test's input and output are on it
            sys.stdin = sys.stdout = sys.stderr = None
            gc.collect()
            if stop or left:
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

    Values go back as plain data (see encode); an instance of a class the judge's tests define too (the
    request's `data`: ListNode, TreeNode, ...) goes back by value, as an object graph the judge rebuilds
    with its own class; anything else stays here and goes back as a reference. The judge compares, so
    nothing this class sends (the program may have replaced it) can be more than the data of an answer."""

    def __init__(self, env):
        self.env = env
        self.refs = []
        self.data = set()

    def handle(self, req):
        op = req["op"]
        self.data = set(req.get("data") or ())
        try:
            if op == "get":
                if req["name"] not in self.env:
                    return {"missing": True}
                value = self.env[req["name"]]
                if type(value).__name__ == "module":
                    return {"module": value.__name__}
            elif op == "target":  # the method of Solution() when the program defines it (LeetCode style)
                value = self.env.get(req["name"])
                sol = self.env.get("Solution")
                if isinstance(sol, type):
                    value = getattr(sol(), req["name"], value)
                if value is None:
                    raise NameError(f"function {req['name']} is not defined")
            else:
                obj = self.refs[req["ref"]]
                if op == "call":
                    args, kwargs = self.decode(req["args"]), dict(self.decode(req["kwargs"]))
                    value = obj(*args, **kwargs)
                    # what the call did to its mutable arguments goes back: the tests of an in-place
                    # problem (`rotate(nums)`, then `assert nums == …`) read them after the call
                    return {"value": self.encode(value, 0), "args": [self.mutable(a) for a in args],
                            "kwargs": [[k, self.mutable(a)] for k, a in kwargs.items()]}
                elif op == "getattr":
                    value = getattr(obj, req["name"])
                elif op == "setattr":
                    value = setattr(obj, str(req["name"]), self.decode(req["value"]))
                elif op == "iter":
                    value = list(obj)
                else:
                    raise ValueError(f"unknown operation {op}")
        except (TestTimeout, MemoryError, SystemExit):
            raise
        except Exception as err:  # noqa: BLE001 - the test may expect it
            return {"raise": [type(err).__name__, str(err)[:500]]}
        return {"value": self.encode(value, 0)}

    def mutable(self, v):
        """A mutable argument's state after a call, or None for one that cannot change."""
        if isinstance(v, (list, dict, set, bytearray)) or self.is_data(v):
            return self.encode(v, 0)
        return None

    def is_data(self, v):
        return type(v).__name__ in self.data and hasattr(v, "__dict__") and not isinstance(v, type)

    def encode(self, v, depth, ref=None):
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
            return [self.encode(x, depth + 1, ref) for x in v]
        if isinstance(v, tuple):
            return {"t": [self.encode(x, depth + 1, ref) for x in v]}
        if isinstance(v, dict):
            return {"d": [[self.encode(k, depth + 1, ref), self.encode(x, depth + 1, ref)] for k, x in v.items()]}
        if isinstance(v, (set, frozenset)):
            return {"f" if isinstance(v, frozenset) else "s": [self.encode(x, depth + 1, ref) for x in v]}
        if isinstance(v, (bytes, bytearray)):
            return {"b": bytes(v).decode("latin-1")}
        if isinstance(v, complex):
            return {"c": [v.real, v.imag]}
        if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:
            return self.encode(v.item(), depth)  # a numpy scalar is its Python value
        # exact numbers that Python's == compares with ints and floats: the judge compares them as they are
        if isinstance(v, fractions.Fraction):
            return {"q": [int(v.numerator), int(v.denominator)]}
        if isinstance(v, decimal.Decimal):
            return {"D": str(v)}
        if self.is_data(v):
            return ref(v) if ref else {"g": self.graph(v)}
        self.refs.append(v)
        return {"ref": len(self.refs) - 1, "repr": repr(v)[:200], "callable": callable(v)}

    def graph(self, root):
        """The instances of data classes reachable from root, as [class name, attributes] rows."""
        ids, order, rows = {id(root): 0}, [root], []

        def ref(x):
            if id(x) not in ids:
                ids[id(x)] = len(order)
                order.append(x)
            return {"n": ids[id(x)]}

        while len(rows) < len(order):
            obj = order[len(rows)]
            rows.append([type(obj).__name__, [[str(k), self.encode(x, 1, ref)] for k, x in vars(obj).items()]])
        return rows

    def decode(self, v, objs=None):
        if isinstance(v, list):
            return [self.decode(x, objs) for x in v]
        if isinstance(v, dict):
            (tag, x), = v.items()
            if tag == "ref":
                return self.refs[x]
            if tag == "t":
                return tuple(self.decode(y, objs) for y in x)
            if tag == "d":
                return {self.decode(k, objs): self.decode(y, objs) for k, y in x}
            if tag == "s":
                return {self.decode(y, objs) for y in x}
            if tag == "f":
                return frozenset(self.decode(y, objs) for y in x)
            if tag == "b":
                return x.encode("latin-1")
            if tag == "c":
                return complex(*x)
            if tag == "T":
                return getattr(builtins, x)
            if tag == "n":
                return objs[x]
            if tag == "g":  # the tests' object, rebuilt with the program's class of that name
                made = []
                for name, _ in x:
                    cls = self.env.get(name)
                    if not isinstance(cls, type):
                        cls = type(name, (), {})
                    made.append(object.__new__(cls))
                for obj, (_, attrs) in zip(made, x):
                    for k, y in attrs:
                        object.__setattr__(obj, k, self.decode(y, made))
                return made[0]
        return v


# ---------------------------------------------------------------- the runner (trusted)

def namespace_usage():
    """CPU seconds of every process of the sandbox but PID 1, the living and the ended alike: each
    process's own time and its reaped children's (/proc), plus what the runner reaped itself. SIGCHLD
    cannot be ignored here (python/seccomp_filter.py), so no ended process's time is ever discarded.
    And the resident bytes of the living ones together: RLIMIT_AS bounds each process, not the program."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ru.ru_utime + ru.ru_stime
    resident = 0
    for name in os.listdir("/proc"):
        if name.isdigit() and name != "1":
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / CLK_TCK
                resident += int(fields[21]) * PAGE
            except (OSError, IndexError, ValueError):
                pass  # ended between the listing and the read: a parent or the runner holds its time now
    return total, resident


class CpuClock:
    """The program's CPU since `start`, read at most every `every` seconds between explicit reads, and the
    resident memory of its processes at the last read."""

    def __init__(self, every=0.02):
        self.every = every
        self.start, self.resident = namespace_usage()
        self.last = self.start
        self.read_at = time.monotonic()

    def now(self, force=False):
        t = time.monotonic()
        if force or t - self.read_at >= self.every:
            (self.last, self.resident), self.read_at = namespace_usage(), t
        return self.last

    def used(self, force=False):
        return self.now(force) - self.start

    def lap(self):
        """Start again from the last reading, so that what the program uses after it counts in the next span."""
        self.start = self.last


class Footprint:
    """What a program holds besides its CPU: the resident memory of all its processes (RLIMIT_AS bounds each
    process, not the program), as its CPU clock last read it, and the files and directories in the scratch
    mounts (inodes in use, from statvfs, read at most every `every` seconds). tmpfs caps the bytes of a mount,
    not the count: each costs kernel memory that no limit of the program sees, and the wipe's time after it
    (a chain of nested directories made in 1.5 s of a program's CPU took the runner about 7 s to remove)."""

    def __init__(self, lim, every=0.02):
        self.memory = int(lim["memory_mb"]) << 20
        self.files = lim["scratch_files"]
        self.every = every
        self.read_at = time.monotonic()

    def stop(self, clock):
        """The stop of a program past its scratch or memory limit, else None."""
        t = time.monotonic()
        if t - self.read_at >= self.every:
            self.read_at = t
            if scratch_inodes() - CLEAN_INODES > self.files:
                return {"status": "error", "error": TOO_MANY_FILES}
        if clock.resident > self.memory:
            return {"status": "memory", "error": TOO_MUCH_MEMORY}
        return None


def scratch_used(total, free):
    """What the scratch mounts use together, as statvfs counts it: `total` and `free` name its fields."""
    used = 0
    for root in SCRATCH:
        try:
            st = os.statvfs(root)
        except OSError:
            continue
        used += getattr(st, total) - getattr(st, free)
    return used


def scratch_inodes():
    return scratch_used("f_files", "f_ffree")


def scratch_blocks():
    return scratch_used("f_blocks", "f_bfree")


CLEAN_INODES = 0  # what the scratch mounts hold when clean: set by reset()
CLEAN_BLOCKS = 0  # the blocks they use when clean, measured once at the start
TOO_MANY_FILES = "the program made more files and directories than the scratch limit"
TOO_MUCH_MEMORY = "the program's processes together held more memory than its limit"


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
        self.cpu = 0.0  # the child's own CPU seconds and its reaped children's, as the kernel gave them at its end
        self.done = False

    def reap(self):
        if self.status is None:
            try:
                _, self.status, ru = os.wait4(self.pid, 0)
                self.cpu = ru.ru_utime + ru.ru_stime
            except ChildProcessError:
                self.status = 0

    def finish(self):
        """Kill everything the program started, reap it all, clean the scratch space."""
        if self.done:
            return
        self.done = True
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.reap()
        os.close(self.pidfd)
        reset()

    def death(self, cpu_spent, limit=None):
        """Why the child ended (it has: its pidfd said so), from its wait status. A signal the CPU limits
        send (RLIMIT_CPU's SIGXCPU and SIGKILL, the test timer's SIGPROF) is a timeout only when a limit was
        reached: by the runner's count (`cpu_spent`), or when the child's own CPU at its end is at least half of
        `limit` (the timer counts the scheduler's time, which on a loaded virtual machine runs up to a fifth
        ahead of the user and system time the counts read); a program can send itself any of them.
        `ok` is an exit with status 0, as after a flush and os._exit(0): the test ends there, as in a plain run."""
        self.reap()
        if os.WIFSIGNALED(self.status):
            sig = os.WTERMSIG(self.status)
            spent = cpu_spent or (limit is not None and self.cpu >= limit / 2)
            if spent and sig in (signal.SIGXCPU, signal.SIGKILL, signal.SIGPROF):
                return "timeout", f"killed by {signal.Signals(sig).name} (CPU limit)"
            return "error", f"killed by {signal.Signals(sig).name}"
        if os.WEXITSTATUS(self.status) == 0:
            return "ok", None
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
    """Back to the clean state: no process but this one, empty scratch mounts, no System V IPC objects.
    A scratch mount that cannot be emptied ends the runner: its slot is replaced by a fresh one."""
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
        if not wipe(root):
            os._exit(EXIT_ERROR)
    os.mkdir("/tmp/work", 0o700)
    remove_ipc()
    global CLEAN_INODES
    CLEAN_INODES = scratch_inodes()


def wipe(root):
    """Empty root, whatever the depth and permissions of what the program left: a nested directory is
    moved up into root (renameat) until nothing is nested, so no path grows (PATH_MAX never matters) and
    at most two descriptors are open. True when root is empty."""
    try:
        os.chmod(root, 0o755, follow_symlinks=False)
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:  # the root itself outlives the wipe: its extended attributes (user.*, ACLs) and mode go back too
        for name in xattrs(top):
            os.removexattr(top, name)
        os.chmod(top, 0o755)
    except OSError:
        os.close(top)
        return False
    tag, moved = os.urandom(6).hex(), 0
    try:
        while True:  # each pass removes the top level and lifts the level below it: depth passes in all
            entries = list(os.scandir(top))
            if not entries:
                return True
            for e in entries:
                if not e.is_dir(follow_symlinks=False):
                    os.unlink(e.name, dir_fd=top)
                    continue
                os.chmod(e.name, 0o700, dir_fd=top)  # a directory (checked above), so nothing to follow
                d = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top)
                try:
                    for sub in list(os.scandir(d)):
                        if sub.is_dir(follow_symlinks=False):
                            os.chmod(sub.name, 0o700, dir_fd=d)  # moving a directory writes its ".."
                            moved += 1
                            os.rename(sub.name, f".sf-wipe-{tag}-{moved}", src_dir_fd=d, dst_dir_fd=top)
                        else:
                            os.unlink(sub.name, dir_fd=d)
                finally:
                    os.close(d)
                os.rmdir(e.name, dir_fd=top)
    except OSError:
        return False
    finally:
        os.close(top)


def xattrs(fd):
    try:
        return os.listxattr(fd)
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []  # a file system without extended attributes (mqueue) holds none
        raise


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


SUSPECT = {"error", "memory"}  # test statuses after which the slot proves it can still start work


def slot_state(suspect):
    """What Node must know of the slot once a program is over and the slot reset: `retire` when the program
    left state the runner cannot clear, `unhealthy` when, after a program whose test failed with an error,
    the slot cannot start a process or a thread or map memory, so the failure may not be the program's.
    With every process gone, a socket can outlive the program two ways: a TCP connection in TIME_WAIT holds
    its port for a minute, and descriptors sent over a Unix socket to itself ("in flight") live until the
    kernel's collector finds them, holding ports, abstract names, inotify instances and deleted files (the
    scratch space they fill). Either shows in the namespace's socket counts or in the scratch mounts' blocks
    (the counts, not the socket tables: reading /proc/net/tcp walks the machine's whole table, 1.6 ms)."""
    state = {}
    try:
        with open("/proc/net/sockstat", "rb") as f:
            counts = f.read()
        left = re.search(rb"sockets: used (\d+)", counts), re.search(rb" tw (\d+)", counts)
        if any(m is None or int(m.group(1)) for m in left):
            state["retire"] = "the program left sockets in the slot's network namespace"
    except OSError:
        state["retire"] = "the slot's socket counts cannot be read"
    if scratch_blocks() > CLEAN_BLOCKS:
        state["retire"] = "the program left files open beyond its end, holding scratch space"
    why = suspect and probe()
    if why:
        state["unhealthy"] = why
    return state


def probe():
    """None when a process of this slot can start a thread and a process and map memory; else why not."""
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError as err:
        os.close(r)
        os.close(w)
        return f"cannot start a process: {describe(err)}"
    if pid == 0:
        try:
            os.close(r)
            t = threading.Thread(target=int)
            t.start()
            t.join()
            grandchild = os.fork()
            if grandchild == 0:
                os._exit(0)
            os.waitpid(grandchild, 0)
            bytearray(1 << 20)
            os._exit(0)
        except BaseException as err:  # noqa: BLE001
            os.write(w, describe(err).encode()[:400])
            os._exit(1)
    os.close(w)
    try:
        _, status = os.waitpid(pid, 0)
        said = os.read(r, 500).decode("utf-8", "replace")
    finally:
        os.close(r)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return f"cannot start a thread, a process or memory: {said or 'wait status ' + str(status)}"


def number(v, default, low, high):
    """A limit from a request: a finite number within [low, high], else the default."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not low <= v <= high:
        return default
    return v


def limits_of(req):
    given = req.get("limits") if isinstance(req.get("limits"), dict) else {}
    return {k: number(given.get(k), d, 0, 1 << 40) for k, d in DEFAULTS.items()}


STOP_ERRORS = {
    "timeout": "CPU time limit exceeded",
    "wall_timeout": "wall time limit exceeded",
    "output_limit": "output limit exceeded",
    "memory": "MemoryError: memory limit exceeded",
}
DISTURBED = "the program disturbed the test harness"


FRAME_BYTES = 1 << 20  # base64 output per frame beyond its first test


class Frames:
    """Test results go out a few at a time: a frame holds up to CHUNK tests, and no more output than
    FRAME_BYTES beyond its first test's, so a program of many small tests costs few messages and no
    message grows past one test's output limit and a megabyte."""

    def __init__(self, emit):
        self.emit, self.tests, self.size = emit, [], 0

    def add(self, test):
        size = len(test["out_b64"])
        if self.tests and (self.size + size > FRAME_BYTES or len(self.tests) >= CHUNK):
            self.flush()
        self.tests.append(test)
        self.size += size

    def flush(self):
        if self.tests:
            self.emit({"tests": self.tests}, flush=False)
            self.tests, self.size = [], 0


def run_stdio(req, emit):
    """All tests of a stdio program, in children of at most CHUNK tests each."""
    frames = Frames(emit)
    try:
        return run_tests(req, frames.add)
    finally:
        frames.flush()


def run_tests(req, emit):
    lim = limits_of(req)
    inputs = [x if isinstance(x, str) else "" for x in req["inputs"]]
    per_test = req.get("test_cpu_s") if isinstance(req.get("test_cpu_s"), list) else []
    cap = lim["test_cpu_s"]
    limits = [min(number(per_test[i], cap, 0, cap) if i < len(per_test) else cap, cap) for i in range(len(inputs))]
    program = {"t0": time.monotonic(), "clock": CpuClock(), "footprint": Footprint(lim), "suspect": False}
    start = 0
    while start < len(inputs):
        end = min(start + CHUNK, len(inputs))
        res = run_chunk(str(req["code"]), inputs[start:end], limits[start:end], lim, program, emit)
        if isinstance(res, dict):
            break  # a compile error or a test that was not ok: the later tests cannot make a pass
        start = end if res is None else start + res
    else:
        res = {"status": "done"}
    return {**res, **slot_state(program["suspect"])} if res["status"] == "done" else res


CHUNK = 64  # tests per child: two descriptors each


class StdioWindow:
    """Test i of a chunk, from the moment its input is offered to the first report for i."""

    def __init__(self, i, data, limit, lim, program, clock):
        self.i, self.limit = i, limit
        self.data = data
        self.t0 = time.monotonic()
        self.deadline = min(self.t0 + wall_limit(limit), program["t0"] + lim["program_wall_s"])
        self.clock = clock
        self.program_cpu_s = lim["program_cpu_s"]
        self.out = bytearray()


def input_file():
    """An empty file without a name (nothing can open it by path) in /tmp: the runner's descriptor to write
    it, and a read-only one, of its own offset, for the program's fd 0."""
    rw = os.open("/tmp", os.O_TMPFILE | os.O_RDWR, 0o600)
    return rw, os.open(f"/proc/self/fd/{rw}", os.O_RDONLY)


def offer(rw, go, data):
    """Test input `data` into its file, then the word to begin; an error text when it cannot be written."""
    try:
        os.ftruncate(rw, 0)  # as written, whatever the program wrote through a descriptor of its own
        done = 0
        while done < len(data):
            done += os.pwrite(rw, data[done:], done)
    except OSError as err:
        return f"the test's input could not be written ({err.strerror}): the program's files filled /tmp"
    try:
        os.write(go, b"g")
    except OSError:
        pass  # the program is gone: its window sees that
    return None


def run_chunk(code, inputs, limits, lim, program, emit):
    global CLEAN_INODES
    n = len(inputs)
    cap = lim["output_bytes"]
    control_r, control_w = os.pipe()
    go_r, go_w = os.pipe()
    ins = [input_file() for _ in range(n)]
    outs = [os.pipe() for _ in range(n)]
    CLEAN_INODES = scratch_inodes()  # the input files are the runner's, not the program's scratch files
    devnull = os.open(os.devnull, os.O_RDWR)
    fds = {0: devnull, 1: devnull, 2: devnull, 3: control_w, 4: go_r}
    for i in range(n):
        fds[5 + 2 * i], fds[6 + 2 * i] = ins[i][1], outs[i][1]
    child = Child(lambda: child_stdio(code, n, limits), lim, fds)
    in_w, out_r = [w for w, _ in ins], [r for r, _ in outs]
    for fd in [control_r, *out_r]:
        os.set_blocking(fd, False)
    open_fds = {control_r, go_w, *in_w, *out_r}

    def close(fd):
        if fd in open_fds:
            open_fds.discard(fd)
            os.close(fd)

    control = bytearray()
    try:
        clock = CpuClock()
        for i in range(n):
            clock.start = clock.last  # where the last test's count ended (read at its boundary)
            w = StdioWindow(i, inputs[i].encode("utf-8", "surrogatepass"), limits[i], lim, program, clock)
            unwritten = offer(in_w[i], go_w, w.data)
            report = {"status": "error", "error": unwritten} if unwritten else \
                run_window(child, w, control_r, control, out_r[i], cap, program)
            if report.get("compile_error") is not None:
                return {"status": "compile_error", "error": str(report["compile_error"])[:500]}
            read_into(out_r[i], w.out, cap)
            close(out_r[i])
            close(in_w[i])
            test = {"status": report.get("status", "ok"), "cpu_ms": round(w.clock.used(True) * 1000, 2),
                    "wall_ms": round((time.monotonic() - w.t0) * 1000, 2)}
            if test["status"] == "ok" and w.clock.used() > w.limit + 0.05:
                test["status"] = "timeout"
            if test["status"] == "ok" and len(w.out) > cap:
                test["status"] = "output_limit"
            if test["status"] != "ok":
                test["error"] = report.get("error") or STOP_ERRORS.get(test["status"]) or DISTURBED
            test["out_b64"] = base64.b64encode(w.out[:cap]).decode("ascii")  # 4/3 of the bytes, whatever they are
            emit(test)
            program["suspect"] |= test["status"] in SUSPECT
            if test["status"] != "ok":
                return {"status": "done"}
            if report.get("exited"):
                return i + 1  # the process ended with this test: the next tests need a fresh one
        return None
    finally:
        child.finish()
        for fd in list(open_fds):
            close(fd)


def run_window(child, w, control_r, control, out_r, cap, program):
    """Waits for the report of test w.i, whose input was offered; returns {"status", "error"?} or a compile
    error. The boundary is the first report line for i; anything else on the control pipe disturbs the harness."""
    poller = select.poll()
    poller.register(control_r, select.POLLIN)
    poller.register(child.pidfd, select.POLLIN)
    poller.register(out_r, select.POLLIN)
    exited = False
    while True:
        report = next_report(control, w.i)
        if report is not None:
            return report
        left = w.deadline - time.monotonic()
        if left <= 0:
            return stop_status("timeout" if w.clock.used(True) >= w.limit else "wall_timeout")
        if w.clock.used() > w.limit + 0.05 or program["clock"].used() > w.program_cpu_s + 0.05:
            return stop_status("timeout")
        stop = program["footprint"].stop(w.clock)
        if stop:
            return stop
        if exited:
            spent = w.clock.used(True) >= w.limit - CPU_TICK or program["clock"].used() >= w.program_cpu_s - CPU_TICK
            status, error = child.death(spent, w.limit)
            return {"status": status, "exited": True, **({"error": error} if error else {})}
        for fd, _ in poller.poll(min(left, 0.05) * 1000):
            if fd == child.pidfd:
                exited = True
                read_into(control_r, control, 1 << 16)
            elif fd == control_r:
                if not read_into(control_r, control, 1 << 16) or len(control) > 1 << 16:
                    poller.unregister(control_r)
            elif fd == out_r:
                if not read_into(out_r, w.out, cap):
                    poller.unregister(out_r)
                if len(w.out) > cap:
                    return stop_status("output_limit")


CPU_TICK = 0.05  # the kernel counts a process's CPU in ticks: the runner's count may lag the timer's that much


def stop_status(status):
    return {"status": status, "error": STOP_ERRORS[status]}


def read_message(line):
    """A line from a program's process (its harness can be rewritten by the program) as JSON; None when it
    is not JSON or nests too deep. A number of more than 20 digits stays text: int() of a long digit string
    takes time quadratic in its length (a million digits, 4 s), and the runner's time is charged to no
    program. The judge, whose time is charged, reads the reply itself."""
    try:
        return json.loads(line, parse_int=lambda s: int(s) if len(s) <= 20 else s)
    except (ValueError, RecursionError):
        return None


def next_report(control, i):
    """The next complete control line: the report of test i, a compile error before the first test,
    or a disturbance. None when no complete line is there yet."""
    if b"\n" not in control:
        return {"status": "error", "error": DISTURBED} if len(control) > 1 << 16 else None
    line, _, rest = bytes(control).partition(b"\n")
    control[:] = rest
    msg = read_message(line)
    if not isinstance(msg, dict):
        return {"status": "error", "error": DISTURBED}
    if "compile_error" in msg and i == 0 and len(msg) == 1:
        return {"compile_error": str(msg["compile_error"])}
    if msg.get("i") != i or isinstance(msg.get("i"), bool):
        return {"status": "error", "error": DISTURBED}
    stop = msg.get("stop")
    if stop is None:
        # `last`: the process ends after this test (a forged one only sends the program's next tests to a
        # fresh process of their own)
        return {"status": "ok", **({"exited": True} if msg.get("last") is True else {})}
    status = stop if stop in ("timeout", "memory") else "error"
    return {"status": status, "error": str(msg.get("error") or STOP_ERRORS.get(status, ""))[:500] or DISTURBED}


class Session:
    """A call/assert program that stays up between the judge's calls. The CPU of an exchange is all the
    program used since the previous one ended, so no work between calls goes uncounted."""

    def __init__(self, req):
        self.lim = limits_of(req)
        self.cpu_s = self.lim["test_cpu_s"]
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        fds = {0: devnull, 1: devnull, 2: devnull, 3: req_r, 4: rep_w}
        self.clock = CpuClock()
        self.program = CpuClock()
        self.footprint = Footprint(self.lim)
        self.child = Child(lambda: child_session(str(req["code"]), self.cpu_s), self.lim, fds)
        os.set_blocking(self.rep_r, False)
        self.buf = bytearray()
        self.t_program = time.monotonic()
        self.suspect = False
        self.ahead = None  # a planned call left running by the last batch (see batch)

    def exchange(self, line, cpu_s=None, leash=None):
        """Send one request line (None: only wait for the reply to the last one, or the greeting) and wait for its
        reply within the limits. With `leash` (a time.monotonic()), a reply not there by then is left to come:
        {"status": "pending"}, and the program runs on."""
        child = self.child
        if child.done:
            return {"status": "error", "error": "the program is no longer running"}
        cpu_s = min(number(cpu_s, self.cpu_s, 0, self.cpu_s), self.lim["test_cpu_s"])
        if line is not None:
            try:
                os.write(self.req_w, line.encode() + b"\n")  # requests are small: the pipe takes them
            except OSError:
                return self.end("error")
        deadline = min(time.monotonic() + wall_limit(cpu_s), self.t_program + self.lim["program_wall_s"])
        poller = select.poll()
        poller.register(self.rep_r, select.POLLIN)
        poller.register(child.pidfd, select.POLLIN)
        cap = self.lim["output_bytes"]
        over = lambda: (self.clock.used() > cpu_s + 0.05  # noqa: E731
                        or self.program.used() > self.lim["program_cpu_s"] + 0.05)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.end("timeout" if self.clock.used(True) >= cpu_s else "wall_timeout")
            if leash is not None and time.monotonic() >= leash:
                return {"status": "pending"}
            events = poller.poll(min(left, 0.05, max(0.0, leash - time.monotonic()) if leash else 1) * 1000)
            if over():
                return self.end("timeout")
            stop = self.footprint.stop(self.clock)
            if stop:
                return self.end(stop["status"], stop["error"])
            if events:
                more = read_into(self.rep_r, self.buf, cap)
                if len(self.buf) > cap:
                    return self.end("output_limit")
                exited = any(fd == child.pidfd for fd, _ in events)
                if (exited or not more) and b"\n" not in self.buf:
                    return self.end("error")
        reply, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        cpu = self.clock.used(True)
        if cpu > cpu_s + 0.05 or over():
            return self.end("timeout")
        msg = read_message(reply)
        if not isinstance(msg, dict):
            return self.end("error", "the program's reply was not readable")
        stop = msg.get("stop")
        if stop:  # end() reports the CPU of this call, as the clock runs on from the call's start
            status = stop if stop in ("timeout", "memory", "compile_error") else "error"
            return self.end(status, str(msg.get("error", ""))[:500])
        self.clock.lap()
        # base64: the frame stays within 4/3 of the reply, whatever bytes the program wrote (JSON's escapes reach 6×)
        return {"status": "ok", "reply_b64": base64.b64encode(reply).decode(), "cpu_ms": round(cpu * 1000, 2)}

    def batch(self, lines, cpu_s=None):
        """Calls the judge planned ahead, each as the judge would have sent it alone: with the CPU the ones before
        it left of cpu_s, or, where cpu_s is a list (each call a test of its own), with its own. The batch stops
        where the judge's test would stop on what it reads (the program stopped or raised), where the replies
        would outgrow a message, and RUN_AHEAD_S after its first reply: a call still running then is left to run,
        and answers the next batch, which begins with it (a test that ends before reading it never waits for it)."""
        own = isinstance(cpu_s, list) and len(cpu_s) == len(lines)
        left = None if own else number(cpu_s, self.cpu_s, 0, self.cpu_s)
        out, size, leash = [], 0, None
        for i, line in enumerate(lines):
            budget = cpu_s[i] if own else max(0.001, left)
            if i == 0 and self.ahead == line:
                r = self.exchange(None, budget)  # the call left running: a wall window from now, as if sent now
            else:
                self.settle()
                # the CPU limit goes with the call, as the judge writes it into a call it sends alone
                r = self.exchange(line[:-1] + f', "cpu_s": {json.dumps(budget)}}}', budget, leash)
            self.ahead = line if r["status"] == "pending" else None
            if self.ahead:
                break
            out.append(r)
            if r["status"] != "ok" or base64.b64decode(r["reply_b64"][:12]).startswith(b'{"raise"'):
                break
            size += len(r["reply_b64"])
            if not own:
                left -= r["cpu_ms"] / 1000
            leash = leash or time.monotonic() + RUN_AHEAD_S
            if size >= BATCH_BYTES or not own and left < -0.05:
                break
        return {"status": "ok", "batch": out}

    def settle(self):
        """A call left running that the judge did not ask for after all: its reply is dropped (never happens in a
        plan, whose calls are all asked for in order until the test ends)."""
        if self.ahead is not None:
            self.ahead = None
            self.exchange(None)

    def end(self, status, error=None):
        self.suspect |= status in SUSPECT
        child = self.child
        cpu = self.clock.used(True)
        child.finish()
        error = error or STOP_ERRORS.get(status) or child.death(status == "timeout")[1] or "the program ended its process (exit status 0)"
        return {"status": status, "error": error, "cpu_ms": round(cpu * 1000, 2)}

    def close(self):
        self.child.finish()
        for fd in (self.req_w, self.rep_r):
            os.close(fd)


def quiet_signals():
    """PID 1 of a namespace gets no signal from inside it unless it has a handler: so none has one
    (Python's SIGINT handler would let a program raise KeyboardInterrupt in the runner)."""
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass


def handle(req, state, emit):
    op = req.get("op")
    if op == "run":
        return run_stdio(req, emit)
    if op == "open":
        if state.get("session"):
            state.pop("session").close()
        state["session"] = Session(req)
        return state["session"].exchange(None)
    if op == "rpc":
        session, msg = state.get("session"), req.get("msg")
        if session and isinstance(msg, list) and 0 < len(msg) <= BATCH_CALLS and all(isinstance(m, str) for m in msg):
            return session.batch(msg, req.get("cpu_s"))
        if not session or not isinstance(msg, str):
            return {"status": "error", "error": "no program"}
        session.settle()
        return session.exchange(msg, req.get("cpu_s"))
    if op == "close":
        session = state.pop("session", None)
        if session:
            session.close()
        # the judge decides a call's error (the program's exception crosses as data): Node asks for the probe
        return {"status": "closed", **slot_state(req.get("probe") is True or bool(session and session.suspect))}
    return {"status": "error", "error": f"unknown op {str(op)[:50]}"}


def main():
    global HEADER_CODE, CLEAN_BLOCKS
    if os.getpid() != 1:
        sys.exit("sandbox_runner.py must run as PID 1 of its own PID namespace (bwrap --unshare-pid --as-pid-1)")
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, no /proc/1/mem for the programs
    quiet_signals()
    # no cap on int <-> str digits (Python 3.11's 4300): big-number answers, printed or returned, are data
    sys.set_int_max_str_digits(0)
    HEADER_CODE = compile(HEADER, "<header>", "exec")
    gc.freeze()  # a child's collector then leaves the runner's objects (and their pages) alone
    reset()
    CLEAN_BLOCKS = scratch_blocks()
    why = probe()
    if why:
        sys.exit(f"the sandbox cannot start programs on this machine: {why}")
    out = sys.stdout

    def emit(msg, flush=True):
        """One message a line; test frames are written unflushed (the request's last message flushes)."""
        out.write(json.dumps(msg) + "\n")
        if flush:
            out.flush()

    emit({"ready": VERSION})
    state = {}
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("a request must be an object")
            res = handle(req, state, emit)
        except Exception as err:  # noqa: BLE001 - a bad request or a runner bug must not take the worker down
            res = {"status": "error", "error": f"runner: {type(err).__name__}: {str(err)[:300]}"}
            if state.get("session"):
                try:
                    state.pop("session").close()
                except Exception:  # noqa: BLE001
                    state.pop("session", None)
            reset()
        emit(res)


if __name__ == "__main__":
    main()
