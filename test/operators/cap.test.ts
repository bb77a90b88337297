import { expect } from 'chai';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { curriculumKey } from '../../lib/code/pairs.ts';
import { curriculum } from '../../operators/curriculum.ts';
import { cap } from '../../operators/cap.ts';
import type { Pair } from '../../lib/schemas.ts';

const pairs = (problem: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    problem_id: problem,
    target_id: `${problem}/0/${i}`,
    rejected_index: 1,
    curriculum_key: 1,
  }));

describe('cap: at most N pairs per problem', () => {
  const run = async (seed: number) => {
    const ctx = new RunContext();
    const input = [...pairs('a', 6), ...pairs('b', 2), ...pairs('c', 4)];
    const out = await lastValueFrom(of(...input).pipe(cap(ctx, { max: 3, seed }), toArray()));
    return { out: out.map((p) => p.target_id), ctx };
  };

  it('keeps a seeded choice of each problem over the cap, in order, and rejects the others with the reason; counts add up', async () => {
    const { out, ctx } = await run(0);
    const of = (p: string) => out.filter((id) => id.startsWith(`${p}/`));
    expect([of('a').length, of('b').length, of('c').length]).to.deep.equal([3, 2, 3]);
    for (const p of ['a', 'c']) expect(of(p)).to.deep.equal([...of(p)].sort()); // input order kept
    const c = ctx.counter('cap');
    expect(c).to.include({ in: 12, passed: 8, out: 8, rejected: 4 });
    expect(c.reasons).to.deep.equal({ problem_cap: 4 });
    expect(c.stats.problems_capped).to.equal(2);
    expect((await run(0)).out).to.deep.equal(out); // the same seed keeps the same pairs
    const others = await Promise.all([1, 2, 3, 4, 5].map(async (s) => (await run(s)).out.join()));
    expect(new Set([out.join(), ...others]).size).to.be.greaterThan(1);
  });

  it("the curriculum reports how many pairs each problem has (the report's per-problem chart)", async () => {
    const ctx = new RunContext();
    const input = [...pairs('a', 6), ...pairs('b', 2), ...pairs('c', 2)] as unknown as Pair[];
    async function* source() {
      yield* input;
    }
    for await (const _ of curriculum(ctx, source(), { epochs: 1 })) void _;
    expect(ctx.metrics.get('curriculum')!.hist.pairs_per_problem).to.deep.equal({ 6: 1, 2: 2 });
  });
});

describe('curriculum keys', () => {
  const program = 'def f(xs):\n    for x in xs:\n        if x:\n            return x\n\n\nprint(f([0, 2]))\n';
  it('lines of the middle by default; with depth, the block depth, and a whole program one deeper than its deepest block', () => {
    expect(curriculumKey({ kind: 'fim', depth: 2, middle: 'for x in xs:\n    pass' }, 'lines')).to.equal(2);
    expect(curriculumKey({ kind: 'fim', depth: 2, middle: 'for x in xs:\n    pass' }, 'depth')).to.equal(2);
    expect(curriculumKey({ kind: 'full', depth: 0, middle: program }, 'lines')).to.equal(7);
    expect(curriculumKey({ kind: 'full', depth: 0, middle: program }, 'depth')).to.equal(4);
  });
});
