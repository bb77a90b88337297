import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { RecordBatchReader } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type Lite from 'parquetjs-lite';
import { lazy } from './lazy.ts';

const lite = lazy<typeof Lite>('parquetjs-lite');

/** A raw row of an input file and where it came from, so errors can name it. */
export interface SourceRow {
  row: Record<string, unknown>;
  /** `file:line` for JSONL, `file#row` for Parquet and Arrow. */
  where: string;
}

/** A line that is not JSON: the reader reports it instead of stopping the run. */
export interface BadRow {
  where: string;
  error: string;
}

export type RowOrError = SourceRow | BadRow;

export function isBadRow(r: RowOrError): r is BadRow {
  return 'error' in r;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** JSON Lines, plain or gzip (detected from the magic bytes, not the name); also a single JSON array file. */
export async function* readJsonl(path: string): AsyncGenerator<RowOrError> {
  const raw = createReadStream(path);
  const input = (await isGzip(path)) ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    const text = line.trim();
    if (!text) continue;
    if (n === 1 && text.startsWith('[')) {
      // a whole-file JSON array (HumanEval/MBPP are sometimes shipped so): small by nature, parse at once
      yield* readJsonArray(path, input === raw ? undefined : true);
      return;
    }
    try {
      const row = JSON.parse(text) as unknown;
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        yield { where: `${path}:${n}`, error: 'line is JSON but not an object' };
      } else yield { row: row as Record<string, unknown>, where: `${path}:${n}` };
    } catch (err) {
      yield { where: `${path}:${n}`, error: `invalid JSON: ${(err as Error).message}` };
    }
  }
}

async function* readJsonArray(path: string, gzip?: boolean): AsyncGenerator<RowOrError> {
  const chunks: Buffer[] = [];
  const raw = createReadStream(path);
  for await (const c of gzip ? raw.pipe(createGunzip()) : raw) chunks.push(c as Buffer);
  let rows: unknown;
  try {
    rows = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    yield { where: path, error: `invalid JSON: ${(err as Error).message}` };
    return;
  }
  if (!Array.isArray(rows)) {
    yield { where: path, error: 'JSON file is neither JSON lines nor an array of objects' };
    return;
  }
  for (const [i, row] of rows.entries()) {
    if (typeof row === 'object' && row !== null) {
      yield { row: row as Record<string, unknown>, where: `${path}[${i}]` };
    } else yield { where: `${path}[${i}]`, error: 'array element is not an object' };
  }
}

/**
 * Parquet rows, one row group in memory at a time. parquetjs-lite reads the common codecs
 * (snappy, gzip, brotli); it has no ZSTD, which our own shards and many hub exports use, so
 * such files are read with hyparquet.
 */
export async function* readParquet(path: string): AsyncGenerator<RowOrError> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const codecs = new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
  const jsReadable = [...codecs].every(
    (c) => c === undefined || ['UNCOMPRESSED', 'SNAPPY', 'GZIP'].includes(c),
  );
  if (jsReadable) yield* readParquetLite(path);
  else yield* readParquetHy(path);
}

async function* readParquetLite(path: string): AsyncGenerator<RowOrError> {
  const reader = await lite().ParquetReader.openFile(path);
  try {
    const cursor = reader.getCursor();
    let i = 0;
    for (let rec = await cursor.next(); rec; rec = await cursor.next()) {
      yield { row: normaliseRow(rec as Record<string, unknown>), where: `${path}#${i++}` };
    }
  } finally {
    await reader.close();
  }
}

async function* readParquetHy(path: string): AsyncGenerator<RowOrError> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, compressors, rowStart, rowEnd });
    for (const [k, row] of rows.entries()) {
      yield { row: normaliseRow(row), where: `${path}#${rowStart + k}` };
    }
    rowStart = rowEnd;
  }
}

/** Arrow IPC, file or stream format, one record batch at a time. */
export async function* readArrow(path: string): AsyncGenerator<RowOrError> {
  const reader = await RecordBatchReader.from(createReadStream(path));
  let i = 0;
  for await (const batch of reader) {
    for (let k = 0; k < batch.numRows; k++) {
      const row = batch.get(k)?.toJSON() ?? {};
      yield { row: normaliseRow(row as Record<string, unknown>), where: `${path}#${i++}` };
    }
  }
}

// Parquet/Arrow give bigint for int64 and Buffers for untyped byte arrays; the dataset readers want JSON values.
function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = normaliseValue(v);
  return out;
}

function normaliseValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (Array.isArray(v)) return v.map(normaliseValue);
  if (v && typeof v === 'object' && 'toJSON' in v && typeof v.toJSON === 'function') {
    return normaliseValue((v as { toJSON(): unknown }).toJSON());
  }
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    // parquetjs-lite nests repeated fields as { list: [{ element }] } in some writers' files
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.list))
      return o.list.map((e) => normaliseValue((e as { element?: unknown }).element ?? e));
    return normaliseRow(o);
  }
  return v;
}

/** Rows of any supported file, chosen by extension (gzip is detected from the bytes). */
export function readRows(path: string): AsyncGenerator<RowOrError> {
  if (/\.parquet$/i.test(path)) return readParquet(path);
  if (/\.(arrow|arrows|ipc|feather)$/i.test(path)) return readArrow(path);
  return readJsonl(path);
}
