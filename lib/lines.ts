import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/**
 * Lines of a byte stream, taken only as fast as they are asked for. (readline's async iterator reads
 * ahead without bound, which once made the curriculum's merge hold whole sorted runs in memory.)
 */
export async function* linesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop()!;
    yield* lines;
  }
  rest += decoder.end();
  if (rest) yield rest;
}

/** Lines of a text file, or of a gzip file when the name ends in `.gz`. */
export function readLines(path: string): AsyncGenerator<string> {
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  return linesOf(path.endsWith('.gz') ? file.pipe(createGunzip()) : file);
}
