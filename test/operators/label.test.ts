import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import type { FormattedSolution, Problem, TestSpec } from '../../lib/schemas.ts';
import { checkers } from '../../operators/checkers.ts';
import { label } from '../../operators/label.ts';
import { tmp } from '../helpers.ts';

// any i < j with a_i + a_j = t: the references find different pairs
const PAIR_TESTS: TestSpec = { kind: 'stdio', inputs: ['4 6\n1 3 3 5\n'], outputs: ['1 4\n'] };
const FIRST = 'print("1 4")\n';
const OTHER = 'print("2 3")\n';
const CRASH = 'raise ValueError("broken")\n';
const CHECKER =
  'def check(input, output, expected):\n    n, t = map(int, input.split()[:2])\n    a = list(map(int, input.split()[2:]))\n    i, j = map(int, output.split())\n    return 1 <= i < j <= n and a[i - 1] + a[j - 1] == t\n';

const problem = (id: string, solutions: string[], tests: TestSpec = PAIR_TESTS): Problem => ({
  problem_id: id,
  source: 'apps',
  question: 'Print a pair.',
  solutions,
  tests,
  starter_code: '',
});

const formatted = (p: Problem): FormattedSolution[] =>
  p.solutions.map((code, solution_index) => ({
    problem: p,
    problem_id: p.problem_id,
    solution_index,
    code,
    formatted: true as const,
  }));

describe('label: problems with several valid answers', function () {
  this.timeout(60_000);
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 2 })));
  after(() => pool.close());

  it('a reference answering otherwise holds back the passing ones, with the reason and the test; counts add up', async () => {
    const ps = [problem('multi', [FIRST, OTHER, CRASH]), problem('single', [FIRST, CRASH])];
    const dir = tmp();
    const ctx = new RunContext(join(dir, 'rejects.jsonl'));
    const out: FormattedSolution[] = [];
    for (const p of ps)
      out.push(...(await lastValueFrom(of(...formatted(p)).pipe(label(ctx, { pool }), toArray()))));
    await ctx.dispose();
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; reason: string; detail?: string });
    expect(out.map((s) => `${s.problem_id}/${s.solution_index}`)).to.deep.equal(['single/0']);
    const byId = Object.fromEntries(rejects.map((r) => [r.id, r]));
    expect(byId['multi/0']!.reason).to.equal('multiple_valid_outputs');
    expect(byId['multi/0']!.detail).to.equal('reference 1 gave another answer: wrong answer on test 1 of 1');
    expect(byId['multi/1']!.reason).to.equal('verdict_fail');
    // a crash is no evidence of another answer: the problem with only a broken reference goes on
    expect(byId['multi/2']!.reason).to.equal('verdict_error');
    expect(byId['single/1']!.reason).to.equal('verdict_error');
    const c = ctx.counter('label');
    expect(c.in).to.equal(5);
    expect([c.passed, c.out, c.rejected]).to.deep.equal([1, 1, 4]);
    expect(c.stats.problems_multiple_valid_outputs).to.equal(1);
  });

  it('no passing reference, other answers and a statement that accepts any: multiple_valid_outputs, not no_passing_solution', async () => {
    const dir = tmp();
    const ctx = new RunContext(join(dir, 'rejects.jsonl'));
    const any = {
      ...problem('any', [OTHER, 'print("2  3")\n', CRASH]),
      question: 'Print a pair. If there are several answers, print any of them.',
    };
    // the twin: the same references under a statement that names one answer
    const one = problem('one', [OTHER, CRASH]);
    for (const p of [any, one])
      await lastValueFrom(of(...formatted(p)).pipe(label(ctx, { pool }), toArray()));
    await ctx.dispose();
    const lines = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; reason: string; detail?: string });
    const problemLines = Object.fromEntries(lines.filter((l) => !l.id.includes('/')).map((l) => [l.id, l]));
    expect(problemLines.any!.reason).to.equal('multiple_valid_outputs');
    expect(problemLines.any!.detail).to.equal(
      'no reference passed the comparison, 2 gave other answers, and the statement accepts any valid answer ' +
        '("If there are several answers"): a checker (--checkers) would judge them',
    );
    expect(problemLines.one!.reason).to.equal('no_passing_solution');
    const c = ctx.counter('label').stats;
    expect([
      c.problems_multiple_valid_outputs,
      c.references_a_checker_would_recover,
      c.problems_without_pass,
    ]).to.deep.equal([1, 2, 1]);
  });

  it('a problem with a checker is not held back: the other answer passes', async () => {
    const ctx = new RunContext();
    const p = problem('multi', [FIRST, OTHER], { ...PAIR_TESTS, checker: CHECKER } as TestSpec);
    const out = await lastValueFrom(of(...formatted(p)).pipe(label(ctx, { pool }), toArray()));
    expect(out.map((s) => s.solution_index)).to.deep.equal([0, 1]);
    expect(ctx.counter('label').stats.problems_multiple_valid_outputs).to.equal(undefined);
  });

  it('assert tests judge themselves: a failing reference there is only rejected', async () => {
    const ctx = new RunContext();
    const tests: TestSpec = { kind: 'assert', code: 'assert f() == 1\n' };
    const p = problem('asserts', ['def f():\n    return 1\n', 'def f():\n    return 2\n'], tests);
    const out = await lastValueFrom(of(...formatted(p)).pipe(label(ctx, { pool }), toArray()));
    expect(out.map((s) => s.solution_index)).to.deep.equal([0]);
  });
});

describe('checkers', () => {
  it('gives a problem the checker named after it (ids with / are paths), counts it, refuses ids outside the folder', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'HumanEval'));
    writeFileSync(join(dir, 'HumanEval', '3.py'), CHECKER);
    writeFileSync(join(dir, 'p.py'), CHECKER);
    const ctx = new RunContext();
    const ps = [
      problem('HumanEval/3', [FIRST]),
      problem('p', [FIRST], { kind: 'assert', code: 'pass\n' }),
      problem('none', [FIRST]),
      problem('../p', [FIRST]),
    ];
    const out = await lastValueFrom(of(...ps).pipe(checkers(ctx, { dir }), toArray()));
    expect(out.map((p) => [p.problem_id, 'checker' in p.tests ? p.tests.checker : undefined])).to.deep.equal([
      ['HumanEval/3', CHECKER],
      ['p', undefined],
      ['none', undefined],
    ]);
    const c = ctx.counter('checkers');
    expect(c.stats).to.deep.equal({ with_checker: 1, checker_unused_assert_tests: 1 });
    expect(c.reasons).to.deep.equal({ checker_path: 1 });
    expect(() => checkers(ctx, { dir: join(dir, 'missing') })).to.throw(/not a folder/);
  });
});
