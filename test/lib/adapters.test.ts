import { expect } from 'chai';
import highland from 'highland';
import { Writable } from 'node:stream';
import { map } from 'rxjs/operators';
import { fromHighland, fromNodeStream, intoWritable, toHighland, toNodeStream } from '../../lib/adapters.ts';
import { pullThrough } from '../../lib/pull.ts';
import { collect } from '../helpers.ts';

describe('adapters', () => {
  it('run a highland stream through the engine and back into highland', async () => {
    const out = await collect(
      pullThrough(
        fromHighland(highland([1, 2, 3])),
        map((x: number) => x * 10),
      ),
    );
    expect(out).to.deep.equal([10, 20, 30]);
    const back = await new Promise<number[]>((resolve) =>
      toHighland(
        pullThrough(
          [1, 2],
          map((x: number) => -x),
        ),
      ).toArray(resolve),
    );
    expect(back).to.deep.equal([-1, -2]);
  });

  it('fromHighland pulls from a lazy highland source only as far as the consumer has read', async () => {
    let made = 0;
    const source = highland<number>((push, next) => {
      made++;
      push(null, made);
      next();
    });
    const it = fromHighland(source)[Symbol.asyncIterator]();
    for (let i = 1; i <= 3; i++) expect((await it.next()).value).to.equal(i);
    expect(made).to.be.at.most(4); // an unbounded source, read three records ahead by at most one
    await it.return?.(undefined);
  });

  it('read from a Node stream and write into a Node writable that applies backpressure', async () => {
    const out = await collect(
      pullThrough(
        fromNodeStream<number>(toNodeStream([4, 5])),
        map((x: number) => x + 1),
      ),
    );
    expect(out).to.deep.equal([5, 6]);
    const got: number[] = [];
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(chunk: number, _enc, cb) {
        got.push(chunk);
        setTimeout(cb, 1);
      },
    });
    let pulled = 0;
    async function* src() {
      for (let i = 0; i < 50; i++) {
        pulled++;
        expect(pulled - got.length).to.be.at.most(20);
        yield i;
      }
    }
    await intoWritable(src(), slow);
    expect(got).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
  });
});
