import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pipe } from 'rxjs';
import { RunContext } from '../../../lib/context.ts';
import { readProblems } from '../../../readers/index.ts';
import { MutationGenerator } from '../../../lib/generators/mutation.ts';
import { DEFAULT_PARAMS } from '../../../lib/generators/types.ts';
import { pullThrough } from '../../../lib/pull.ts';
import type { PromptedTarget } from '../../../lib/schemas.ts';
import { fim } from '../../../operators/fim.ts';
import { format } from '../../../operators/format.ts';
import { solutions } from '../../../operators/solutions.ts';
import { split } from '../../../operators/split.ts';
import { collect, FIXTURES, PYTHON } from '../../helpers.ts';

async function fixtureTargets(): Promise<PromptedTarget[]> {
  const ctx = new RunContext();
  const op = pipe(solutions(ctx), format(ctx), split(ctx), fim(ctx));
  return collect(pullThrough(readProblems(ctx, join(FIXTURES, 'apps.jsonl')), op));
}

/** Which programs CPython's parser accepts. */
function cpythonParses(programs: string[]): boolean[] {
  const script =
    'import ast, json, sys\nfor l in sys.stdin:\n    try:\n        ast.parse(json.loads(l)); print(1)\n    except SyntaxError:\n        print(0)\n';
  const out = execFileSync(PYTHON, ['-c', script], {
    input: programs.map((p) => JSON.stringify(p)).join('\n') + '\n',
  });
  return out
    .toString()
    .trim()
    .split('\n')
    .map((l) => l === '1');
}

/** The mutation generator's candidates for `target` (at most `n`, seed 0). */
const mutate = (target: PromptedTarget, n = 200) =>
  new MutationGenerator().generate({ prompt: '', start: '', params: { ...DEFAULT_PARAMS, n }, target });

