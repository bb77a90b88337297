/// <reference types="highland" preserve="true" />
// the adapters' types are highland's (global `Highland`): the directive stays in the published declarations, which
// then find @types/highland (a dependency for that reason) in a project whose tsconfig lists `types`
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import highland from 'highland';

// highland 2.13 cannot consume async generators, and rxjs cannot pull. Async iterables are the
// common currency at stage boundaries; these adapters convert at the edges only.

/** A highland stream as a pull-based async iterable (highland is lazy, so this keeps backpressure). */
export async function* fromHighland<T>(stream: Highland.Stream<T>): AsyncGenerator<T> {
  for (;;) {
    const value = await new Promise<T | Highland.Nil>((resolve, reject) =>
      stream.pull((err, x) => (err ? reject(err) : resolve(x))),
    );
    if (highland.isNil(value)) return;
    yield value;
  }
}

/** An async iterable as a highland stream; highland pulls one record at a time. */
export function toHighland<T>(source: AsyncIterable<T> | Iterable<T>): Highland.Stream<T> {
  const it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  return highland<T>((push, next) => {
    Promise.resolve(it.next()).then(
      (r: IteratorResult<T>) => {
        if (r.done) push(null, highland.nil);
        else {
          push(null, r.value);
          next();
        }
      },
      (err: Error) => push(err, highland.nil),
    );
  });
}

/** A Node readable stream (object mode) as an async iterable. Node readables already are. */
export function fromNodeStream<T>(stream: NodeJS.ReadableStream): AsyncIterable<T> {
  return stream as unknown as AsyncIterable<T>;
}

/** An async iterable as a Node readable stream in object mode, respecting its highWaterMark. */
export function toNodeStream<T>(source: AsyncIterable<T> | Iterable<T>, highWaterMark = 16): Readable {
  return Readable.from(source, { objectMode: true, highWaterMark });
}

/** Write an async iterable into a Node writable, waiting for it to drain. */
export async function intoWritable<T>(source: AsyncIterable<T>, sink: Writable): Promise<void> {
  await pipeline(toNodeStream(source), sink);
}
