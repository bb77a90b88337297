import { expect } from 'chai';
import { ExecPool, type ExecRequest } from '../../../lib/sandbox/pool.ts';
import type { TestSpec } from '../../../lib/schemas.ts';

/** A program that prints `printed` exactly, judged against `expected`. */
const printing = (printed: string, expected: string): ExecRequest => ({
  id: `print ${JSON.stringify(printed)}`,
  code: `import sys\nsys.stdout.write(${JSON.stringify(printed)})\n`,
  tests: { kind: 'stdio', inputs: [''], outputs: [expected] },
});

const calling = (body: string, tests: Omit<Extract<TestSpec, { kind: 'call' }>, 'kind'>): ExecRequest => ({
  id: body,
  code: body,
  tests: { kind: 'call', ...tests },
});

describe('sandbox: the comparison rules (strict by default, the APPS harness on request)', function () {
  this.timeout(60_000);
  let pool: ExecPool;
  let apps: ExecPool;
  before(() => {
    pool = new ExecPool({ workers: 2 });
    apps = new ExecPool({ workers: 1, stdioCompare: 'apps' });
  });
  after(() => Promise.all([pool.close(), apps.close()]));

  // [case, printed, expected, strict verdict, apps verdict]
  const cases: [string, string, string, 'pass' | 'fail', 'pass' | 'fail'][] = [
    ['surrounding whitespace', '  42 \n\n', '42', 'pass', 'pass'],
    ['blank lines and trailing spaces per line', '1 \n\n2\n', '1\n2\n', 'pass', 'pass'],
    ['a different answer', '41\n', '42\n', 'fail', 'fail'],
    [
      'a fractional expected answer, within 1e-8 + 1e-5·|b|',
      '0.3333333\n2.50000001\n',
      '0.333333333\n2.5\n',
      'pass',
      'pass',
    ],
    ['an integer expected answer given as a float', '2.0000001\n', '2\n', 'fail', 'pass'],
    ['floats outside the tolerance and apart once rounded', '0.3345\n', '0.3333\n', 'fail', 'fail'],
    [
      'floats outside the tolerance but equal once rounded to 3 places',
      '0.3334\n',
      '0.3333\n',
      'fail',
      'pass',
    ],
    ['tokens in another order on a line', '3 2 1\n', '1 2 3\n', 'fail', 'pass'],
    // line breaks are whitespace, as in testlib's standard checkers (answers on one line for one a line)
    ['tokens moved to another line', '1 2\n3\n', '1\n2 3\n', 'pass', 'fail'],
    ['floats equal once rounded to 3 places, in token sets', '2.0001 1\n', '1 2\n', 'fail', 'pass'],
    ['lines missing', '1\n', '1\n2\n', 'fail', 'fail'],
    // the APPS cascade's documented false passes
    ['an off-by-one integer from 100000 up', '100001\n', '100000\n', 'fail', 'pass'],
    ['integers past 2^53', '9007199254740992\n', '9007199254740993\n', 'fail', 'pass'],
    ['a duplicated token', 'YES YES\n', 'YES\n', 'fail', 'pass'],
    ['an underscore in a number', '1_000\n', '1000\n', 'fail', 'pass'],
    ['an exponent for an integer', '1e5\n', '100000\n', 'fail', 'pass'],
    ['Arabic-Indic and full-width digits', '\u0666 \uff16\n', '6 6\n', 'fail', 'pass'],
    ['a decimal in exponent form where one is expected', '1.5e-3\n', '0.0015\n', 'pass', 'pass'],
    ['an answer modulo 1e9+7, off by one', '1000000008\n', '1000000007\n', 'fail', 'pass'],
    ['a leading zero or plus sign', '04 +4\n', '4 4\n', 'fail', 'pass'],
    ['an ideographic space (U+3000) between tokens', '1\u30002\n', '1 2\n', 'fail', 'pass'],
    ['an infinite float for a 401-digit integer', '1e999\n', '1' + '0'.repeat(400) + '\n', 'fail', 'pass'],
  ];
  for (const [name, printed, expected, strict, loose] of cases) {
    it(`stdio: ${name} → ${strict} (apps: ${loose})`, async () => {
      expect((await pool.run(printing(printed, expected))).verdict).to.equal(strict);
      expect((await apps.run(printing(printed, expected))).verdict).to.equal(loose);
    });
  }

  it('stdio: the program sees the test input on stdin, through input(), sys.stdin and open(0)', async () => {
    const tests: TestSpec = { kind: 'stdio', inputs: ['1\n2\n3 4\n'], outputs: ['1 2 3 4\n'] };
    const viaStdin =
      'import sys\na = input()\nb = sys.stdin.readline().strip()\nprint(a, b, *sys.stdin.read().split())\n';
    const viaFd = 'print(*open(0).read().split())\n';
    expect((await pool.run({ id: 'stdin', code: viaStdin, tests })).verdict).to.equal('pass');
    expect((await pool.run({ id: 'fd0', code: viaFd, tests })).verdict).to.equal('pass');
  });

  it('stdio: runs with __name__ == "__main__"', async () => {
    const code = 'def main():\n    print(input())\n\n\nif __name__ == "__main__":\n    main()\n';
    const r = await pool.run({
      id: 'main',
      code,
      tests: { kind: 'stdio', inputs: ['x\n'], outputs: ['x\n'] },
    });
    expect(r.verdict).to.equal('pass');
  });

  it('call: tuples compare as lists, and the expected value may be wrapped in a one-element list', async () => {
    const code = 'def f(a, b):\n    return (a, b)\n';
    const ok = await pool.run(
      calling(code, {
        fn_name: 'f',
        inputs: [
          [1, 2],
          [3, 4],
        ],
        outputs: [[1, 2], [[3, 4]]],
      }),
    );
    expect(ok.verdict).to.equal('pass');
    const bad = await pool.run(calling(code, { fn_name: 'f', inputs: [[1, 2]], outputs: [[2, 1]] }));
    expect(bad.verdict).to.equal('fail');
    expect(bad.tests[0]!.error).to.equal('wrong answer on test 1 of 1');
  });

  it('call: a method of class Solution is called on an instance; exact comparison', async () => {
    const code = 'class Solution:\n    def half(self, x):\n        return x / 2\n';
    const r = await pool.run(calling(code, { fn_name: 'half', inputs: [[4], [3]], outputs: [2, 1.5] }));
    expect(r.verdict).to.equal('pass');
    const r2 = await pool.run(calling(code, { fn_name: 'half', inputs: [[3]], outputs: [1.4999999] }));
    expect(r2.verdict).to.equal('fail');
  });

  it('call: a bool answers only a JSON boolean, in either direction and inside containers', async () => {
    const returning = (v: string, expected: unknown) =>
      pool.run(calling(`def f():\n    return ${v}\n`, { fn_name: 'f', inputs: [[]], outputs: [expected] }));
    const verdicts = await Promise.all([
      returning('True', 1),
      returning('1', true),
      returning('[0, True]', [0, 1]),
      returning('{"a": False}', { a: 0 }),
      returning('True', true),
      returning('[1, False]', [1, false]),
      returning('2.0', 2),
    ]);
    expect(verdicts.map((r) => r.verdict)).to.deep.equal([
      'fail',
      'fail',
      'fail',
      'fail',
      'pass',
      'pass',
      'pass',
    ]);
  });

  it('assert: passes when the tests run to the end, fails on a false assert, errors on an exception', async () => {
    const run = (tests: string) =>
      pool.run({
        id: tests,
        code: 'def add(a, b):\n    return a + b\n',
        tests: { kind: 'assert', code: tests },
      });
    expect((await run('assert add(1, 2) == 3\n')).verdict).to.equal('pass');
    expect((await run('assert add(1, 2) == 4\n')).verdict).to.equal('fail');
    expect((await run('assert add(1) == 1\n')).verdict).to.equal('error');
  });

  it('program verdicts: error beats fail; compile_error; no_tests', async () => {
    const code = 'x = int(input())\nprint(1 // x)\n';
    const r = await pool.run({
      id: 'mix',
      code,
      tests: { kind: 'stdio', inputs: ['2\n', '0\n'], outputs: ['9\n', '0\n'] },
    });
    expect(r.tests.map((t) => t.verdict)).to.deep.equal(['fail', 'error']);
    expect(r.verdict).to.equal('error');
    const c = await pool.run({
      id: 'c',
      code: 'print "py2"\n',
      tests: { kind: 'stdio', inputs: [''], outputs: [''] },
    });
    expect(c.verdict).to.equal('compile_error');
    const n = await pool.run({
      id: 'n',
      code: 'print(1)\n',
      tests: { kind: 'stdio', inputs: [], outputs: [] },
    });
    expect(n.verdict).to.equal('no_tests');
  });

  describe('a checker judges instead of comparing (problems with several valid answers)', () => {
    // any i < j with a_i + a_j = t; the expected output is one such pair
    const PAIR = [
      'def check(input, output, expected):',
      '    head, values = input.split("\\n")[:2]',
      '    n, t = map(int, head.split())',
      '    a = list(map(int, values.split()))',
      '    i, j = map(int, output.split())',
      '    return 1 <= i < j <= n and a[i - 1] + a[j - 1] == t',
      '',
    ].join('\n');
    const pairTests = (checker?: string): TestSpec => ({
      kind: 'stdio',
      inputs: ['4 6\n1 3 3 5\n', '2 3\n1 2\n'],
      outputs: ['1 4\n', '1 2\n'],
      ...(checker ? { checker } : {}),
    });
    const printsPair = (first: string) => `print(${JSON.stringify(first)} if input() == "4 6" else "1 2")\n`;

    it('stdio: another valid answer passes with the checker and fails without; a wrong or malformed one fails', async () => {
      const run = (id: string, code: string, checker?: string) =>
        pool.run({ id, code, tests: pairTests(checker) });
      const other = await run('other', printsPair('2 3'), PAIR);
      expect(other.verdict).to.equal('pass');
      expect((await run('other, compared', printsPair('2 3'))).verdict).to.equal('fail');
      expect((await run('expected', printsPair('1 4'), PAIR)).verdict).to.equal('pass');
      const wrong = await run('wrong', printsPair('1 2'), PAIR);
      expect(wrong.verdict).to.equal('fail');
      expect(wrong.error).to.equal('wrong answer on test 1 of 2 (the checker rejected it)');
      const garbage = await run('garbage', printsPair('2 3 extra'), PAIR);
      expect(garbage.verdict).to.equal('fail');
      expect(garbage.error).to.match(/^wrong answer on test 1 of 2 \(the checker raised ValueError/);
      // a runtime error is still the program's: the checker never sees a crashed test's output
      const crash = await run('crash', 'print("2 3")\nraise ValueError(input())\n', PAIR);
      expect(crash.verdict).to.equal('error');
    });

    it('call: the checker gets the arguments and the returned value as data', async () => {
      const checker = 'def check(args, output, expected):\n    return sorted(output) == sorted(expected)\n';
      const code = 'def f(xs):\n    return list(reversed(xs))\n';
      const tests = { fn_name: 'f', inputs: [[[1, 2, 3]]], outputs: [[1, 2, 3]] };
      expect((await pool.run(calling(code, { ...tests, checker }))).verdict).to.equal('pass');
      expect((await pool.run(calling(code, tests))).verdict).to.equal('fail');
      const bad = await pool.run(calling('def f(xs):\n    return [0]\n', { ...tests, checker }));
      expect(bad.verdict).to.equal('fail');
    });

    it('a checker that defines no check() is an error verdict, never a pass', async () => {
      const r = await pool.run({ id: 'nocheck', code: printsPair('1 4'), tests: pairTests('x = 1\n') });
      expect(r.verdict).to.equal('error');
      expect(r.error).to.match(/defines no check/);
    });
  });

  it('a module-level return ends a stdio program normally, as in the APPS harness', async () => {
    const code = 'n = int(input())\nif n == 0:\n    print("zero")\n    return\nprint("nonzero")\n';
    const r = await pool.run({
      id: 'ret',
      code,
      tests: { kind: 'stdio', inputs: ['0\n', '5\n'], outputs: ['zero\n', 'nonzero\n'] },
    });
    expect(r.verdict).to.equal('pass');
  });
});
