import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers.ts';
import { ExecPool, type ExecRequest } from '../../../lib/sandbox/pool.ts';
import type { TestSpec } from '../../../lib/schemas.ts';
import { parseJsonField } from '../../../readers/fields.ts';

// Issue 39: correct programs pass as on the judges they were accepted on, and nothing the program does
// changes what decides its verdict. Each case with its twin.

const SUM = { kind: 'stdio', inputs: ['1 2\n', '40 2\n'], outputs: ['3\n', '42\n'] } as const;
const run = (
  pool: ExecPool,
  id: string,
  code: string,
  tests: TestSpec = { ...SUM, inputs: [...SUM.inputs], outputs: [...SUM.outputs] },
) => pool.run({ id, code, tests, limits: { test_cpu_s: 2, program_wall_s: 20 } } satisfies ExecRequest);

describe('sandbox: judging exactly', function () {
  this.timeout(120_000);
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 2 })));
  after(() => pool.close());

  it("stdin is a regular file holding the test's input, as on the judges: the fstat-and-read idiom passes", async () => {
    const fast =
      'import io, os\ninput = io.BytesIO(os.read(0, os.fstat(0).st_size)).readline\n' +
      'a, b = map(int, input().split())\nprint(a + b)\n';
    const r = await run(pool, 'fstat', fast);
    expect(r.verdict, r.error).to.equal('pass');
    const twin = await run(pool, 'input', 'a, b = map(int, input().split())\nprint(a + b)\n');
    expect(twin.verdict, twin.error).to.equal('pass');
  });

  it("writing ahead into later tests' input descriptors changes nothing: each test reads its own input", async () => {
    const ahead =
      'import os\nfor fd in range(5, 200):\n    try:\n        os.pwrite(fd, b"99 99\\n" * 100, 0)\n    except OSError:\n        pass\n' +
      'a, b = map(int, input().split())\nprint(a + b)\n';
    const r = await run(pool, 'write-ahead', ahead);
    expect(r.verdict, r.error).to.equal('pass');
  });

  it('multiprocessing.Pool.map of a function the program defines works: the program is a real __main__', async () => {
    const own =
      'import multiprocessing\ndef square(x):\n    return x * x\nif __name__ == "__main__":\n' +
      '    a, b = map(int, input().split())\n    with multiprocessing.Pool(2) as p:\n' +
      '        print(sum(p.map(square, [1, 1])) - 2 + a + b)\n';
    const r = await run(pool, 'pool-map', own);
    expect(r.verdict, r.error).to.equal('pass');
    const twin = own.replace('p.map(square, [1, 1])', 'p.starmap(pow, [(1, 2), (1, 2)])');
    expect((await run(pool, 'pool-map-builtin', twin)).verdict).to.equal('pass');
  });

  it("returned Fractions and Decimals compare with Python's ==: equal to the answer passes, near it fails", async () => {
    const call = (inputs: unknown[][], outputs: unknown[]): TestSpec => ({
      kind: 'call',
      fn_name: 'f',
      inputs,
      outputs,
    });
    const exact =
      'from fractions import Fraction\nfrom decimal import Decimal\ndef f(a, b):\n' +
      '    return Fraction(a + b) if a else Decimal(b) / 2\n';
    const r = await run(
      pool,
      'exact-numbers',
      exact,
      call(
        [
          [1, 2],
          [0, 3],
        ],
        [3, 1.5],
      ),
    );
    expect(r.verdict, r.error).to.equal('pass');
    const third = 'from fractions import Fraction\ndef f(a, b):\n    return Fraction(1, 3)\n';
    expect((await run(pool, 'a-third', third, call([[1, 2]], [0.3333333333333333]))).verdict).to.equal(
      'fail',
    );
    const snan = 'from decimal import Decimal\ndef f(a, b):\n    return Decimal("sNaN")\n';
    expect((await run(pool, 'snan', snan, call([[1, 2]], [3]))).verdict).to.equal('error');
  });

  it("where the statement allows an absolute or relative error, every number compares within it, as testlib's", async () => {
    const one = (tolerance?: number): TestSpec => ({
      kind: 'stdio',
      inputs: [''],
      outputs: ['1\n'],
      ...(tolerance ? { tolerance } : {}),
    });
    // an accepted CodeContests answer: the expected file shows 1, the solution prints ten decimals
    expect((await run(pool, 'real', 'print("%.10f" % 1)\n', one(1e-6))).verdict).to.equal('pass');
    expect((await run(pool, 'real-strict', 'print("%.10f" % 1)\n', one())).verdict).to.equal('fail');
    expect((await run(pool, 'real-off', 'print(1.00001)\n', one(1e-6))).verdict).to.equal('fail');
    expect((await run(pool, 'real-text', 'print("one")\n', one(1e-6))).verdict).to.equal('fail');
  });

  it('a checker sees the input as it was before the call, whatever the program did to its arguments', async () => {
    const checker = 'def check(input, output, expected):\n    a, t = input\n    return a[output] == t\n';
    const tests: TestSpec = {
      kind: 'call',
      fn_name: 'find',
      inputs: [
        [[4, 7, 9], 9],
        [[1, 2], 1],
      ],
      outputs: [2, 0],
      checker,
    };
    const forged = await run(pool, 'forge', 'def find(a, t):\n    a[0] = t\n    return 0\n', tests);
    expect(forged.verdict).to.equal('fail');
    const twin = await run(pool, 'find', 'def find(a, t):\n    return a.index(t)\n', tests);
    expect(twin.verdict, twin.error).to.equal('pass');
  });

  it('numbers cross exactly: integers of any size and floats that look like integers, read as a reader reads them', async () => {
    // APPS/TACO's input_output field, as parseJsonField reads it: 2**64 + 7 in, 2**64 out
    const io = parseJsonField(
      '{"fn_name": "f", "inputs": [[18446744073709551623], [1.0]], "outputs": [18446744073709551616, "1.0"]}',
      'input_output',
    ) as { inputs: unknown[]; outputs: unknown[] };
    const tests: TestSpec = { kind: 'call', fn_name: 'f', inputs: io.inputs, outputs: io.outputs };
    const exact = 'def f(x):\n    return str(x) if isinstance(x, float) else x - 7\n';
    const r = await run(pool, 'big-exact', exact, tests);
    expect(r.verdict, r.error).to.equal('pass');
    // the rounded value a double would give is wrong, and so is the int a float argument would have become
    const rounded = 'def f(x):\n    return str(x) if isinstance(x, float) else 18446744073709552000\n';
    expect((await run(pool, 'big-rounded', rounded, tests)).verdict).to.equal('fail');
    const intArg = 'def f(x):\n    return str(x) if isinstance(x, int) and x < 2 else x - 7\n';
    expect((await run(pool, 'float-arg', intArg, tests)).verdict).to.equal('fail');
    // an int equals a float only by value: float(10**30) is not 10**30
    const big = parseJsonField('{"inputs": [[30]], "outputs": [1000000000000000000000000000000]}', 'io') as {
      inputs: unknown[];
      outputs: unknown[];
    };
    const pow: TestSpec = { kind: 'call', fn_name: 'f', inputs: big.inputs, outputs: big.outputs };
    expect((await run(pool, 'pow-float', 'def f(n):\n    return float(10**n)\n', pow)).verdict).to.equal(
      'fail',
    );
    const twin = await run(pool, 'pow-int', 'def f(n):\n    return 10**n\n', pow);
    expect(twin.verdict, twin.error).to.equal('pass');
    // a test built in JavaScript with Infinity: it crosses as infinity, never as None (JSON.stringify's null)
    const inf: TestSpec = { kind: 'call', fn_name: 'f', inputs: [[-Infinity]], outputs: [Infinity] };
    expect((await run(pool, 'inf-none', 'def f(x):\n    return None\n', inf)).verdict).to.equal('fail');
    const neg = await run(pool, 'inf-neg', 'def f(x):\n    return -x\n', inf);
    expect(neg.verdict, neg.error).to.equal('pass');
  });

  it("setup code that builds a tree with the program's own class (MBPP 367, 927) reaches it whole", async () => {
    // MBPP's harness runs its setup code after the solution: `Node` is the program's class, so the
    // judge builds the tree through attribute writes on the program's objects
    const tests: TestSpec = {
      kind: 'assert',
      code:
        'root = Node(1)\nroot.left = Node(2)\nroot.right = Node(3)\nroot.left.left = Node(4)\n' +
        'root.left.left.left = Node(8)\nroot1 = Node(1)\nroot1.left = Node(2)\n' +
        'root2 = Node(1)\nroot2.left = root.left\nroot2.right = Node(3)\nroot2.right.right = Node(5)\n' +
        'root2.right.right.right = Node(6)\n' +
        'assert is_tree_balanced(root) == False\nassert is_tree_balanced(root1) == True\n' +
        'assert is_tree_balanced(root2) == False\n',
      entry_points: ['Node', 'is_tree_balanced'],
    };
    const node =
      'class Node:\n    def __init__(self, data):\n        self.data = data\n        self.left = None\n        self.right = None\n';
    const height = 'def h(n):\n    return 0 if n is None else 1 + max(h(n.left), h(n.right))\n';
    const right =
      node +
      height +
      'def is_tree_balanced(r):\n    return r is None or (abs(h(r.left) - h(r.right)) <= 1 and is_tree_balanced(r.left) and is_tree_balanced(r.right))\n';
    const r = await run(pool, 'mbpp-367', right, tests);
    expect(r.verdict, r.error).to.equal('pass');
    // the twin that only looks at the root's children is wrong on the first tree
    const shallow = node + height + 'def is_tree_balanced(r):\n    return abs(h(r.left) - h(r.right)) <= 1\n';
    expect((await run(pool, 'mbpp-367-shallow', shallow, tests)).verdict).to.equal('fail');
    // a program whose class refuses the write errs on its own class: the judge's side stays intact
    const frozen = right.replace('class Node:', 'class Node:\n    __slots__ = ("data",)');
    expect((await run(pool, 'mbpp-367-slots', frozen, tests)).verdict).to.equal('error');
  });

  it('the fixture checker reads integers as the judges write them: full-width and Arabic-Indic digits are wrong', async () => {
    const checker = readFileSync(join(FIXTURES, 'checkers', 'sf-0035.py'), 'utf8');
    const tests: TestSpec = { kind: 'stdio', inputs: ['4 6\n1 3 3 5\n'], outputs: ['1 4\n'], checker };
    expect((await run(pool, 'other-pair', 'print(2, 3)\n', tests)).verdict).to.equal('pass');
    expect((await run(pool, 'other-digits', 'print("+\\uff11 \\u0664")\n', tests)).verdict).to.equal('fail');
    expect((await run(pool, 'underscore', 'print("1_0 4")\n', tests)).verdict).to.equal('fail');
  });

  it('strict stdio compares what was printed: a token past a double is text, bytes that are not UTF-8 are not U+FFFD', async () => {
    const huge: TestSpec = { kind: 'stdio', inputs: [''], outputs: ['1e400\n'] };
    expect((await run(pool, 'zero-for-1e400', 'print(0)\n', huge)).verdict).to.equal('fail');
    expect((await run(pool, 'inf-for-1e400', 'print(float("inf"))\n', huge)).verdict).to.equal('fail');
    expect((await run(pool, '1e400', 'print("1e400")\n', huge)).verdict).to.equal('pass');
    const replacement: TestSpec = { kind: 'stdio', inputs: [''], outputs: ['a\ufffd\n'] };
    const raw = 'import sys\nsys.stdout.buffer.write(b"a\\xff\\n")\n';
    expect((await run(pool, 'raw-byte', raw, replacement)).verdict).to.equal('fail');
    expect((await run(pool, 'replacement', 'print("a\\ufffd")\n', replacement)).verdict).to.equal('pass');
  });

  it('a test stopped at its CPU limit reports the CPU it used, whether it reads stdio, calls or asserts', async () => {
    const loop = 'def f(x):\n    while True:\n        pass\n';
    const kinds: [string, string, TestSpec][] = [
      ['stdio', 'while True:\n    pass\n', { kind: 'stdio', inputs: [''], outputs: ['1\n'] }],
      ['call', loop, { kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [1] }],
      ['assert', loop, { kind: 'assert', code: 'assert f(1) == 1\n' }],
      [
        'planned',
        loop,
        { kind: 'assert', code: 'def check(c):\n    assert c(1) == 1\n    assert c(2) == 2\ncheck(f)\n' },
      ],
    ];
    for (const [kind, code, tests] of kinds) {
      const r = await pool.run({ id: kind, code, tests, test_cpu_s: [0.3] });
      expect(r.verdict, kind).to.equal('timeout');
      // the limit was reached, so the program used it (the check's CPU report of its timeouts)
      expect(r.tests[0]!.cpu_ms, kind).to.be.within(280, 400);
    }
  });
});
