import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RunContext } from '../../lib/context.ts';
import { pullThrough } from '../../lib/pull.ts';
import { Rejected, stage } from '../../lib/stage.ts';
import { collect, tmp } from '../helpers.ts';

const In = z.object({ id: z.string(), n: z.number() });
const Out = z.object({ id: z.string(), n: z.number().nonnegative() });

describe('stage', () => {
  it('sends every record to the output or the rejects file with a reason, and the counts add up', async () => {
    const dir = tmp();
    const ctx = new RunContext(join(dir, 'rejects.jsonl'));
    const op = stage(
      ctx,
      { name: 'halve', input: In, output: Out, id: (r) => r.id, concurrency: 3 },
      () => (r) => {
        if (r.n === 13) throw new Rejected('unlucky', 'thirteen');
        if (r.n === 7) throw new Error('crashed on seven');
        if (r.n === 0) return [];
        return [
          { id: r.id, n: r.n / 2 },
          { id: r.id + "'", n: r.n / 2 },
        ];
      },
    );
    const input = [
      { id: 'a', n: 4 },
      { id: 'b', n: 13 },
      { id: 'c', n: 7 },
      { id: 'd', n: 0 },
      { id: 'e', n: 'x' },
      { id: 'f', n: -2 },
      { id: 'g', n: 6 },
    ] as unknown as z.infer<typeof In>[];
    const out = await collect(pullThrough(input, op, { concurrency: 2 }));
    ctx.close();
    expect(out.map((r) => r.id)).to.deep.equal(['a', "a'", 'g', "g'"]);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.id, r.reason])).to.deep.equal([
      ['b', 'unlucky'],
      ['c', 'error'],
      ['d', 'no_output'],
      ['e', 'invalid_input'],
      ['f', 'invalid_output'],
    ]);
    expect(rejects[1].detail).to.equal('crashed on seven');
    expect(rejects[3].detail).to.match(/^n: /);
    const c = ctx.counter('halve');
    expect(c).to.include({ in: 7, passed: 2, rejected: 5, out: 4 });
    expect(ctx.unbalanced()).to.deep.equal([]);
  });

  it('gives each subscription its own state from init()', async () => {
    const ctx = new RunContext();
    const op = stage(ctx, { name: 'first', input: In, output: In, id: (r) => r.id }, () => {
      let seen = 0;
      return (r) => [{ ...r, n: seen++ }];
    });
    // pullThrough runs each source record as its own subscription
    const out = await collect(
      pullThrough(
        [
          { id: 'x', n: 1 },
          { id: 'y', n: 1 },
        ],
        op,
      ),
    );
    expect(out.map((r) => r.n)).to.deep.equal([0, 0]);
  });
});
