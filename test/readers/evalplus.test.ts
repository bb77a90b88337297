import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { from, lastValueFrom, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import type { Problem } from '../../lib/schemas.ts';
import { basePass } from '../../operators/check.ts';
import { expectOutputs } from '../../operators/expect.ts';
import { withContract } from '../../readers/evalplus.ts';
import { detectFormat, readProblems } from '../../readers/index.ts';
import { collect, FIXTURES, readShardRows, tmp } from '../helpers.ts';

const CLI = join(ROOT, 'bin', 'structflow.js');
const FIXTURE = join(FIXTURES, 'evalplus.jsonl');
const call = (p: Problem) => {
  if (p.tests.kind !== 'call') throw new Error(`${p.problem_id}: not call tests`);
  return p.tests;
};

describe('evalplus layout (HumanEval+, MBPP+): base and plus inputs as call tests', function () {
  this.timeout(120_000);
  let pool: ExecPool;
  let expected: Problem[];
  before(async () => {
    pool = new ExecPool({ workers: 2 });
    const ctx = new RunContext();
    const read = await collect(readProblems(ctx, FIXTURE));
    expected = await lastValueFrom(
      from(read).pipe(expectOutputs(ctx, { pool: () => pool, concurrency: 2 }), toArray()),
    );
  });
  after(() => pool.close());

  it('reads .jsonl and .jsonl.gz rows before the HumanEval and MBPP readers would, running nothing', async () => {
    const row = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(detectFormat(row)).to.equal('evalplus'); // it has HumanEval's canonical_solution and entry_point too
    const gz = join(tmp(), 'HumanEvalPlus.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(FIXTURE)));
    const [plain, zipped] = [
      await collect(readProblems(new RunContext(), FIXTURE)),
      await collect(readProblems(new RunContext(), gz)),
    ];
    expect(zipped).to.deep.equal(plain);
    const [a, , , d] = plain;
    expect(a).to.deep.include({ problem_id: 'sf-ep/0', source: 'evalplus' });
    // the expected outputs are not in the file: the reference (solution + contract) computes them later
    expect(call(a!)).to.deep.include({ fn_name: 'power_of_two', base: 3, outputs: [] });
    expect(call(a!).inputs).to.deep.equal([[0], [3], [10], [64], [100], [-1], [200]]);
    expect(call(a!).reference).to.match(
      /"""\n\n {4}assert isinstance\(n, int\) and n >= 0.*\n {4}return 2 \*\* n\n$/,
    );
    expect(a!.solutions).to.deep.equal([a!.question + '    return 2 ** n\n']);
    // MBPP+: the question shows the first assertion, and the contract goes after the signature
    expect(d!.question).to.equal(
      "Write a function to count the vowels (a, e, i, o, u) in a lowercase string.\nYour code should pass these tests:\nassert count_vowels('banana') == 3",
    );
    expect(call(d!).reference).to.include('def count_vowels(s):\n  assert isinstance(s, str)');
  });

  it('puts the contract after a signature that spans lines, and refuses a solution without the function', () => {
    const solution = 'def f(a: int,\n      b: int) -> int:\n    return a + b\n';
    expect(withContract('', solution, '\n    assert a > 0\n', 'f')).to.equal(
      'def f(a: int,\n      b: int) -> int:\n    assert a > 0\n    return a + b\n',
    );
    expect(() => withContract('', 'def g():\n    pass\n', '\n    assert 1\n', 'f')).to.throw(/defines no f/);
  });

  it('expected outputs come from the reference in the sandbox, whole; inputs breaking the contract are dropped', () => {
    const [a, b, c, d] = expected.map(call);
    // 2 ** 64 and 2 ** 200 exactly (a double would keep neither), -1 dropped by the contract
    expect(a!.inputs).to.deep.equal(['[0]', '[3]', '[10]', '[64]', '[100]', '[200]']);
    expect(a!.outputs).to.deep.equal([
      '1',
      '8',
      '1024',
      '18446744073709551616',
      String(2n ** 100n),
      String(2n ** 200n),
    ]);
    expect(a).to.deep.include({ base: 3, encoded: true });
    expect(a).to.not.have.property('reference');
    expect(b).to.deep.include({ atol: 1e-6, outputs: ['1.5', '0.20000000000000004', '2.70833332525'] });
    expect(c!.outputs).to.deep.equal(['{"t": [1, 3]}', '{"t": [5, 5]}', '{"t": [-7, 100]}', '{"t": [2, 2]}']);
    // MBPP+: a plus input of the wrong type (42) breaks the contract; the base count is unchanged
    expect(d!.inputs).to.deep.equal(['["banana"]', '[""]', '["queueing"]', '["rhythm"]']);
    expect(d).to.deep.include({ base: 2, outputs: ['3', '0', '5', '0'] });
  });

  it('compares as evalplus: exact big integers and types, floats within atol; base and plus apart', async () => {
    const [a, b, c] = expected;
    const run = async (p: Problem, code: string) => {
      const r = await pool.run({ id: p.problem_id, code, tests: p.tests });
      return [r.verdict, basePass(p.tests, r.tests)];
    };
    // off by one only past 2 ** 60: right on every base input, wrong on 2 ** 64, which a double cannot tell
    expect(await run(a!, 'def power_of_two(n):\n    return 2 ** n - (n > 60)\n')).to.deep.equal([
      'fail',
      true,
    ]);
    expect(await run(a!, 'def power_of_two(n):\n    return 2 ** n\n')).to.deep.equal(['pass', true]);
    expect(await run(a!, 'def power_of_two(n):\n    return 2 ** n + 1\n')).to.deep.equal(['fail', false]);
    expect(await run(b!, 'def mean(xs):\n    return sum(xs) / len(xs) + 1e-9\n')).to.deep.equal([
      'pass',
      true,
    ]);
    expect(await run(b!, 'def mean(xs):\n    return sum(xs) / len(xs) + 1e-4\n')).to.deep.equal([
      'fail',
      false,
    ]);
    expect(await run(b!, 'def mean(xs):\n    return [sum(xs) / len(xs)]\n')).to.deep.equal(['fail', false]);
    // a list does not answer a tuple (Python's ==, as evalplus compares)
    expect(await run(c!, 'def min_max(xs):\n    return [min(xs), max(xs)]\n')).to.deep.equal(['fail', false]);
    expect(await run(c!, 'def min_max(xs):\n    return min(xs), max(xs)\n')).to.deep.equal(['pass', true]);
  });

  it('an input the reference is stopped on is dropped too, and the reference runs on from the next one', async () => {
    const ctx = new RunContext();
    const p: Problem = {
      problem_id: 'stops',
      source: 'evalplus',
      question: '',
      solutions: [],
      starter_code: '',
      tests: {
        kind: 'call',
        fn_name: 'f',
        inputs: [[1], [1000], [2], [2000], [3]],
        outputs: [],
        base: 2,
        reference: 'def f(n):\n    while n > 100:\n        pass\n    return n\n',
      },
    };
    const [out] = await lastValueFrom(
      from([p]).pipe(
        expectOutputs(ctx, { pool: () => pool, concurrency: 1, limits: { test_cpu_s: 0.3 } }),
        toArray(),
      ),
    );
    expect(out!.tests).to.deep.include({ inputs: ['[1]', '[2]', '[3]'], outputs: ['1', '2', '3'], base: 1 });
    expect(ctx.counter('expect').stats).to.deep.include({ inputs_dropped: 2, inputs_dropped_timeout: 2 });
  });

  it('an input its contract refuses as JSON gave it is tried as tuples, then with floats, as evalplus loaded it', async () => {
    const ctx = new RunContext();
    const problem = (id: string, reference: string, inputs: unknown[]): Problem => ({
      problem_id: id,
      source: 'evalplus',
      question: '',
      solutions: [],
      starter_code: '',
      tests: { kind: 'call', fn_name: 'f', inputs, outputs: [], reference },
    });
    const contract = (check: string) => `    assert ${check}, "invalid inputs"  # $_CONTRACT_$\n`;
    const [tup, flt, mixed, never] = await lastValueFrom(
      from([
        // MBPP+'s loader makes tuples of some tasks' lists; JSON cannot say which
        problem('tup', `def f(t):\n${contract('isinstance(t, tuple)')}    return t + (0,)\n`, [
          [[1, 2]],
          [[]],
        ]),
        // Node reads 2.0 as 2: the contract asks for a float there, and an int beside it
        problem(
          'flt',
          `def f(x, n):\n${contract('isinstance(x, float) and isinstance(n, int)')}    return x * n\n`,
          [[2, 3]],
        ),
        // Mbpp/106's shape: a list, then a tuple
        problem(
          'mixed',
          `def f(a, t):\n${contract('isinstance(a, list) and isinstance(t, tuple)')}    return t + tuple(a)\n`,
          [[[1], [2]]],
        ),
        problem('never', `def f(x):\n${contract('x > 0')}    return x\n`, [[1], [-1]]),
      ]).pipe(expectOutputs(ctx, { pool: () => pool, concurrency: 2 }), toArray()),
    );
    expect(tup!.tests).to.deep.include({
      inputs: ['[{"t": [1, 2]}]', '[{"t": []}]'],
      outputs: ['{"t": [1, 2, 0]}', '{"t": [0]}'],
    });
    expect(flt!.tests).to.deep.include({ inputs: ['[2.0, 3]'], outputs: ['6.0'] });
    expect(mixed!.tests).to.deep.include({ inputs: ['[[1], {"t": [2]}]'], outputs: ['{"t": [2, 1]}'] });
    expect(never!.tests).to.deep.include({ inputs: ['[1]'], outputs: ['1'] });
    expect(ctx.counter('expect').stats).to.deep.include({
      inputs_retyped: 4,
      inputs_dropped_AssertionError: 1,
    });
    // a candidate gets the input in those types: the tuple's own method works, and a list would not answer
    const run = async (p: Problem, code: string) =>
      (await pool.run({ id: p.problem_id, code, tests: p.tests })).verdict;
    expect(await run(tup!, 'def f(t):\n    return t + (0,)\n')).to.equal('pass');
    expect(await run(tup!, 'def f(t):\n    return list(t) + [0]\n')).to.equal('fail');
    expect(await run(flt!, 'def f(x, n):\n    return x.hex() and x * n\n')).to.equal('pass');
  });

  it('a problem whose reference answers no input is a reject naming the first reason', async () => {
    const rejects = join(tmp(), 'rejects.jsonl');
    const ctx = new RunContext(rejects);
    const p: Problem = {
      problem_id: 'none',
      source: 'evalplus',
      question: '',
      solutions: [],
      starter_code: '',
      tests: {
        kind: 'call',
        fn_name: 'f',
        inputs: [[-1], [-2]],
        outputs: [],
        reference: 'def f(x):\n    assert x > 0, "invalid inputs"\n    return x\n',
      },
    };
    const out = await lastValueFrom(
      from([p]).pipe(expectOutputs(ctx, { pool: () => pool, concurrency: 1 }), toArray()),
    );
    ctx.close();
    expect(out).to.deep.equal([]);
    const line = JSON.parse(readFileSync(rejects, 'utf8')) as Record<string, string>;
    expect(line).to.include({ stage: 'expect', id: 'none', reason: 'reference_answers_nothing' });
    expect(line.detail).to.match(/none of the 2 inputs; the first: AssertionError: .*invalid inputs/);
  });

  it('a test whose expected outputs were never computed is an error, never a pass', async () => {
    const [raw] = await collect(readProblems(new RunContext(), FIXTURE));
    const r = await pool.run({
      id: 'raw',
      code: 'def power_of_two(n):\n    return 2 ** n\n',
      tests: raw!.tests,
    });
    expect(r.verdict).to.equal('error');
    expect(r.error).to.match(/expected outputs were never computed/);
  });

  it('through --until label: every canonical solution passes, the dropped inputs counted by exception', async () => {
    const out = tmp();
    const args = ['run', 'structurecoder', '--input', FIXTURE, '--out', out, '--until', 'label', '--quiet'];
    const run = spawnSync('node', [CLI, ...args], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    const m = readManifest(out);
    expect(m.counts.expect!.stats).to.deep.equal({
      inputs_expected: 17,
      inputs_dropped: 2,
      inputs_dropped_AssertionError: 2,
    });
    expect((await readShardRows(out)).map((r) => [r.problem_id, r.verdict])).to.deep.equal([
      ['sf-ep/0', 'pass'],
      ['sf-ep/1', 'pass'],
      ['sf-ep/2', 'pass'],
      ['sf-ep/3', 'pass'],
    ]);
  });
});
