import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { parseJson } from '../../lib/json.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import { extraTestSpec, type Problem } from '../../lib/schemas.ts';
import { check } from '../../operators/check.ts';
import { extraTests } from '../../operators/extra.ts';
import { fullTarget } from '../helpers.ts';

describe('extra: tests added by mutating inputs (--extra-tests)', function () {
  this.timeout(120_000);
  let pool: ExecPool;
  before(() => {
    pool = new ExecPool({ workers: 2 });
  });
  after(() => pool.close());

  const run = async (ps: Problem[], count = 10, seed = 1) => {
    const ctx = new RunContext();
    const out = await lastValueFrom(
      from(ps).pipe(extraTests(ctx, { pool: () => pool, concurrency: 2, count, seed }), toArray()),
    );
    return { out, stats: ctx.counter('extra').stats };
  };
  const callProblem = (solutions: string[]): Problem => ({
    problem_id: 'sq',
    source: 'apps',
    question: 'square it',
    solutions,
    tests: { kind: 'call', fn_name: 'f', inputs: [[3], [5]], outputs: [9, 25] },
    starter_code: '',
  });

  it('adds up to N call tests whose outputs are what the references return, the same for the same seed', async () => {
    const { out, stats } = await run([callProblem(['def f(x):\n    return x * x\n'])]);
    const x = out[0]!.extra_tests!;
    expect(x.fn_name).to.equal('f');
    expect(x.inputs).to.have.length(10);
    x.inputs.forEach((text, i) => {
      const [n] = parseJson(text) as number[];
      expect(parseJson(x.outputs[i]!)).to.equal(n! * n!);
    });
    expect(x.inputs).to.not.include('[3]');
    expect(stats.tests_added).to.equal(10);
    expect((await run([callProblem(['def f(x):\n    return x * x\n'])])).out[0]!.extra_tests).to.deep.equal(
      x,
    );
    // the judge's own test: every reference passes what it answered
    const r = await pool.run({
      id: 'again',
      code: 'def f(x):\n    return x * x\n',
      tests: extraTestSpec(out[0]!)!,
    });
    expect(r.verdict).to.equal('pass');
  });

  it('keeps only inputs every passing reference answers alike, without raising; a failing reference has no say', async () => {
    const refs = [
      'def f(x):\n    return x * x\n',
      // agrees on positive inputs only, and raises on 0
      'def f(x):\n    assert x != 0\n    return x * x if x > 0 else -1\n',
      // wrong on the problem's own tests: not a reference of the added ones
      'def f(x):\n    return 0\n',
    ];
    const { out, stats } = await run([callProblem(refs)], 20);
    const x = out[0]!.extra_tests!;
    expect(x.inputs.length).to.be.greaterThan(0);
    for (const text of x.inputs) expect((parseJson(text) as number[])[0]).to.be.greaterThan(0);
    expect(stats.inputs_refused).to.be.greaterThan(0);
  });

  it("reads an assert test's literal calls (HumanEval's candidate) in the sandbox and mutates them", async () => {
    const p: Problem = {
      problem_id: 'HumanEval/x',
      source: 'humaneval',
      question: '',
      solutions: ['def add(xs, k):\n    return [x + k for x in xs]\n'],
      tests: {
        kind: 'assert',
        code: 'def check(candidate):\n    assert candidate([1, 2], 3) == [4, 5]\n    assert candidate(list(range(3)), 1) == [1, 2, 3]\n\ncheck(add)\n',
        entry_points: ['add'],
      },
      starter_code: '',
    };
    const { out } = await run([p], 5);
    const x = out[0]!.extra_tests!;
    expect(x.fn_name).to.equal('add');
    expect(x.inputs).to.have.length(5);
    x.inputs.forEach((text, i) => {
      const [xs, k] = parseJson(text) as [number[], number];
      expect(parseJson(x.outputs[i]!)).to.deep.equal(xs.map((v) => v + k));
    });
    const wrong = 'def add(xs, k):\n    return [x + k for x in xs] if k == 3 or len(xs) == 3 else []\n';
    expect((await pool.run({ id: 'orig', code: wrong, tests: p.tests })).verdict).to.equal('pass');
    expect((await pool.run({ id: 'added', code: wrong, tests: extraTestSpec(out[0]!)! })).verdict).to.equal(
      'fail',
    );
  });

  it('check: a candidate that passes the own tests but fails an added one is a wrong candidate, counted', async () => {
    const { out } = await run([callProblem(['def f(x):\n    return x * x\n'])], 10);
    const problem = out[0]!;
    const candidate = (text: string, i: number) => ({
      ...fullTarget(problem, 'def f(x):\n    return x * x\n'),
      candidate_index: i,
      candidate: text,
      generator: 'test',
      origin: 'test',
    });
    // right on 3 and 5 (the problem's own tests), wrong elsewhere: a hard negative only the added tests see
    const nearMiss = 'def f(x):\n    return {3: 9, 5: 25}.get(x, x * x + 1)\n';
    const ctx = new RunContext();
    const checked = await lastValueFrom(
      from([candidate('def f(x):\n    return x * x\n', 0), candidate(nearMiss, 1)]).pipe(
        check(ctx, { pool }),
        toArray(),
      ),
    );
    const [right, wrong] = [
      checked.find((c) => c.candidate_index === 0)!,
      checked.find((c) => c.candidate_index === 1)!,
    ];
    expect([right.verdict, right.extra_fail]).to.deep.equal(['pass', undefined]);
    expect([wrong.verdict, wrong.extra_fail]).to.deep.equal(['fail', true]);
    expect(wrong.passed_tests).to.equal(2); // the own two, none of the added
    expect(ctx.counter('check').stats.extra_tests_caught).to.equal(1);
  });

  it("reads LeetCodeDataset's keyword calls of check(Solution().method) in the order of the method's parameters", async () => {
    const p: Problem = {
      problem_id: 'lc',
      source: 'leetcode',
      question: '',
      solutions: [
        'class Solution:\n    def shift(self, nums: List[int], k: int) -> List[int]:\n        return [x + k for x in nums]\n',
      ],
      given: 'from typing import *\n',
      tests: {
        kind: 'assert',
        code: 'def check(candidate):\n    assert candidate(k = 3, nums = [1, 2]) == [4, 5]\n    assert candidate(nums = [0], k = 1) == [1]\n\ncheck(Solution().shift)\n',
        entry_points: ['Solution'],
      },
      starter_code: '',
    };
    const { out } = await run([p], 5);
    const x = out[0]!.extra_tests!;
    expect(x.fn_name).to.equal('shift');
    expect(x.inputs).to.have.length(5);
    x.inputs.forEach((text, i) => {
      const [nums, k] = parseJson(text) as [number[], number];
      expect(parseJson(x.outputs[i]!)).to.deep.equal(nums.map((v) => v + k));
    });
    // the added tests call the method of Solution(), as the dataset's check does
    const code = 'from typing import *\n' + p.solutions[0]!;
    expect((await pool.run({ id: 'lc-added', code, tests: extraTestSpec(out[0]!)! })).verdict).to.equal(
      'pass',
    );
  });

  it('leaves a problem without a function to call unchanged, counted', async () => {
    const p: Problem = {
      problem_id: 'io',
      source: 'apps',
      question: '',
      solutions: ['print(input())'],
      tests: { kind: 'stdio', inputs: ['1\n'], outputs: ['1\n'] },
      starter_code: '',
    };
    const { out, stats } = await run([p]);
    expect(out).to.deep.equal([p]);
    expect(stats.problems_unchanged_not_a_function).to.equal(1);
  });
});
