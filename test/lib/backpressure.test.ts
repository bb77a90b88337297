import { expect } from 'chai';
import { z } from 'zod';
import { RunContext } from '../../lib/context.ts';
import { pullThrough } from '../../lib/pull.ts';
import { stage } from '../../lib/stage.ts';

const Rec = z.object({ id: z.number(), payload: z.string() });
type Rec = z.infer<typeof Rec>;

const gc = (globalThis as { gc?: () => void }).gc;

describe('backpressure', function () {
  this.timeout(120_000);

  it('streams 200,000 records through a stage into a slow sink with a bounded heap', async () => {
    expect(gc, 'mocha must run node with --expose-gc (.mocharc.json)').to.be.a('function');
    const N = 200_000;
    let produced = 0;
    async function* source(): AsyncGenerator<Rec> {
      for (let i = 0; i < N; i++) {
        produced++;
        yield { id: i, payload: `${i}:`.padEnd(1024, 'x') }; // 200 MB if everything were held at once
      }
    }
    const ctx = new RunContext();
    const double = stage(
      ctx,
      { name: 'double', input: Rec, output: Rec, id: (r) => String(r.id) },
      () => (r) => [{ id: r.id, payload: r.payload + r.payload.slice(0, 8) }],
    );

    gc!();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let consumed = 0;
    let maxAhead = 0;
    for await (const r of pullThrough(source(), double, { concurrency: 8 })) {
      expect(r.id).to.equal(consumed);
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed % 1000 === 0) await new Promise((res) => setTimeout(res, 1)); // the slow sink
      if (consumed % 20_000 === 0) {
        gc!();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(consumed).to.equal(N);
    expect(maxAhead).to.be.at.most(8);
    expect(peak, `heap grew by ${(peak / 2 ** 20).toFixed(1)} MiB`).to.be.below(32 * 2 ** 20);
    const c = ctx.counter('double');
    expect([c.in, c.passed, c.out, c.rejected]).to.deep.equal([N, N, N, 0]);
  });
});
