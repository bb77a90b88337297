import { expect } from 'chai';
import { from, lastValueFrom, pipe, timer, toArray } from 'rxjs';
import { map, mergeMap } from 'rxjs/operators';
import { pullThrough } from '../../lib/pull.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source that counts how many items were pulled from it. */
function countingSource(n: number) {
  const state = { pulled: 0, returned: false };
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        state.pulled++;
        yield i;
      }
    } finally {
      state.returned = true;
    }
  }
  return { state, source: gen() };
}

describe('pullThrough', () => {
  it('keeps the source at most `concurrency` items ahead of a slow sink', async () => {
    const { state, source } = countingSource(200);
    const op = pipe(mergeMap((x: number) => timer(1).pipe(map(() => x * 2)), 4));
    let consumed = 0;
    let maxAhead = 0;
    for await (const v of pullThrough(source, op, { concurrency: 4 })) {
      expect(v).to.equal(consumed * 2);
      consumed++;
      maxAhead = Math.max(maxAhead, state.pulled - consumed);
      await sleep(2); // the slow sink
    }
    expect(consumed).to.equal(200);
    expect(maxAhead).to.be.at.most(4);
  });

  it('is what plain rxjs lacks: from(asyncIterable) reads the whole source ahead of the work', async () => {
    // the measured fact the engine is designed around; if rxjs ever changes, this test says so
    const { state, source } = countingSource(200);
    let pulledWhenFirstDone = -1;
    await lastValueFrom(
      from(source).pipe(
        mergeMap(async (x) => {
          await sleep(1);
          if (pulledWhenFirstDone < 0) pulledWhenFirstDone = state.pulled;
          return x;
        }, 4),
        toArray(),
      ),
    );
    expect(pulledWhenFirstDone).to.be.greaterThan(100);
  });

  it('keeps source order with concurrency and uneven work, and expands 1 → N', async () => {
    const op = mergeMap((x: number) => timer((7 * x) % 5).pipe(mergeMap(() => [x, x + 0.5])));
    const out: number[] = [];
    for await (const v of pullThrough([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], op, { concurrency: 3 })) out.push(v);
    expect(out).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((x) => [x, x + 0.5]));
  });

  it('closes the source when the consumer stops early', async () => {
    const { state, source } = countingSource(1000);
    for await (const v of pullThrough(
      source,
      map((x: number) => x),
      { concurrency: 2 },
    )) {
      if (v === 5) break;
    }
    expect(state.returned).to.equal(true);
    expect(state.pulled).to.be.at.most(8);
  });

  it('propagates an operator error to the consumer', async () => {
    const op = map((x: number) => {
      if (x === 3) throw new Error('boom at 3');
      return x;
    });
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const v of pullThrough([1, 2, 3, 4], op)) seen.push(v);
    } catch (err) {
      error = err;
    }
    expect(seen).to.deep.equal([1, 2]);
    expect((error as Error).message).to.equal('boom at 3');
  });
});
