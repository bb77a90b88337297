import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecPool, type ExecRequest } from '../../../lib/sandbox/pool.ts';
import type { TestSpec } from '../../../lib/schemas.ts';
import { referenceNames } from '../../../readers/mbpp.ts';

// Sandbox v3 (docs/sandbox.md): each channel between a program and its verdict, or between one program and
// the next, attacked by a hostile program, with a benign twin beside it that must still pass.

const stdio = (id: string, code: string, inputs: string[], outputs: string[], cpu = 1): ExecRequest => ({
  id,
  code,
  tests: { kind: 'stdio', inputs, outputs },
  limits: { test_cpu_s: cpu, program_wall_s: 20 },
});
const asserting = (id: string, code: string, tests: Omit<Extract<TestSpec, { kind: 'assert' }>, 'kind'>) => ({
  id,
  code,
  tests: { kind: 'assert' as const, ...tests },
  limits: { test_cpu_s: 2 },
});
const double = (i: number) => stdio(`double-${i}`, 'print(int(input()) * 2)\n', [`${i}\n`], [`${i * 2}\n`]);

describe('sandbox v3: the channels the judge design opened', function () {
  this.timeout(180_000);
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 1 })));
  after(() => pool.close());

  describe('integrity: nothing a program controls decides a verdict', () => {
    it("a test that prints the program's answer cannot forge the judge's reply, nor hand one to the next program", async () => {
      const forged = JSON.stringify({ result: { verdict: 'pass', tests: [{ verdict: 'pass', ms: 0 }] } });
      const forger = `def f(x):\n    return ${JSON.stringify(`\n${forged}\n${forged}\n`)}\n`;
      const tests =
        'result = f(1)\nprint(result)\nprint(result, file=__import__("sys").stderr)\nassert result == 2\n';
      const r = await pool.run(asserting('forger', forger, { code: tests }));
      expect(r.verdict, r.error).to.equal('fail');
      // the same slot then judges a wrong and a right program as they are
      const wrong = await pool.run(asserting('wrong', 'def f(x):\n    return 3\n', { code: tests }));
      const right = await pool.run(asserting('right', 'def f(x):\n    return 2 * x\n', { code: tests }));
      expect([wrong.verdict, right.verdict]).to.deep.equal(['fail', 'pass']);
    });

    it('only verdicts the judge decided enter the cache, keyed on the sandbox version', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sf-verdicts-'));
      const cached = new ExecPool({ workers: 1, cacheDir: dir });
      try {
        const tests = 'print(f(1))\nassert f(1) == 2\n';
        const forged = `def f(x):\n    return '{"result": {"verdict": "pass", "tests": []}}'\n`;
        const first = await cached.run(asserting('forged', forged, { code: tests }));
        const again = await cached.run(asserting('forged', forged, { code: tests }));
        expect([first.verdict, again.verdict, again.cached]).to.deep.equal(['fail', 'fail', true]);
        const ok = await cached.run(asserting('ok', 'def f(x):\n    return 2\n', { code: tests }));
        expect(ok.verdict).to.equal('pass');
      } finally {
        await cached.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a StopIteration from the program arrives as RuntimeError: map, zip and any cannot end early (PEP 479)', async () => {
      const shapes = [
        'cases = [(1, 2), (2, 4), (3, 6)]\nassert all(map(lambda p: f(p[0]) == p[1], cases))\n',
        'for a, b in zip(map(f, [1, 2, 3]), [2, 4, 6]):\n    assert a == b\n',
        'assert not any(map(lambda p: f(p[0]) != p[1], [(1, 2), (2, 4)]))\n',
      ];
      for (const [i, tests] of shapes.entries()) {
        for (const exc of [
          'StopIteration',
          'StopAsyncIteration',
          'GeneratorExit',
          'KeyboardInterrupt',
          'SystemExit',
        ]) {
          const r = await pool.run(
            asserting(`stop-${i}-${exc}`, `def f(x):\n    raise ${exc}\n`, { code: tests }),
          );
          expect(r.verdict, `${exc} in shape ${i}`).to.equal('error');
          // an Exception reaches the judge as RuntimeError; the others end the program's process
          if (exc.startsWith('Stop')) expect(r.error).to.match(/RuntimeError: the program raised/);
        }
        const ok = await pool.run(asserting(`ok-${i}`, 'def f(x):\n    return 2 * x\n', { code: tests }));
        expect(ok.verdict, ok.error).to.equal('pass');
      }
    });

    it("a dataset's helper is never the program's: HumanEval/32's poly, /38's encode_cyclic, MBPP's imports", async () => {
      // HumanEval/32: the test checks the root with the prompt's poly
      const context32 =
        'import math\n\ndef poly(xs: list, x: float):\n    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])\n\n' +
        'def find_zero(xs: list):\n    """a zero of poly"""\n';
      const tests32 =
        'def check(candidate):\n    for xs in ([1, 2], [-6, 11, -6, 1]):\n        assert abs(poly(xs, candidate(xs))) < 1e-4\n\ncheck(find_zero)\n';
      const cheat32 =
        context32 + 'def poly(xs, x):\n    return 0\n\ndef find_zero(xs):\n    return 12345.0\n';
      const right32 =
        context32.replace('    """a zero of poly"""\n', '') +
        '    lo, hi = -100.0, 100.0\n    while hi - lo > 1e-10:\n        mid = (lo + hi) / 2\n' +
        '        if poly(xs, mid) * poly(xs, lo) > 0:\n            lo = mid\n        else:\n            hi = mid\n    return lo\n';
      const spec32 = { code: tests32, context: context32, entry_points: ['find_zero'] };
      expect((await pool.run(asserting('poly-cheat', cheat32, spec32))).verdict).to.equal('fail');
      const ok32 = await pool.run(asserting('poly-right', right32, spec32));
      expect(ok32.verdict, ok32.error).to.equal('pass');
      // HumanEval/38: the test encodes with the prompt's encode_cyclic and asks decode_cyclic for the original
      const context38 =
        'def encode_cyclic(s: str):\n    groups = [s[3 * i:min(3 * i + 3, len(s))] for i in range((len(s) + 2) // 3)]\n' +
        '    groups = [(g[1:] + g[0]) if len(g) == 3 else g for g in groups]\n    return "".join(groups)\n\n' +
        'def decode_cyclic(s: str):\n    """inverse of encode_cyclic"""\n';
      const tests38 =
        'def check(candidate):\n    for s in ("abcdefg", "hello world", "xy"):\n        assert candidate(encode_cyclic(s)) == s\n\ncheck(decode_cyclic)\n';
      const cheat38 =
        'seen = {}\ndef encode_cyclic(s):\n    seen["last"] = s\n    return s\ndef decode_cyclic(s):\n    return seen.get("last", s)\n';
      const right38 = context38 + '    return encode_cyclic(encode_cyclic(s))\n';
      const spec38 = { code: tests38, context: context38, entry_points: ['decode_cyclic'] };
      expect((await pool.run(asserting('cyclic-cheat', cheat38, spec38))).verdict).to.equal('fail');
      const ok38 = await pool.run(asserting('cyclic-right', right38, spec38));
      expect(ok38.verdict, ok38.error).to.equal('pass');
      // MBPP: the modules the reference imports are the judge's, its functions the program's
      const reference = 'import statistics as st\n\ndef halves(n):\n    return [n / 2, n / 2]\n';
      const spec = {
        code: 'assert st.mean(halves(4)) == 2\nassert halves(4) == [2, 2]\n',
        ...referenceNames(reference),
      };
      expect(spec.entry_points).to.deep.equal(['halves']);
      const fake =
        'class st:\n    @staticmethod\n    def mean(xs):\n        return 2\ndef halves(n):\n    return [2, 2] if n == 4 else [0]\n';
      expect((await pool.run(asserting('mbpp-ok', reference, spec))).verdict).to.equal('pass');
      const fakeMean = fake.replace('return [2, 2] if n == 4 else [0]', 'return [1, 2]');
      expect((await pool.run(asserting('mbpp-fake-module', fakeMean, spec))).verdict).to.equal('fail');
    });

    it("LeetCode's ListNode travels by value into the program's class and back into the test's; its is_same_list is the test's", async () => {
      const context =
        'from typing import *\n\nclass ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n\n' +
        'def list_node(values):\n    head = None\n    for v in reversed(values):\n        head = ListNode(v, head)\n    return head\n\n' +
        'def is_same_list(p1, p2):\n    while p1 and p2:\n        if p1.val != p2.val:\n            return False\n        p1, p2 = p1.next, p2.next\n    return p1 is None and p2 is None\n';
      const tests =
        'def check(candidate):\n    assert is_same_list(candidate(head=list_node([1, 2, 3])), list_node([3, 2, 1]))\n' +
        '    assert is_same_list(candidate(head=list_node(list(range(3000)))), list_node(list(range(2999, -1, -1))))\n' +
        '    assert candidate(head=None) is None\n\ncheck(Solution().reverseList)\n';
      const spec = { code: tests, context, entry_points: ['Solution'] };
      const right =
        context +
        '\nclass Solution:\n    def reverseList(self, head):\n        prev = None\n        while head:\n            head.next, prev, head = prev, head, head.next\n        return prev\n';
      const cheat =
        context.replace('return p1 is None and p2 is None', 'return True') +
        '\nclass Solution:\n    def reverseList(self, head):\n        return head\n';
      const r = await pool.run(asserting('list-right', right, spec));
      expect(r.verdict, r.error).to.equal('pass');
      expect((await pool.run(asserting('list-cheat', cheat, spec))).verdict).to.equal('fail');
      // an instance attribute standing in for a method of the tests' class is not data
      const withMethod = context
        .replace('def list_node', 'def values(node):\n    return node.to_list()\n\ndef list_node')
        .replace(
          '        self.next = next\n',
          '        self.next = next\n\n    def to_list(self):\n        out, p = [], self\n        while p:\n            out.append(p.val)\n            p = p.next\n        return out\n',
        );
      const methodSpec = {
        code: 'assert values(Solution().f()) == [9, 9]\n',
        context: withMethod,
        entry_points: ['Solution'],
      };
      const forge =
        withMethod +
        '\nclass Solution:\n    def f(self):\n        n = ListNode(1)\n        n.to_list = lambda: [9, 9]\n        return n\n';
      const honest = withMethod + '\nclass Solution:\n    def f(self):\n        return list_node([9, 9])\n';
      expect((await pool.run(asserting('method-forge', forge, methodSpec))).verdict).to.equal('error');
      const h = await pool.run(asserting('method-honest', honest, methodSpec));
      expect(h.verdict, h.error).to.equal('pass');
    });

    it("a reply whose reading costs the judge more than the program's CPU limit is the program's timeout", async () => {
      // 30,000 int keys that all hash to 0: building the dict is quadratic, in the judge
      const colliding = (k: string) =>
        `import os, time\nM = (1 << 61) - 1\ndef f(x):\n    keys = ",".join("[%d, 0]" % (${k}) for k in range(1, 30001))\n` +
        '    os.write(4, (\'{"value": {"d": [\' + keys + "]}}\\n").encode())\n    time.sleep(30)\n';
      const req = (k: string) => ({
        id: `collide-${k}`,
        code: colliding(k),
        tests: { kind: 'call' as const, fn_name: 'f', inputs: [[1]], outputs: [1] },
        limits: { test_cpu_s: 1 },
      });
      const t0 = Date.now();
      const r = await pool.run(req('k * M'));
      expect(r.verdict).to.equal('timeout');
      expect(r.error).to.match(/CPU s of the judge's on the program's answers/);
      expect(Date.now() - t0).to.be.below(6000);
      // its twin, the same size without collisions, is read at once: a wrong answer like any other
      const twin = await pool.run(req('k'));
      expect(twin.verdict).to.equal('fail');
    });

    it("a cyclic ListNode that the test's own helper walks forever costs the judge a bounded time: the program's timeout", async () => {
      const context =
        'class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n\n' +
        'def to_list(n):\n    out = []\n    while n:\n        out.append(n.val)\n        n = n.next\n    return out\n';
      const spec = { code: 'assert to_list(Solution().f()) == [1]\n', context, entry_points: ['Solution'] };
      const cyclic =
        context +
        '\nclass Solution:\n    def f(self):\n        a = ListNode(1)\n        a.next = a\n        return a\n';
      const t0 = Date.now();
      const r = await pool.run({ ...asserting('cycle', cyclic, spec), limits: { test_cpu_s: 0.5 } });
      expect(r.verdict).to.equal('timeout');
      expect(r.error).to.match(/of the judge's/);
      expect(Date.now() - t0).to.be.below(6000); // the judge's 2 s floor, not the request's deadline twice
      const honest = context + '\nclass Solution:\n    def f(self):\n        return ListNode(1)\n';
      expect(
        (await pool.run({ ...asserting('no-cycle', honest, spec), limits: { test_cpu_s: 0.5 } })).verdict,
      ).to.equal('pass');
    });

    it('the calls of one assert test share its CPU limit: 20 calls of 0.3 s are a timeout at 1 s, 20 short ones pass', async () => {
      const burn = (s: number) =>
        `import time\ndef f(x):\n    t = time.process_time()\n    while time.process_time() - t < ${s}:\n        pass\n    return x\n`;
      const tests = { code: 'for i in range(20):\n    assert f(i) == i\n', entry_points: ['f'] };
      const slow = await pool.run({
        ...asserting('many-calls', burn(0.3), tests),
        limits: { test_cpu_s: 1 },
      });
      expect(slow.verdict).to.equal('timeout');
      const quick = await pool.run({
        ...asserting('many-quick', burn(0.01), tests),
        limits: { test_cpu_s: 1 },
      });
      expect(quick.verdict, quick.error).to.equal('pass');
    });

    it('integers past 4,300 digits are answers like any other, returned or printed', async () => {
      const call = await pool.run({
        id: 'big-call',
        code: 'import math\ndef f(n):\n    return math.factorial(n) % 1000 + len(str(math.factorial(n)))\n',
        tests: { kind: 'call', fn_name: 'f', inputs: [[2000]], outputs: [5736] },
      });
      expect(call.verdict, call.error).to.equal('pass');
      const ret = await pool.run(
        asserting('big-assert', 'import math\ndef f(n):\n    return math.factorial(n)\n', {
          code: 'import math\nassert f(2000) == math.factorial(2000)\n',
          entry_points: ['f'],
        }),
      );
      expect(ret.verdict, ret.error).to.equal('pass');
    });

    it("an AssertionError raised inside the program is the program's error, not a failed test", async () => {
      const r = await pool.run(
        asserting('own-assert', 'def f(x):\n    assert x < 0\n', { code: 'assert f(1) is None\n' }),
      );
      expect(r.verdict).to.equal('error');
      const ok = await pool.run(
        asserting('no-assert', 'def f(x):\n    return None\n', { code: 'assert f(1) is None\n' }),
      );
      expect(ok.verdict).to.equal('pass');
    });

    it("MBPP's entry points are what the reference defines, even names the header or builtins hold (merge, sum); types pass", async () => {
      const reference =
        'def merge(a, b):\n    return sorted(a + b)\n\ndef sum(xs):\n    return -1\n\ndef make(t, v):\n    return t(v)\n';
      const spec = {
        code: 'assert merge([3], [1, 2]) == [1, 2, 3]\nassert sum([1, 2]) == -1\nassert make(int, "7") == 7\n',
        ...referenceNames(reference),
      };
      expect(spec.entry_points).to.deep.equal(['merge', 'sum', 'make']);
      const r = await pool.run(asserting('mbpp-merge', reference, spec));
      expect(r.verdict, r.error).to.equal('pass');
      const wrong = reference.replace('return sorted(a + b)', 'return a + b');
      expect((await pool.run(asserting('mbpp-merge-wrong', wrong, spec))).verdict).to.equal('fail');
    });

    it("what a call does to its arguments reaches the test's objects, as in one process (in-place problems)", async () => {
      const context =
        'class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n\n' +
        'def list_node(values):\n    head = None\n    for v in reversed(values):\n        head = ListNode(v, head)\n    return head\n';
      const tests =
        'nums = [1, 2, 3]\nSolution().rotate(nums)\nassert nums == [3, 1, 2]\n' +
        'counts = {}\nSolution().tally(counts, "ab")\nassert counts == {"a": 1, "b": 1}\n' +
        'h = list_node([1, 2])\nSolution().cut(h)\nassert h.next is None and h.val == 1\n';
      const spec = { code: tests, context, entry_points: ['Solution'] };
      const right =
        context +
        '\nclass Solution:\n    def rotate(self, nums):\n        nums[:] = nums[-1:] + nums[:-1]\n' +
        '    def tally(self, counts, s):\n        for c in s:\n            counts[c] = counts.get(c, 0) + 1\n' +
        '    def cut(self, head):\n        head.next = None\n';
      const r = await pool.run(asserting('in-place', right, spec));
      expect(r.verdict, r.error).to.equal('pass');
      // a program that leaves its argument alone fails as it would in one process
      const lazy = right.replace('nums[:] = nums[-1:] + nums[:-1]', 'nums = nums[-1:] + nums[:-1]');
      expect((await pool.run(asserting('not-in-place', lazy, spec))).verdict).to.equal('fail');
    });

    it('a module the program names is never imported by the judge', async () => {
      // `this` prints the Zen of Python at import: into the judge's protocol stream, before v3
      for (const code of [
        'import this as f\n',
        'import unittest.__main__ as f\n',
        'import antigravity as f\n',
      ]) {
        const r = await pool.run(
          asserting(`module-${code}`, code, { code: 'assert f(1) == 2\n', entry_points: ['f'] }),
        );
        expect(r.verdict, code).to.equal('error');
      }
      expect((await pool.run(double(4))).verdict).to.equal('pass');
    });

    it('CPU counts every process of the program: work in forked children is a timeout, a small fork passes', async () => {
      const work = 'x = 0\n    for i in range(3 * 10 ** 7):\n        x += i\n';
      const attacks = {
        'child works, parent waits': `import os\nif os.fork() == 0:\n    ${work}    os._exit(0)\nos.wait()\nprint("ok")\n`,
        'three children': `import os\nfor _ in range(3):\n    if os.fork() == 0:\n        ${work.replace(/\n {4}/g, '\n        ')}        os._exit(0)\nfor _ in range(3):\n    os.wait()\nprint("ok")\n`,
        'children reaped by nobody (SIGCHLD ignored if it can be)': `import os, signal, time\ntry:\n    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\nexcept OSError:\n    pass\nfor _ in range(3):\n    if os.fork() == 0:\n        ${work.replace(/\n {4}/g, '\n        ')}        os._exit(0)\ntime.sleep(4)\nprint("ok")\n`,
        'an orphan the runner reaps': `import os, time\nif os.fork() == 0:\n    if os.fork() == 0:\n        ${work.replace(/\n {4}/g, '\n        ')}        os._exit(0)\n    os._exit(0)\ntime.sleep(4)\nprint("ok")\n`,
      };
      for (const [name, code] of Object.entries(attacks)) {
        const r = await pool.run(stdio(name, code, [''], ['ok\n']));
        expect(r.verdict, name).to.equal('timeout');
      }
      const small = 'import os\nif os.fork() == 0:\n    os._exit(0)\nos.wait()\nprint("ok")\n';
      expect((await pool.run(stdio('small-fork', small, [''], ['ok\n']))).verdict).to.equal('pass');
      // in a call test too (a function's loop runs faster than the module's: more of it)
      const inFunction = work.replace('3 * 10 ** 7', '10 ** 8').replace(/\n {4}/g, '\n        ');
      const call = `import os\ndef f(x):\n    if os.fork() == 0:\n        ${inFunction}        os._exit(0)\n    os.wait()\n    return x\n`;
      const rc = await pool.run({
        id: 'call-fork',
        code: call,
        tests: { kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [1] },
        limits: { test_cpu_s: 1 },
      });
      expect(rc.verdict).to.equal('timeout');
    });

    it("forged test boundaries end the forger's own test: CPU is counted per test, and no input is there early", async () => {
      // 0.6 s of work per test against 1 s; forging every boundary up front must not reset the clock
      const forge =
        'import os, json\nfor k in range(3):\n    os.write(3, (json.dumps({"i": k}) + "\\n").encode())\n' +
        'x = 0\nfor i in range(4 * 10 ** 7):\n    x += i\nprint(int(input()) * 2)\n';
      const r = await pool.run(stdio('forge', forge, ['1\n', '2\n', '3\n'], ['2\n', '4\n', '6\n']));
      expect(r.verdict).to.not.equal('pass');
      // the next test's input does not exist before its turn: reading ahead finds nothing
      const peek =
        'import array, fcntl, termios, time\nv = input()\ntime.sleep(0.1)\nahead = 0\nfor fd in range(3, 16):\n    n = array.array("i", [0])\n    try:\n' +
        '        fcntl.ioctl(fd, termios.FIONREAD, n)\n        ahead += n[0]\n    except OSError:\n        pass\nprint(v, ahead)\n';
      const p = await pool.run(stdio('peek', peek, ['a\n', 'b\n', 'c\n'], ['a 0\n', 'b 0\n', 'c 0\n']));
      expect(p.verdict, p.error).to.equal('pass');
      expect(
        (
          await pool.run(
            stdio('three', 'print(int(input()) * 2)\n', ['1\n', '2\n', '3\n'], ['2\n', '4\n', '6\n']),
          )
        ).verdict,
      ).to.equal('pass');
    });
  });

  describe('isolation: each program starts from the same state, whatever the one before did', () => {
    it('no program can change PID 1: limits, priority, scheduling, affinity and signals stay as they were', async () => {
      const state =
        'def pid1():\n    return (open("/proc/1/limits").read(), os.sched_getaffinity(1), os.getpriority(os.PRIO_PROCESS, 1), os.sched_getscheduler(1))\n';
      const attack =
        `import os, resource, signal, time\n${state}before = pid1()\nok = []\n` +
        'for res in (resource.RLIMIT_STACK, resource.RLIMIT_NPROC, resource.RLIMIT_AS, resource.RLIMIT_RTTIME, resource.RLIMIT_MSGQUEUE, resource.RLIMIT_NOFILE):\n' +
        '    try:\n        resource.prlimit(1, res, (1, 1))\n        ok.append(res)\n    except OSError:\n        pass\n' +
        'for call in (lambda: os.setpriority(os.PRIO_PROCESS, 1, 19), lambda: os.setpriority(os.PRIO_USER, 0, 19), lambda: os.setpriority(os.PRIO_PGRP, 0, 19),\n' +
        '             lambda: os.sched_setaffinity(1, {0}), lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0)), lambda: os.sched_setparam(1, os.sched_param(0))):\n' +
        '    try:\n        call()\n        ok.append(call)\n    except OSError:\n        pass\n' +
        'for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGQUIT, signal.SIGSTOP, signal.SIGKILL):\n' +
        '    try:\n        os.kill(1, sig)\n    except OSError:\n        pass\n' +
        '    try:\n        signal.pidfd_send_signal(os.pidfd_open(1), sig)\n    except OSError:\n        pass\n' +
        'time.sleep(0.1)\nprint(len(ok), pid1() == before)\n';
      const r = await pool.run(stdio('pid1', attack, [''], ['0 True\n']));
      expect(r.verdict, r.error).to.equal('pass');
      // benign programs that need the runner's limits untouched: deep recursion, threads, deep json
      const deep =
        'import functools, json, sys, threading\nsys.setrecursionlimit(10000)\n@functools.lru_cache(None)\ndef f(n):\n    return 0 if n == 0 else f(n - 1) + 1\n' +
        'ts = [threading.Thread(target=lambda: None) for _ in range(8)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n' +
        'x = []\nfor _ in range(900):\n    x = [x]\nprint(f(3000), len(json.dumps(x)))\n';
      const d = await pool.run(stdio('deep', deep, [''], ['3000 1802\n']));
      expect(d.verdict, d.error).to.equal('pass');
      expect(d.isolation.uid).to.equal(r.isolation.uid); // the same runner: it survived
    });

    it('trees deeper than PATH_MAX and locked directories in every scratch mount are gone for the next program', async () => {
      const deep =
        'import os\nfor root in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/tmp/work"):\n    os.chdir(root)\n    for _ in range(600):\n' +
        '        os.mkdir("d" * 10)\n        os.chdir("d" * 10)\n    open("f", "w").write("x")\n    os.chmod(".", 0)\nos.chdir("/tmp")\nprint("ok")\n';
      const r = await pool.run(stdio('deep-tree', deep, [''], ['ok\n'], 4));
      expect(r.verdict, r.error).to.equal('pass');
      const look =
        'import os\nleft = [os.path.join(d, n) for d in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/dev/mqueue") for n in os.listdir(d) if n != "work"]\n' +
        'print(left, os.listdir("/tmp/work"))\n';
      const l = await pool.run(stdio('look', look, [''], ['[] []\n']));
      expect(l.verdict, l.error).to.equal('pass');
      expect(l.isolation.uid).to.equal(r.isolation.uid); // the same slot, not a fresh one
    });

    it('/dev is read-only and keyrings are out of reach, so neither carries anything to the next program', async () => {
      const store =
        'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nn = 0\n' +
        'try:\n    open("/dev/stash", "wb").write(b"x" * (1 << 20))\n    n += 1\nexcept OSError:\n    pass\n' +
        '# add_key("user", "sf", "secret", 6, KEY_SPEC_USER_KEYRING)\n' +
        'n += libc.syscall(248, b"user", b"sf", b"secret", 6, -4) >= 0\n' +
        'n += libc.syscall(250, 1, -4, 0, 0, 0) >= 0  # keyctl(KEYCTL_JOIN_SESSION_KEYRING)\n' +
        'open("/dev/null", "w").write("fine")\nprint(n)\n';
      const r = await pool.run(stdio('stash', store, [''], ['0\n']));
      expect(r.verdict, r.error).to.equal('pass');
    });

    it('the kernel surface no program needs is denied; what programs use still works', async () => {
      const code =
        'import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\ndenied = 0\n' +
        'denied += libc.syscall(425, 8, ctypes.create_string_buffer(120)) < 0  # io_uring_setup\n' +
        'denied += libc.syscall(321, 0, 0, 0) < 0  # bpf\n' +
        'denied += libc.syscall(323, 0) < 0  # userfaultfd\n' +
        'for family in (40, 38, 17):  # AF_VSOCK, AF_ALG, AF_PACKET\n    try:\n        socket.socket(family, socket.SOCK_STREAM)\n    except OSError:\n        denied += 1\n' +
        'a, b = socket.socketpair()\na.send(b"x")\nok = b.recv(1) == b"x"\n' +
        's = socket.socket()\ns.bind(("127.0.0.1", 0))\ns.listen()\nok = ok and s.getsockname()[1] > 0\n' +
        'print(denied, ok)\n';
      const r = await pool.run(stdio('surface', code, [''], ['6 True\n']));
      expect(r.verdict, r.error).to.equal('pass');
    });
  });

  describe('availability: one program cannot stop the run', () => {
    it('junk on every descriptor it holds costs a program its own verdict, first in a run or four in a row', async () => {
      const junk = [
        '[]',
        '"x"',
        '{"i": "0"}',
        '{"i": true}',
        '{"compile_error": 1, "i": 0}',
        '\\x00' + 'z'.repeat(70000),
        'null',
      ];
      const fresh = new ExecPool({ workers: 2 });
      try {
        for (const j of junk) {
          // every program answers wrong: whatever the junk does, none may pass
          const code = `import os\nfor fd in range(3, 16):\n    try:\n        os.write(fd, ${JSON.stringify(j)}.encode() + b"\\n")\n    except OSError:\n        pass\nprint("no")\n`;
          const call = `import os\ndef f(x):\n    for fd in range(3, 16):\n        try:\n            os.write(fd, ${JSON.stringify(j)}.encode() + b"\\n")\n        except OSError:\n            pass\n    return x + 1\n`;
          const rs = await Promise.all([
            fresh.run(stdio(`junk-${j.slice(0, 10)}`, code, [''], ['ok\n'])),
            fresh.run({
              id: 'junk-call',
              code: call,
              tests: { kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [1] },
            }),
            fresh.run(asserting('junk-assert', call, { code: 'assert f(1) == 1\n', entry_points: ['f'] })),
          ]);
          for (const r of rs) expect(['error', 'fail'], `${r.id}: ${j}`).to.include(r.verdict);
        }
        const after = await Promise.all([1, 2, 3, 4].map((i) => fresh.run(double(i))));
        expect(after.map((r) => r.verdict)).to.deep.equal(['pass', 'pass', 'pass', 'pass']);
      } finally {
        await fresh.close();
      }
    });

    it('100 tests of 1 MiB of control bytes each: bounded frames, no crash, the pool goes on', async () => {
      const n = 100;
      const code = 'import sys\nsys.stdin.read()\nsys.stdout.write("\\x00" * ((1 << 20) - 1))\n';
      const r = await pool.run({
        ...stdio('flood', code, Array(n).fill(''), Array(n).fill('x')),
        limits: { test_cpu_s: 1, program_wall_s: 60 },
      });
      expect(r.verdict).to.equal('fail');
      expect((await pool.run(double(9))).verdict).to.equal('pass');
    });
  });
});
