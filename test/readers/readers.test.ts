import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { RunContext } from '../../lib/context.ts';
import { readManifest } from '../../lib/manifest.ts';
import { ROOT } from '../../lib/root.ts';
import { humaneval } from '../../readers/humaneval.ts';
import { readProblems } from '../../readers/index.ts';
import { statedTolerance, unpickleString } from '../../readers/fields.ts';
import { collect, FIXTURES, readShardRows, tmp } from '../helpers.ts';

const CLI = join(ROOT, 'bin', 'structflow.js');

/** An input through `--until label` in a fresh output folder: the exit status, stderr and the folder. */
function labelRun(input: string) {
  const out = tmp();
  const args = ['run', 'structurecoder', '--input', input, '--out', out, '--until', 'label', '--quiet'];
  const run = spawnSync('node', [CLI, ...args], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr, out };
}

/** A fixture through `--until label`: every reference solution must pass its tests in the sandbox. */
async function labelled(file: string) {
  const { status, stderr, out } = labelRun(join(FIXTURES, file));
  expect(status, stderr).to.equal(0);
  return { m: readManifest(out), rows: await readShardRows(out) };
}

describe('readers of the datasets people train on, in their published layouts', function () {
  this.timeout(120_000);

  it('CodeContests (Parquet, nested structs): public + private + generated tests, Python 3 solutions only', async () => {
    const [a, b] = await collect(readProblems(new RunContext(), join(FIXTURES, 'codecontests.parquet')));
    expect(a).to.deep.include({ problem_id: 'sf-cc-1_max_of_list', source: 'codecontests', difficulty: '7' });
    expect(a!.tests).to.deep.equal({
      kind: 'stdio',
      inputs: ['3\n1 5 2\n', '1\n-4\n', '4\n7 7 1 0\n', '2\n10 -10\n'],
      outputs: ['5\n', '-4\n', '7\n', '10\n'],
    });
    expect(a!.solutions).to.have.length(2); // the C++ one is not a solution here
    expect(b!.solutions).to.have.length(1); // nor is the Python 2 one
    const { m, rows } = await labelled('codecontests.parquet');
    expect(m.counts.read).to.include({ in: 2, passed: 2 });
    expect(rows.map((r) => r.verdict)).to.deep.equal(['pass', 'pass', 'pass']);
  });

  it('TACO (APPS fields plus its own): stdio and call tests, named by name or by a hash of the question', async () => {
    const [a, b] = await collect(readProblems(new RunContext(), join(FIXTURES, 'taco.jsonl')));
    expect(a).to.deep.include({ problem_id: 'taco/square_it', source: 'taco' });
    expect(b!.problem_id).to.match(/^taco\/[0-9a-f]{16}$/);
    expect(b!.tests).to.deep.equal({
      kind: 'call',
      fn_name: 'rev',
      inputs: [['abc'], ['']],
      outputs: ['cba', ''],
    });
    const { rows } = await labelled('taco.jsonl');
    expect(rows.map((r) => [r.problem_id, r.verdict])).to.deep.equal([
      ['taco/square_it', 'pass'],
      [b!.problem_id, 'pass'],
    ]);
  });

  it('LiveCodeBench (code_generation_lite): compressed private tests decoded, functional tests as calls', async () => {
    const [a, b] = await collect(readProblems(new RunContext(), join(FIXTURES, 'livecodebench.jsonl')));
    expect(a).to.deep.include({ problem_id: 'atcoder/sf_lcb_1', source: 'livecodebench' });
    expect(a!.tests).to.deep.equal({
      kind: 'stdio',
      inputs: ['4\n', '0\n', '-5\n'],
      outputs: ['8\n', '0\n', '-10\n'],
    });
    expect(b!.tests).to.deep.equal({
      kind: 'call',
      fn_name: 'sumArray',
      inputs: [[[1, 2, 3]], [[]]],
      outputs: [6, 0],
    });
    // an evaluation set has no reference solutions: read, then rejected by name, nothing lost, and a run
    // that produced nothing is no success
    const { status, stderr, out } = labelRun(join(FIXTURES, 'livecodebench.jsonl'));
    expect(status).to.equal(1);
    expect(stderr).to.include('the run produced no rows: 2 × solutions: no_solutions');
    const m = readManifest(out);
    expect(m.counts.read).to.include({ in: 2, passed: 2 });
    expect(m.counts.solutions!.reasons).to.deep.equal({ no_solutions: 2 });
  });

  it('LeetCodeDataset: the completion is the solution, the header given; check(entry_point) the test', async () => {
    const [a] = await collect(readProblems(new RunContext(), join(FIXTURES, 'leetcode.jsonl')));
    expect(a).to.deep.include({ problem_id: 'sf-two-sum-sorted', source: 'leetcode' });
    // the header (imports, ListNode, list_node) is code the task gives, never the model's answer
    expect(a!.solutions[0]).to.match(/^class Solution:/);
    expect(a!.solutions[0]).not.to.include('ListNode');
    expect(a!.given).to.match(/^from typing import \*[\s\S]*def list_node/);
    expect(a!.tests.kind).to.equal('assert');
    // the program still runs after the header: `List` in the signature comes from it
    const { rows } = await labelled('leetcode.jsonl');
    expect(rows.map((r) => r.verdict)).to.deep.equal(['pass', 'pass']);
    expect(rows.every((r) => String(r.code).startsWith('class Solution:'))).to.equal(true);
  });

  it("HumanEval: the prompt's code before the entry point is given; the solution is the entry point's def", async () => {
    const [, b] = await collect(readProblems(new RunContext(), join(FIXTURES, 'humaneval.jsonl')));
    expect(b!.given).to.equal('from typing import List\n\n\n');
    expect(b!.solutions[0]).to.match(/^def count_evens\(xs: List\[int\]\) -> int:\n/);
    // a helper the prompt defines (HumanEval/32's poly) is given code, not part of the solution
    const poly = humaneval.convert({
      task_id: 'SF/poly',
      prompt:
        'import math\n\n\ndef poly(xs, x):\n    return sum(c * x**i for i, c in enumerate(xs))\n\n\n' +
        'def zero(xs):\n    """A zero of poly."""\n',
      canonical_solution: '    return 0.0\n',
      test: 'def check(f):\n    assert f([0, 1]) == 0.0\n',
      entry_point: 'zero',
    });
    expect(poly.given).to.match(/^import math\n\n\ndef poly\(xs, x\):[\s\S]*enumerate\(xs\)\)\n\n\n$/);
    expect(poly.solutions).to.deep.equal(['def zero(xs):\n    """A zero of poly."""\n    return 0.0\n']);
    const { rows } = await labelled('humaneval.jsonl');
    expect(rows.map((r) => r.verdict)).to.deep.equal(['pass', 'pass', 'pass', 'pass']);
  });

  it('MBPP (full and "sanitized" configs): setup code or test imports, then the asserts; names from the reference', async () => {
    const [a, b, c] = await collect(readProblems(new RunContext(), join(FIXTURES, 'mbpp.jsonl')));
    const code = (p: typeof a) => (p!.tests.kind === 'assert' ? p!.tests.code : '');
    expect([a, b, c].map((p) => [p!.problem_id, p!.source])).to.deep.equal([
      ['90001', 'mbpp'],
      ['90002', 'mbpp'],
      ['90003', 'mbpp'],
    ]);
    // challenge_test_list is not part of the tests
    expect(a!.tests).to.deep.equal({
      kind: 'assert',
      code: 'assert count_runs([1, 1, 2, 2, 2, 1]) == 3\nassert count_runs([]) == 0\nassert count_runs([7]) == 1\n',
      context: '',
      entry_points: ['count_runs'],
    });
    // test_setup_code comes first; the module the reference imports is the judge's
    expect(b!.tests).to.deep.include({ context: 'import math', entry_points: ['hypotenuse'] });
    expect(code(b)).to.match(/^import math\nassert math\.isclose\(hypotenuse\(3, 4\), 5\.0\)\n/);
    // the sanitized config: prompt is the question, test_imports the setup
    expect(c!.question).to.match(/^Write a function to return the sum of the decimal digits/);
    // MBPP's question names no function: the asserts follow it, as in MBPP's own prompt
    for (const [p, name] of [
      [a, 'count_runs'],
      [b, 'hypotenuse'],
      [c, 'digit_sum'],
    ] as const)
      expect(p!.question).to.match(
        new RegExp(`\\nYour code should pass these tests:\\nassert .*\\b${name}\\(`),
      );
    expect(c!.tests).to.deep.include({ context: '', entry_points: ['digit_sum'] });
    expect(code(c)).to.match(/^import math\nassert digit_sum\(9875\) == 29\n/);
    expect(code(c)).to.include('assert digit_sum(math.factorial(5)) == 3\n');
  });

  it('MBPP: every reference passes its asserts in the sandbox, and a function answering 0 passes none', async () => {
    const { m, rows } = await labelled('mbpp.jsonl');
    expect(m.counts.read).to.include({ in: 3, passed: 3 });
    expect(rows.map((r) => [r.problem_id, r.verdict])).to.deep.equal([
      ['90001', 'pass'],
      ['90002', 'pass'],
      ['90003', 'pass'],
    ]);
    const dir = tmp();
    const wrong = readFileSync(join(FIXTURES, 'mbpp.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const row = JSON.parse(line) as { code: string };
        const name = /^def (\w+)/m.exec(row.code)![1]!;
        return JSON.stringify({ ...row, code: `def ${name}(*args):\n    return 0\n` });
      });
    writeFileSync(join(dir, 'mbpp.jsonl'), wrong.join('\n') + '\n');
    const { status, out } = labelRun(join(dir, 'mbpp.jsonl'));
    expect(status).to.equal(1);
    expect(readManifest(out).counts.label!.reasons).to.deep.equal({
      verdict_fail: 3,
      no_passing_solution: 3,
    });
  });

  it('a row missing a required field is a named reject, per layout', async () => {
    const dir = tmp();
    const path = join(dir, 'apps.jsonl');
    const row = {
      problem_id: 'p1',
      solutions: '["print(1)"]',
      input_output: '{"inputs": [], "outputs": []}',
    };
    writeFileSync(
      path,
      JSON.stringify(row) + '\n' + JSON.stringify({ ...row, problem_id: 'p2', question: 'Q?' }) + '\n',
    );
    const rejects = join(dir, 'rejects.jsonl');
    const ctx = new RunContext(rejects);
    const problems = await collect(readProblems(ctx, path, { format: 'apps' }));
    ctx.close();
    expect(problems.map((p) => p.problem_id)).to.deep.equal(['p2']);
    expect(JSON.parse(readFileSync(rejects, 'utf8'))).to.deep.equal({
      stage: 'read',
      id: `${path}:1`,
      reason: 'missing_field',
      detail: 'no "question" (apps rows have problem_id|id, question, solutions)',
    });
  });

  it("a statement's allowed error for real-valued answers becomes the stdio tests' tolerance", async () => {
    expect(
      statedTolerance('Your answer is correct if its absolute or relative error does not exceed 10^{-6}.'),
    ).to.equal(1e-6);
    expect(statedTolerance('The relative error must not exceed 1e-9.')).to.equal(1e-9);
    expect(statedTolerance('an absolute or relative error of $10^{-4}$ is accepted')).to.equal(1e-4);
    expect(
      statedTolerance('Print the answer with absolute or relative error at most what the checker allows.'),
    ).to.equal(1e-6);
    expect(statedTolerance('Print the sum of the two numbers.')).to.equal(undefined);
    const file = join(tmp(), 'real.jsonl');
    const row = (id: string, question: string) =>
      JSON.stringify({
        problem_id: id,
        question,
        solutions: '["print(1)"]',
        input_output: '{"inputs": [""], "outputs": ["1"]}',
      });
    writeFileSync(
      file,
      [row('r', 'Print x; absolute or relative error up to 10^{-9} is fine.'), row('i', 'Print 1.')].join(
        '\n',
      ) + '\n',
    );
    const problems = await collect(readProblems(new RunContext(), file));
    expect(problems.map((p) => p.tests)).to.deep.equal([
      { kind: 'stdio', inputs: [''], outputs: ['1'], tolerance: 1e-9 },
      { kind: 'stdio', inputs: [''], outputs: ['1'] },
    ]);
  });

  it('the pickle decoder takes a pickled string only: any other opcode is an error, never run', () => {
    const ok = execFileSync('python3', [
      '-c',
      'import pickle,sys; sys.stdout.buffer.write(pickle.dumps("[1, \\"é\\"]"))',
    ]);
    expect(unpickleString(ok)).to.equal('[1, "é"]');
    const evil = execFileSync('python3', [
      '-c',
      'import pickle,sys,os\nclass E:\n  def __reduce__(self): return (os.system, ("echo pwned",))\nsys.stdout.buffer.write(pickle.dumps(E()))',
    ]);
    expect(() => unpickleString(evil)).to.throw(/not a pickled string/);
    expect(() => unpickleString(deflateSync(Buffer.from('x')))).to.throw(/not a pickled string/);
  });
});
