import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Where a compressed file stops being readable: what zlib said and at which byte of the file. */
export interface Damage {
  reason: string;
  /** The file ends before its data does (zlib's Z_BUF_ERROR), rather than holding bytes that are not gzip. */
  cut: boolean;
  /** Compressed bytes read when it was found. */
  at: number;
  /** The file's size in bytes: `at` equals it where the file is cut off. */
  size: number;
}

/** Up to `n` bytes from the start of a file. */
export async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Gzip is told by its magic bytes, not the file's name. */
export async function isGzip(path: string): Promise<boolean> {
  const buf = await firstBytes(path, 2);
  return buf.length === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * The bytes of a file, decompressed when it is gzip, then `{ damage }` where a gzip file is cut off or
 * corrupt. Every byte that decompresses before the damage comes out: the file is fed to gunzip one read
 * at a time and its output taken before the next, because a gunzip stream that fails drops the output
 * it still holds (read through its async iterator by a slow consumer, a cut file lost 5 of 39 lines).
 * That also bounds the memory at one read's output, whatever the consumer's pace.
 */
export async function* fileBytes(path: string): AsyncGenerator<Buffer | { damage: Damage }> {
  // what one 64 KiB read decompresses to is held at once: some 500 KiB of text (64 MiB at deflate's utmost)
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  if (!(await isGzip(path))) {
    try {
      yield* raw as AsyncIterable<Buffer>;
    } finally {
      raw.destroy();
    }
    return;
  }
  const gunzip = createGunzip();
  const out: Buffer[] = [];
  let failed: Error | undefined;
  let wake = () => {};
  gunzip.on('data', (b: Buffer) => out.push(b));
  gunzip.on('error', (err: Error) => {
    failed ??= err;
    wake();
  });
  // resolves once zlib is through with a step (its output emitted before its callback), or has failed
  const settled = (step: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      step(resolve);
    });
  let read = 0;
  try {
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      read += chunk.length;
      await settled((done) => gunzip.write(chunk, () => done()));
      yield* out.splice(0);
      if (failed) break;
    }
    if (!failed)
      await settled((done) => {
        gunzip.once('end', done);
        gunzip.end();
      });
    yield* out.splice(0); // whatever came out after the last step's turn
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
  if (failed) {
    const cut = (failed as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
    yield { damage: { reason: failed.message, cut, at: read, size: statSync(path).size } };
  }
}