describe('mutation generator', function () {
  this.timeout(60_000);
  let targets: PromptedTarget[];
  before(async () => (targets = await fixtureTargets()));

  it('mutates a middle nested 20,000 levels deep (a recursive walk of its tree overflowed the stack)', async () => {
    const t = targets[0]!;
    const depth = 20_000;
    const middle = `x = ${'('.repeat(depth)}a + 1${')'.repeat(depth)}\n`;
    const outs = await mutate({ ...t, prefix: '', middle, suffix: '' }, 5);
    expect(outs.length).to.be.greaterThan(0);
    // each candidate is one edit of the middle: its parentheses are all still there
    for (const o of outs) expect(o.text.split('(').length - 1).to.equal(depth);
  });

  it('is deterministic for a seed and differs with the seed', async () => {
    const gen = new MutationGenerator();
    const req = (t: PromptedTarget, seed: number) => ({
      prompt: '',
      start: '',
      params: { ...DEFAULT_PARAMS, seed },
      target: t,
    });
    const some = targets.slice(0, 40);
    const a = await Promise.all(some.map((t) => gen.generate(req(t, 1))));
    const b = await Promise.all(some.map((t) => gen.generate(req(t, 1))));
    const c = await Promise.all(some.map((t) => gen.generate(req(t, 2))));
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('gives n distinct candidates per target that all parse in their program, saying what made each', async () => {
    const gen = new MutationGenerator();
    const programs: string[] = [];
    let full = 0;
    for (const t of targets) {
      const out = await gen.generate({ prompt: '', start: '', params: DEFAULT_PARAMS, target: t });
      expect(new Set(out.map((g) => g.text)).size).to.equal(out.length);
      expect(out.length).to.be.at.most(DEFAULT_PARAMS.n);
      if (out.length === DEFAULT_PARAMS.n) full++;
      for (const g of out) {
        expect(g.origin).to.match(/^[a-z_]+$/);
        programs.push(t.prefix + g.text + t.suffix);
      }
      // the first is the likely-right one, the golden middle itself: the chosen side of its pairs
      expect([out[0]!.origin, out[0]!.text]).to.deep.equal(['golden', t.middle]);
      expect(out.slice(1).map((g) => g.origin)).to.not.include.members([
        'flip_comparison',
        'parenthesize_condition',
      ]);
    }
    expect(cpythonParses(programs).every(Boolean)).to.equal(true);
    expect(full / targets.length).to.be.greaterThan(0.8);
  });

  it('mutates operators, constants, conditions, statements and variables of the middle only', async () => {
    const prefix = 'n = int(input())\na = list(map(int, input().split()))\nc = 0\n';
    const middle = 'for i in range(1, n):\n    if a[i] < a[i - 1] and c >= 0:\n        c += 2\n        n = n';
    const suffix = '\nprint(c)\n';
    const t = {
      ...targets[0]!,
      kind: 'fim',
      block_type: 'for',
      prefix,
      middle,
      suffix,
      target_id: 't',
    } as PromptedTarget;
    const out = await mutate(t);
    const by = new Map(out.map((g) => [g.origin, g.text]));
    for (const o of [
      'comparison_swap',
      'off_by_one',
      'constant_tweak',
      'arithmetic_swap',
      'boolean_swap',
      'negate_condition',
      'delete_statement',
      'duplicate_statement',
      'wrong_variable',
      'swap_operands',
    ]) {
      expect(by.has(o), o).to.equal(true);
    }
    expect(out.some((g) => g.text === middle.replace('a[i] < a[i - 1]', 'a[i] <= a[i - 1]'))).to.equal(true);
    expect(out.some((g) => g.text === middle.replace('c += 2', 'c -= 2'))).to.equal(true);
    expect(
      out.some(
        (g) =>
          g.text === middle.replace('if a[i] < a[i - 1] and c >= 0', 'if not (a[i] < a[i - 1] and c >= 0)'),
      ),
    ).to.equal(true);
    expect(out.some((g) => g.text === middle.replace('\n        c += 2', ''))).to.equal(true);
    // prefix and suffix are the context: the mutated text is always the middle's lines
    expect(out.every((g) => g.text.startsWith('for ') || g.text.startsWith('for i'))).to.equal(true);
  });

  it('makes no degenerate bug: never a negated `__main__` guard, never a body left empty, `pass` or a docstring', async () => {
    const middle =
      'def main():\n    """Print the sum."""\n    print(sum(a))\n\n\nif __name__ == "__main__":\n    main()\n';
    const t = {
      ...targets[0]!,
      kind: 'full',
      block_type: 'full',
      prefix: '',
      middle: 'a = [1, 2]\n\n\n' + middle,
      suffix: '',
      target_id: 'guard',
    } as PromptedTarget;
    const out = await mutate(t);
    expect(out.length).to.be.greaterThan(2); // the constants and the variable still mutate
    for (const g of out) {
      expect(g.text, g.origin).to.not.include('not (__name__');
      expect(g.text, g.origin).to.include('__main__'); // the guard's string is no near miss either
      // the body's one working statement stays (its builtin may be swapped: `len` for `sum`)
      expect(g.text, g.origin).to.match(/\n {4}print\((sum|len)\(a\)\)\n/);
    }
    // a body of two working statements may lose one: a plausible missing step, but never the one assignment of
    // a name (`y` read after it would be unbound: a NameError, no near miss)
    const two = {
      ...t,
      middle: 'def f(x):\n    """Doc."""\n    y = x + 1\n    return y\n',
      target_id: 'two',
    };
    const del = (await mutate(two)).filter((g) => g.origin === 'delete_statement').map((g) => g.text);
    expect(del).to.have.members(['def f(x):\n    """Doc."""\n    y = x + 1\n']);
    const sorts = { ...t, middle: 'def f(xs):\n    xs.sort()\n    return xs\n', target_id: 'sorts' };
    const del2 = (await mutate(sorts)).filter((g) => g.origin === 'delete_statement').map((g) => g.text);
    expect(del2).to.have.members(['def f(xs):\n    return xs\n', 'def f(xs):\n    xs.sort()\n']);
  });

  it('makes near misses, not unbound names: variables swap only where read, for a name bound before', async () => {
    const middle =
      'def f(a, b):\n    total = a + b\n    for i in range(b):\n        total += i\n    scale = 2\n    return total * scale\n';
    const t = {
      ...targets[0]!,
      kind: 'full',
      prefix: '',
      middle,
      suffix: '',
      target_id: 'near',
    } as PromptedTarget;
    const out = (await mutate(t)).filter((g) => g.origin !== 'golden');
    expect(out.filter((g) => g.origin === 'wrong_variable').length).to.be.greaterThan(3);
    // every candidate runs to an answer or to another error, never to a name that is not bound
    const script =
      'import json, sys\nfor l in sys.stdin:\n    env = {}\n    try:\n        exec(json.loads(l), env); env["f"](3, 4); print("ok")\n' +
      '    except (NameError, UnboundLocalError) as e:\n        print(type(e).__name__)\n    except Exception:\n        print("other")\n';
    const ran = execFileSync(PYTHON, ['-c', script], {
      input: out.map((g) => JSON.stringify(g.text)).join('\n') + '\n',
    })
      .toString()
      .trim()
      .split('\n');
    expect(ran.length).to.equal(out.length);
    const unbound = out.filter((_, i) => ran[i] === 'NameError' || ran[i] === 'UnboundLocalError');
    expect(unbound.map((g) => `${g.origin}: ${g.text}`)).to.deep.equal([]);
  });

  it('one-line programs get near misses too: a builtin or str method swapped, a string constant tweaked', async () => {
    // MBPP 62, 99, 7 and 73: each had no mutation site before, so Target-DPO lost the problem (no_failing_variant)
    const cases: [string, string, string][] = [
      ['def smallest_num(xs):\n  return min(xs)\n', 'max(xs)', 'builtin_swap'],
      ['def d(n):\n    return bin(n).replace("0b", "")\n', 'replace("0", "")', 'string_tweak'],
      ['import re\ndef f(text):\n  return re.findall(r"\\b\\w{4,}\\b", text)\n', '{5,}', 'string_tweak'],
      ["import re\ndef f(text):\n  return re.split('; |, |\\*|\\n', text)\n", "'; |, |\\*|'", 'string_tweak'],
      ['def f(s):\n    return s.strip().lower()\n', '.upper()', 'builtin_swap'],
    ];
    for (const [middle, made, origin] of cases) {
      const t = {
        ...targets[0]!,
        kind: 'full',
        prefix: '',
        middle,
        suffix: '',
        target_id: 'one',
      } as PromptedTarget;
      const out = await mutate(t);
      expect(
        out.some((g) => g.origin === origin && g.text.includes(made)),
        `${middle} → ${made}: ${out.map((g) => g.text).join(' | ')}`,
      ).to.equal(true);
    }
    // a program's own function named like a builtin is not swapped, nor an f-string's text
    const own = 'def min(a):\n    return a[0]\ndef g(xs):\n    return min(xs) + len(f"{xs}0")\n';
    const t = {
      ...targets[0]!,
      kind: 'full',
      prefix: '',
      middle: own,
      suffix: '',
      target_id: 'own',
    } as PromptedTarget;
    const out = await mutate(t);
    expect(out.filter((g) => g.text.includes('max(') || g.text.includes('f"{xs}1"'))).to.deep.equal([]);
  });

  it('on every fixture target, no candidate empties a body or negates a `__main__` guard', async () => {
    const emptied = /:\n([ \t]+)(?:"""[^]*?"""|pass)\n(?!\1)/; // a header whose body is a docstring or pass
    for (const t of targets) {
      const out = await mutate(t, 20);
      for (const g of out.slice(1)) {
        expect(g.text, `${t.target_id} ${g.origin}`).to.not.include('not (__name__');
        const program = t.prefix + g.text + t.suffix + '\n';
        if (!emptied.test(t.prefix + t.middle + t.suffix + '\n'))
          expect(emptied.test(program), `${t.target_id} ${g.origin}:\n${g.text}`).to.equal(false);
      }
    }
  });
});
