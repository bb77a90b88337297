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

  // An outside attacker's findings against the first version (each with its twin): planned and unplanned, the same
  // program must get the same verdict. Unplanned: a statement after the call turns the plan off.
  const both = async (id: string, code: string, asserts: string[], test_cpu_s = 1) => {
    const planned = await run(id, code, tests(check(asserts)), test_cpu_s);
    const alone = await run(
      `${id}-alone`,
      code,
      tests(check(asserts, 'check(Solution().f)\npass')),
      test_cpu_s,
    );
    expect(planned.verdict, `${id}: ${planned.error}`).to.equal(alone.verdict);
    expect(alone.requests).to.equal(alone.calls);
    return planned;
  };
  const two = ['candidate(1) == 1', 'candidate(2) == 2'];
  const three = [...two, 'candidate(3) == 3'];

  it('a planned call gets the CPU timer it would get alone: a program can neither tell nor gain from the plan', async () => {
    const spin = (s: number) =>
      `        t = time.process_time()\n        while time.process_time() - t < ${s}:\n            pass\n`;
    // a bare except around a slow path: its timer must fire with what is left of the test's second, not a whole one
    const caught =
      'import time\nclass Solution:\n    def f(self, n):\n        if n == 1:\n' +
      spin(0.5).replace(/^(?=.)/gm, '    ') +
      '            return 1\n        try:\n            while True:\n                sum(range(100))\n' +
      '        except BaseException:\n            return n\n';
    expect((await both('caught-timer', caught, two)).verdict).to.equal('pass');
    const twin = 'class Solution:\n    def f(self, n):\n        return n\n';
    expect((await both('caught-twin', twin, two)).verdict).to.equal('pass');
    // the time left, as the timer shows it, is the same planned or not
    const peek =
      'import time, signal\nclass Solution:\n    def f(self, n):\n        if n == 1:\n' +
      spin(0.2).replace(/^(?=.)/gm, '    ') +
      '            return 1\n        return n if signal.getitimer(signal.ITIMER_PROF)[0] > 0.9 else -n\n';
    expect((await both('peek-timer', peek, two)).verdict).to.equal('fail');
    // 1.02 s of CPU over the test's 1 s is a timeout however its calls travel; 0.9 s passes
    const total = (end: number) =>
      `import time\nT0 = time.process_time()\nclass Solution:\n    def f(self, n):\n` +
      `        while time.process_time() - T0 < {1: 0.5, 2: ${end}}[n]:\n            pass\n        return n\n`;
    expect((await both('over-by-20ms', total(1.02), two)).verdict).to.equal('timeout');
    expect((await both('under', total(0.9), two)).verdict).to.equal('pass');
  });

  it('replies cross in base64: characters that JSON escapes to 12 bytes keep a batch within its frame', async () => {
    const wide =
      'import json, functools\njson.dumps = functools.partial(json.dumps, ensure_ascii=False)\n' +
      "class Solution:\n    def f(self, n):\n        return 1 if n == 1 else '\\U0001F600' * 262000\n";
    const r = await both('wide', wide, three);
    expect(r.verdict, r.error).to.equal('fail');
    expect(r.error).to.match(/AssertionError/);
  });

  it('a call run ahead that sleeps keeps no test waiting: a wrong answer before it fails in the same time', async () => {
    const sleepy = (second: number) =>
      `import time\nclass Solution:\n    def f(self, n):\n        time.sleep({1: 2.8, 2: 2.8, 3: 100}[n])\n` +
      `        return ${second} if n == 2 else n\n`;
    // alone, the test ends after 5.6 s, within Node's deadline (8 s); a call run ahead must not push it past
    const r = await both('sleepy', sleepy(-2), three);
    expect(r.verdict, r.error).to.equal('fail');
    const twin = await run('sleepy-twin', sleepy(2).replace('3: 100', '3: 0'), tests(check(three)));
    expect(twin.verdict, twin.error).to.equal('pass');
  });

  it("what a planned call did to its arguments is read as a call alone's is: unreadable state is an error", async () => {
    const snan =
      "import decimal\nclass Solution:\n    def f(self, xs):\n        xs.append(decimal.Decimal('sNaN'))\n        return len(xs) - 1\n";
    const args = ['candidate([1]) == 1', 'candidate([1, 2]) == 2'];
    expect((await both('snan-arg', snan, args)).verdict).to.equal('error');
    const twin = 'class Solution:\n    def f(self, xs):\n        return len(xs)\n';
    expect((await both('arg-twin', twin, args)).verdict).to.equal('pass');
  });

  it("a call problem's inputs go several a request, each a test of its own: its verdict, its own CPU limit", async () => {
    const xs = range(30);
    const call = (code: string, test_cpu_s = 2) =>
      run('calls', code, { kind: 'call', fn_name: 'f', inputs: xs.map((x) => [x]), outputs: xs }, test_cpu_s);
    const mixed = await call(
      'def f(x):\n    if x == 5:\n        return -1\n    if x == 20:\n        raise ValueError("twenty")\n    return x\n',
    );
    const verdicts = mixed.tests.map((t) => t.verdict);
    expect(verdicts.slice(0, 19)).to.deep.equal(xs.slice(0, 19).map((x) => (x === 5 ? 'fail' : 'pass')));
    expect(verdicts[19]).to.equal('error'); // a raise ends the run: the inputs after it are not tests it passed
    expect(mixed.tests[19]!.error).to.match(/ValueError: twenty/);
    expect(verdicts.slice(20)).to.deep.equal(Array(10).fill('skipped'));
    expect(mixed.requests).to.be.below(mixed.calls);
    // 0.1 s an input is 3 s in all, past a shared limit of 0.5 s but within each input's own
    const burn =
      'import time\ndef f(x):\n    t = time.process_time()\n    while time.process_time() - t < (0.7 if x == 25 else 0.1):\n' +
      '        pass\n    return x\n';
    const slow = await call(burn, 0.5);
    expect(slow.tests.map((t) => t.verdict).slice(0, 24)).to.deep.equal(Array(24).fill('pass'));
    expect(slow.tests[24]!.verdict).to.equal('timeout');
    const twin = await call(burn.replace('0.7 if x == 25 else ', ''), 0.5);
    expect(twin.verdict, twin.error).to.equal('pass');
  });

  it("a reference's recording is planned too: an input that breaks its contract is retried alone in other types", async () => {
    // the contract takes a tuple from every 5th input only: the list it is first called with raises, then the
    // tuple goes alone, and the next input is the plan's again
    const ref =
      'def f(xs, k):\n    if k % 5 == 0:\n        assert isinstance(xs, tuple)\n    if k == 13:\n        raise ValueError("13")\n' +
      '    return sum(xs) * k\n';
    const xs = range(20);
    const [r0, c0] = [pool.stats.program_requests, pool.stats.program_calls];
    const r = await pool.run({
      id: 'record',
      code: ref,
      tests: { kind: 'call', fn_name: 'f', inputs: xs.map((k) => [[k, 1], k]), outputs: [] },
      record: true,
    });
    const requests = pool.stats.program_requests - r0;
    expect(r.outputs).to.deep.equal(xs.map((k) => (k === 13 ? null : String((k + 1) * k))));
    expect(r.inputs![4]).to.equal('[{"t": [5, 1]}, 5]');
    expect(r.inputs![5]).to.equal('[[6, 1], 6]');
    expect(r.retyped).to.equal(4);
    expect(requests).to.be.below(pool.stats.program_calls - c0);
  });

  it('a call still running 50 ms after a batch answered answers the next request, run once, in its turn', async () => {
    // 30 ms a call: a batch's second call is still running at its 50 ms, left to run, and sent again next time
    const slow =
      'import time\nclass Solution:\n    n = 0\n    def f(self, x):\n        time.sleep(0.03)\n' +
      '        Solution.n += 1\n        return Solution.n\n';
    const asserts = range(12).map((i) => `candidate(0) == ${i}`);
    const r = await both('left-running', slow, asserts);
    expect(r.verdict, r.error).to.equal('pass');
    expect(r.calls).to.be.above(12 + 3); // the calls left running went out twice: the get, Solution() and .f, then 12
    const off = await both('left-running-off', slow, [...asserts.slice(0, 11), 'candidate(0) == 13']);
    expect(off.verdict).to.equal('fail');
  });
});
