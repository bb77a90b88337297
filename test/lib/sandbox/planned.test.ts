import { expect } from 'chai';
import { ExecPool, type ExecResult } from '../../../lib/sandbox/pool.ts';
import type { TestSpec } from '../../../lib/schemas.ts';

// Calls planned ahead (python/sandbox_judge.py, plan_of): a `check(candidate)` of literal assertions sends the
// program's calls to the runner several at a time. Each case: the verdict is the one that calls sent one by one
// give, and the requests show whether the plan was used.

const check = (asserts: string[], last = 'check(Solution().f)', before = '') =>
  `def check(candidate):\n${before}${asserts.map((a) => `    assert ${a}\n`).join('')}\n${last}\n`;
const tests = (code: string, context?: string): TestSpec => ({
  kind: 'assert',
  code,
  entry_points: ['Solution'],
  ...(context ? { context } : {}),
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('sandbox: calls planned ahead', function () {
  this.timeout(120_000);
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 1 })));
  after(() => pool.close());

  /** The run, and the requests and calls it made of the program. */
  const run = async (id: string, code: string, t: TestSpec, test_cpu_s = 2) => {
    const [r0, c0] = [pool.stats.program_requests, pool.stats.program_calls];
    const r: ExecResult = await pool.run({ id, code, tests: t, limits: { test_cpu_s, program_wall_s: 30 } });
    return { ...r, requests: pool.stats.program_requests - r0, calls: pool.stats.program_calls - c0 };
  };

  const ADD = 'class Solution:\n    def f(self, a, b=0):\n        return a + b\n';

  it('a check of literal calls runs in a few requests and passes; one statement of another kind runs it call by call', async () => {
    const asserts = range(40).map((i) => `candidate(${i}, b=${i}) == ${2 * i}`);
    const planned = await run('planned', ADD, tests(check(asserts)));
    expect(planned.verdict, planned.error).to.equal('pass');
    expect(planned.calls).to.be.at.least(40);
    expect(planned.requests).to.be.at.most(12); // the name, Solution(), .f, then 1 + 2 + 4 + ... calls a request
    const plain = await run('plain', ADD, tests(check(asserts, 'check(Solution().f)', '    x = 0\n')));
    expect(plain.verdict, plain.error).to.equal('pass');
    expect(plain.requests).to.equal(plain.calls);
    const wrong = await run('wrong', ADD, tests(check([...asserts.slice(0, 30), 'candidate(1) == 3'])));
    expect(wrong.verdict).to.equal('fail');
  });

  it('each call runs once and in order, across requests: an answer that counts the calls before it is right', async () => {
    const counter =
      'class Solution:\n    n = 0\n    def f(self, x):\n        Solution.n += 1\n        return Solution.n\n';
    const r = await run('counter', counter, tests(check(range(20).map((i) => `candidate(0) == ${i}`))));
    expect(r.verdict, r.error).to.equal('pass');
    expect(r.requests).to.be.below(r.calls);
    const off = range(20).map((i) => `candidate(0) == ${i === 20 ? 21 : i}`);
    expect((await run('counter-off', counter, tests(check(off)))).verdict).to.equal('fail');
  });

  it('a wrong answer read before a call that never ends is a wrong answer, as one call at a time gives', async () => {
    // the second request carries calls 2 and 3: call 3 runs out of CPU, but the test stops at call 2's answer
    const hang = (second: number) =>
      `class Solution:\n    def f(self, x):\n        if x == 3:\n            while True:\n                pass\n` +
      `        return ${second} if x == 2 else x\n`;
    const t = tests(check(['candidate(1) == 1', 'candidate(2) == 2', 'candidate(3) == 3']));
    const wrong = await run('wrong-then-hang', hang(0), t, 1);
    expect(wrong.verdict, wrong.error).to.equal('fail');
    expect(wrong.error).to.match(/AssertionError/);
    const right = await run('right-then-hang', hang(2), t, 1);
    expect(right.verdict).to.equal('timeout');
  });

  it("an exception the program raises in a planned call is the test's error, named as the program raised it", async () => {
    const raising =
      'class Solution:\n    def f(self, x):\n        if x == 2:\n            raise ValueError("two")\n        return x\n';
    const t = tests(check(range(6).map((i) => `candidate(${i}) == ${i}`)));
    const r = await run('raise', raising, t);
    expect(r.verdict).to.equal('error');
    expect(r.error).to.match(/ValueError: two/);
    const twin = await run('no-raise', raising.replace('x == 2', 'x == 99'), t);
    expect(twin.verdict, twin.error).to.equal('pass');
  });

  it("the test's CPU limit holds over all its calls, however many a request carries", async () => {
    const burn =
      'import time\nclass Solution:\n    def f(self, x):\n        t = time.process_time()\n' +
      '        while time.process_time() - t < 0.3:\n            pass\n        return x\n';
    const six = await run('burn-6', burn, tests(check(range(6).map((i) => `candidate(${i}) == ${i}`))), 1);
    expect(six.verdict).to.equal('timeout');
    const two = await run('burn-2', burn, tests(check(range(2).map((i) => `candidate(${i}) == ${i}`))), 1);
    expect(two.verdict, two.error).to.equal('pass');
  });

  it('large arguments and answers travel in more requests, each within its bytes, and arrive whole', async () => {
    const big = `[${range(12_000).join(', ')}]`;
    const echo = 'class Solution:\n    def f(self, xs, k):\n        return [x + k for x in xs]\n';
    const asserts = range(24).map((k) => `candidate(${big}, ${k}) == [x + ${k} for x in ${big}]`);
    // a comprehension is no literal: the expected side is plain data built in the test instead
    const literal = range(24).map(
      (k) =>
        `candidate(${big}, ${k}) == [${range(12_000)
          .map((x) => x + k)
          .join(', ')}]`,
    );
    const r = await run('big', echo, tests(check(literal)));
    expect(r.verdict, r.error).to.equal('pass');
    expect(r.requests).to.be.within(9, r.calls - 1); // 24 calls of about 70 KB: at most 4 a request
    const unplanned = await run('big-unplanned', echo, tests(check(asserts)));
    expect(unplanned.verdict, unplanned.error).to.equal('pass');
    expect(unplanned.requests).to.equal(unplanned.calls);
  });

  it('tests that read the program after the checked function, or catch its failure, run call by call', async () => {
    const counter =
      'class Solution:\n    n = 0\n    def f(self, x):\n        Solution.n += 1\n        return x\n';
    const asserts = ['candidate(1) == 1', 'candidate(2) == 0', 'candidate(3) == 3', 'candidate(4) == 4'];
    // planned, calls 2 and 3 would share a request: call 3 would have run when the failure of call 2 is read
    const caught = `try:\n    check(Solution().f)\nexcept AssertionError:\n    pass\nassert Solution.n == 2\n`;
    const r = await run('caught', counter, tests(check(asserts, caught)));
    expect(r.verdict, r.error).to.equal('pass');
    expect(r.requests).to.equal(r.calls);
    const after = await run(
      'after',
      counter,
      tests(check(asserts.slice(0, 1), 'check(Solution().f)\nassert Solution.n == 1')),
    );
    expect(after.verdict, after.error).to.equal('pass');
  });

  it("where the tests' classes compare by their own code, the calls go one by one", async () => {
    // a trusted __eq__ may ask the program (here: how many calls it has had), which calls run ahead would change
    const context =
      'class Box:\n    def __init__(self, v):\n        self.v = v\n    def __eq__(self, other):\n' +
      '        return self.v == other == Solution.n\n';
    const boxes =
      'class Box:\n    pass\nclass Solution:\n    n = 0\n    def f(self, x):\n        Solution.n += 1\n' +
      '        b = Box()\n        b.v = Solution.n\n        return b\n';
    const r = await run('eq', boxes, tests(check(range(4).map((i) => `candidate(0) == ${i}`)), context));
    expect(r.verdict, r.error).to.equal('pass');
    expect(r.requests).to.equal(r.calls);
    const plain = 'class Box:\n    pass\n';
    const t = tests(check(['candidate(1) is not None', 'candidate(2) != 2', 'candidate(3)']), plain);
    const twin = await run('no-eq', boxes, t);
    expect(twin.verdict, twin.error).to.equal('pass');
    expect(twin.requests).to.be.below(twin.calls);
  });
});
